"""The ``OaiRecords`` port on MongoDB: the OAI-PMH provider's reads of the catalogue's own
collections (records, change feed, members).

Records are listed in ``(updated_at, _id)`` order through the catalogue's change feed
(``services.catalogue.adapters.feed``, indexed by datestamp): no index on the records is
needed, and none is paid by the catalogue's inserts.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue.adapters.feed import FEED, RECORDS, at_key, ensure_feed
from services.catalogue.adapters.mongo import MEMBERS
from shared.records import aware

_FIELDS = (
    *("_id", "member", "kind", "status", "updated_at", "title", "creators", "subjects"),
    *("description", "publisher", "date", "year", "url", "identifiers", "language", "access"),
    *("starts_at", "ends_at", "location"),
)
MIN_WINDOW = timedelta(seconds=1)
FUTURE_SLACK = timedelta(days=1)  # no record is updated later than now (plus clock skew)
EARLIEST_TTL = 60.0
_HEADER_FIELDS = ("_id", "member", "kind", "status", "updated_at")
_CHUNK = 100  # SecantusDB answers a large ``$in`` in time quadratic in its hits
# The datestamp indexes of earlier versions: every catalogue insert paid for them.
_FORMER_INDEXES = (
    "updated_at_1__id_1",
    "member_1_updated_at_1__id_1",
    "kind_1_updated_at_1__id_1",
)


class MongoOaiRecords:
    """Pages of records in ``(updated_at, _id)`` order, the provider's only cursor."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._ready = False
        self._earliest: tuple[float, datetime | None] | None = None

    async def prepare(self) -> None:
        """Drop the record indexes of earlier versions; make sure the feed holds every record."""
        if self._ready:
            return
        db = self._db
        existing = await db[RECORDS].index_information()
        for name in _FORMER_INDEXES:
            if name in existing:
                await db[RECORDS].drop_index(name)
        await ensure_feed(db)
        self._ready = True

    async def page(
        self,
        *,
        base: dict[str, Any],
        start: datetime | None,
        end: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
        headers_only: bool,
        window: timedelta,
        now: datetime,
    ) -> tuple[list[dict[str, Any]], timedelta]:
        """Up to ``limit`` documents of ``base`` in ``[start, end)`` after the cursor ``after``.

        Reads the feed in bounded datestamp windows (``window`` wide, doubled while they come
        back short) instead of one open-ended range: the embedded server materialises a
        whole range before applying a limit. The entries of one datestamp (there can be
        several) are merged and taken in ``_id`` order; a record is kept where its
        ``updated_at`` is still that datestamp. Returns the documents and the window the
        next page should use.
        """
        projection = dict.fromkeys(_HEADER_FIELDS if headers_only else _FIELDS, 1)
        skip_through = (at_key(after[0]), after[1]) if after is not None else None
        earliest = await self.earliest()
        if earliest is None:
            return [], window
        lo = after[0] if after is not None else max(start, earliest) if start else earliest
        cap = min(end, now + FUTURE_SLACK) if end else now + FUTURE_SLACK
        width = max(window, MIN_WINDOW)
        docs: list[dict[str, Any]] = []
        while len(docs) < limit and lo < cap:
            hi = min(lo + width, cap)
            pending = await self._entries({"$gte": lo, "$lt": hi}, skip_through)
            docs += await self._current(pending, base, projection, limit - len(docs))
            lo, width = hi, width * 2
        if len(docs) < limit and lo >= cap and (end is None or cap < end):
            # Datestamps beyond now + slack (a clock far ahead): one open-ended read.
            pending = await self._entries(
                {"$gte": cap, **({"$lt": end} if end else {})}, skip_through
            )
            docs += await self._current(pending, base, projection, limit - len(docs))
        if len(docs) >= 2:
            width = max(docs[-1]["updated_at"] - docs[0]["updated_at"], MIN_WINDOW)
        return docs[:limit], width

    async def _entries(
        self, at: dict[str, datetime], skip_through: tuple[str, str] | None
    ) -> list[tuple[str, str]]:
        """``(datestamp key, record id)`` of the feed's entries in ``at``, in list order."""
        groups: dict[str, set[str]] = {}
        async for entry in self._db[FEED].find({"at": at}):  # grouped and sorted below
            groups.setdefault(at_key(entry["at"]), set()).update(entry["ids"])
        pending: list[tuple[str, str]] = []
        for key in sorted(groups):
            ordered = sorted(groups[key])
            if skip_through is not None and skip_through[0] == key:
                ordered = [rid for rid in ordered if rid > skip_through[1]]
            pending += [(key, rid) for rid in ordered]
        return pending

    async def _current(
        self,
        pending: list[tuple[str, str]],
        base: dict[str, Any],
        projection: dict[str, int],
        need: int,
    ) -> list[dict[str, Any]]:
        """Up to ``need`` records of ``pending``, in order, in ``base`` and whose datestamp is
        still their entry's."""
        records = self._db[RECORDS]
        kept: list[dict[str, Any]] = []
        for start in range(0, len(pending), _CHUNK):
            chunk = pending[start : start + _CHUNK]
            query = {**base, "_id": {"$in": list(dict.fromkeys(rid for _, rid in chunk))}}
            found = {doc["_id"]: doc async for doc in records.find(query, projection)}
            kept += [
                doc
                for key, rid in chunk
                if (doc := found.get(rid)) is not None and at_key(doc["updated_at"]) == key
            ]
            if len(kept) >= need:
                break
        return kept[:need]

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self._db[RECORDS].find_one({"_id": record_id}, dict.fromkeys(_FIELDS, 1))

    async def earliest(self) -> datetime | None:
        """The oldest datestamp, cached a minute (a stale value is still a lower bound)."""
        now = time.monotonic()
        if self._earliest is None or now - self._earliest[0] > EARLIEST_TTL:
            doc = await self._db[FEED].find_one({}, {"at": 1}, sort=[("at", ASCENDING)])
            self._earliest = (now, aware(doc["at"]) if doc else None)
        return self._earliest[1]

    async def members(self) -> list[tuple[str, str]]:
        """``(code, name)`` of every registered member and every member that has records."""
        db = self._db
        names: dict[str, str] = {}
        async for doc in db[MEMBERS].find({}, {"name": 1}):
            names[str(doc["_id"])] = str(doc.get("name") or doc["_id"])
        for code in await db[RECORDS].distinct("member"):
            names.setdefault(str(code), str(code))
        return sorted(names.items())
