"""What notify needs from the outside world, each with its contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from services.notify.domain import MemberFacts
from services.notify.quality import MemberQuality, NetworkQuality
from services.notify.searches import SearchWeek
from services.notify.subscriptions import Added, Frequency, SavedSearch, Subscription
from shared.events import Member, ReminderSent


class Status(StrEnum):
    PENDING = "pending"  # recorded, not yet attempted
    SENDING = "sending"  # claimed by one notify process until its lease ends
    SENT = "sent"
    RETRY = "retry"  # an attempt failed; tried again after next_attempt_at
    FAILED = "failed"  # gave up after MAX_ATTEMPTS; visible to the centre
    SUPERSEDED = "superseded"  # the member updated before it went out: not sent


class ReminderEntry(BaseModel):
    """One reminder in the log: recorded before it is sent, marked after."""

    model_config = ConfigDict(extra="ignore")

    key: str
    member: str
    cycle: str
    stage: str
    kind: str
    channel: str
    recipient: str
    status: Status = Status.PENDING
    subject: str
    text_vi: str
    text_en: str
    attest_url: str | None = None
    guide_url: str | None = None
    state: str | None = None
    due_at: datetime | None = None
    as_of: datetime
    created_at: datetime
    attempts: int = 0
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    open_count: int = 0
    attested_at: datetime | None = None
    event_published: bool = False
    quality: dict[str, Any] | None = None  # the digest's network line, for next week's change
    # Extra mail headers (a saved search's digest: List-Unsubscribe, RFC 8058).
    headers: dict[str, str] = {}


@dataclass(frozen=True)
class MemberUpdate:
    """The newest instants one ``records.changed`` batch shows for a member."""

    member: str
    last_update_at: datetime
    last_training_at: datetime | None = None


class FreshnessStore(Protocol):
    """Each member's profile and the instants its duties are counted from.

    Every write is idempotent and order-insensitive: profiles apply only if their version is
    not older than the stored one; instants only ever move forward (a max).
    """

    async def apply_member(self, member: Member, *, seen_at: datetime) -> None: ...

    async def apply_updates(self, updates: list[MemberUpdate], *, seen_at: datetime) -> None:
        """One bulk write; a member seen first here is created (active, no profile yet)."""
        ...

    async def attest(self, member: str, at: datetime) -> bool:
        """Count an attestation as an update; False if the member is unknown."""
        ...

    async def all_members(self) -> list[MemberFacts]: ...

    async def member(self, code: str) -> MemberFacts | None: ...


class ReminderLog(Protocol):
    """The reminder outbox: the state machine that makes every reminder go out once.

    ``record`` inserts only keys not yet present; ``claim`` atomically hands one due entry
    (pending, waiting retry, or ``sending`` with an expired lease) to one owner; the mark
    methods change an entry only while that owner holds it.
    """

    async def existing(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` are recorded already."""
        ...

    async def record(self, entries: list[ReminderEntry]) -> int:
        """Insert the entries whose key is new (a key is recorded once, even when two
        processes record it at the same instant); returns how many were new."""
        ...

    async def forget(self, member: str) -> int:
        """Delete every entry of ``member`` (an unsubscribed search: neither its address nor
        its mails are kept); returns how many there were."""
        ...

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
        """Claim up to ``limit`` entries due at ``now`` (``eager``: waiting retries too) and
        not tried since ``started``; each entry is handed to one owner only."""
        ...

    async def renew(self, key: str, *, owner: str, until: datetime) -> bool:
        """Extend ``owner``'s lease just before sending; False if the entry is not its own."""
        ...

    async def mark_sent(self, key: str, *, owner: str, at: datetime) -> bool: ...

    async def mark_failed(
        self, key: str, *, owner: str, error: str, next_attempt_at: datetime | None
    ) -> None:
        """``next_attempt_at`` None means give up (status ``failed``)."""
        ...

    async def mark_superseded(self, key: str, *, owner: str) -> None: ...

    async def mark_opened(self, key: str, at: datetime) -> None: ...

    async def attested_at(self, key: str) -> datetime | None:
        """When the reminder's link was used to attest, if it was."""
        ...

    async def mark_attested(self, key: str, at: datetime) -> None: ...

    async def unpublished(self, limit: int) -> list[ReminderEntry]:
        """Sent entries whose ``reminder.sent`` event is not yet confirmed."""
        ...

    async def mark_published(self, key: str) -> None: ...

    async def entries(
        self, *, member: str | None, status: str | None, stage: str | None, limit: int
    ) -> list[ReminderEntry]:
        """Newest first."""
        ...

    async def activity(self) -> dict[str, int]:
        """Counts: sent, opened, attested, pending, retry, failed, superseded."""
        ...


class Schedule(Protocol):
    """The daily run's lease: one notify process runs each local day's evaluation."""

    async def claim_daily(
        self, day: str, *, owner: str, now: datetime, lease_seconds: float
    ) -> bool:
        """True if ``owner`` may run ``day`` (not yet done, no live lease of another)."""
        ...

    async def finish_daily(self, day: str, *, owner: str) -> None: ...


class QualitySource(Protocol):
    """The catalogue's quality scores (its public HTTP API); raises
    :class:`QualityUnavailable` when it does not answer."""

    async def member(self, code: str) -> MemberQuality | None:
        """A member's score and problem counts, as its quality inbox shows them; None for a
        member the catalogue does not know."""
        ...

    async def network(self) -> NetworkQuality:
        """The network's score and how many members are below ``LOW_SCORE``."""
        ...


class QualityUnavailable(Exception):
    """The catalogue did not answer, or answered something else than its contract."""


class SearchAnalyticsSource(Protocol):
    """Search's report of what people looked for (its public ``/v1/analytics``, centre
    only); raises :class:`AnalyticsUnavailable` when it does not answer."""

    async def week(self, first: date, last: date) -> SearchWeek:
        """The searches of the local days ``first``..``last`` (both included): totals, the
        most searched queries and those that found nothing."""
        ...


class AnalyticsUnavailable(Exception):
    """Search did not answer, or answered something else than its contract."""


class Mailer(Protocol):
    """Hands one message to the mail server; raises if it was not accepted."""

    async def send(self, mail: OutgoingMail) -> None: ...


class WebhookSender(Protocol):
    """POSTs a signed JSON body; raises if the receiver did not answer 2xx after retries."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None: ...


class EventPublisher(Protocol):
    """Publishes ``reminder.sent`` durably; returns only after the broker confirmed it
    (``shared.topology.RabbitPublisher``)."""

    async def publish(self, event: ReminderSent) -> None:
        """Raise :class:`shared.errors.BrokerUnavailable` if the broker did not confirm."""
        ...


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text_vi: str
    text_en: str
    message_id: str
    key: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NotifyPorts:
    """Every port, as bootstrap wires them for one process."""

    store: FreshnessStore
    reminders: ReminderLog
    schedule: Schedule
    mailer: Mailer
    webhooks: WebhookSender
    publisher: EventPublisher
    quality: QualitySource | None = None
    analytics: SearchAnalyticsSource | None = None  # the digest's searches paragraph


# ---- saved searches (issue 17) ----------------------------------------------------------


class SubscriptionStore(Protocol):
    """Saved searches and their periods (``notify_subscriptions``), and the request counter.

    Only the address and the search are kept about a person; an unsubscribed search is
    deleted, and one never confirmed is purged once its link has expired.
    """

    async def request(self, sub: Subscription) -> Subscription:
        """Record a request: a new subscription is pending; an existing one keeps its state."""
        ...

    async def get(self, sid: str) -> Subscription | None: ...

    async def activate(
        self, sid: str, *, frequency: Frequency, lang: str, now: datetime, due_at: datetime
    ) -> Subscription | None:
        """Confirm: pending becomes active with ``now`` as its watermark; an active one takes
        the confirmed frequency and language (a new period if the frequency changed)."""
        ...

    async def due(self, upto: datetime, limit: int) -> list[Subscription]:
        """Active subscriptions whose period ended at or before ``upto``."""
        ...

    async def advance(
        self, sid: str, *, due_at: datetime, watermark: datetime, next_due: datetime
    ) -> bool:
        """Move a period on, only if it still ends at ``due_at`` (one process wins)."""
        ...

    async def delete(self, sid: str) -> bool: ...

    async def purge_pending(self, before: datetime) -> int:
        """Forget requests never confirmed since ``before``."""
        ...

    async def count_request(self, key: str, *, window: str, expires_at: datetime) -> int:
        """Count one more request of ``key`` in ``window``; the count so far."""
        ...


class SearchUnavailable(Exception):
    """The search service did not answer a saved search's query; the digest waits."""


class SearchApi(Protocol):
    """Search's public ``/v1/search``, as notify asks it for a period's new records."""

    async def added(
        self, search: SavedSearch, *, since: datetime, before: datetime, limit: int
    ) -> Added:
        """Records matching ``search`` added in ``[since, before)``, newest first; raises
        ``SearchUnavailable``."""
        ...
