"""Event contracts (the events: /asyncapi.json, docs/operators/README.md §1). One pydantic model
per event; routing key = ``EVENT_NAME``.

A breaking change is a new model and routing key, never an edit in place.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.records import MAX_BATCH, MemberCode, Problem, Record, RecordIn, Source, utcnow


class Event(BaseModel):
    """Envelope fields every event carries."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    EVENT_NAME: ClassVar[str]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: str | None = None


class Operation(StrEnum):
    UPSERT = "upsert"
    WITHDRAW = "withdraw"
    RESTORE = "restore"


class SubmittedItem(BaseModel):
    """One operation of a submission: ``index`` is its position in the member's request."""

    index: int = Field(ge=0)
    op: Operation = Operation.UPSERT
    local_id: str
    record: RecordIn | None = None


class RecordsSubmitted(Event):
    """A member (or a harvest) submitted records; published by ingest, consumed by catalogue."""

    EVENT_NAME: ClassVar[str] = "records.submitted"

    submission_id: str
    member: MemberCode
    source: Source = Source.API
    batch_no: int = Field(ge=0)
    batch_count: int = Field(ge=1)
    submitted_at: datetime = Field(default_factory=utcnow)
    items: list[SubmittedItem] = Field(min_length=1, max_length=MAX_BATCH)


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"
    REPLAYED = "replayed"
    LINKED = "linked"  # holdings ("also held by") changed; version unchanged


class RecordChange(BaseModel):
    change: ChangeKind
    record: Record


class RecordsChanged(Event):
    """Records were created, changed, withdrawn or replayed; from catalogue to search and notify."""

    EVENT_NAME: ClassVar[str] = "records.changed"

    changes: list[RecordChange] = Field(min_length=1, max_length=MAX_BATCH)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"
    REJECTED = "rejected"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class ItemOutcome(BaseModel):
    index: int
    local_id: str
    outcome: Outcome
    version: int | None = None
    errors: list[FieldError] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)  # soft problems; the record is stored


class SubmissionProcessed(Event):
    """The catalogue's per-record outcome of one batch; consumed by ingest."""

    EVENT_NAME: ClassVar[str] = "submission.processed"

    submission_id: str
    member: MemberCode
    batch_no: int
    outcomes: list[ItemOutcome] = Field(max_length=MAX_BATCH)


class SubmissionCompleted(Event):
    """Every batch of a submission has its outcome: the member's import or push is finished.

    Published by ingest once per submission (at least once: a consumer keys on
    ``submission_id``); notify mails the member its report. ``stored`` counts the records
    the catalogue took (created, updated, unchanged, withdrawn, restored), ``warned`` those
    of them stored with soft problems, ``rejected`` those refused (by ingest or the catalogue).
    """

    EVENT_NAME: ClassVar[str] = "submission.completed"

    submission_id: str
    member: MemberCode
    source: Source
    file_format: str | None = None
    submitted_at: datetime
    total: int = Field(ge=0)
    stored: int = Field(ge=0)
    warned: int = Field(ge=0)
    rejected: int = Field(ge=0)


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class MemberType(StrEnum):
    UNIVERSITY = "university"
    LIBRARY = "library"
    INSTITUTE = "institute"
    HOSPITAL = "hospital"
    ENTERPRISE = "enterprise"
    AGENCY = "agency"
    OTHER = "other"


class MemberFields(BaseModel):
    """What the centre says of a member organisation (the registry adds status and version)."""

    code: MemberCode
    name: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    type: MemberType = MemberType.OTHER
    address: str | None = Field(default=None, max_length=500)
    website: str | None = Field(default=None, max_length=500)
    contact_email: str | None = Field(default=None, max_length=320)
    joined_at: datetime | None = None
    update_cycle_months: int = Field(default=6, ge=1, le=60)
    webhook_url: str | None = Field(default=None, max_length=2000)
    # Mail the member a report when an import or bulk submission finishes with problems.
    import_reports: bool = True


class Member(MemberFields):
    """A member organisation of the network, as the catalogue's registry holds it."""

    model_config = ConfigDict(extra="ignore")

    status: MemberStatus = MemberStatus.ACTIVE
    version: int = 1
    updated_at: datetime | None = None


MemberChange = Literal["created", "updated", "suspended"]


class MemberChanged(Event):
    """A member was created, updated or suspended; from catalogue to ingest, search and notify."""

    EVENT_NAME: ClassVar[str] = "member.changed"

    change: MemberChange
    member: Member


class ReminderSent(Event):
    """Notify sent a reminder (member, cycle, stage); for audit and statistics."""

    EVENT_NAME: ClassVar[str] = "reminder.sent"

    key: str
    member: MemberCode
    stage: str
    channel: str
    recipient: str


class KeyChanged(Event):
    """A person's access key was revoked; from ingest to every service, which then refuses
    the sessions opened with it (docs/operators/README.md §11)."""

    EVENT_NAME: ClassVar[str] = "key.changed"

    change: Literal["revoked"]
    key_id: str = Field(min_length=1, max_length=64)
    role: Literal["member", "centre"]
    member: MemberCode | None = None
    label: str = ""
    at: datetime


ALL_EVENTS: tuple[type[Event], ...] = (
    RecordsSubmitted,
    RecordsChanged,
    SubmissionProcessed,
    SubmissionCompleted,
    MemberChanged,
    ReminderSent,
    KeyChanged,
)
