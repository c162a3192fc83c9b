"""The ports of ingest: what its use cases need from storage and the broker."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.ingest.domain import MemberInfo, Rejection, StoredKey, Submission
from services.ingest.harvest.domain import Page, RecordProblem, RunCounts
from shared.events import (
    ItemOutcome,
    KeyChanged,
    MemberChanged,
    RecordsSubmitted,
    SubmissionCompleted,
    SubmittedItem,
)
from shared.records import Source


class IdempotencyConflict(Exception):
    """Another request with the same idempotency key took it over at the same moment."""


class StoreUnavailable(Exception):
    """The store did not answer (down or unreachable); what it was asked may not be done."""


class KeyStore(Protocol):
    """People's access keys (a member's staff or the centre's). Only HMACs of the secrets
    are stored; ids are public."""

    async def add(self, key: StoredKey) -> None:
        """Store a new key (its id is unique)."""
        ...

    async def get(self, key_id: str) -> StoredKey | None:
        """The key with this id, revoked or not; None if it never existed."""
        ...

    async def list(self, member: str | None = None) -> list[StoredKey]:
        """The member's keys (every key when ``member`` is None), oldest first, revoked
        ones included."""
        ...

    async def revoke(self, member: str | None, key_id: str, at: datetime) -> StoredKey | None:
        """Revoke a live key (of ``member``, unless None); the key revoked, or None if there
        is no such live key."""
        ...

    async def touch(self, key_id: str, at: datetime) -> None:
        """Record that the key was used at ``at``."""
        ...

    async def unannounced(self, limit: int) -> builtins.list[StoredKey]:
        """Revoked keys whose ``key.changed`` the broker has not confirmed yet (the outbox)."""
        ...

    async def announced(self, key_id: str) -> None:
        """The broker confirmed the key's ``key.changed``."""
        ...


class MemberDirectory(Protocol):
    """The members ingest knows of, learnt from ``member.changed``."""

    async def get(self, code: str) -> MemberInfo | None:
        """The member, or None if the centre has not registered it."""
        ...

    async def apply(self, event: MemberChanged) -> None:
        """Record the change; an older version than the one stored changes nothing."""
        ...


class SubmissionStore(Protocol):
    """Submissions, their outbox of batches still to publish, and per-record outcomes."""

    async def create(self, submission: Submission) -> Submission:
        """Store a new submission in state ``receiving``.

        If the member already has a sealed submission with the same idempotency key, return
        that one instead (and store nothing). An unsealed one (its request crashed, or is
        still receiving and will not be allowed to seal) is discarded with its outbox and
        outcomes, and the key passes to this submission. Raise
        :class:`IdempotencyConflict` if another request took the key over meanwhile.
        """
        ...

    async def find_by_idempotency_key(self, member: str, key: str) -> Submission | None:
        """The member's submission made with this idempotency key, if any."""
        ...

    async def receipt_warnings(self, submission_id: str) -> tuple[list[dict[str, Any]], int]:
        """The warnings its 202 listed and their count, as ``seal`` kept them."""
        ...

    async def add_batch(
        self, submission_id: str, batch_no: int, items: list[SubmittedItem]
    ) -> None:
        """Put one batch in the outbox (unpublished)."""
        ...

    async def add_rejections(self, submission_id: str, rejections: Sequence[Rejection]) -> None:
        """Store validation rejections as outcomes of the submission."""
        ...

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
        """Receiving is over: the submission becomes ``queued`` with its final counts.

        ``warnings`` (the 202's list) and ``warnings_count`` are kept for a replay's 202.

        The outbox relay may publish its unpublished batches from ``relay_after`` on.
        None if the submission is no longer receiving: a retry with the same idempotency
        key took it over (and discarded it).
        """
        ...

    def outbox(self, submission_id: str) -> AsyncIterator[tuple[int, list[SubmittedItem]]]:
        """The submission's unpublished batches, in order; :class:`StoreUnavailable` if the
        store stops answering part-way."""
        ...

    async def mark_published(self, submission_id: str, batch_no: int) -> None:
        """The broker confirmed this batch: drop it from the outbox.

        Raise :class:`StoreUnavailable` if the store did not answer (then the relay
        publishes the batch again: the catalogue takes a batch twice without change).
        """
        ...

    async def published_all(self, submission_id: str) -> None:
        """Every batch is confirmed: the relay has nothing left to do for this submission.

        Raise :class:`StoreUnavailable` if the store did not answer.
        """
        ...

    async def defer(self, submission_id: str, relay_after: datetime) -> None:
        """Let the relay retry this submission's unpublished batches from ``relay_after``;
        :class:`StoreUnavailable` if the store did not answer."""
        ...

    async def discard(self, submission_id: str) -> None:
        """Remove a submission that was never accepted, with its outbox and outcomes."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of queued submissions with outbox batches the relay should publish now."""
        ...

    async def get(self, submission_id: str) -> Submission | None:
        """The submission (any member), or None."""
        ...

    async def page(
        self, member: str | None, *, offset: int, limit: int
    ) -> tuple[list[Submission], int]:
        """Accepted submissions (of ``member``, or everyone's), newest first, and their total."""
        ...

    async def record_outcomes(
        self, submission_id: str, batch_no: int, outcomes: Sequence[ItemOutcome], now: datetime
    ) -> bool:
        """Store one batch's outcomes and counts exactly once; False if it was already stored
        or the submission is unknown."""
        ...

    async def completion_announced(self, submission_id: str) -> None:
        """The broker confirmed the submission's ``submission.completed``."""
        ...

    async def outcomes(
        self,
        submission_id: str,
        *,
        outcome: str | None,
        offset: int,
        limit: int,
        warned: bool = False,
    ) -> list[dict[str, Any]]:
        """Per-record outcomes (``index``, ``local_id``, ``outcome``, ``errors``, ``warnings``,
        maybe ``row`` and ``version``) by position in the request, optionally of one kind,
        optionally only those with warnings (``warned``)."""
        ...


class EventPublisher(Protocol):
    """Publishes ``records.submitted`` (and ``submission.completed``, ``key.changed``) and
    returns only after the broker's confirm (``shared.topology.RabbitPublisher``)."""

    async def publish(self, event: RecordsSubmitted | KeyChanged | SubmissionCompleted) -> None:
        """Raise :class:`shared.errors.BrokerUnavailable` if the broker did not confirm."""
        ...


# --- harvesting (services/ingest/harvest) ----------------------------------------------------


class Submit(Protocol):
    """Ingest's use case that stores a submission and publishes its batches (confirmed)."""

    async def __call__(
        self,
        *,
        member: str,
        items: list[SubmittedItem],
        source: Source,
        correlation_id: str | None = None,
    ) -> str:
        """Return the submission id once every batch is confirmed by the broker."""
        ...


class SameTarget(Exception):
    """Another source already harvests this member, endpoint, format and set."""


class HarvestStore(Protocol):
    """Harvest sources (one document each, ``_id`` = ``harvest.domain.source_id``) with a
    lease, so that one harvester runs a source at a time across replicas, and their runs.

    A source's lease is free when ``lease_until`` is None or past; changes that would
    disturb a run (``update_idle``, ``delete_idle``) wait for a free lease.
    """

    async def create(self, doc: dict[str, Any]) -> bool:
        """Insert a new source; False if it (or one with the same target) already exists."""
        ...

    async def get(self, source_id: str) -> dict[str, Any] | None:
        """The source, or None."""
        ...

    async def list(self) -> list[dict[str, Any]]:
        """Every source, by member then id."""
        ...

    async def same_target(self, target: dict[str, Any], *, other_than: str) -> str | None:
        """The id of another source with the same member, endpoint, format and set."""
        ...

    async def update_idle(
        self, source_id: str, changes: dict[str, Any], now: datetime
    ) -> dict[str, Any] | None:
        """Apply ``changes`` unless a run holds the lease; the new source, else None.
        Raise :class:`SameTarget` if the change collides with another source's target."""
        ...

    async def update_any(self, source_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` that do not disturb a run (pause, name); the new source."""
        ...

    async def delete_idle(self, source_id: str, now: datetime) -> bool:
        """Delete the source and its run history unless a run holds the lease."""
        ...

    async def due(self, now: datetime, limit: int) -> builtins.list[dict[str, Any]]:
        """Enabled sources whose ``next_run_at`` has come and whose lease is free, soonest
        first."""
        ...

    async def acquire(
        self, source_id: str, *, owner: str, run_id: str, now: datetime, lease: timedelta
    ) -> dict[str, Any] | None:
        """Take the lease (free or expired) and open a run; None if held or the source paused."""
        ...

    async def heartbeat(
        self, source_id: str, run_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        """Extend the lease; False if it was lost (the run must stop)."""
        ...

    async def run_started(
        self, run_id: str, *, from_: str | None, repository: dict[str, str]
    ) -> None:
        """Record the run's ``from`` argument and what the repository said of itself."""
        ...

    async def page_done(
        self,
        run_id: str,
        *,
        counts: RunCounts,
        problems: builtins.list[RecordProblem],
        submission_ids: builtins.list[str],
    ) -> None:
        """Add one page's counts and (bounded) problems and submission ids to the run."""
        ...

    async def finish(
        self,
        source_id: str,
        run_id: str,
        *,
        owner: str,
        now: datetime,
        error: str | None,
        harvested_until: datetime | None,
        next_run_at: datetime | None,
        repository: dict[str, str] | None,
    ) -> None:
        """Close the run and release the lease; the source keeps its error until a success."""
        ...

    async def reap_stale(self, now: datetime) -> int:
        """Runs whose lease expired (their process died) become failed; how many."""
        ...

    async def recent_runs(self, source_id: str, limit: int = 20) -> builtins.list[dict[str, Any]]:
        """The source's latest runs, newest first."""
        ...


class OaiRepository(Protocol):
    """One member's OAI-PMH endpoint. Every request is SSRF-guarded and retried; what
    cannot go on raises ``harvest.domain.HarvestError``."""

    async def identify(self) -> dict[str, str]:
        """Identify: repositoryName, granularity, deletedRecord, earliestDatestamp,
        responseDate."""
        ...

    async def metadata_prefixes(self) -> list[str]:
        """The metadataPrefixes the repository offers."""
        ...

    def list_records(self, params: dict[str, str]) -> AsyncIterator[Page]:
        """Pages of ListRecords, following resumption tokens; noRecordsMatch is no page."""
        ...


class OaiRepositories(Protocol):
    """Opens repositories over one pooled connection set, closed by ``close``."""

    def open(
        self, base_url: str, *, before_attempt: Callable[[], Awaitable[None]] | None = None
    ) -> OaiRepository:
        """The repository at ``base_url``; ``before_attempt`` runs before every request
        attempt (the run renews its lease there: retries may wait minutes)."""
        ...

    async def close(self) -> None:
        """Close the connections (a later ``open`` makes new ones)."""
        ...
