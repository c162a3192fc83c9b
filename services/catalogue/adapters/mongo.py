"""MongoDB adapters of the catalogue's stores (PyMongo async; SecantusDB in the embedded default).

Collections: ``catalogue_records`` (one document per record: ``_id`` = record id, every field of
``Record`` plus ``_order``, ``_outcome``, ``_keys`` and ``_history``), ``catalogue_links``,
``catalogue_batches``, ``catalogue_members`` (with its outbox field ``_announce``); the change
feed is ``feed``'s.

This is the production shape (``MONGO_URL`` set): duplicate keys through a multikey index on
``_keys``, keyset pages and quality rows as ``_id`` ranges of the store itself, so what a
listing, a replay or a quality count answers never depends on what this process has seen.
The embedded SecantusDB needs another shape (its secondary indexes and ranges are slow):
``embedded_store.EmbeddedRecordStore``, chosen by ``record_store`` when ``MONGO_URL`` is unset.

``$in`` look-ups are chunked: SecantusDB answers a large ``$in`` in time quadratic in its hits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from pymongo import ASCENDING, DESCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.catalogue.adapters import feed
from services.catalogue.adapters.feed import RECORDS
from services.catalogue.domain import HistoryEntry, Link, StoredRecord
from services.catalogue.ports import ConcurrentUpdate, ProcessedBatch, RecordPage
from services.catalogue.quality import Row
from shared.events import Member, MemberChange
from shared.recent import Recent
from shared.records import Record, RecordStatus

LINKS = "catalogue_links"
BATCHES = "catalogue_batches"
MEMBERS = "catalogue_members"
ANNOUNCE = "_announce"  # a member's ``member.changed`` not yet confirmed (the outbox)
CHUNK = 100
STATS_SECONDS = 60.0  # another replica's writes show in the stats within this
DUPLICATE_KEY = 11000
T = TypeVar("T")


def _chunks(values: list[T]) -> Iterable[list[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _bson_safe(value: Any) -> Any:
    """Enums as their values and dates as ISO strings (BSON has no date-only type)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _bson_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bson_safe(v) for v in value]
    return value


# JSON mode turns enums into their values and dates into ISO strings in one compiled pass;
# the datetimes are then put back as BSON dates (sorting and range queries need them).
_RECORD_DATETIMES = ("starts_at", "ends_at", "created_at", "updated_at")


_EMPTY: tuple[Any, ...] = (None, [], {})
_HISTORY_IMPLIED = {"record_id", "member"}  # the record's own ``_id`` and ``member``


def record_document(state: StoredRecord) -> dict[str, Any]:
    """The stored document, lean: every field is paid per record on each write and read.

    Unset and empty fields are left out (they read back as their defaults); ``id`` is the
    ``_id``, and history entries do not repeat the record's id and member.
    """
    record = state.record
    doc = {
        k: v for k, v in record.model_dump(mode="json", exclude={"id"}).items() if v not in _EMPTY
    }
    for name in _RECORD_DATETIMES:
        if (value := getattr(record, name)) is not None:
            doc[name] = value
    doc.update(_id=record.id, _order=state.order, _outcome=state.outcome.value)
    doc["_keys"] = state.keys
    doc["_history"] = [
        {**e.model_dump(mode="json", exclude=_HISTORY_IMPLIED), "at": e.at, "period": e.period}
        for e in state.history
    ]
    return doc


def record_of(doc: dict[str, Any]) -> Record:
    return Record.model_validate({**doc, "id": doc["_id"]})


def stored_record(doc: dict[str, Any]) -> StoredRecord:
    implied = {"record_id": doc["_id"], "member": doc["member"]}
    return StoredRecord(
        record=record_of(doc),
        order=doc["_order"],
        outcome=doc["_outcome"],
        keys=doc.get("_keys", []),
        history=[HistoryEntry.model_validate({**implied, **e}) for e in doc.get("_history", [])],
    )


async def _gather_chunks(
    values: list[str],
    query: Callable[[list[str]], Awaitable[list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    results = await asyncio.gather(*(query(chunk) for chunk in _chunks(values)))
    return [doc for docs in results for doc in docs]


def problem_codes(problems: Iterable[Any]) -> tuple[str, ...]:
    """A record's problem codes (each a stored dict or a ``Problem``)."""
    return tuple(sys.intern(p["code"] if isinstance(p, dict) else p.code) for p in problems)


def active_codes(status: Any, problems: Iterable[Any]) -> tuple[str, ...] | None:
    """A record's problem codes if it is active, else ``None`` (for a quality index)."""
    if status not in (RecordStatus.ACTIVE, RecordStatus.ACTIVE.value, None):
        return None
    return problem_codes(problems)


def id_filter(after: str | None, member: str | None) -> dict[str, Any]:
    """The filter of ids after ``after``, only ``member``'s if given (a member's ids are
    "<member>:…", and codes hold no ':' or ';')."""
    bounds: dict[str, str] = {}
    if member is not None:
        bounds = {"$gte": f"{member}:", "$lt": f"{member};"}
    if after is not None and after >= bounds.get("$gte", ""):
        bounds.pop("$gte", None)
        bounds["$gt"] = after
    return {"_id": bounds} if bounds else {}


def _only_duplicates(exc: BulkWriteError) -> bool:
    errors = exc.details.get("writeErrors", [])
    return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)


class MongoRecordStore:
    """The ``RecordStore`` port on MongoDB, with the store's own indexes."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._writes = 0  # this process's record writes: the stats' cache follows them
        self._stats: Recent[dict[str, Any]] = Recent(STATS_SECONDS)
        self.records = db[RECORDS]
        self.links = db[LINKS]
        self.batches = db[BATCHES]

    async def ensure_indexes(self) -> None:
        await self.records.create_index([("_keys", ASCENDING)])  # multikey: duplicate keys
        # Listing filters: a status or kind filter walks its own index in ``_id`` order.
        await self.records.create_index([("status", ASCENDING), ("_id", ASCENDING)])
        await self.records.create_index([("kind", ASCENDING), ("_id", ASCENDING)])
        await self._ensure_common_indexes()

    async def _ensure_common_indexes(self) -> None:
        await self.links.create_index([("ends", ASCENDING)])
        await self.links.create_index([("state", ASCENDING), ("found_at", DESCENDING)])
        await feed.ensure_feed(self.db)

    async def get_many(self, ids: list[str]) -> dict[str, StoredRecord]:
        async def query(chunk: list[str]) -> list[dict[str, Any]]:
            return await self.records.find({"_id": {"$in": chunk}}).to_list(None)

        docs = await _gather_chunks(list(dict.fromkeys(ids)), query)
        return {doc["_id"]: stored_record(doc) for doc in docs}

    async def find_by_keys(
        self, keys: list[str], *, exclude_member: str
    ) -> dict[str, StoredRecord]:
        async def query(chunk: list[str]) -> list[dict[str, Any]]:
            wanted = {"_keys": {"$in": chunk}, "member": {"$ne": exclude_member}}
            return await self.records.find(wanted).to_list(None)

        docs = await _gather_chunks(list(dict.fromkeys(keys)), query)
        return {doc["_id"]: stored_record(doc) for doc in sorted(docs, key=lambda d: d["_id"])}

    async def learn_changes(self, records: list[Record]) -> None:
        """Nothing to learn: another process's records are in the store's indexes."""

    async def save(self, writes: list[tuple[StoredRecord, StoredRecord | None]]) -> None:
        self._writes += 1
        await feed.append(  # before the write (see ``feed``)
            self.db,
            (
                (state.record.id, state.record.updated_at)
                for state, previous in writes
                if previous is None or previous.record.updated_at != state.record.updated_at
            ),
        )
        new = [record_document(state) for state, previous in writes if previous is None]
        ops: list[Any] = []
        for state, previous in writes:
            if previous is None:
                continue
            guard = {"_id": state.record.id, "_order": previous.order}
            if previous.record == state.record and previous.history == state.history:
                mark = {"_order": state.order, "_outcome": state.outcome.value}
                ops.append(UpdateOne(guard, {"$set": mark}))
            else:
                ops.append(ReplaceOne(guard, record_document(state)))
        try:
            if new:  # insert_many is the server's fast path for new records
                await self.records.insert_many(new, ordered=False)
            result = await self.records.bulk_write(ops, ordered=False) if ops else None
        except BulkWriteError as exc:
            if _only_duplicates(exc):
                raise ConcurrentUpdate("a record was created concurrently") from exc
            raise
        if result is not None and result.matched_count != len(ops):
            raise ConcurrentUpdate("a record changed since it was read")

    async def links_touching(self, ids: list[str]) -> list[Link]:
        async def query(chunk: list[str]) -> list[dict[str, Any]]:
            return await self.links.find({"ends": {"$in": chunk}}).to_list(None)

        docs = await _gather_chunks(list(dict.fromkeys(ids)), query)
        unique = {doc["_id"]: doc for doc in docs}
        return [Link.model_validate(doc) for doc in unique.values()]

    async def save_links(self, save: list[Link], delete: list[str]) -> None:
        now = dt.datetime.now(dt.UTC)
        ops: list[Any] = [
            UpdateOne(
                {"_id": link.id},
                {
                    "$set": {
                        **_bson_safe(link.model_dump(mode="python", exclude={"found_at"})),
                        "ends": [link.a, link.b],
                    },
                    "$setOnInsert": {"found_at": now},
                },
                upsert=True,
            )
            for link in save
        ]
        if ops:
            await self.links.bulk_write(ops, ordered=False)
        if delete:
            await self.links.delete_many({"_id": {"$in": delete}})

    async def links_page(
        self, *, state: str | None, member: str | None, limit: int, offset: int
    ) -> tuple[list[Link], int]:
        where: dict[str, Any] = {}
        if state is not None:
            where["state"] = state
        if member is not None:
            where["ends"] = {"$regex": f"^{re.escape(member)}:"}
        total = await self.links.count_documents(where)
        cursor = (
            self.links.find(where)
            .sort([("found_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [Link.model_validate(doc) async for doc in cursor], total

    async def set_holdings(self, holdings: dict[str, list[str]]) -> None:
        ops = [
            UpdateOne({"_id": rid}, {"$set": {"also_held_by": ids}})
            for rid, ids in holdings.items()
        ]
        if ops:
            await self.records.bulk_write(ops, ordered=False)

    async def adjust_holdings(
        self, add: dict[str, list[str]], remove: dict[str, list[str]]
    ) -> None:
        ops: list[Any] = [
            UpdateOne({"_id": rid}, {"$addToSet": {"also_held_by": {"$each": ids}}})
            for rid, ids in add.items()
        ]
        ops += [
            UpdateOne({"_id": rid}, {"$pull": {"also_held_by": {"$in": ids}}})
            for rid, ids in remove.items()
        ]
        if ops:
            await self.records.bulk_write(ops, ordered=True)

    async def processed_batch(self, key: str) -> ProcessedBatch | None:
        doc = await self.batches.find_one({"_id": key})
        return ProcessedBatch.model_validate(doc) if doc else None

    async def save_batch(self, batch: ProcessedBatch) -> None:
        doc = {"_id": batch.key, **batch.model_dump(mode="json"), "at": dt.datetime.now(dt.UTC)}
        try:  # an insert is the server's fast path; a batch is kept once
            await self.batches.insert_one(doc)
        except DuplicateKeyError:
            await self.batches.replace_one({"_id": batch.key}, doc, upsert=True)

    async def page(
        self,
        *,
        after: str | None,
        limit: int,
        member: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> RecordPage:
        flt = id_filter(after, member)
        flt.update((name, value) for name, value in (("kind", kind), ("status", status)) if value)
        docs = await self.records.find(flt).sort("_id", ASCENDING).limit(limit).to_list(None)
        records = [record_of(doc) for doc in docs]
        return RecordPage(records=records, next=records[-1].id if len(records) == limit else None)

    async def stats(self) -> dict[str, Any]:
        return await self._stats.get(self._count_stats, version=self._writes)

    async def _count_stats(self) -> dict[str, Any]:
        holdings = await self._aggregate(
            RECORDS,
            [
                {"$match": {"status": "active"}},
                {
                    "$group": {
                        "_id": {"member": "$member", "kind": "$kind", "year": "$year"},
                        "count": {"$sum": 1},
                    }
                },
            ],
        )
        activity = await self._aggregate(
            RECORDS,
            [
                {"$unwind": "$_history"},
                {
                    "$group": {
                        "_id": {
                            "member": "$member",
                            "period": "$_history.period",
                            "change": "$_history.change",
                        },
                        "count": {"$sum": 1},
                    }
                },
            ],
        )
        monthly = await self._aggregate(
            RECORDS,
            [
                {"$unwind": "$_history"},
                {
                    "$group": {
                        "_id": {
                            "member": "$member",
                            "month": {"$dateToString": {"format": "%Y-%m", "date": "$_history.at"}},
                            "change": "$_history.change",
                        },
                        "count": {"$sum": 1},
                    }
                },
            ],
        )
        return {"holdings": holdings, "activity": activity, "monthly": monthly}

    async def quality_rows(self, member: str | None = None) -> list[Row]:
        active = {**id_filter(None, member), "status": RecordStatus.ACTIVE.value}
        fields = {"problems.code": 1}
        cursor = self.records.find(active, fields, batch_size=10_000).sort("_id", ASCENDING)
        return [(doc["_id"], problem_codes(doc.get("problems", []))) async for doc in cursor]

    async def _aggregate(self, name: str, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cursor = await self.db[name].aggregate(pipeline)
        return [{**doc["_id"], "count": doc["count"]} async for doc in cursor]


class MongoMemberStore:
    """The ``MemberStore`` port on MongoDB (``catalogue_members``, ``_id`` = code)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.members = db[MEMBERS]

    async def get(self, code: str) -> Member | None:
        doc = await self.members.find_one({"_id": code})
        return Member.model_validate(doc) if doc else None

    async def all(self) -> list[Member]:
        cursor = self.members.find({}).sort("_id", ASCENDING)
        return [Member.model_validate(doc) async for doc in cursor]

    async def save(self, member: Member, *, announce: MemberChange) -> None:
        doc = {"_id": member.code, **_bson_safe(member.model_dump(mode="python"))}
        doc[ANNOUNCE] = announce
        await self.members.replace_one({"_id": member.code}, doc, upsert=True)

    async def announced(self, code: str, version: int) -> None:
        await self.members.update_one({"_id": code, "version": version}, {"$unset": {ANNOUNCE: ""}})

    async def unannounced(self) -> list[tuple[Member, MemberChange]]:
        cursor = self.members.find({ANNOUNCE: {"$exists": True}}).sort("_id", ASCENDING)
        return [(Member.model_validate(doc), doc[ANNOUNCE]) async for doc in cursor]


__all__ = ["MongoMemberStore", "MongoRecordStore"]
