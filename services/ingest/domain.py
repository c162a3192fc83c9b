"""Ingest's domain: keys, limits, record validation, batching. No I/O, no framework."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from shared.errors import Refusal as Refusal  # a whole request refused (one error family)
from shared.events import (
    FieldError,
    ItemOutcome,
    Operation,
    Outcome,
    SubmissionCompleted,
    SubmittedItem,
)
from shared.records import MAX_BATCH, Problem, RecordIn, Source
from shared.validation import assess, check_record

MAX_RECORDS_PER_REQUEST = 5000
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_IMPORT_RECORDS = 500_000
RESPONSE_REJECTED_LIMIT = 1000
OUTCOME_RETENTION = timedelta(days=90)
KEY_PREFIX = "stk"
KEY_USE_RESOLUTION = timedelta(minutes=5)  # last_used_at is stored at most this often
KeyRole = Literal["member", "centre"]


class SubmissionState(StrEnum):
    RECEIVING = "receiving"  # being parsed and stored; not visible as accepted
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        """What the member puts after ``Bearer``; shown once, never stored."""
        return f"{KEY_PREFIX}_{self.key_id}_{self.secret}"


def new_key() -> NewKey:
    """A fresh key: a short public id and 256 bits of secret."""
    return NewKey(key_id=secrets.token_hex(8), secret=secrets.token_urlsafe(32))


def split_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a presented token, or None if it is not one of ours."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or len(key_id) != 16 or not secret:
        return None
    return key_id, secret


def hash_secret(secret: str, pepper: bytes) -> str:
    """HMAC-SHA256 of the secret with the server pepper (what is stored)."""
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def secret_matches(secret: str, stored_hash: str, pepper: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, pepper), stored_hash)


# ---------------------------------------------------------------- validation


@dataclass
class Rejection:
    index: int
    local_id: str
    errors: list[FieldError]
    row: int | None = None

    def outcome(self) -> ItemOutcome:
        return ItemOutcome(
            index=self.index, local_id=self.local_id, outcome=Outcome.REJECTED, errors=self.errors
        )

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "local_id": self.local_id,
            "errors": [e.model_dump() for e in self.errors],
        }
        if self.row is not None:
            body["row"] = self.row
        return body


_MEMBER_IN_BODY = FieldError(
    loc=["member"],
    msg="Không gửi 'member': thành viên được xác định từ khoá / "
    "do not send 'member': it comes from your key",
)


def _guess_local_id(raw: Any) -> str:
    if isinstance(raw, Mapping):
        value = raw.get("local_id")
        if value is not None:
            return str(value)[:128]
    return ""


def validate_record(index: int, raw: Any, *, row: int | None = None) -> RecordIn | Rejection:
    """One raw record checked against the contract; a rejection lists field-level errors."""
    local_id = _guess_local_id(raw)
    if not isinstance(raw, Mapping):
        err = FieldError(loc=[], msg="Bản ghi phải là một đối tượng JSON / must be a JSON object")
        return Rejection(index, local_id, [err], row)
    errors: list[FieldError] = []
    body = dict(raw)
    if "member" in body:
        errors.append(_MEMBER_IN_BODY)
        body.pop("member")
    record = check_record(body)
    if isinstance(record, list):
        return Rejection(index, local_id, [*errors, *record], row)
    if errors:
        return Rejection(index, local_id, errors, row)
    return record


@dataclass
class Warned:
    """An accepted record with soft problems (it is stored; the member is told)."""

    index: int
    local_id: str
    warnings: list[Problem]
    row: int | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "local_id": self.local_id,
            "warnings": [w.model_dump() for w in self.warnings],
        }
        if self.row is not None:
            body["row"] = self.row
        return body


@dataclass
class Batcher:
    """Collects valid items and rejections; hands out full batches of at most 500 items.

    Every accepted record is assessed as the catalogue will assess it (``shared.validation``):
    its soft problems are counted, and the first ``RESPONSE_REJECTED_LIMIT`` kept for the 202.
    """

    size: int = MAX_BATCH
    pending: list[SubmittedItem] = field(default_factory=list)
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0
    warned: list[Warned] = field(default_factory=list)
    warned_count: int = 0

    def add(self, index: int, raw: Any, *, row: int | None = None) -> list[SubmittedItem] | None:
        """Validate one record; return a full batch when one is ready."""
        result = validate_record(index, raw, row=row)
        if isinstance(result, Rejection):
            self.reject(result)
            return None
        item = SubmittedItem(index=index, local_id=result.local_id, record=result)
        return self.add_item(item, row=row)

    def add_item(
        self, item: SubmittedItem, *, row: int | None = None
    ) -> list[SubmittedItem] | None:
        if item.record is not None:
            self._warn(item, assess(item.record).problems, row)
        self.pending.append(item)
        self.accepted += 1
        if len(self.pending) >= self.size:
            return self.flush()
        return None

    def _warn(self, item: SubmittedItem, problems: list[Problem], row: int | None) -> None:
        if not problems:
            return
        self.warned_count += 1
        if len(self.warned) < RESPONSE_REJECTED_LIMIT:
            self.warned.append(Warned(item.index, item.local_id, problems, row))

    def reject(self, rejection: Rejection) -> None:
        self.rejected.append(rejection)
        self.rejected_count += 1

    def flush(self) -> list[SubmittedItem] | None:
        if not self.pending:
            return None
        batch, self.pending = self.pending, []
        return batch

    def take_rejections(self) -> list[Rejection]:
        taken, self.rejected = self.rejected, []
        return taken

    @property
    def total(self) -> int:
        return self.accepted + self.rejected_count


def withdraw_item(local_id: str) -> SubmittedItem:
    """The single item of a ``DELETE /v1/records/{local_id}`` submission."""
    return SubmittedItem(index=0, op=Operation.WITHDRAW, local_id=local_id)


def restore_item(local_id: str) -> SubmittedItem:
    """The single item of a ``POST /v1/records/{local_id}/restore`` submission."""
    return SubmittedItem(index=0, op=Operation.RESTORE, local_id=local_id)


def chunked(items: Iterable[SubmittedItem], size: int = MAX_BATCH) -> Iterator[list[SubmittedItem]]:
    batch: list[SubmittedItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- submission view

COUNTED = tuple(o.value for o in Outcome)
WARNED = "warned"  # the count of records stored with soft problems, beside the outcomes


def derived_state(stored: str, batch_count: int, processed: int) -> SubmissionState:
    """queued → processing → done, from how many batches the catalogue has reported."""
    if stored == SubmissionState.RECEIVING:
        return SubmissionState.RECEIVING
    if processed >= batch_count:
        return SubmissionState.DONE
    if processed > 0:
        return SubmissionState.PROCESSING
    return SubmissionState.QUEUED


def expiry(now: datetime) -> datetime:
    """When a submission's outcomes may be dropped (at least 90 days after last activity)."""
    return now + OUTCOME_RETENTION


@dataclass
class Submission:
    """A submission as ingest stores it (per-record outcomes are kept alongside)."""

    id: str
    member: str
    source: str
    state: str
    created_at: datetime
    updated_at: datetime
    batch_count: int = 0
    accepted: int = 0
    rejected: int = 0
    processed_batches: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    idempotency_key: str | None = None
    correlation_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    completion_announced: bool = False  # ``submission.completed`` is confirmed by the broker

    @property
    def sealed(self) -> bool:
        """Receiving is over: every batch and rejection is stored, the counts are final."""
        return self.state != SubmissionState.RECEIVING

    @property
    def public_state(self) -> SubmissionState:
        return derived_state(self.state, self.batch_count, len(self.processed_batches))

    def summary(self) -> dict[str, Any]:
        return {
            "submission_id": self.id,
            "member": self.member,
            "source": self.source,
            "state": self.public_state.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "total": self.accepted + self.rejected,
            "accepted": self.accepted,
            "batches": {"total": self.batch_count, "processed": len(self.processed_batches)},
            "counts": {name: self.counts.get(name, 0) for name in COUNTED},
            "warnings_count": self.counts.get(WARNED, 0),
            **({"file": self.notes} if self.notes else {}),
        }


STORED = (
    Outcome.CREATED,
    Outcome.UPDATED,
    Outcome.UNCHANGED,
    Outcome.WITHDRAWN,
    Outcome.RESTORED,
)


def completion_of(submission: Submission) -> SubmissionCompleted:
    """The ``submission.completed`` of a done submission: what its report mail counts."""
    counts = submission.counts
    return SubmissionCompleted(
        submission_id=submission.id,
        member=submission.member,
        source=Source(submission.source),
        file_format=submission.notes.get("format"),
        submitted_at=submission.created_at,
        total=submission.accepted + submission.rejected,
        stored=sum(counts.get(o.value, 0) for o in STORED),
        warned=counts.get(WARNED, 0),
        rejected=counts.get(Outcome.REJECTED.value, 0),
        correlation_id=submission.correlation_id,
    )


@dataclass(frozen=True)
class MemberInfo:
    code: str
    active: bool
    name: str = ""


@dataclass(frozen=True)
class StoredKey:
    """A person's access key: who holds it (``label``), a member's staff or the centre's."""

    key_id: str
    member: str | None  # None for the centre's keys
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    label: str = ""
    role: KeyRole = "member"

    def listing(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "label": self.label,
            "role": self.role,
            "member": self.member,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }

    def used_since(self, at: datetime) -> bool:
        """Whether its last use is recorded at or after ``at`` (no need to write it again)."""
        return self.last_used_at is not None and self.last_used_at >= at
