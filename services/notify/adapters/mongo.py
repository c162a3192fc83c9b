"""Notify's MongoDB collections: ``notify_members``, ``notify_reminders``, ``notify_schedule``."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notify.domain import MemberFacts, Stage
from services.notify.ports import MemberUpdate, ReminderEntry, Status
from shared.events import Member, MemberStatus

DUPLICATE_KEY = 11000
RECENT = timedelta(days=400)
PROFILE_FIELDS = ("name", "contact_email", "webhook_url", "joined_at", "import_reports")


def _facts(doc: dict[str, Any]) -> MemberFacts:
    return MemberFacts(
        code=doc["_id"],
        name=doc.get("name") or doc["_id"],
        active=doc.get("status", MemberStatus.ACTIVE.value) == MemberStatus.ACTIVE.value,
        contact_email=doc.get("contact_email"),
        webhook_url=doc.get("webhook_url"),
        cycle_months=int(doc.get("cycle_months") or 6),
        joined_at=doc.get("joined_at"),
        first_seen_at=doc.get("first_seen_at"),
        last_record_update_at=doc.get("last_record_update_at"),
        last_attested_at=doc.get("last_attested_at"),
        last_training_at=doc.get("last_training_at"),
        import_reports=bool(doc.get("import_reports", True)),
    )


class MongoFreshnessStore:
    """Members and their instants, one document per member (``_id`` = member code)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._members = db["notify_members"]

    async def apply_member(self, member: Member, *, seen_at: datetime) -> None:
        profile = {f: getattr(member, f) for f in PROFILE_FIELDS}
        profile |= {
            "status": member.status.value,
            "cycle_months": member.update_cycle_months,
            "version": member.version,
            "profile": True,
        }
        newer = {"$or": [{"version": {"$exists": False}}, {"version": {"$lte": member.version}}]}
        try:
            await self._members.update_one(
                {"_id": member.code, **newer},
                {"$set": profile, "$setOnInsert": {"first_seen_at": seen_at}},
                upsert=True,
            )
        except DuplicateKeyError:
            return  # a newer version is stored already: this one is out of date

    async def apply_updates(self, updates: list[MemberUpdate], *, seen_at: datetime) -> None:
        operations = []
        for update in updates:
            newest: dict[str, datetime] = {"last_record_update_at": update.last_update_at}
            if update.last_training_at is not None:
                newest["last_training_at"] = update.last_training_at
            operations.append(
                UpdateOne(
                    {"_id": update.member},
                    {"$max": newest, "$setOnInsert": {"first_seen_at": seen_at}},
                    upsert=True,
                )
            )
        if operations:
            await self._members.bulk_write(operations, ordered=False)

    async def attest(self, member: str, at: datetime) -> bool:
        result = await self._members.update_one({"_id": member}, {"$max": {"last_attested_at": at}})
        return result.matched_count == 1

    async def all_members(self) -> list[MemberFacts]:
        return [_facts(doc) async for doc in self._members.find({}).sort("_id", ASCENDING)]

    async def member(self, code: str) -> MemberFacts | None:
        doc = await self._members.find_one({"_id": code})
        return _facts(doc) if doc else None


def _entry(doc: dict[str, Any]) -> ReminderEntry:
    return ReminderEntry.model_validate({**doc, "key": doc["_id"]})


class MongoReminderLog:
    """The reminder outbox (``_id`` = reminder key, so a key is recorded once).

    ``collection`` names another outbox of the same shape (saved searches' mail).
    """

    def __init__(self, db: AsyncDatabase, collection: str = "notify_reminders") -> None:
        self._log = db[collection]

    async def ensure_indexes(self) -> None:
        await self._log.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self._log.create_index([("member", ASCENDING), ("created_at", DESCENDING)])
        await self._log.create_index([("created_at", DESCENDING)])

    async def existing(self, keys: list[str]) -> set[str]:
        # One scan of the recent log's ids beats ``$in`` (quadratic on SecantusDB). Older
        # keys fall through to ``record``, whose unique ``_id`` still records them once.
        since = datetime.now(UTC) - RECENT
        cursor = self._log.find({"created_at": {"$gte": since}}, {"_id": 1})
        recent = {doc["_id"] async for doc in cursor}
        return recent.intersection(keys)

    async def record(self, entries: list[ReminderEntry]) -> int:
        if not entries:
            return 0
        docs = [{"_id": e.key, **e.model_dump(exclude={"key"}, exclude_none=True)} for e in entries]
        try:
            result = await self._log.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            # Another process recorded some of the same keys at the same instant: each key is
            # recorded once (the _id is the key); any other error is a real one.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))
        return len(result.inserted_ids)

    async def forget(self, member: str) -> int:
        result = await self._log.delete_many({"member": member})
        return result.deleted_count

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease_seconds: float,
        started: datetime,
        eager: bool,
        limit: int,
    ) -> list[ReminderEntry]:
        waiting: dict[str, Any] = {"status": {"$in": [Status.PENDING.value, Status.RETRY.value]}}
        if not eager:
            waiting["next_attempt_at"] = {"$lte": now}
        query = {
            "$and": [
                {"$or": [waiting, {"status": Status.SENDING.value, "lease_until": {"$lte": now}}]},
                {"$or": [{"last_attempt_at": None}, {"last_attempt_at": {"$lt": started}}]},
            ]
        }
        cursor = self._log.find(query).sort("created_at", ASCENDING).limit(limit)
        candidates = [doc async for doc in cursor]
        claimed = []
        lease_until = now + timedelta(seconds=lease_seconds)
        for doc in candidates:
            # ``attempts`` grows with every claim, so it versions the entry: of two processes
            # that read the same candidate, exactly one update matches.
            attempts = int(doc.get("attempts", 0))
            result = await self._log.update_one(
                {"_id": doc["_id"], "status": doc["status"], "attempts": attempts},
                {
                    "$set": {
                        "status": Status.SENDING.value,
                        "owner": owner,
                        "lease_until": lease_until,
                        "last_attempt_at": now,
                        "attempts": attempts + 1,
                    }
                },
            )
            if result.modified_count == 1:
                claimed.append(
                    _entry(doc | {"status": Status.SENDING.value, "attempts": attempts + 1})
                )
        return claimed

    async def renew(self, key: str, *, owner: str, until: datetime) -> bool:
        result = await self._log.update_one(
            {"_id": key, "owner": owner, "status": Status.SENDING.value},
            {"$set": {"lease_until": until}},
        )
        return result.matched_count == 1

    async def mark_sent(self, key: str, *, owner: str, at: datetime) -> bool:
        result = await self._log.update_one(
            {"_id": key, "owner": owner, "status": Status.SENDING.value},
            {
                "$set": {"status": Status.SENT.value, "sent_at": at, "last_error": None},
                "$unset": {"lease_until": ""},
            },
        )
        return result.modified_count == 1

    async def mark_failed(
        self, key: str, *, owner: str, error: str, next_attempt_at: datetime | None
    ) -> None:
        status = Status.RETRY if next_attempt_at is not None else Status.FAILED
        await self._log.update_one(
            {"_id": key, "owner": owner, "status": Status.SENDING.value},
            {
                "$set": {
                    "status": status.value,
                    "last_error": error,
                    "next_attempt_at": next_attempt_at,
                },
                "$unset": {"lease_until": ""},
            },
        )

    async def mark_superseded(self, key: str, *, owner: str) -> None:
        await self._log.update_one(
            {"_id": key, "owner": owner, "status": Status.SENDING.value},
            {"$set": {"status": Status.SUPERSEDED.value}, "$unset": {"lease_until": ""}},
        )

    async def mark_opened(self, key: str, at: datetime) -> None:
        await self._log.update_one(
            {"_id": key}, {"$min": {"opened_at": at}, "$inc": {"open_count": 1}}
        )

    async def attested_at(self, key: str) -> datetime | None:
        doc = await self._log.find_one({"_id": key}, {"attested_at": 1})
        at = (doc or {}).get("attested_at")
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at

    async def mark_attested(self, key: str, at: datetime) -> None:
        await self._log.update_one({"_id": key}, {"$min": {"opened_at": at, "attested_at": at}})

    async def unpublished(self, limit: int) -> list[ReminderEntry]:
        cursor = self._log.find({"status": Status.SENT.value, "event_published": False})
        return [_entry(doc) async for doc in cursor.sort("sent_at", ASCENDING).limit(limit)]

    async def mark_published(self, key: str) -> None:
        await self._log.update_one({"_id": key}, {"$set": {"event_published": True}})

    async def entries(
        self, *, member: str | None, status: str | None, stage: str | None, limit: int
    ) -> list[ReminderEntry]:
        query: dict[str, Any] = {}
        if member:
            query["member"] = member
        if status:
            query["status"] = status
        if stage:
            query["stage"] = stage
        cursor = self._log.find(query).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        return [_entry(doc) async for doc in cursor.limit(limit)]

    async def activity(self) -> dict[str, int]:
        # Reminders only: import reports go through the same outbox but remind of nothing.
        reminders = {"kind": {"$ne": Stage.IMPORT_REPORT.value}}
        counts = {
            status.value: await self._log.count_documents({**reminders, "status": status.value})
            for status in (Status.SENT, Status.PENDING, Status.RETRY, Status.FAILED)
        }
        counts["superseded"] = await self._log.count_documents(
            {**reminders, "status": Status.SUPERSEDED.value}
        )
        counts["opened"] = await self._log.count_documents({"opened_at": {"$ne": None}})
        counts["attested"] = await self._log.count_documents({"attested_at": {"$ne": None}})
        return counts


class MongoSchedule:
    """The daily run's marker and lease (one document per schedule)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._schedule = db["notify_schedule"]

    async def claim_daily(
        self, day: str, *, owner: str, now: datetime, lease_seconds: float
    ) -> bool:
        with contextlib.suppress(DuplicateKeyError):  # another process created it just now
            await self._schedule.update_one(
                {"_id": "daily"},
                {"$setOnInsert": {"last_day": None, "lease_until": None}},
                upsert=True,
            )
        doc = await self._schedule.find_one_and_update(
            {
                "_id": "daily",
                "last_day": {"$ne": day},
                "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
            },
            {"$set": {"owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}},
        )
        return doc is not None

    async def finish_daily(self, day: str, *, owner: str) -> None:
        await self._schedule.update_one(
            {"_id": "daily", "owner": owner}, {"$set": {"last_day": day, "lease_until": None}}
        )
