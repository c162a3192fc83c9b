"""Harvest sources, schedules, run outcomes and the rules that need no I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from lxml import etree
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.records import MEMBER_CODE_PATTERN

MAX_LOCAL_ID = 128
MAX_REPORTED_ERRORS = 100
FAILURE_RETRY = timedelta(minutes=30)

_SCHEDULE = re.compile(r"^(manual|hourly|daily|weekly|every (\d{1,4})(m|h|d))$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_NAMED = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
MIN_INTERVAL = timedelta(minutes=5)


class MetadataPrefix(StrEnum):
    OAI_DC = "oai_dc"
    MARC21 = "marc21"
    MARCXML = "marcxml"


class SourceState(StrEnum):
    IDLE = "idle"  # never run
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def schedule_interval(schedule: str) -> timedelta | None:
    """The interval of a schedule (``manual`` → None); ValueError if unknown or too short."""
    match = _SCHEDULE.match(schedule)
    if match is None:
        raise ValueError("schedule: manual | hourly | daily | weekly | 'every <n>m|h|d'")
    if schedule == "manual":
        return None
    if schedule in _NAMED:
        return _NAMED[schedule]
    interval = int(match.group(2)) * _UNITS[match.group(3)]
    if interval < MIN_INTERVAL:
        raise ValueError("schedule: at least every 5 minutes")
    return interval


BaseUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s?#]+$")]
SetSpec = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\s]+$")]
SourceName = Annotated[str, StringConstraints(max_length=300)]


class HarvestSourceIn(BaseModel):
    """What the centre registers: a member's OAI-PMH endpoint and how to harvest it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    member: Annotated[str, StringConstraints(pattern=MEMBER_CODE_PATTERN)]
    base_url: BaseUrl
    metadata_prefix: MetadataPrefix = MetadataPrefix.OAI_DC
    set_spec: SetSpec | None = Field(default=None, alias="set")
    schedule: str = "daily"
    name: SourceName | None = None

    @field_validator("schedule")
    @classmethod
    def _known_schedule(cls, value: str) -> str:
        schedule_interval(value)
        return value


TARGET_FIELDS = ("base_url", "metadata_prefix", "set_spec")


class HarvestSourcePatch(BaseModel):
    """A change to a source: only the fields given change; ``set``/``name`` null clear them.

    ``member`` cannot change (register a new source). Changing ``base_url``,
    ``metadataPrefix`` or ``set`` is a new target: the incremental cursor starts over.
    """

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        populate_by_name=True,
        json_schema_extra={"minProperties": 1},  # see _something: an empty patch is a 422
    )

    # Non-optional types with a None default: left out is fine, an explicit null is a 422.
    base_url: BaseUrl = None  # type: ignore[assignment]
    metadata_prefix: MetadataPrefix = Field(  # type: ignore[assignment]
        default=None, validation_alias=AliasChoices("metadata_prefix", "metadataPrefix")
    )
    set_spec: SetSpec | None = Field(default=None, alias="set")
    schedule: str = None  # type: ignore[assignment]
    name: SourceName | None = None
    enabled: bool = None  # type: ignore[assignment]

    @field_validator("schedule")
    @classmethod
    def _known_schedule(cls, value: str) -> str:
        schedule_interval(value)
        return value

    @model_validator(mode="after")
    def _something(self) -> HarvestSourcePatch:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one field")
        return self

    def changes(self) -> dict[str, Any]:
        """The stored fields to set (enum values as strings)."""
        return {
            name: getattr(self, name).value
            if isinstance(getattr(self, name), StrEnum)
            else getattr(self, name)
            for name in self.model_fields_set
        }

    def retargets(self, current: dict[str, Any]) -> bool:
        """True when the endpoint, format or set differ from ``current``."""
        changes = self.changes()
        return any(name in changes and changes[name] != current.get(name) for name in TARGET_FIELDS)


def error_texts(message: str) -> dict[str, str]:
    """A run's error as stored and shown: ``{"vi": ..., "en": ...}`` (technical detail kept)."""
    for pattern, vietnamese in _ERRORS_VI:
        match = pattern.match(message)
        if match:
            return {"vi": vietnamese.format(*match.groups(), all=message), "en": message}
    return {"vi": f"Lỗi khi thu thập: {message}", "en": message}


_ERRORS_VI = [
    (
        re.compile(r"^timed out after (\S+) s$"),
        "Quá thời gian cho phép ({0} giây): lần thu thập bị dừng",
    ),
    (
        re.compile(r"^interrupted: the ingest service stopped$"),
        "Bị gián đoạn: dịch vụ ingest đã dừng; lần sau sẽ thu thập tiếp",
    ),
    (
        re.compile(r"^the run stopped reporting"),
        "Lần thu thập ngừng báo cáo (tiến trình đã dừng hoặc mất quyền thu thập): "
        "đã ghi là thất bại",
    ),
    (
        re.compile(r"^lease lost to another harvester"),
        "Một bản sao khác của dịch vụ đã nhận nguồn này: lần thu thập dừng lại",
    ),
    (
        re.compile(r"^cannotDisseminateFormat: the repository does not offer (\S+)$"),
        "Kho không cung cấp định dạng {0} (cannotDisseminateFormat): hãy chọn định dạng khác",
    ),
    (re.compile(r"^(\w+): (.*)$", re.S), "Kho trả lỗi OAI-PMH {0}: {1}"),
    (re.compile(r"^HTTP (\d+) from the repository$"), "Kho trả mã HTTP {0}"),
    (re.compile(r"^HTTP (\d+)$"), "Kho tạm thời không phục vụ (HTTP {0}), đã thử lại nhiều lần"),
    (re.compile(r"^network error: (.*)$", re.S), "Lỗi mạng khi gọi kho: {0}"),
    (re.compile(r"^malformed XML page: (.*)$", re.S), "Trang XML bị lỗi: {0}"),
    (re.compile(r"^not an OAI-PMH response"), "Địa chỉ không trả lời theo OAI-PMH: {all}"),
    (re.compile(r"^response larger than"), "Trang trả về vượt quá giới hạn kích thước cho phép"),
    (re.compile(r"^more than (\d+) redirects$"), "Quá {0} lần chuyển hướng"),
    (re.compile(r"^host (\S+) (.*)$", re.S), "Địa chỉ của kho không được phép: {all}"),
    (re.compile(r"^internal error: (.*)$", re.S), "Lỗi nội bộ khi thu thập: {0}"),
]


def source_id(source: HarvestSourceIn) -> str:
    """The same endpoint, format and set of the same member is one source."""
    key = "|".join(
        [source.member, source.base_url, source.metadata_prefix.value, source.set_spec or ""]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def next_run(schedule: str, after: datetime, *, failed: bool = False) -> datetime | None:
    interval = schedule_interval(schedule)
    if interval is None:
        return None
    return after + (min(interval, FAILURE_RETRY) if failed else interval)


def local_id_of(identifier: str) -> str:
    """The record's ``local_id``: the OAI identifier, hash-shortened beyond 128 characters."""
    cleaned = "".join(ch for ch in identifier.strip() if ch.isprintable())
    if len(cleaned) <= MAX_LOCAL_ID and cleaned == identifier:
        return identifier
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:24]
    return f"{cleaned[:100]}~{digest}"


class RunCounts(BaseModel):
    pages: int = 0
    records: int = 0
    upserts: int = 0
    withdrawals: int = 0
    skipped: int = 0
    submissions: int = 0

    def add(self, other: RunCounts) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class RecordProblem(BaseModel):
    """A record that was reported and skipped."""

    identifier: str
    errors: list[dict[str, Any]]


def format_from(value: datetime, granularity: str) -> str:
    """A ``from`` argument at the repository's granularity (Identify)."""
    value = value.astimezone(UTC)
    if granularity == "YYYY-MM-DD":
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class HarvestError(Exception):
    """A run cannot go on (its message is shown on the source)."""


@dataclass
class HarvestedRecord:
    """One record of a ListRecords page: its header and its metadata element."""

    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None


@dataclass
class Page:
    """One ListRecords page: the records, those that could not be read, the next token."""

    records: list[HarvestedRecord] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (identifier, why)
    token: str | None = None
