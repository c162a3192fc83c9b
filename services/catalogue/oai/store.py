"""The provider's reads of the catalogue's own collections (records, members)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

RECORDS = "catalogue_records"
MEMBERS = "catalogue_members"

_FIELDS = (
    *("_id", "member", "kind", "status", "updated_at", "title", "creators", "subjects"),
    *("description", "publisher", "date", "year", "url", "identifiers", "language", "access"),
)
_ORDER = [("updated_at", ASCENDING), ("_id", ASCENDING)]
MIN_WINDOW = timedelta(seconds=1)
FUTURE_SLACK = timedelta(days=1)  # no record is updated later than now (plus clock skew)
EARLIEST_TTL = 60.0
_HEADER_FIELDS = ("_id", "member", "kind", "status", "updated_at")


def aware(value: datetime) -> datetime:
    """Datestamps are UTC; a client without ``tz_aware`` hands back naive datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# Per-set indexes of earlier versions: they made every catalogue insert pay for them.
_FORMER_SET_INDEXES = ("member_1_updated_at_1__id_1", "kind_1_updated_at_1__id_1")


class OaiRecordStore:
    """Pages of records in ``(updated_at, _id)`` order, the provider's only cursor."""

    def __init__(self, get_db: Callable[[], AsyncDatabase]) -> None:
        self._get_db = get_db
        self._indexed = False
        self._earliest: tuple[float, datetime | None] | None = None

    async def ensure_indexes(self) -> None:
        """The index the provider's queries use (idempotent).

        One: in the embedded SecantusDB any secondary index on ``catalogue_records`` costs
        each catalogue insert about 95 µs, whatever its fields. A set (``member:``,
        ``kind:``) is read through the same datestamp order and filtered.
        """
        if self._indexed:
            return
        records = self._get_db()[RECORDS]
        existing = await records.index_information()
        for name in _FORMER_SET_INDEXES:
            if name in existing:
                await records.drop_index(name)
        await records.create_index([("updated_at", ASCENDING), ("_id", ASCENDING)])
        self._indexed = True

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

        Reads bounded datestamp windows (``window`` wide, doubled while they come back short)
        instead of one open-ended range: the embedded server materialises a whole range before
        applying a limit. Returns the documents and the window the next page should use.
        """
        records = self._get_db()[RECORDS]
        projection = dict.fromkeys(_HEADER_FIELDS if headers_only else _FIELDS, 1)
        docs: list[dict[str, Any]] = []
        cap = min(end, now + FUTURE_SLACK) if end else now + FUTURE_SLACK
        if after is not None:
            lo, last_id = after
            ties = {**base, "updated_at": lo, "_id": {"$gt": last_id}}
            docs += await records.find(ties, projection).sort("_id", ASCENDING).to_list(limit)
            lower = "$gt"
        else:
            earliest = await self.earliest()
            if earliest is None:
                return [], window
            lo, lower = (max(start, earliest) if start else earliest), "$gte"
        width = max(window, MIN_WINDOW)
        while len(docs) < limit and lo < cap:
            hi = min(lo + width, cap)
            need = limit - len(docs)
            query = {**base, "updated_at": {lower: lo, "$lt": hi}}
            cursor = records.find(query, projection).sort(_ORDER).limit(need)
            batch = await cursor.to_list(need)
            docs += batch
            if len(batch) == need:
                break
            lo, lower, width = hi, "$gte", width * 2
        if len(docs) < limit and lo >= cap and (end is None or cap < end):
            # Datestamps beyond now + slack (a clock far ahead): one open-ended read.
            query = {**base, "updated_at": {lower: cap, **({"$lt": end} if end else {})}}
            need = limit - len(docs)
            docs += await records.find(query, projection).sort(_ORDER).limit(need).to_list(need)
        if len(docs) >= 2:
            width = max(docs[-1]["updated_at"] - docs[0]["updated_at"], MIN_WINDOW)
        return docs[:limit], width

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self._get_db()[RECORDS].find_one({"_id": record_id}, dict.fromkeys(_FIELDS, 1))

    async def earliest(self) -> datetime | None:
        """The oldest datestamp, cached a minute (a stale value is still a lower bound)."""
        now = time.monotonic()
        if self._earliest is None or now - self._earliest[0] > EARLIEST_TTL:
            doc = await self._get_db()[RECORDS].find_one(
                {}, {"updated_at": 1}, sort=[("updated_at", ASCENDING)]
            )
            self._earliest = (now, aware(doc["updated_at"]) if doc else None)
        return self._earliest[1]

    async def members(self) -> list[tuple[str, str]]:
        """``(code, name)`` of every registered member and every member that has records."""
        db = self._get_db()
        names: dict[str, str] = {}
        async for doc in db[MEMBERS].find({}, {"name": 1}):
            names[str(doc["_id"])] = str(doc.get("name") or doc["_id"])
        for code in await db[RECORDS].distinct("member"):
            names.setdefault(str(code), str(code))
        return sorted(names.items())
