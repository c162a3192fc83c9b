"""Harvest sources, schedules, run outcomes and the rules that need no I/O."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

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


class HarvestSourceIn(BaseModel):
    """What the centre registers: a member's OAI-PMH endpoint and how to harvest it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    member: Annotated[str, StringConstraints(pattern=MEMBER_CODE_PATTERN)]
    base_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s?#]+$")]
    metadata_prefix: MetadataPrefix = MetadataPrefix.OAI_DC
    set_spec: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\s]+$")] | None
    ) = Field(default=None, alias="set")
    schedule: str = "daily"
    name: Annotated[str, StringConstraints(max_length=300)] | None = None

    @field_validator("schedule")
    @classmethod
    def _known_schedule(cls, value: str) -> str:
        schedule_interval(value)
        return value


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


def refused_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: never harvested."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


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
