"""The catalogue's ports: what its use cases need from storage and the broker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field

from services.catalogue.domain import Link, StoredRecord
from services.catalogue.linkcheck.domain import BrokenLink, CheckResult, LinkStatus
from services.catalogue.quality import Row
from shared.events import ChangeKind, Event, ItemOutcome, Member, MemberChange
from shared.records import Record


class ProcessedBatch(BaseModel):
    """What one ``records.submitted`` batch produced, kept to answer a redelivery the same."""

    submission_id: str
    batch_no: int
    member: str
    outcomes: list[ItemOutcome]
    changes: dict[str, ChangeKind] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return batch_key(self.submission_id, self.batch_no)


def batch_key(submission_id: str, batch_no: int) -> str:
    return f"{submission_id}:{batch_no}"


class RecordPage(BaseModel):
    records: list[Record]
    next: str | None


class RecordStore(Protocol):
    """Records (with their history), duplicate links and processed batches.

    Writes are bulk (one round trip per kind of write, not per record). ``save`` is
    optimistic: it raises ``ConcurrentUpdate`` when a record changed since it was read,
    so the message is retried on fresh state.
    """

    async def get_many(self, ids: list[str]) -> dict[str, StoredRecord]:
        """The stored records among ``ids`` (missing ids are absent from the result)."""
        ...

    async def find_by_keys(
        self, keys: list[str], *, exclude_member: str
    ) -> dict[str, StoredRecord]:
        """Records of other members sharing at least one duplicate key."""
        ...

    async def learn_changes(self, records: list[Record]) -> None:
        """Records another catalogue process changed: ``find_by_keys`` must see their keys."""
        ...

    async def save(self, writes: list[tuple[StoredRecord, StoredRecord | None]]) -> None:
        """Store each new state; the second element is the state it replaces (None: new)."""
        ...

    async def links_touching(self, ids: list[str]) -> list[Link]:
        """Every link (any state) with one end among ``ids``."""
        ...

    async def save_links(self, save: list[Link], delete: list[str]) -> None:
        """Upsert links by id and delete the given link ids."""
        ...

    async def set_holdings(self, holdings: dict[str, list[str]]) -> None:
        """Set ``also_held_by`` of records (no version or ``updated_at`` change)."""
        ...

    async def links_page(
        self, *, state: str | None, member: str | None, limit: int, offset: int
    ) -> tuple[list[Link], int]:
        """Links in ``state`` (any: None) with an end of ``member`` (any: None), the
        newest found first, and how many match in all."""
        ...

    async def adjust_holdings(
        self, add: dict[str, list[str]], remove: dict[str, list[str]]
    ) -> None:
        """Add ids to / remove ids from ``also_held_by`` (commutes with concurrent batches)."""
        ...

    async def processed_batch(self, key: str) -> ProcessedBatch | None:
        """A batch processed before, by ``batch_key``."""
        ...

    async def save_batch(self, batch: ProcessedBatch) -> None:
        """Remember a processed batch (idempotent)."""
        ...

    async def page(
        self,
        *,
        after: str | None,
        limit: int,
        member: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> RecordPage:
        """Records in ``_id`` order after ``after`` (keyset pagination)."""
        ...

    async def stats(self) -> dict[str, Any]:
        """Raw counts: ``holdings`` rows (member, kind, year, count) of active records and
        ``activity`` rows (member, period, change, count) of every version."""
        ...

    async def quality_rows(self, member: str | None = None) -> list[Row]:
        """``(record id, problem codes)`` of every active record (one member's, or
        everyone's), in record-id order."""
        ...


class MemberStore(Protocol):
    """The members registry, with its outbox of ``member.changed`` not yet confirmed.

    ``save`` stores the member and its announcement in one write; the announcement stays
    until ``announced`` for that version, so a publish that fails after the write is sent
    again by the relay (``unannounced``), never forgotten (docs/operators/reliability.md).
    """

    async def get(self, code: str) -> Member | None:
        """One member by code."""
        ...

    async def all(self) -> list[Member]:
        """Every member, by code."""
        ...

    async def save(self, member: Member, *, announce: MemberChange) -> None:
        """Create or replace a member by code, with ``announce`` still to publish."""
        ...

    async def announced(self, code: str, version: int) -> None:
        """The broker confirmed ``member.changed`` of this version: drop it from the outbox."""
        ...

    async def unannounced(self) -> list[tuple[Member, MemberChange]]:
        """Members whose last change is still to publish, with that change."""
        ...


class EventPublisher(Protocol):
    """Publishes an event durably; returns only after the broker confirmed it
    (``shared.topology.RabbitPublisher``)."""

    async def publish(self, event: Event) -> None:
        """Raise :class:`shared.errors.BrokerUnavailable` if the broker did not confirm."""
        ...


class ConcurrentUpdate(RuntimeError):
    """A record changed between read and write; the message is retried."""


# --- the link checker (services/catalogue/linkcheck) -----------------------------------------


class LinkStore(Protocol):
    """One document per URL with the record ids and member codes using it and its checks.

    Work is leased: ``claim`` hands out due links to one owner until the lease ends, so
    replicas never check one URL at once, and a crash only delays the links it held.
    """

    async def use_record_urls(self, urls: dict[str, str | None], *, now: datetime) -> None:
        """Record id → its URL now (None: no URL, or withdrawn). A URL newly used by a
        record is due at once; URLs nobody uses any more are forgotten."""
        ...

    async def use_websites(self, websites: dict[str, str | None], *, now: datetime) -> None:
        """Member code → its website now, for every member (the registry is small)."""
        ...

    async def claim(
        self, *, owner: str, now: datetime, until: datetime, limit: int, per_host: int
    ) -> list[LinkStatus]:
        """Lease up to ``limit`` due links (at most ``per_host`` of one host) to ``owner``."""
        ...

    async def save_checked(self, links: list[LinkStatus], *, owner: str) -> int:
        """Store checks' outcomes (one bulk write) and end their leases; returns how many
        were stored (a link whose lease was lost is not)."""
        ...

    async def release(self, urls: list[str], *, owner: str) -> None:
        """End ``owner``'s leases of links it did not check (due again at once)."""
        ...

    async def broken_links(self, member: str) -> list[BrokenLink]:
        """The member's broken links: its records' ``url`` and its own ``website``."""
        ...

    async def count_broken(self) -> int:
        """How many URLs are broken now, network-wide."""
        ...


class ChangedRecords(Protocol):
    """Which records changed since the last ``commit`` (at least once each; crash-safe)."""

    async def changed(self, limit: int) -> list[str]:
        """Record ids changed since the last commit, from at most ``limit`` changes (a
        change is one write of a batch: up to 500 records)."""
        ...

    async def commit(self) -> None:
        """The ids last returned are handled: do not return them again."""
        ...


class LinkChecker(Protocol):
    """Checks one URL politely (the host's turn), following redirects, SSRF-safe."""

    async def check(self, url: str) -> CheckResult:
        """The answer's verdict; a network failure is a failed check, never an exception."""
        ...

    async def close(self) -> None:
        """Close the connections (in the lifespan's exit)."""
        ...


# --- the OAI-PMH provider (services/catalogue/oai) -------------------------------------------


class OaiRecords(Protocol):
    """What the OAI-PMH provider reads: records in ``(updated_at, _id)`` order (its only
    cursor), one record, the oldest datestamp and the members. Documents are the stored
    records' fields (``_id`` = record id); a store that does not answer raises its driver's
    error, which the endpoint answers with 503 and ``Retry-After``."""

    async def prepare(self) -> None:
        """Make the store ready to list (idempotent, cheap after the first call)."""
        ...

    async def page(
        self,
        *,
        base: dict[str, Any],
        start: datetime | None,
        end: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
        headers_only: bool,
        window: timedelta,
        now: datetime,
    ) -> tuple[list[dict[str, Any]], timedelta]:
        """Up to ``limit`` documents matching ``base`` with ``updated_at`` in
        ``[start, end)``, strictly after the cursor ``after``, in ``(updated_at, _id)``
        order (only the header fields when ``headers_only``); and the datestamp window the
        next page should scan first (a hint: ``window`` is this page's)."""
        ...

    async def get(self, record_id: str) -> dict[str, Any] | None:
        """One record (any status), or None."""
        ...

    async def earliest(self) -> datetime | None:
        """The oldest datestamp (a lower bound; None when there are no records)."""
        ...

    async def members(self) -> list[tuple[str, str]]:
        """``(code, name)`` of every registered member and every member that has records,
        by code."""
        ...
