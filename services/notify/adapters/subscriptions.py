"""Saved searches in MongoDB (``notify_subscriptions``, ``notify_subscription_requests``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from services.notify.subscriptions import Frequency, SavedSearch, Status, Subscription


def _subscription(doc: dict[str, Any]) -> Subscription:
    return Subscription(
        id=doc["_id"],
        email=doc["email"],
        search=SavedSearch.model_validate(doc["search"]),
        frequency=Frequency(doc["frequency"]),
        lang=doc.get("lang", "vi"),
        status=Status(doc["status"]),
        requested_at=doc["requested_at"],
        confirmed_at=doc.get("confirmed_at"),
        watermark=doc.get("watermark"),
        due_at=doc.get("due_at"),
    )


class MongoSubscriptionStore:
    """One document per (address, search), ``_id`` = the subscription id."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._subs = db["notify_subscriptions"]
        self._requests = db["notify_subscription_requests"]

    async def ensure_indexes(self) -> None:
        await self._subs.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self._requests.create_index([("expires_at", ASCENDING)])

    async def request(self, sub: Subscription) -> Subscription:
        fields = {
            "email": sub.email,
            "search": sub.search.model_dump(mode="json"),
            "frequency": sub.frequency.value,
            "lang": sub.lang,
            "status": Status.PENDING.value,
        }
        try:
            doc = await self._subs.find_one_and_update(
                {"_id": sub.id},
                {"$setOnInsert": fields, "$set": {"requested_at": sub.requested_at}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # the same request twice at once: the other inserted it
            doc = await self._subs.find_one({"_id": sub.id})
        if doc is None:  # deleted (unsubscribed) between the two: ask again
            raise ConnectionFailure("subscription vanished during its upsert")
        return _subscription(doc)

    async def get(self, sid: str) -> Subscription | None:
        doc = await self._subs.find_one({"_id": sid})
        return _subscription(doc) if doc else None

    async def activate(
        self, sid: str, *, frequency: Frequency, lang: str, now: datetime, due_at: datetime
    ) -> Subscription | None:
        doc = await self._subs.find_one({"_id": sid})
        if doc is None:
            return None
        update: dict[str, Any] = {"frequency": frequency.value, "lang": lang}
        if doc["status"] == Status.PENDING.value:
            update |= {
                "status": Status.ACTIVE.value,
                "confirmed_at": now,
                "watermark": now,
                "due_at": due_at,
            }
        elif doc["frequency"] != frequency.value:
            update["due_at"] = due_at
        doc = await self._subs.find_one_and_update(
            {"_id": sid}, {"$set": update}, return_document=ReturnDocument.AFTER
        )
        return _subscription(doc) if doc else None

    async def due(self, upto: datetime, limit: int) -> list[Subscription]:
        cursor = self._subs.find({"status": Status.ACTIVE.value, "due_at": {"$lte": upto}})
        return [_subscription(doc) async for doc in cursor.sort("due_at", ASCENDING).limit(limit)]

    async def advance(
        self, sid: str, *, due_at: datetime, watermark: datetime, next_due: datetime
    ) -> bool:
        result = await self._subs.update_one(
            {"_id": sid, "status": Status.ACTIVE.value, "due_at": due_at},
            {"$set": {"watermark": watermark, "due_at": next_due}},
        )
        return result.modified_count == 1

    async def delete(self, sid: str) -> bool:
        result = await self._subs.delete_one({"_id": sid})
        return result.deleted_count == 1

    async def purge_pending(self, before: datetime) -> int:
        result = await self._subs.delete_many(
            {"status": Status.PENDING.value, "requested_at": {"$lt": before}}
        )
        await self._requests.delete_many({"expires_at": {"$lt": before}})
        return result.deleted_count

    async def count_request(self, key: str, *, window: str, expires_at: datetime) -> int:
        try:
            doc = await self._requests.find_one_and_update(
                {"_id": f"{key}:{window}"},
                {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # two requests inserted the window at once: count again
            doc = await self._requests.find_one_and_update(
                {"_id": f"{key}:{window}"},
                {"$inc": {"count": 1}},
                return_document=ReturnDocument.AFTER,
            )
        return int(doc["count"]) if doc else 1
