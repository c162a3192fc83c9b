"""The provider's reads of the catalogue's own collections (records, members)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

RECORDS = "catalogue_records"
MEMBERS = "catalogue_members"

_FIELDS = (
    *("_id", "member", "kind", "status", "updated_at", "title", "creators", "subjects"),
    *("description", "publisher", "date", "year", "url", "identifiers", "language", "access"),
)
_HEADER_FIELDS = ("_id", "member", "kind", "status", "updated_at")


class OaiRecordStore:
    """Pages of records in ``(updated_at, _id)`` order, the provider's only cursor."""

    def __init__(self, get_db: Callable[[], AsyncDatabase]) -> None:
        self._get_db = get_db
        self._indexed = False

    async def ensure_indexes(self) -> None:
        """The indexes the provider's queries use (idempotent)."""
        if self._indexed:
            return
        records = self._get_db()[RECORDS]
        await records.create_index([("updated_at", ASCENDING), ("_id", ASCENDING)])
        await records.create_index(
            [("member", ASCENDING), ("updated_at", ASCENDING), ("_id", ASCENDING)]
        )
        await records.create_index(
            [("kind", ASCENDING), ("updated_at", ASCENDING), ("_id", ASCENDING)]
        )
        self._indexed = True

    async def page(
        self,
        *,
        base: dict[str, Any],
        after: tuple[datetime, str] | None,
        limit: int,
        headers_only: bool,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` documents matching ``base`` strictly after the cursor ``after``."""
        query = dict(base)
        if after is not None:
            when, last_id = after
            resume = {
                "$or": [
                    {"updated_at": {"$gt": when}},
                    {"updated_at": when, "_id": {"$gt": last_id}},
                ]
            }
            query = {"$and": [base, resume]} if base else resume
        fields = _HEADER_FIELDS if headers_only else _FIELDS
        cursor = (
            self._get_db()[RECORDS]
            .find(query, dict.fromkeys(fields, 1))
            .sort([("updated_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return await cursor.to_list(limit)

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self._get_db()[RECORDS].find_one({"_id": record_id}, dict.fromkeys(_FIELDS, 1))

    async def earliest(self) -> datetime | None:
        doc = await self._get_db()[RECORDS].find_one(
            {}, {"updated_at": 1}, sort=[("updated_at", ASCENDING), ("_id", ASCENDING)]
        )
        return doc["updated_at"] if doc else None

    async def members(self) -> list[tuple[str, str]]:
        """``(code, name)`` of every registered member and every member that has records."""
        db = self._get_db()
        names: dict[str, str] = {}
        async for doc in db[MEMBERS].find({}, {"name": 1}):
            names[str(doc["_id"])] = str(doc.get("name") or doc["_id"])
        for code in await db[RECORDS].distinct("member"):
            names.setdefault(str(code), str(code))
        return sorted(names.items())
