"""Notify's use cases: track freshness, plan reminders, send each exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson
import structlog

from services.notify import domain
from services.notify.domain import CENTRE, Freshness, MemberFacts, Plan, PlannedReminder, Stage
from services.notify.messages import (
    Links,
    Message,
    digest_message,
    escalation_message,
    import_report_message,
    training_message,
    update_message,
)
from services.notify.ports import (
    AnalyticsUnavailable,
    EventPublisher,
    FreshnessStore,
    Mailer,
    MemberUpdate,
    OutgoingMail,
    QualitySource,
    QualityUnavailable,
    ReminderEntry,
    ReminderLog,
    Schedule,
    SearchAnalyticsSource,
    WebhookSender,
)
from services.notify.quality import MemberQuality, NetworkQuality
from services.notify.searches import SearchWeek, week_before
from services.notify.signing import (
    SIGNATURE_HEADER,
    AttestClaim,
    InvalidToken,
    sign_attest_token,
    verify_attest_token,
    webhook_secret,
    webhook_signature,
)
from shared.events import (
    MemberChanged,
    MemberStatus,
    RecordsChanged,
    ReminderSent,
    SubmissionCompleted,
)
from shared.records import Kind, Record, aware

log = structlog.get_logger("notify")

DISPATCH_WORKERS = 4
Applies = Callable[[ReminderEntry], Awaitable[bool]]
CLAIM_BATCH = 50
QUALITY_REQUESTS = 4  # the catalogue's quality inbox read for this many members at once
UPDATE_STAGES = frozenset({Stage.DUE_SOON, Stage.DUE, Stage.OVERDUE})


@dataclass(frozen=True)
class NotifyConfig:
    """What the use cases need to know besides their ports."""

    centre_email: str
    tz: ZoneInfo
    public_url: str  # notify's own base URL (attestation links)
    guide_url: str  # the member guide: how to update
    secret: bytes
    mail_domain: str = "stinet.local"
    lease_seconds: float = 300.0
    daily_at: str = "08:00"
    console_url: str = ""  # the console's base URL (/console/ on the public port)

    @property
    def freshness_url(self) -> str:
        return f"{self.public_url}/v1/freshness"

    @property
    def analytics_url(self) -> str | None:
        """The centre's console page of what people look for."""
        return f"{self.console_url}/centre/analytics" if self.console_url else None

    def quality_url(self, member: str) -> str | None:
        """The member's quality page in the console (its staff, or the centre acting)."""
        if not self.console_url:
            return None
        return f"{self.console_url}/member/quality?member={quote(member)}"

    def submission_url(self, member: str, submission_id: str) -> str:
        """A submission's per-record report in the console."""
        return (
            f"{self.console_url}/member/submissions/{quote(submission_id)}?member={quote(member)}"
        )


@dataclass(frozen=True)
class Told:
    """The numbers a plan's mails tell: each reminded member's quality, the network's line
    this week and the one the last digest told, and (the digest) last week's searches."""

    members: dict[str, MemberQuality] = field(default_factory=dict)
    network: NetworkQuality | None = None
    previous: NetworkQuality | None = None
    asked: bool = False  # a quality source is wired (else the mails say nothing of quality)
    searches: SearchWeek | None = None  # None with searches_asked: search did not answer
    searches_asked: bool = False  # an analytics source is wired and the plan has a digest


@dataclass
class RunReport:
    as_of: datetime
    evaluated: int
    counts: dict[str, int]
    planned: int
    recorded: int
    dispatch: DispatchReport | None = None
    would_send: list[str] = field(default_factory=list)


@dataclass
class DispatchReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    superseded: int = 0


# ---- consuming events -------------------------------------------------------------------


async def record_member(event: MemberChanged, *, store: FreshnessStore) -> None:
    """Keep the member's profile (newest version wins; suspension stops reminders)."""
    member = event.member
    if event.change == "suspended" and member.status is not MemberStatus.SUSPENDED:
        member = member.model_copy(update={"status": MemberStatus.SUSPENDED})
    await store.apply_member(member, seen_at=datetime.now(UTC))


async def member_active(code: str, *, store: FreshnessStore) -> bool | None:
    """Whether the member's staff may work (None: notify has not heard of it)."""
    member = await store.member(code)
    return None if member is None else member.active


def training_instant(record: Record) -> datetime:
    """When a training event happens: starts_at, else its date, else its last update."""
    if record.starts_at is not None:
        return aware(record.starts_at)
    if record.date is not None:
        return datetime.combine(record.date, time(0, 0), tzinfo=UTC)
    return aware(record.updated_at)


def updates_from_changes(event: RecordsChanged) -> list[MemberUpdate]:
    """Per member: the latest ``updated_at`` and the latest training event of the batch.

    Every change kind counts through a max, so a replay or a holdings change only rebuilds
    the value it already had.
    """
    latest: dict[str, datetime] = {}
    training: dict[str, datetime] = {}
    for change in event.changes:
        record = change.record
        updated = aware(record.updated_at)
        latest[record.member] = max(latest.get(record.member, updated), updated)
        if record.kind is Kind.TRAINING and record.status == "active":
            when = training_instant(record)
            training[record.member] = max(training.get(record.member, when), when)
    return [MemberUpdate(m, t, training.get(m)) for m, t in latest.items()]


async def record_changes(event: RecordsChanged, *, store: FreshnessStore) -> None:
    """Move each member's last update (and last training event) forward; idempotent."""
    await store.apply_updates(updates_from_changes(event), seen_at=datetime.now(UTC))


# ---- planning -----------------------------------------------------------------------------


def attest_url(config: NotifyConfig, *, key: str, member: str, issued_at: datetime) -> str:
    token = sign_attest_token(config.secret, key=key, member=member, issued_at=issued_at)
    return f"{config.public_url}/v1/attest?token={quote(token)}"


def render(
    reminder: PlannedReminder,
    item: Freshness | None,
    plan: Plan,
    activity: dict[str, int],
    config: NotifyConfig,
    links: Links,
    told: Told | None = None,
) -> Message:
    told = told or Told()
    if reminder.kind is Stage.DIGEST:
        return digest_message(
            plan.freshness,
            plan.counts(),
            activity,
            reminder.cycle,
            links,
            config.tz,
            quality=(told.network, told.previous) if told.asked else None,
            searches=(told.searches,) if told.searches_asked else None,
        )
    assert item is not None
    if reminder.kind is Stage.ESCALATED:
        return escalation_message(item, links, config.tz)
    if reminder.kind is Stage.TRAINING:
        return training_message(item, links, config.tz)
    return update_message(reminder, item, links, config.tz, told.members.get(item.code))


def entries_for(
    plan: Plan,
    activity: dict[str, int],
    config: NotifyConfig,
    now: datetime,
    told: Told | None = None,
) -> list[ReminderEntry]:
    """The log entries of a plan, each with its text and (for members) its attest link."""
    told = told or Told()
    by_code = {item.code: item for item in plan.freshness}
    entries: list[ReminderEntry] = []
    for reminder in plan.reminders:
        item = by_code.get(reminder.member)
        to_member = reminder.member != CENTRE and reminder.kind is not Stage.ESCALATED
        link = (
            attest_url(config, key=reminder.key, member=reminder.member, issued_at=now)
            if to_member
            else None
        )
        quality_url = config.quality_url(reminder.member) if to_member else None
        links = Links(
            config.guide_url, link, config.freshness_url, quality_url, config.analytics_url
        )
        message = render(reminder, item, plan, activity, config, links, told)
        digest = reminder.kind is Stage.DIGEST and told.network is not None
        entries.append(
            _entry(
                reminder,
                message,
                now=now,
                attest_url=link,
                guide_url=config.guide_url,
                state=item.state.value if item else None,
                due_at=item.due_at if item else None,
                as_of=plan.as_of,
                quality=told.network.as_json() if digest and told.network else None,
            )
        )
    return entries


def _entry(
    planned: PlannedReminder, message: Message, *, now: datetime, **fields: Any
) -> ReminderEntry:
    """The outbox entry of ``planned`` with its rendered ``message``, due at once."""
    return ReminderEntry(
        key=planned.key,
        member=planned.member,
        cycle=planned.cycle,
        stage=planned.stage,
        kind=planned.kind.value,
        channel=planned.channel.value,
        recipient=planned.recipient,
        subject=message.subject,
        text_vi=message.text_vi,
        text_en=message.text_en,
        created_at=now,
        next_attempt_at=now,
        **fields,
    )


async def _member_quality(code: str, quality: QualitySource) -> MemberQuality | None:
    try:
        return await quality.member(code)
    except QualityUnavailable as exc:  # the reminder goes out without its quality paragraph
        log.warning("quality_unavailable", member=code, error=str(exc)[:300])
        return None


async def _network_quality(quality: QualitySource) -> NetworkQuality | None:
    try:
        return await quality.network()
    except QualityUnavailable as exc:  # the digest says the numbers could not be read
        log.warning("quality_unavailable", member="*", error=str(exc)[:300])
        return None


async def _search_week(
    plan: Plan, analytics: SearchAnalyticsSource, tz: ZoneInfo
) -> SearchWeek | None:
    first, last = week_before(plan.as_of, tz)
    try:
        return await analytics.week(first, last)
    except AnalyticsUnavailable as exc:  # the digest says so and still goes
        log.warning("analytics_unavailable", error=str(exc)[:300])
        return None


async def told_in(
    plan: Plan,
    *,
    quality: QualitySource | None,
    reminders: ReminderLog,
    analytics: SearchAnalyticsSource | None = None,
    tz: ZoneInfo,
) -> Told:
    """The numbers the plan's new mails tell: a six-month reminder carries its member's
    score and top problems, the digest the network's line and last week's, and what
    people looked for last week."""
    told = await _quality_told(plan, quality=quality, reminders=reminders)
    if analytics is None or not any(r.kind is Stage.DIGEST for r in plan.reminders):
        return told
    week = await _search_week(plan, analytics, tz)
    return replace(told, searches=week, searches_asked=True)


async def _quality_told(
    plan: Plan, *, quality: QualitySource | None, reminders: ReminderLog
) -> Told:
    if quality is None:
        return Told()
    codes = sorted({r.member for r in plan.reminders if r.kind in UPDATE_STAGES})
    slots = asyncio.Semaphore(QUALITY_REQUESTS)

    async def one(code: str) -> MemberQuality | None:
        async with slots:
            return await _member_quality(code, quality)

    found = await asyncio.gather(*(one(code) for code in codes))
    members = {code: q for code, q in zip(codes, found, strict=True) if q is not None}
    if not any(r.kind is Stage.DIGEST for r in plan.reminders):
        return Told(members=members, asked=True)
    last = await reminders.entries(member=CENTRE, status=None, stage=Stage.DIGEST, limit=1)
    previous = NetworkQuality.from_json(last[0].quality) if last else None
    network = await _network_quality(quality)
    return Told(members=members, network=network, previous=previous, asked=True)


async def evaluate(
    as_of: datetime, *, store: FreshnessStore, config: NotifyConfig
) -> tuple[Plan, list[MemberFacts]]:
    """Every member's freshness at ``as_of`` and the reminders due (nothing stored)."""
    members = await store.all_members()
    plan = domain.evaluate(members, as_of, centre_email=config.centre_email, tz=config.tz)
    return plan, members


async def plan_reminders(
    as_of: datetime,
    *,
    store: FreshnessStore,
    reminders: ReminderLog,
    config: NotifyConfig,
    dry_run: bool = False,
    quality: QualitySource | None = None,
    analytics: SearchAnalyticsSource | None = None,
) -> RunReport:
    """Evaluate at ``as_of`` and record every due reminder not yet recorded."""
    plan, members = await evaluate(as_of, store=store, config=config)
    report = RunReport(
        as_of=plan.as_of,
        evaluated=len(members),
        counts=plan.counts(),
        planned=len(plan.reminders),
        recorded=0,
    )
    if dry_run:
        report.would_send = [r.key for r in plan.reminders]
        return report
    known = await reminders.existing([r.key for r in plan.reminders])
    new = Plan(plan.as_of, plan.freshness, [r for r in plan.reminders if r.key not in known])
    activity = (
        await reminders.activity() if any(r.kind is Stage.DIGEST for r in new.reminders) else {}
    )
    told = await told_in(
        new, quality=quality, reminders=reminders, analytics=analytics, tz=config.tz
    )
    report.recorded = await reminders.record(
        entries_for(new, activity, config, datetime.now(UTC), told)
    )
    log.info("reminders_planned", as_of=plan.as_of.isoformat(), new=report.recorded)
    return report


# ---- sending ------------------------------------------------------------------------------


def webhook_body(entry: ReminderEntry) -> bytes:
    return orjson.dumps(
        {
            "type": "stinet.reminder",
            "key": entry.key,
            "member": entry.member,
            "cycle": entry.cycle,
            "stage": entry.stage,
            "kind": entry.kind,
            "state": entry.state,
            "due_at": entry.due_at.isoformat() if entry.due_at else None,
            "subject": entry.subject,
            "text_vi": entry.text_vi,
            "text_en": entry.text_en,
            "attest_url": entry.attest_url,
            "guide_url": entry.guide_url,
        }
    )


async def deliver(
    entry: ReminderEntry, *, mailer: Mailer, webhooks: WebhookSender, config: NotifyConfig
) -> None:
    """Send one entry on its channel; raises if it was not accepted."""
    if entry.channel == "webhook":
        body = webhook_body(entry)
        secret = webhook_secret(config.secret, entry.member)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: webhook_signature(secret, body),
            "X-Stinet-Delivery": entry.key,
        }
        await webhooks.post(entry.recipient, body, headers)
        return
    message_id = f"<{uuid.uuid5(uuid.NAMESPACE_URL, entry.key)}@{config.mail_domain}>"
    await mailer.send(
        OutgoingMail(
            to=entry.recipient,
            subject=entry.subject,
            text_vi=entry.text_vi,
            text_en=entry.text_en,
            message_id=message_id,
            key=entry.key,
            headers=tuple(entry.headers.items()),
        )
    )


async def still_applies(entry: ReminderEntry, *, store: FreshnessStore, tz: ZoneInfo) -> bool:
    if entry.member == CENTRE:
        return True
    member = await store.member(entry.member)
    if member is not None and entry.kind == Stage.IMPORT_REPORT:
        return member.active and member.import_reports  # a report is never out of date
    return member is not None and domain.is_current(member, entry.cycle, tz)


async def _send_one(
    entry: ReminderEntry,
    *,
    owner: str,
    store: FreshnessStore,
    reminders: ReminderLog,
    mailer: Mailer,
    webhooks: WebhookSender,
    config: NotifyConfig,
    report: DispatchReport,
    applies: Applies | None = None,
) -> None:
    # The lease counts from now, so a send waiting in this process's batch cannot outlive it.
    until = datetime.now(UTC) + timedelta(seconds=config.lease_seconds)
    if not await reminders.renew(entry.key, owner=owner, until=until):
        log.warning("reminder_lease_lost", key=entry.key)
        return
    current = (
        await applies(entry)
        if applies is not None
        else await still_applies(entry, store=store, tz=config.tz)
    )
    if not current:
        await reminders.mark_superseded(entry.key, owner=owner)
        report.superseded += 1
        return
    try:
        await deliver(entry, mailer=mailer, webhooks=webhooks, config=config)
    except Exception as exc:  # recorded on the entry, visible in GET /v1/reminders, retried
        attempts = entry.attempts
        retry_at = (
            datetime.now(UTC) + domain.retry_delay(attempts)
            if attempts < domain.MAX_ATTEMPTS
            else None
        )
        error = f"{type(exc).__name__}: {exc}"[:500]
        await reminders.mark_failed(entry.key, owner=owner, error=error, next_attempt_at=retry_at)
        log.warning("reminder_failed", key=entry.key, attempts=attempts, error=error)
        if retry_at is None:
            report.failed += 1
        else:
            report.retry += 1
        return
    if not await reminders.mark_sent(entry.key, owner=owner, at=datetime.now(UTC)):
        log.error("reminder_sent_after_lease_expired", key=entry.key)
    report.sent += 1
    log.info("reminder_sent", key=entry.key, channel=entry.channel)


async def dispatch(
    *,
    store: FreshnessStore,
    reminders: ReminderLog,
    mailer: Mailer,
    webhooks: WebhookSender,
    config: NotifyConfig,
    eager: bool = False,
    workers: int = DISPATCH_WORKERS,
    applies: Applies | None = None,
) -> DispatchReport:
    """Send every due entry once: claim (lease) → send → mark. ``eager`` retries now.

    ``applies`` says whether an entry is still wanted just before it goes (default: the
    member's reminder is still current); one that is not is marked superseded.
    """
    owner = f"{uuid.uuid4().hex[:12]}"
    started = datetime.now(UTC)
    report = DispatchReport()

    slots = asyncio.Semaphore(workers)

    async def send(entry: ReminderEntry) -> None:
        async with slots:
            await _send_one(
                entry,
                owner=owner,
                store=store,
                reminders=reminders,
                mailer=mailer,
                webhooks=webhooks,
                config=config,
                report=report,
                applies=applies,
            )

    while batch := await reminders.claim(
        owner=owner,
        now=datetime.now(UTC),
        lease_seconds=config.lease_seconds,
        started=started,
        eager=eager,
        limit=CLAIM_BATCH,
    ):
        await asyncio.gather(*(send(entry) for entry in batch))
    return report


async def publish_sent(*, reminders: ReminderLog, publisher: EventPublisher) -> int:
    """Announce every sent reminder as ``reminder.sent`` (an outbox: retried until confirmed)."""
    published = 0
    while batch := await reminders.unpublished(200):
        for entry in batch:
            await publisher.publish(
                ReminderSent(
                    key=entry.key,
                    member=entry.member if entry.member != CENTRE else "centre",
                    stage=entry.stage,
                    channel=entry.channel,
                    recipient=entry.recipient,
                )
            )
            await reminders.mark_published(entry.key)
            published += 1
    return published


async def run_reminders(
    as_of: datetime | None,
    *,
    store: FreshnessStore,
    reminders: ReminderLog,
    mailer: Mailer,
    webhooks: WebhookSender,
    publisher: EventPublisher,
    config: NotifyConfig,
    dry_run: bool = False,
    quality: QualitySource | None = None,
    analytics: SearchAnalyticsSource | None = None,
) -> RunReport:
    """Evaluate now (or as of an instant), record what is due, send it, announce it."""
    report = await plan_reminders(
        as_of or datetime.now(UTC),
        store=store,
        reminders=reminders,
        config=config,
        dry_run=dry_run,
        quality=quality,
        analytics=analytics,
    )
    if dry_run:
        return report
    report.dispatch = await dispatch(
        store=store,
        reminders=reminders,
        mailer=mailer,
        webhooks=webhooks,
        config=config,
        eager=True,
    )
    try:
        await publish_sent(reminders=reminders, publisher=publisher)
    except Exception as exc:  # the outbox keeps them: the next sweep publishes them
        log.warning("reminder_events_deferred", error=f"{type(exc).__name__}: {exc}"[:300])
    return report


# ---- the daily schedule -------------------------------------------------------------------


def daily_due(now: datetime, config: NotifyConfig) -> date | None:
    """Today's local day if its scheduled time has passed."""
    day, scheduled = domain.next_daily_run(now, config.daily_at, config.tz)
    return day if now >= scheduled else None


async def sweep(
    *,
    owner: str,
    store: FreshnessStore,
    reminders: ReminderLog,
    schedule: Schedule,
    mailer: Mailer,
    webhooks: WebhookSender,
    publisher: EventPublisher,
    config: NotifyConfig,
    now: datetime | None = None,
    quality: QualitySource | None = None,
    analytics: SearchAnalyticsSource | None = None,
) -> bool:
    """One tick: the day's evaluation once (under a lease), then due sends and events."""
    now = now or datetime.now(UTC)
    day = daily_due(now, config)
    ran = False
    if day is not None and await schedule.claim_daily(
        day.isoformat(), owner=owner, now=now, lease_seconds=config.lease_seconds
    ):
        await plan_reminders(
            now,
            store=store,
            reminders=reminders,
            config=config,
            quality=quality,
            analytics=analytics,
        )
        ran = True
    await dispatch(
        store=store, reminders=reminders, mailer=mailer, webhooks=webhooks, config=config
    )
    await publish_sent(reminders=reminders, publisher=publisher)
    if ran and day is not None:
        await schedule.finish_daily(day.isoformat(), owner=owner)
    return ran


# ---- import reports -----------------------------------------------------------------------


def finished_import(event: SubmissionCompleted) -> domain.FinishedImport:
    return domain.FinishedImport(
        submission_id=event.submission_id,
        member=event.member,
        source=event.source.value,
        total=event.total,
        stored=event.stored,
        warned=event.warned,
        rejected=event.rejected,
        submitted_at=event.submitted_at,
        file_format=event.file_format,
    )


async def record_import_report(
    event: SubmissionCompleted,
    *,
    store: FreshnessStore,
    reminders: ReminderLog,
    config: NotifyConfig,
) -> bool:
    """Put a finished import's report mail in the outbox, once per submission (a repeated
    ``submission.completed`` records nothing); False if it earns none."""
    member = await store.member(event.member)
    done = finished_import(event)
    planned = domain.import_report(member, done)
    if member is None or planned is None:
        return False
    links = Links(config.guide_url, None, config.freshness_url, config.quality_url(member.code))
    report_url = config.submission_url(member.code, done.submission_id)
    message = import_report_message(done, member.name, links, report_url, config.tz)
    now = datetime.now(UTC)
    entry = _entry(planned, message, now=now, guide_url=config.guide_url, as_of=now)
    recorded = await reminders.record([entry]) == 1
    log.info("import_report_recorded", key=entry.key, new=recorded)
    return recorded


async def report_import(
    event: SubmissionCompleted,
    *,
    store: FreshnessStore,
    reminders: ReminderLog,
    mailer: Mailer,
    webhooks: WebhookSender,
    config: NotifyConfig,
) -> None:
    """Record a finished import's report and send what is due now (the sweep retries a
    send that fails: the entry stays in the outbox)."""
    if await record_import_report(event, store=store, reminders=reminders, config=config):
        await dispatch(
            store=store, reminders=reminders, mailer=mailer, webhooks=webhooks, config=config
        )


# ---- attestation --------------------------------------------------------------------------


async def open_attest_link(
    token: str, *, reminders: ReminderLog, config: NotifyConfig
) -> AttestClaim:
    """Check a link (not counted: mail scanners follow links too); raises ``InvalidToken``,
    also for a link already used."""
    return await _unused_claim(token, reminders=reminders, config=config)


async def attest_link_seen(token: str, *, reminders: ReminderLog, config: NotifyConfig) -> None:
    """The confirmation page was shown in a browser (its script said so): count it opened."""
    claim = verify_attest_token(config.secret, token, now=datetime.now(UTC))
    await reminders.mark_opened(claim.key, datetime.now(UTC))


async def attest(
    token: str, *, store: FreshnessStore, reminders: ReminderLog, config: NotifyConfig
) -> AttestClaim:
    """ "Our information is still accurate": counts as an update, once per link; raises
    ``InvalidToken``."""
    now = datetime.now(UTC)
    claim = await _unused_claim(token, reminders=reminders, config=config)
    await store.attest(claim.member, now)
    await reminders.mark_attested(claim.key, now)
    log.info("member_attested", member=claim.member, key=claim.key)
    return claim


async def _unused_claim(token: str, *, reminders: ReminderLog, config: NotifyConfig) -> AttestClaim:
    claim = verify_attest_token(config.secret, token, now=datetime.now(UTC))
    used_at = await reminders.attested_at(claim.key)
    if used_at is not None:
        raise InvalidToken("used", used_at=used_at)
    return claim


async def attest_member(
    code: str, *, store: FreshnessStore, now: datetime | None = None
) -> Freshness | None:
    """A member's staff (signed in) confirm their information: the mailed link's effect on
    freshness. The new freshness, or None for an unknown member."""
    at = now or datetime.now(UTC)
    if not await store.attest(code, at):
        return None
    member = await store.member(code)
    if member is None:
        return None
    log.info("member_attested", member=code, via="session")
    return domain.freshness(member, at)


def freshness_at(members: list[MemberFacts], as_of: datetime) -> list[Freshness]:
    return [domain.freshness(m, as_of) for m in members]
