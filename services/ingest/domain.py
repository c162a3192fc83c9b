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

from pydantic import ValidationError

from shared.events import FieldError, ItemOutcome, Operation, Outcome, SubmittedItem
from shared.records import MAX_BATCH, RecordIn

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


class Refusal(Exception):
    """A whole request refused, with a librarian-readable message in Vietnamese and English."""

    def __init__(
        self,
        status: int,
        message_vi: str,
        message_en: str,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.message_vi = message_vi
        self.message_en = message_en
        self.details = details
        self.headers = dict(headers or {})


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


# Vietnamese first, then pydantic's English: a librarian reads the first half.
_VI_MESSAGES: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc",
    "string_too_short": "Không được để trống",
    "too_short": "Không được để trống",
    "string_too_long": "Quá dài",
    "too_long": "Quá nhiều giá trị",
    "enum": "Giá trị không hợp lệ",
    "literal_error": "Giá trị không hợp lệ",
    "int_parsing": "Phải là số nguyên",
    "int_from_float": "Phải là số nguyên",
    "int_type": "Phải là số nguyên",
    "greater_than_equal": "Giá trị quá nhỏ",
    "less_than_equal": "Giá trị quá lớn",
    "string_pattern_mismatch": "Sai định dạng",
    "string_type": "Phải là chuỗi ký tự",
    "list_type": "Phải là danh sách",
    "dict_type": "Phải là đối tượng",
    "extra_forbidden": "Trường không được hỗ trợ",
    "date_parsing": "Ngày phải có dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "Ngày phải có dạng YYYY-MM-DD",
    "datetime_parsing": "Thời gian phải có dạng 2026-03-15T08:00:00+07:00",
    "datetime_from_date_parsing": "Thời gian phải có dạng 2026-03-15T08:00:00+07:00",
    "value_error": "Dữ liệu không hợp lệ",
}
_FIELD_HINTS: dict[str, str] = {
    "kind": "chọn: database, publication, website, service, training",
    "access": "chọn: open, restricted, onsite",
    "year": "năm từ 1000 đến 2100",
    "url": "phải bắt đầu bằng http:// hoặc https://",
    "language": "mã ngôn ngữ ISO 639-1, ví dụ vi, en",
    "local_id": "1–128 ký tự in được",
}


def _message(err: Mapping[str, Any]) -> str:
    english = str(err.get("msg", ""))
    vietnamese = _VI_MESSAGES.get(str(err.get("type", "")))
    if vietnamese is None:
        return english
    loc = err.get("loc", ())
    hint = _FIELD_HINTS.get(str(loc[0])) if loc else None
    if hint and err.get("type") not in ("missing", "extra_forbidden"):
        vietnamese = f"{vietnamese} ({hint})"
    return f"{vietnamese} / {english}"


def _errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append(FieldError(loc=loc, msg=_message(err)))
    return out


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
    try:
        record = RecordIn.model_validate(body)
    except ValidationError as exc:
        errors.extend(_errors(exc))
        return Rejection(index, local_id, errors, row)
    if errors:
        return Rejection(index, local_id, errors, row)
    return record


@dataclass
class Batcher:
    """Collects valid items and rejections; hands out full batches of at most 500 items."""

    size: int = MAX_BATCH
    pending: list[SubmittedItem] = field(default_factory=list)
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0

    def add(self, index: int, raw: Any, *, row: int | None = None) -> list[SubmittedItem] | None:
        """Validate one record; return a full batch when one is ready."""
        result = validate_record(index, raw, row=row)
        if isinstance(result, Rejection):
            self.reject(result)
            return None
        return self.add_item(SubmittedItem(index=index, local_id=result.local_id, record=result))

    def add_item(self, item: SubmittedItem) -> list[SubmittedItem] | None:
        self.pending.append(item)
        self.accepted += 1
        if len(self.pending) >= self.size:
            return self.flush()
        return None

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


def derived_state(stored: str, batch_count: int, processed: int) -> SubmissionState:
    """queued → processing → done, from how many batches the catalogue has reported."""
    if stored == SubmissionState.RECEIVING:
        return SubmissionState.RECEIVING
    if processed >= batch_count:
        return SubmissionState.DONE
    if processed > 0:
        return SubmissionState.PROCESSING
    return SubmissionState.QUEUED


def outcome_counts(outcomes: Iterable[ItemOutcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in outcomes:
        counts[item.outcome.value] = counts.get(item.outcome.value, 0) + 1
    return counts


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
            **({"file": self.notes} if self.notes else {}),
        }


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
