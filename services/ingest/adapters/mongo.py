"""MongoDB adapters of ingest's ports (collections prefixed ``ingest_``), bulk writes."""

from __future__ import annotations

import builtins
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bson import Binary
from pydantic import TypeAdapter
from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from services.ingest.adapters.outcomes import (
    OUTCOME_BATCHES,
    OUTCOMES,
    OutcomeFilter,
    OutcomePages,
    batch_document,
    tally,
)
from services.ingest.domain import (
    MemberInfo,
    Rejection,
    StoredKey,
    Submission,
    SubmissionState,
    expiry,
)
from services.ingest.ports import IdempotencyConflict, StoreUnavailable
from shared.events import ItemOutcome, MemberChanged, MemberStatus, SubmittedItem
from shared.records import utcnow

KEYS = "ingest_keys"
MEMBERS = "ingest_members"
SUBMISSIONS = "ingest_submissions"
IDEMPOTENCY = "ingest_idempotency"
OUTBOX = "ingest_outbox"
RECEIPT = "receipt"  # what the 202 listed beyond the counts, for a replay's 202
CLAIM_ATTEMPTS = 2

_ITEMS: TypeAdapter[list[SubmittedItem]] = TypeAdapter(list[SubmittedItem])


class MongoKeyStore:
    """``ingest_keys``: one document per key, ``_id`` = key id, only the HMAC of the secret."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection: AsyncCollection = db[KEYS]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("member", ASCENDING), ("created_at", ASCENDING)])
        await self.collection.create_index("unannounced", sparse=True)

    async def add(self, key: StoredKey) -> None:
        doc = asdict(key)
        doc["_id"] = doc.pop("key_id")
        await self.collection.insert_one(doc)

    async def get(self, key_id: str) -> StoredKey | None:
        doc = await self.collection.find_one({"_id": key_id})
        return _key(doc) if doc else None

    async def list(self, member: str | None = None) -> list[StoredKey]:
        query = {} if member is None else {"member": member}
        cursor = self.collection.find(query).sort("created_at", ASCENDING)
        return [_key(doc) async for doc in cursor]

    async def revoke(self, member: str | None, key_id: str, at: datetime) -> StoredKey | None:
        query: dict[str, Any] = {"_id": key_id, "revoked_at": None}
        if member is not None:
            query["member"] = member
        # The key is its own outbox entry: revocation and "to announce" are one write.
        doc = await self.collection.find_one_and_update(
            query,
            {"$set": {"revoked_at": at, "unannounced": True}},
            return_document=ReturnDocument.AFTER,
        )
        return _key(doc) if doc else None

    async def unannounced(self, limit: int) -> builtins.list[StoredKey]:
        cursor = self.collection.find({"unannounced": True}).limit(limit)
        return [_key(doc) async for doc in cursor]

    async def announced(self, key_id: str) -> None:
        await self.collection.update_one({"_id": key_id}, {"$unset": {"unannounced": ""}})

    async def touch(self, key_id: str, at: datetime) -> None:
        await self.collection.update_one({"_id": key_id}, {"$set": {"last_used_at": at}})


class MongoKeyRevocations:
    """Ingest's revocation list (``shared.auth.RevokedKeys``) is its own key store: a key is
    revoked there before ``key.changed`` tells the other services."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db[KEYS]

    async def add(self, key_id: str, at: datetime) -> None:
        """Already stored by the revocation itself."""

    async def since(self, moment: datetime) -> set[str]:
        cursor = self._keys.find({"revoked_at": {"$gte": moment}}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}


def _key(doc: dict[str, Any]) -> StoredKey:
    return StoredKey(
        key_id=doc["_id"],
        member=doc["member"],
        secret_hash=doc["secret_hash"],
        created_at=doc["created_at"],
        revoked_at=doc.get("revoked_at"),
        last_used_at=doc.get("last_used_at"),
        # Keys issued before keys had holders read back as a member's, unlabelled.
        label=doc.get("label", ""),
        role=doc.get("role", "member"),
    )


class MongoMemberDirectory:
    """``ingest_members``: code, status and version of each member, from ``member.changed``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection: AsyncCollection = db[MEMBERS]

    async def get(self, code: str) -> MemberInfo | None:
        doc = await self.collection.find_one({"_id": code})
        if doc is None:
            return None
        return MemberInfo(code=code, active=doc["status"] == MemberStatus.ACTIVE, name=doc["name"])

    async def apply(self, event: MemberChanged) -> None:
        member = event.member
        status = MemberStatus.SUSPENDED if event.change == "suspended" else member.status
        not_newer = [
            {"version": {"$lt": member.version}},
            {"version": member.version, "occurred_at": {"$lte": event.occurred_at}},
        ]
        fields = {
            "status": status.value,
            "name": member.name,
            "version": member.version,
            "occurred_at": event.occurred_at,
        }
        query = {"_id": member.code, "$or": not_newer}
        try:
            await self.collection.update_one(query, {"$set": fields}, upsert=True)
        except DuplicateKeyError:
            # Either a newer change is stored (this one is stale), or another first event of
            # the member was inserted between this upsert's match and its insert: the plain
            # conditional update tells the two apart.
            await self.collection.update_one(query, {"$set": fields})


class MongoSubmissionStore:
    """Submissions, the outbox of unpublished batches and per-record outcomes."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self.submissions: AsyncCollection = db[SUBMISSIONS]
        self.idempotency: AsyncCollection = db[IDEMPOTENCY]
        self.outbox_rows: AsyncCollection = db[OUTBOX]
        self.outcome_rows: AsyncCollection = db[OUTCOMES]
        self.outcome_batches: AsyncCollection = db[OUTCOME_BATCHES]
        self._outcome_pages = OutcomePages(self.outcome_rows, self.outcome_batches)

    async def ensure_indexes(self) -> None:
        """Indexes every submission query relies on, and the TTLs that keep outcomes ≥ 90 days."""
        await self.submissions.create_index([("member", ASCENDING), ("created_at", DESCENDING)])
        await self.outbox_rows.create_index([("submission_id", ASCENDING), ("batch_no", ASCENDING)])
        await self.submissions.create_index(
            [("unpublished", ASCENDING), ("relay_after", ASCENDING)]
        )
        await self.outcome_rows.create_index([("submission_id", ASCENDING), ("index", ASCENDING)])
        await self.outcome_batches.create_index(
            [("submission_id", ASCENDING), ("first_index", ASCENDING)]
        )
        # No (submission_id, outcome) index: a filtered page is read along the index order
        # anyway, and a batch's summary says whether it holds any of the kind asked for.
        for name in (SUBMISSIONS, OUTCOMES, OUTCOME_BATCHES, IDEMPOTENCY):
            await self._db[name].create_index("expires_at", expireAfterSeconds=0)

    async def create(self, submission: Submission) -> Submission:
        # The submission before its claim on the key: a claim then always points at a stored
        # submission, and a crash in between leaves only a receiving one nobody sees.
        await self.submissions.insert_one(_submission_doc(submission))
        if not submission.idempotency_key:
            return submission
        try:
            holder = await self._claim(submission)
        except BaseException:
            await self.submissions.delete_one({"_id": submission.id})
            raise
        if holder.id != submission.id:
            await self.submissions.delete_one({"_id": submission.id})
        return holder

    async def _claim(self, submission: Submission) -> Submission:
        """The submission that holds the key: a sealed one already there, else this one."""
        key = _claim_id(submission.member, submission.idempotency_key or "")
        for _ in range(CLAIM_ATTEMPTS):
            try:
                await self.idempotency.insert_one(
                    {
                        "_id": key,
                        "submission_id": submission.id,
                        "expires_at": expiry(submission.created_at),
                    }
                )
                return submission
            except DuplicateKeyError:
                claim = await self.idempotency.find_one({"_id": key})
            if claim is not None:
                return await self._take_over(key, claim["submission_id"], submission)
            # The claim was discarded between the insert and the read: claim it afresh.
        raise IdempotencyConflict(key)

    async def _take_over(self, key: str, previous: str, submission: Submission) -> Submission:
        """Replay ``previous`` if sealed; else discard it and pass the key to ``submission``.

        Sealing and being taken over exclude each other on the previous submission's own
        document (sealed only while receiving, deleted only while receiving); which of
        several retries gets the key is a compare-and-set on the claim.
        """
        found = await self.get(previous)
        if found is not None and found.sealed:
            return found
        if found is not None:
            stopped = await self.submissions.delete_one(
                {"_id": previous, "state": SubmissionState.RECEIVING.value}
            )
            if stopped.deleted_count == 0 and (sealed := await self.get(previous)) is not None:
                return sealed  # it sealed meanwhile: complete after all
        moved = await self.idempotency.update_one(
            {"_id": key, "submission_id": previous},
            {"$set": {"submission_id": submission.id, "expires_at": expiry(submission.created_at)}},
        )
        if moved.modified_count == 0:
            raise IdempotencyConflict(key)
        await self.discard(previous)
        return submission

    async def find_by_idempotency_key(self, member: str, key: str) -> Submission | None:
        claim = await self.idempotency.find_one({"_id": _claim_id(member, key)})
        if claim is None:
            return None
        return await self.get(claim["submission_id"])

    async def receipt_warnings(self, submission_id: str) -> tuple[list[dict[str, Any]], int]:
        doc = await self.submissions.find_one({"_id": submission_id}, {RECEIPT: 1})
        receipt = (doc or {}).get(RECEIPT) or {}
        return list(receipt.get("warnings", [])), int(receipt.get("warnings_count", 0))

    async def add_batch(
        self, submission_id: str, batch_no: int, items: list[SubmittedItem]
    ) -> None:
        await self.outbox_rows.insert_one(
            {
                "_id": f"{submission_id}:{batch_no}",
                "submission_id": submission_id,
                "batch_no": batch_no,
                # One compressed JSON blob: far cheaper for the store than 500 nested documents.
                "items": Binary(zlib.compress(_ITEMS.dump_json(items, exclude_none=True), 1)),
            }
        )

    async def add_rejections(self, submission_id: str, rejections: Sequence[Rejection]) -> None:
        ops = [
            InsertOne(
                {
                    "_id": f"{submission_id}:{r.index}",
                    "submission_id": submission_id,
                    **r.outcome().model_dump(mode="json", exclude_none=True),
                    **({"row": r.row} if r.row is not None else {}),
                    "expires_at": expiry(utcnow()),
                }
            )
            for r in rejections
        ]
        await self.outcome_rows.bulk_write(ops, ordered=False)

    async def seal(
        self,
        submission_id: str,
        *,
        batch_count: int,
        accepted: int,
        rejected: int,
        notes: dict[str, Any],
        relay_after: datetime,
        warnings: list[dict[str, Any]] | None = None,
        warnings_count: int = 0,
    ) -> Submission | None:
        keep_until = expiry(utcnow())
        sealed = await self.submissions.find_one_and_update(
            {"_id": submission_id, "state": SubmissionState.RECEIVING.value},
            {
                "$set": {
                    "state": SubmissionState.QUEUED.value,
                    "relay_after": relay_after,
                    "unpublished": batch_count > 0,
                    "batch_count": batch_count,
                    "accepted": accepted,
                    "rejected": rejected,
                    "counts": {"rejected": rejected} if rejected else {},
                    "notes": notes,
                    RECEIPT: {"warnings": warnings or [], "warnings_count": warnings_count},
                    "expires_at": keep_until,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        # None: taken over by a retry with the same idempotency key
        return _submission(sealed) if sealed else None

    async def outbox(self, submission_id: str) -> AsyncIterator[tuple[int, list[SubmittedItem]]]:
        # One batch at a time: a 50,000-record import never sits in memory at once.
        with _answering():
            submission = await self.submissions.find_one({"_id": submission_id}, {"batch_count": 1})
        for batch_no in range(submission.get("batch_count", 0) if submission else 0):
            with _answering():
                doc = await self.outbox_rows.find_one({"_id": f"{submission_id}:{batch_no}"})
            if doc is not None:
                yield batch_no, _ITEMS.validate_json(zlib.decompress(doc["items"]))

    async def mark_published(self, submission_id: str, batch_no: int) -> None:
        with _answering():
            await self.outbox_rows.delete_one({"_id": f"{submission_id}:{batch_no}"})

    async def completion_announced(self, submission_id: str) -> None:
        await self.submissions.update_one(
            {"_id": submission_id}, {"$set": {"completion_announced": True}}
        )

    async def published_all(self, submission_id: str) -> None:
        with _answering():
            await self.submissions.update_one(
                {"_id": submission_id}, {"$set": {"unpublished": False}}
            )

    async def defer(self, submission_id: str, relay_after: datetime) -> None:
        with _answering():
            await self.submissions.update_one(
                {"_id": submission_id},
                {"$set": {"relay_after": relay_after, "unpublished": True}},
            )

    async def discard(self, submission_id: str) -> None:
        # The submission first: cut short, a discard leaves rows nobody reads, never a sealed
        # submission the relay would "publish" without its batches.
        doc = await self.submissions.find_one_and_delete({"_id": submission_id})
        if doc is not None and doc.get("idempotency_key"):
            await self.idempotency.delete_one(
                {
                    "_id": _claim_id(doc["member"], doc["idempotency_key"]),
                    "submission_id": submission_id,
                }
            )
        await self.outbox_rows.delete_many({"submission_id": submission_id})
        await self.outcome_rows.delete_many({"submission_id": submission_id})
        await self.outcome_batches.delete_many({"submission_id": submission_id})

    async def due(self, now: datetime, limit: int) -> list[str]:
        cursor = self.submissions.find(
            {"unpublished": True, "relay_after": {"$lte": now}}, {"_id": 1}
        ).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def get(self, submission_id: str) -> Submission | None:
        doc = await self.submissions.find_one({"_id": submission_id})
        return _submission(doc) if doc else None

    async def page(
        self, member: str | None, *, offset: int, limit: int
    ) -> tuple[list[Submission], int]:
        query: dict[str, Any] = {"state": {"$ne": SubmissionState.RECEIVING.value}}
        if member is not None:
            query["member"] = member
        total = await self.submissions.count_documents(query)
        cursor = (
            self.submissions.find(query, {RECEIPT: 0})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_submission(doc) async for doc in cursor], total

    async def record_outcomes(
        self, submission_id: str, batch_no: int, outcomes: Sequence[ItemOutcome], now: datetime
    ) -> bool:
        found = await self.submissions.find_one({"_id": submission_id}, {"processed_batches": 1})
        # Checked before the insert too: a batch a previous version stored as rows, delivered
        # again, must not be stored a second time as a batch document.
        if found is None or batch_no in found.get("processed_batches", []):
            return False
        keep_until = expiry(now)
        counts = tally(outcomes)
        if outcomes:
            await self._insert_once(
                batch_document(submission_id, batch_no, outcomes, counts, keep_until)
            )
        update: dict[str, Any] = {
            "$push": {"processed_batches": batch_no},
            "$set": {"updated_at": now, "expires_at": keep_until},
        }
        if counts:
            update["$inc"] = {f"counts.{kind}": n for kind, n in counts.items()}
        result = await self.submissions.update_one(
            {"_id": submission_id, "processed_batches": {"$ne": batch_no}}, update
        )
        return result.modified_count == 1

    async def _insert_once(self, doc: dict[str, Any]) -> None:
        # A batch delivered again (its counts not yet added: a crash in between, or two
        # deliveries at once) has the same id: the first insert stands.
        with suppress(DuplicateKeyError):
            await self.outcome_batches.insert_one(doc)

    async def outcomes(
        self,
        submission_id: str,
        *,
        outcome: str | None,
        offset: int,
        limit: int,
        warned: bool = False,
    ) -> list[dict[str, Any]]:
        wanted = OutcomeFilter(outcome=outcome, warned=warned)
        return await self._outcome_pages.page(submission_id, wanted, offset=offset, limit=limit)


@contextmanager
def _answering() -> Iterator[None]:
    """The driver's connection failures as the port's :class:`StoreUnavailable`."""
    try:
        yield
    except ConnectionFailure as exc:
        raise StoreUnavailable(str(exc) or type(exc).__name__) from exc


def _claim_id(member: str, idempotency_key: str) -> str:
    return f"{member}:{idempotency_key}"


def _submission_doc(submission: Submission) -> dict[str, Any]:
    doc = asdict(submission)
    doc["_id"] = doc.pop("id")
    doc["expires_at"] = expiry(submission.created_at)
    return doc


def _submission(doc: dict[str, Any]) -> Submission:
    return Submission(
        id=doc["_id"],
        member=doc["member"],
        source=doc["source"],
        state=doc["state"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        batch_count=doc.get("batch_count", 0),
        accepted=doc.get("accepted", 0),
        rejected=doc.get("rejected", 0),
        processed_batches=list(doc.get("processed_batches", [])),
        counts=dict(doc.get("counts", {})),
        idempotency_key=doc.get("idempotency_key"),
        correlation_id=doc.get("correlation_id"),
        notes=dict(doc.get("notes") or {}),
        completion_announced=bool(doc.get("completion_announced", False)),
    )
