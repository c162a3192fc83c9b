"""The record contract (docs/thanh-vien/nhap-du-lieu.md): what members submit and what the
catalogue stores."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.text import clean_text

MEMBER_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"
MAX_BATCH = 500


class Kind(StrEnum):
    DATABASE = "database"
    PUBLICATION = "publication"
    WEBSITE = "website"
    SERVICE = "service"
    TRAINING = "training"


class Access(StrEnum):
    OPEN = "open"
    RESTRICTED = "restricted"
    ONSITE = "onsite"


class RecordStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class Source(StrEnum):
    API = "api"
    CSV = "csv"
    XLSX = "xlsx"
    MARC = "marc"
    OAI = "oai"
    JSON = "json"


def _clean(value: str) -> str:
    return clean_text(value)


def _clean_title(value: str) -> str:
    # Python's white space (e.g. U+001F) is wider than pydantic's strip: a title of only
    # such characters passes min_length and is empty once cleaned.
    cleaned = clean_text(value)
    if not cleaned:
        raise PydanticCustomError("string_too_short", "String should have at least 1 character")
    return cleaned


MemberCode = Annotated[str, StringConstraints(pattern=MEMBER_CODE_PATTERN)]
LocalId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
]
# Constraints first (on the stripped input, with pydantic's string messages), then NFC and
# collapsed white space, which never lengthen the text.
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(_clean)
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(_clean_title),
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20000), AfterValidator(_clean)
]


IdentifierKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
IdentifierValue = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Problem(BaseModel):
    """A soft problem of a record (docs/thanh-vien/nhap-du-lieu.md; docs/thanh-vien/chat-luong.md):
    the record is stored and the member told.

    ``code`` is stable (``invalid_isbn``, ``missing_description`` …); ``loc`` is the field;
    ``msg`` is Vietnamese, then English.
    """

    code: str
    loc: list[str | int]
    msg: str


def record_id(member: str, local_id: str) -> str:
    """The stable id of a record: ``"{member}:{local_id}"``."""
    return f"{member}:{local_id}"


def member_of(rid: str) -> str:
    """The member code of a record id (codes never contain ``:``)."""
    return rid.partition(":")[0]


class RecordIn(BaseModel):
    """One record as a member submits it (the member comes from the key, never the body)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    local_id: LocalId
    kind: Kind
    title: Title
    description: LongText | None = None
    creators: list[ShortText] = Field(default_factory=list, max_length=100)
    subjects: list[ShortText] = Field(default_factory=list, max_length=100)
    publisher: ShortText | None = None
    # A code that is not ISO 639 and a URL that does not parse are soft problems, reported
    # by shared.validation with the record stored: here only their type and size. No
    # language is a soft problem too; the stored record then says "vi" (see Record).
    language: Annotated[str, StringConstraints(max_length=64)] | None = None
    year: int | None = Field(default=None, ge=1000, le=2100)
    date: dt.date | None = None
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    identifiers: dict[IdentifierKey, IdentifierValue] = Field(default_factory=dict, max_length=20)
    # Identifiers known to be wrong, kept exactly as given and never used to find duplicates:
    # MARC 020$z/022$z, and those whose checksum fails (moved here by shared.validation).
    invalid_identifiers: (
        dict[IdentifierKey, Annotated[list[IdentifierValue], Field(max_length=20)]] | None
    ) = Field(default=None, max_length=20)
    access: Access | None = None
    contact: ShortText | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: ShortText | None = None

    @field_validator("creators", "subjects")
    @classmethod
    def _drop_empty(cls, values: list[str]) -> list[str]:
        return [v for v in values if v]

    @model_validator(mode="after")
    def _training_fields(self) -> RecordIn:
        if self.kind is not Kind.TRAINING and (self.starts_at or self.ends_at or self.location):
            raise ValueError("starts_at, ends_at and location are for kind 'training' only")
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class Record(RecordIn):
    """A record as the catalogue stores and announces it."""

    model_config = ConfigDict(extra="ignore")

    # A stored record always has a language: none given is Vietnamese (and a soft problem).
    language: Annotated[
        str, BeforeValidator(lambda v: "vi" if v is None else v), StringConstraints(max_length=64)
    ] = "vi"
    id: str
    member: MemberCode
    version: int = Field(ge=1)
    status: RecordStatus = RecordStatus.ACTIVE
    created_at: datetime
    updated_at: datetime
    source: Source = Source.API
    content_hash: str
    also_held_by: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)


def utcnow() -> datetime:
    """Now, in UTC (the one clock the services default to)."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` with a time zone: naive instants (a client without ``tz_aware``) are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
