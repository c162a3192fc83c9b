"""Member names for facet labels, in the search service's own collection ``search_members``."""

from __future__ import annotations

import contextlib
import time

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "search_members"
CACHE_SECONDS = 10.0


class MongoMemberDirectory:
    """``MemberDirectory`` on MongoDB; a stale ``member.changed`` never overwrites a newer one.

    Names are read on every search, so they are cached for a few seconds (and dropped at
    once when this process saves a change; other replicas catch up within the TTL).
    """

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[COLLECTION]
        self._cache: dict[str, dict[str, str]] | None = None
        self._cached_at = 0.0

    async def save(self, code: str, name: str, name_en: str | None, version: int) -> None:
        """Store a member's names unless a newer version is already stored."""
        # When a newer version is stored, the upsert's insert collides with it: nothing to do.
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.update_one(
                {"_id": code, "version": {"$lte": version}},
                {"$set": {"name": name, "name_en": name_en, "version": version}},
                upsert=True,
            )
        self._cache = None

    async def names(self) -> dict[str, dict[str, str]]:
        """``{code: {"name", "name_en"}}`` for every known member."""
        if self._cache is not None and time.monotonic() - self._cached_at < CACHE_SECONDS:
            return self._cache
        out: dict[str, dict[str, str]] = {}
        async for doc in self.collection.find({}, {"name": 1, "name_en": 1}):
            out[doc["_id"]] = {"name": doc["name"], "name_en": doc.get("name_en") or doc["name"]}
        self._cache, self._cached_at = out, time.monotonic()
        return out
