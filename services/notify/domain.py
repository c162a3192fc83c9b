"""Freshness rules of the network (plan items 1.3 and 7): no I/O, no framework.

A member must update its information every ``cycle_months`` (6 by default) and hold or join
at least one training event every 12 months. From the last update we derive the due date,
the state (``ok`` → ``due_soon`` 14 days before → ``overdue`` → ``escalated`` 30 days after)
and which reminder stage has been reached. A reminder is identified by its key
(member, cycle, stage, channel); the cycle is the due date, so an update starts a new cycle.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.records import aware

DUE_SOON_DAYS = 14
ESCALATE_DAYS = 30
OVERDUE_EVERY_DAYS = 7
MAX_OVERDUE_REMINDERS = 4
TRAINING_MONTHS = 12
CENTRE = "_centre"


class State(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATED = "escalated"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Stage(StrEnum):
    """Kinds of reminder; overdue reminders are numbered ``overdue-1`` … ``overdue-4``."""

    DUE_SOON = "due_soon"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    TRAINING = "training"
    DIGEST = "digest"
    IMPORT_REPORT = "import_report"  # not a reminder: a finished import's report


@dataclass(frozen=True)
class MemberFacts:
    """What notify knows of a member: its profile and the instants that drive its duties."""

    code: str
    name: str
    active: bool = True
    contact_email: str | None = None
    webhook_url: str | None = None
    cycle_months: int = 6
    joined_at: datetime | None = None
    first_seen_at: datetime | None = None
    last_record_update_at: datetime | None = None
    last_attested_at: datetime | None = None
    last_training_at: datetime | None = None
    import_reports: bool = True


@dataclass(frozen=True)
class Freshness:
    """A member's state at ``as_of``."""

    code: str
    name: str
    active: bool
    cycle_months: int
    last_update_at: datetime | None
    due_at: datetime | None
    state: State
    days_overdue: int
    last_training_at: datetime | None
    training_due_at: datetime | None
    training_met: bool


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder that is due at ``as_of``: recorded before it is sent, sent exactly once."""

    member: str
    cycle: str
    stage: str
    channel: Channel
    recipient: str
    kind: Stage

    @property
    def key(self) -> str:
        return reminder_key(self.member, self.cycle, self.stage, self.channel)


@dataclass(frozen=True)
class Plan:
    """The outcome of one evaluation: every member's freshness and the reminders now due."""

    as_of: datetime
    freshness: list[Freshness]
    reminders: list[PlannedReminder] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in State}
        for item in self.freshness:
            if item.active:
                counts[item.state.value] += 1
        return counts


def reminder_key(member: str, cycle: str, stage: str, channel: str) -> str:
    """The identity of one reminder: ``member/cycle/stage/channel``."""
    return f"{member}/{cycle}/{stage}/{channel}"


def last_update_at(member: MemberFacts) -> datetime | None:
    """The latest record update or attestation; else when the member joined or was first seen."""
    candidates = [t for t in (member.last_record_update_at, member.last_attested_at) if t]
    if candidates:
        return max(aware(t) for t in candidates)
    start = member.joined_at or member.first_seen_at
    return aware(start) if start else None


def add_months(value: datetime, months: int) -> datetime:
    """``value`` plus calendar months, clamped to the month's end (31 Jan + 1 = 28/29 Feb).

    The same result as dateutil's ``relativedelta(months=n)``, several times faster.
    """
    total = value.month - 1 + months
    year, month = value.year + total // 12, total % 12 + 1
    return value.replace(year=year, month=month, day=min(value.day, _month_days(year, month)))


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def due_at(member: MemberFacts) -> datetime | None:
    last = last_update_at(member)
    return add_months(last, member.cycle_months) if last else None


def training_due_at(member: MemberFacts) -> datetime | None:
    start = member.last_training_at or member.joined_at or member.first_seen_at
    return add_months(aware(start), TRAINING_MONTHS) if start else None


def state_at(due: datetime | None, as_of: datetime) -> State:
    if due is None or as_of < due - timedelta(days=DUE_SOON_DAYS):
        return State.OK
    if as_of < due:
        return State.DUE_SOON
    if as_of < due + timedelta(days=ESCALATE_DAYS):
        return State.OVERDUE
    return State.ESCALATED


def freshness(member: MemberFacts, as_of: datetime) -> Freshness:
    """The member's update state and training duty at ``as_of``."""
    last = last_update_at(member)
    due = add_months(last, member.cycle_months) if last else None
    state = state_at(due, as_of)
    overdue_days = (as_of - due).days if due and as_of >= due else 0
    training_due = training_due_at(member)
    training_met = member.last_training_at is not None and (
        training_due is None or as_of < training_due
    )
    return Freshness(
        code=member.code,
        name=member.name,
        active=member.active,
        cycle_months=member.cycle_months,
        last_update_at=last,
        due_at=due,
        state=state,
        days_overdue=overdue_days,
        last_training_at=aware(member.last_training_at) if member.last_training_at else None,
        training_due_at=training_due,
        training_met=training_met,
    )


def cycle_id(due: datetime, tz: ZoneInfo) -> str:
    """The cycle is named by its due date in the centre's time zone."""
    return due.astimezone(tz).date().isoformat()


def update_stage(due: datetime, as_of: datetime) -> str | None:
    """The latest update stage reached at ``as_of`` (earlier stages are superseded by it)."""
    if as_of < due - timedelta(days=DUE_SOON_DAYS):
        return None
    if as_of < due:
        return Stage.DUE_SOON.value
    weeks = min((as_of - due).days // OVERDUE_EVERY_DAYS, MAX_OVERDUE_REMINDERS)
    return Stage.DUE.value if weeks == 0 else f"{Stage.OVERDUE.value}-{weeks}"


def member_channels(member: MemberFacts) -> list[tuple[Channel, str]]:
    channels: list[tuple[Channel, str]] = []
    if member.contact_email:
        channels.append((Channel.EMAIL, member.contact_email))
    if member.webhook_url:
        channels.append((Channel.WEBHOOK, member.webhook_url))
    return channels


def member_reminders(
    member: MemberFacts, as_of: datetime, *, centre_email: str, tz: ZoneInfo
) -> list[PlannedReminder]:
    """The reminders due for one member at ``as_of``: update stage, escalation, training."""
    return reminders_of(member, freshness(member, as_of), as_of, centre_email=centre_email, tz=tz)


def reminders_of(
    member: MemberFacts, fresh: Freshness, as_of: datetime, *, centre_email: str, tz: ZoneInfo
) -> list[PlannedReminder]:
    """``member_reminders`` from an already computed freshness."""
    if not member.active or (
        fresh.state is State.OK and (fresh.training_due_at is None or as_of < fresh.training_due_at)
    ):
        return []
    planned: list[PlannedReminder] = []
    channels = member_channels(member)
    due = fresh.due_at
    if due is not None:
        cycle = cycle_id(due, tz)
        stage = update_stage(due, as_of)
        if stage is not None:
            kind = Stage.OVERDUE if stage.startswith(Stage.OVERDUE.value) else Stage(stage)
            planned += [
                PlannedReminder(member.code, cycle, stage, channel, to, kind)
                for channel, to in channels
            ]
        if as_of >= due + timedelta(days=ESCALATE_DAYS):
            planned.append(
                PlannedReminder(
                    member.code, cycle, "escalated", Channel.EMAIL, centre_email, Stage.ESCALATED
                )
            )
    training_due = fresh.training_due_at
    if training_due is not None and as_of >= training_due:
        cycle = f"training-{cycle_id(training_due, tz)}"
        planned += [
            PlannedReminder(member.code, cycle, "training", channel, to, Stage.TRAINING)
            for channel, to in channels
        ]
    return planned


REPORTED_SOURCES = frozenset({"api", "csv", "xlsx", "marc", "json"})  # not harvests (oai)


@dataclass(frozen=True)
class FinishedImport:
    """What ``submission.completed`` says of one finished submission."""

    submission_id: str
    member: str
    source: str
    total: int
    stored: int
    warned: int
    rejected: int
    submitted_at: datetime
    file_format: str | None = None

    @property
    def is_file(self) -> bool:
        return self.source != "api"


def import_report(member: MemberFacts | None, done: FinishedImport) -> PlannedReminder | None:
    """The report mail a finished submission earns, if any.

    Only for what the member itself sent (file imports and pushes of more than one record,
    not harvests), only if something needs its attention (warnings or rejections), only to
    an active member with a contact e-mail that has not turned reports off.
    """
    if member is None or not member.active or not member.import_reports:
        return None
    if not member.contact_email or done.source not in REPORTED_SOURCES:
        return None
    if not done.is_file and done.total < 2:
        return None
    if done.warned == 0 and done.rejected == 0:
        return None
    return PlannedReminder(
        member.code,
        done.submission_id,
        Stage.IMPORT_REPORT.value,
        Channel.EMAIL,
        member.contact_email,
        Stage.IMPORT_REPORT,
    )


def digest_week(as_of: datetime, tz: ZoneInfo) -> str:
    """The ISO week of ``as_of`` in the centre's time zone, e.g. ``2026-W48``."""
    year, week, _ = as_of.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def evaluate(
    members: list[MemberFacts], as_of: datetime, *, centre_email: str, tz: ZoneInfo
) -> Plan:
    """Every member's freshness at ``as_of`` and every reminder due (including the digest)."""
    as_of = aware(as_of)
    states = [freshness(m, as_of) for m in members]
    reminders: list[PlannedReminder] = []
    for member, fresh in zip(members, states, strict=True):
        reminders += reminders_of(member, fresh, as_of, centre_email=centre_email, tz=tz)
    reminders.append(
        PlannedReminder(
            CENTRE, digest_week(as_of, tz), "digest", Channel.EMAIL, centre_email, Stage.DIGEST
        )
    )
    return Plan(as_of=as_of, freshness=states, reminders=reminders)


def is_current(member: MemberFacts, cycle: str, tz: ZoneInfo) -> bool:
    """Whether a reminder of ``cycle`` still applies (an update since then supersedes it)."""
    if not member.active:
        return False
    if cycle.startswith("training-"):
        training_due = training_due_at(member)
        return training_due is not None and cycle == f"training-{cycle_id(training_due, tz)}"
    due = due_at(member)
    return due is not None and cycle_id(due, tz) == cycle


def next_daily_run(now: datetime, daily_at: str, tz: ZoneInfo) -> tuple[date, datetime]:
    """The local day and instant of today's scheduled evaluation (``HH:MM`` local time)."""
    hour, minute = (int(part) for part in daily_at.split(":"))
    local = now.astimezone(tz)
    scheduled = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    return local.date(), scheduled


def retry_delay(attempts: int) -> timedelta:
    """Back-off between delivery attempts: 1 min, 2, 4 … capped at one hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


MAX_ATTEMPTS = 10
