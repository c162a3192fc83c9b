"""MongoDB adapters of the catalogue's stores (PyMongo async; SecantusDB in the embedded default).

Collections: ``catalogue_records`` (one document per record: ``_id`` = record id, every field of
``Record`` plus ``_order``, ``_outcome``, ``_keys`` and ``_history``), ``catalogue_links``,
``catalogue_batches``, ``catalogue_members`` (with its outbox field ``_announce``); the change
feed is ``feed``'s.

``$in`` look-ups are chunked: SecantusDB answers a large ``$in`` in time quadratic in its hits.
Duplicate keys are looked up in the process's ``KeyIndex``, not in a store index (see there).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from itertools import islice
from typing import Any, TypeVar

import structlog
from pymongo import ASCENDING, DESCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.catalogue.adapters import feed
from services.catalogue.adapters.feed import RECORDS
from services.catalogue.domain import HistoryEntry, Link, StoredRecord, dedup_keys
from services.catalogue.keyindex import IdIndex, KeyIndex, QualityIndex
from services.catalogue.ports import ConcurrentUpdate, ProcessedBatch, RecordPage
from services.catalogue.quality import Row
from shared.events import Member, MemberChange
from shared.recent import Recent
from shared.records import Record, RecordStatus, member_of

LINKS = "catalogue_links"
BATCHES = "catalogue_batches"
MEMBERS = "catalogue_members"
ANNOUNCE = "_announce"  # a member's ``member.changed`` not yet confirmed (the outbox)
CHUNK = 100
MAX_SCANNED_PER_PAGE = 5_000  # ids one listing request looks at, whatever its filter
STATS_SECONDS = 60.0  # another replica's writes show in the stats within this
OLD_KEYS_INDEX = "_keys_1"  # the multikey index of earlier versions, dropped at start
DUPLICATE_KEY = 11000
log = structlog.get_logger("catalogue")
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


def _codes(status: Any, problems: Iterable[Any]) -> list[str] | None:
    """A record's problem codes for the ``QualityIndex`` (a stored dict or a ``Problem``);
    ``None`` unless it is active."""
    if status not in (RecordStatus.ACTIVE, RecordStatus.ACTIVE.value, None):
        return None
    return [p["code"] if isinstance(p, dict) else p.code for p in problems]


def _only_duplicates(exc: BulkWriteError) -> bool:
    errors = exc.details.get("writeErrors", [])
    return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)


class MongoRecordStore:
    """The ``RecordStore`` port on MongoDB."""

    def __init__(self, db: AsyncDatabase, *, max_scanned: int = MAX_SCANNED_PER_PAGE) -> None:
        self.db = db
        self.max_scanned = max_scanned
        self._writes = 0  # this process's record writes: the stats' cache follows them
        self._stats: Recent[dict[str, Any]] = Recent(STATS_SECONDS)
        self.records = db[RECORDS]
        self.links = db[LINKS]
        self.batches = db[BATCHES]
        self.keys = KeyIndex()
        self.ids = IdIndex()
        self.quality = QualityIndex()
        self._loaded = False
        self._loading = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        # Every index is paid on every insert (SecantusDB re-reads the collection's index
        # catalogue for each document): only those the catalogue's own queries need. A
        # member's records are an ``_id`` range (see ``page``); ``updated_at`` order is the
        # change feed's (``feed``); duplicate keys are the ``KeyIndex``'s.
        if OLD_KEYS_INDEX in await self.records.index_information():
            await self.records.drop_index(OLD_KEYS_INDEX)
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
        await self._ensure_loaded()
        held = self.keys.holders(keys)
        ids = sorted(rid for rid in held if member_of(rid) != exclude_member)
        wanted = set(keys)
        found = await self.get_many(ids)  # the index may answer more: the stored keys decide
        return {rid: state for rid, state in found.items() if not wanted.isdisjoint(state.keys)}

    async def learn_changes(self, records: list[Record]) -> None:
        for record in records:
            self.keys.add(record.id, dedup_keys(record))
            self.ids.add(record.id)
            self.quality.set(record.id, _codes(record.status, record.problems))

    async def load(self) -> None:
        """Fill the key and id indexes from every stored record, once (about 7 s per 100,000
        records on SecantusDB); the first look-up or page waits for it."""
        async with self._loading:
            if self._loaded:
                return
            started, count = time.perf_counter(), 0
            fields = {"_keys": 1, "status": 1, "problems.code": 1}
            async for doc in self.records.find({}, fields, batch_size=10_000):
                self.keys.add(doc["_id"], doc.get("_keys", []))
                self.ids.add(doc["_id"])
                self.quality.set(doc["_id"], _codes(doc.get("status"), doc.get("problems", [])))
                count += 1
            self._loaded = True
        ms = round((time.perf_counter() - started) * 1000)
        log.info("key_index_loaded", records=count, keys=len(self.keys), ms=ms)

    async def _ensure_loaded(self) -> None:
        if not self._loaded:
            await self.load()

    async def save(self, writes: list[tuple[StoredRecord, StoredRecord | None]]) -> None:
        self._writes += 1
        for state, _ in writes:  # before the write: a write that fails halfway is covered too
            self.keys.add(state.record.id, state.keys)
            self.ids.add(state.record.id)
        await feed.append(  # before the write too (see ``feed``)
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
        for state, _ in writes:
            self.quality.set(state.record.id, _codes(state.record.status, state.record.problems))

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
        await self._ensure_loaded()
        ids = self.ids.after(after, member=member)
        flt = {name: value for name, value in (("kind", kind), ("status", status)) if value}
        records: list[Record] = []
        scanned = 0
        while len(records) < limit and (chunk := list(islice(ids, CHUNK))):
            found = {
                doc["_id"]: doc async for doc in self.records.find({"_id": {"$in": chunk}, **flt})
            }
            taken = [rid for rid in chunk if rid in found][: limit - len(records)]
            records += [record_of(found[rid]) for rid in taken]
            scanned += len(chunk)
            if scanned >= self.max_scanned and len(records) < limit:
                # A rare filter must not walk the whole catalogue in one request: a shorter
                # page, and ``next`` where the walk stopped (the caller goes on from there).
                return RecordPage(records=records, next=chunk[-1])
        next_id = records[-1].id if len(records) == limit else None
        return RecordPage(records=records, next=next_id)

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
        await self._ensure_loaded()
        return self.quality.rows(self.ids.after(None, member=member))

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
