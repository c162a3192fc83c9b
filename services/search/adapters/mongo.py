"""Member names for facet labels, in the search service's own collection ``search_members``."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "search_members"


class MongoMemberDirectory:
    """``MemberDirectory`` on MongoDB; a stale ``member.changed`` never overwrites a newer one."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[COLLECTION]

    async def save(self, code: str, name: str, name_en: str | None, version: int) -> None:
        """Store a member's names unless a newer version is already stored."""
        try:
            await self.collection.update_one(
                {"_id": code, "version": {"$lte": version}},
                {"$set": {"name": name, "name_en": name_en, "version": version}},
                upsert=True,
            )
        except DuplicateKeyError:
            return  # a newer version is stored: the upsert's insert collided with it

    async def names(self) -> dict[str, dict[str, str]]:
        """``{code: {"name", "name_en"}}`` for every known member."""
        out: dict[str, dict[str, str]] = {}
        async for doc in self.collection.find({}, {"name": 1, "name_en": 1}):
            out[doc["_id"]] = {"name": doc["name"], "name_en": doc.get("name_en") or doc["name"]}
        return out
