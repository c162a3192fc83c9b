"""The catalogue's record store on the embedded SecantusDB (``MONGO_URL`` unset).

SecantusDB pays every secondary index on every insert (a multikey ``_keys`` index costs about
45 µs a key, half of a batch's database time) and reads a whole collection for any ``_id``
range (about 5 s a page at 100,000 records), while ``$in`` on ids is a direct look-up. So this
store keeps what the MongoDB store asks its indexes in the process's memory (``keyindex``):
duplicate keys, the ids in order, the problem codes. They are filled from the store when
first asked, then from this process's writes and from the ``records.changed`` of other
catalogue processes (``entrypoints.messaging``). The embedded default runs one catalogue
process; with more, a broker gap longer than their queue's expiry leaves a process's indexes
behind until it restarts: production runs on MongoDB (``mongo.MongoRecordStore``).
"""

from __future__ import annotations

import asyncio
import time
from itertools import islice

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue.adapters.mongo import (
    CHUNK,
    MongoRecordStore,
    active_codes,
    record_of,
)
from services.catalogue.domain import StoredRecord, dedup_keys
from services.catalogue.keyindex import IdIndex, KeyIndex, QualityIndex
from services.catalogue.ports import RecordPage
from services.catalogue.quality import Row
from shared.records import Record, member_of

MAX_SCANNED_PER_PAGE = 5_000  # ids one listing request looks at, whatever its filter
OLD_KEYS_INDEX = "_keys_1"  # a multikey index (earlier versions, or a MongoDB-shaped store)
log = structlog.get_logger("catalogue")


class EmbeddedRecordStore(MongoRecordStore):
    """The ``RecordStore`` port on SecantusDB: look-ups through in-memory indexes."""

    def __init__(self, db: AsyncDatabase, *, max_scanned: int = MAX_SCANNED_PER_PAGE) -> None:
        super().__init__(db)
        self.max_scanned = max_scanned
        self.keys = KeyIndex()
        self.ids = IdIndex()
        self.quality = QualityIndex()
        self._loaded = False
        self._loading = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        # Only the indexes the catalogue's own queries need (see the module's docstring): a
        # member's records are an ``_id`` range, duplicate keys are the ``KeyIndex``'s.
        if OLD_KEYS_INDEX in await self.records.index_information():
            await self.records.drop_index(OLD_KEYS_INDEX)
        await self._ensure_common_indexes()

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
            self.quality.set(record.id, active_codes(record.status, record.problems))

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
                codes = active_codes(doc.get("status"), doc.get("problems", []))
                self.quality.set(doc["_id"], codes)
                count += 1
            self._loaded = True
        ms = round((time.perf_counter() - started) * 1000)
        log.info("key_index_loaded", records=count, keys=len(self.keys), ms=ms)

    async def _ensure_loaded(self) -> None:
        if not self._loaded:
            await self.load()

    async def save(self, writes: list[tuple[StoredRecord, StoredRecord | None]]) -> None:
        for state, _ in writes:  # before the write: a write that fails halfway is covered too
            self.keys.add(state.record.id, state.keys)
            self.ids.add(state.record.id)
        await super().save(writes)
        for state, _ in writes:  # unlike the keys, the codes follow a write that succeeded
            record = state.record
            self.quality.set(record.id, active_codes(record.status, record.problems))

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

    async def quality_rows(self, member: str | None = None) -> list[Row]:
        await self._ensure_loaded()
        return self.quality.rows(self.ids.after(None, member=member))
