"""Use cases of saved searches: subscribe, confirm, send the digests, unsubscribe.

Every mail goes through a send-once outbox (the reminders' ``ReminderLog`` state machine,
its own collection): recorded first under a key that names its period, then claimed, sent
and marked, so a retry or a second notify process never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import structlog
from limits import parse

from services.notify import handlers
from services.notify.handlers import NotifyConfig
from services.notify.ports import (
    Mailer,
    ReminderEntry,
    ReminderLog,
    SearchApi,
    SearchUnavailable,
    SubscriptionStore,
    WebhookSender,
)
from services.notify.signing import InvalidToken, sign_claims, verify_claims
from services.notify.subscriptions import (
    CONFIRM_TTL,
    DIGEST_ITEMS,
    PURPOSE_CONFIRM,
    PURPOSE_UNSUBSCRIBE,
    SUBSCRIBER,
    Frequency,
    Mail,
    Status,
    SubscribeRequest,
    Subscription,
    SubscriptionLinks,
    address_key,
    confirm_mail,
    digest_mail,
    last_period_end,
    period_end_after,
    portal_links,
    subscription_id,
    unsubscribe_headers,
)

log = structlog.get_logger("notify.subscriptions")
DUE_BATCH = 200


@dataclass(frozen=True)
class SubscriptionConfig:
    """What saved searches need besides notify's own configuration."""

    portal_url: str  # the public search portal (record pages, results, feeds)
    lag: timedelta  # a period's digest waits this long: late-indexed records make it in
    limit_amount: int  # confirmation requests per address ...
    limit_seconds: int  # ... per this many seconds


def subscription_config(portal_url: str, *, lag_seconds: float, limit: str) -> SubscriptionConfig:
    """``limit`` in the ``limits`` syntax (``5/hour``), like ``INGEST_RATE_LIMIT``."""
    item = parse(limit)
    return SubscriptionConfig(
        portal_url=portal_url.rstrip("/"),
        lag=timedelta(seconds=lag_seconds),
        limit_amount=item.amount,
        limit_seconds=item.get_expiry(),
    )


@dataclass(frozen=True)
class SubscriptionPorts:
    store: SubscriptionStore
    outbox: ReminderLog
    search: SearchApi
    mailer: Mailer
    webhooks: WebhookSender


class TooManyRequests(Exception):
    """This address asked too often; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many subscription requests")
        self.retry_after = retry_after


@dataclass
class DigestReport:
    due: int = 0
    recorded: int = 0
    empty: int = 0
    deferred: int = 0
    dispatch: handlers.DispatchReport = field(default_factory=handlers.DispatchReport)


def sid_of(entry: ReminderEntry) -> str:
    return entry.member.removeprefix(SUBSCRIBER)


def _entry(
    key: str, sub: Subscription, stage: str, mail: Mail, now: datetime, headers: dict[str, str]
) -> ReminderEntry:
    return ReminderEntry(
        key=key,
        member=SUBSCRIBER + sub.id,
        cycle=key.rsplit(":", 1)[-1],
        stage=stage,
        kind="subscription",
        channel="email",
        recipient=sub.email,
        subject=mail.subject,
        text_vi=mail.text_vi,
        text_en=mail.text_en,
        as_of=now,
        created_at=now,
        next_attempt_at=now,
        headers=headers,
    )


def confirm_url(
    config: NotifyConfig, sub: Subscription, frequency: Frequency, lang: str, now: datetime
) -> str:
    expires = int((now + CONFIRM_TTL).timestamp())
    claims: dict[str, object] = {"s": sub.id, "f": frequency.value, "l": lang, "e": expires}
    token = sign_claims(config.secret, PURPOSE_CONFIRM, claims)
    return f"{config.public_url}/v1/subscriptions/confirm?token={quote(token)}"


def unsubscribe_url(config: NotifyConfig, sid: str) -> str:
    token = sign_claims(config.secret, PURPOSE_UNSUBSCRIBE, {"s": sid})
    return f"{config.public_url}/v1/subscriptions/unsubscribe?token={quote(token)}"


async def _within_limit(
    email: str,
    *,
    store: SubscriptionStore,
    config: NotifyConfig,
    sub_config: SubscriptionConfig,
    now: datetime,
) -> None:
    span = sub_config.limit_seconds
    window = int(now.timestamp()) // span
    count = await store.count_request(
        address_key(config.secret, email),
        window=str(window),
        expires_at=datetime.fromtimestamp((window + 1) * span, UTC),
    )
    if count > sub_config.limit_amount:
        raise TooManyRequests(retry_after=(window + 1) * span - int(now.timestamp()))


async def subscribe(
    request: SubscribeRequest,
    *,
    ports: SubscriptionPorts,
    config: NotifyConfig,
    sub_config: SubscriptionConfig,
    now: datetime | None = None,
) -> None:
    """Record the request and send the confirmation mail (the same answer whatever the state,
    so the form never tells who follows what); raises ``TooManyRequests``."""
    now = now or datetime.now(UTC)
    await _within_limit(
        request.email, store=ports.store, config=config, sub_config=sub_config, now=now
    )
    search = request.search()
    asked = Subscription(
        id=subscription_id(config.secret, request.email, search),
        email=request.email,
        search=search,
        frequency=request.frequency,
        lang=request.lang,
        status=Status.PENDING,
        requested_at=now,
    )
    sub = await ports.store.request(asked)
    link = confirm_url(config, sub, request.frequency, request.lang, now)
    mail = confirm_mail(search, request.frequency, request.lang, link, config.tz)
    key = f"sub:{sub.id}:confirm:{now.isoformat()}"
    await ports.outbox.record([_entry(key, sub, "confirm", mail, now, {})])
    log.info("subscription_requested", subscription=sub.id, frequency=request.frequency.value)
    await send_due(ports=ports, config=config)


@dataclass(frozen=True)
class Confirmed:
    subscription: Subscription
    unsubscribe_url: str


async def confirm(
    token: str, *, store: SubscriptionStore, config: NotifyConfig, now: datetime | None = None
) -> Confirmed:
    """Activate the subscription a confirmation link names; raises ``InvalidToken``."""
    now = now or datetime.now(UTC)
    sid, frequency, lang = confirm_claim(token, config=config, now=now)
    due = period_end_after(now, frequency, config.tz, config.daily_at)
    sub = await store.activate(sid, frequency=frequency, lang=lang, now=now, due_at=due)
    if sub is None:
        raise InvalidToken("expired")  # never confirmed in time, and forgotten since
    log.info("subscription_confirmed", subscription=sid)
    return Confirmed(sub, unsubscribe_url(config, sid))


def confirm_claim(
    token: str, *, config: NotifyConfig, now: datetime | None = None
) -> tuple[str, Frequency, str]:
    """The subscription, frequency and language a confirmation link names (nothing is
    changed); raises ``InvalidToken`` for a forged, altered or expired link."""
    claims = verify_claims(config.secret, PURPOSE_CONFIRM, token, now=now or datetime.now(UTC))
    try:
        return str(claims["s"]), Frequency(claims["f"]), str(claims["l"])
    except (KeyError, ValueError) as exc:
        raise InvalidToken("malformed") from exc


def unsubscribe_claim(token: str, *, config: NotifyConfig) -> str:
    """The subscription an unsubscribe link names; raises ``InvalidToken``."""
    claims = verify_claims(config.secret, PURPOSE_UNSUBSCRIBE, token, now=datetime.now(UTC))
    if not isinstance(claims.get("s"), str):
        raise InvalidToken("malformed")
    return claims["s"]


async def unsubscribe(
    token: str, *, store: SubscriptionStore, outbox: ReminderLog, config: NotifyConfig
) -> bool:
    """Delete the subscription and the mails sent for it (the address and the search are
    forgotten); True if it existed."""
    sid = unsubscribe_claim(token, config=config)
    existed = await store.delete(sid)
    mails = await outbox.forget(SUBSCRIBER + sid)
    log.info("subscription_deleted", subscription=sid, existed=existed, mails=mails)
    return existed


# ---- digests ------------------------------------------------------------------------------


def links_for(
    sub: Subscription, config: NotifyConfig, sub_config: SubscriptionConfig
) -> SubscriptionLinks:
    portal, feed = portal_links(sub_config.portal_url, sub.search)
    lang = "?lang=en" if sub.lang == "en" else ""
    return SubscriptionLinks(
        portal=portal + ("&lang=en" if lang else ""),
        feed=feed,
        unsubscribe=unsubscribe_url(config, sub.id),
        record=f"{sub_config.portal_url}/records/",
    )


async def plan_digest(
    sub: Subscription,
    *,
    upto: datetime,
    ports: SubscriptionPorts,
    config: NotifyConfig,
    sub_config: SubscriptionConfig,
    now: datetime,
    report: DigestReport,
) -> None:
    """One subscription's digest for the periods ended by ``upto``: recorded if anything is
    new, then the period moved on. The key names the period, so a rerun records nothing."""
    assert sub.due_at is not None and sub.watermark is not None
    end = last_period_end(sub.due_at, upto, sub.frequency, config.tz, config.daily_at)
    try:
        added = await ports.search.added(
            sub.search, since=sub.watermark, before=end, limit=DIGEST_ITEMS
        )
    except SearchUnavailable as exc:
        report.deferred += 1
        log.warning("digest_deferred", subscription=sub.id, error=str(exc)[:300])
        return
    if added.total:
        links = links_for(sub, config, sub_config)
        mail = digest_mail(sub, added, since=sub.watermark, until=end, links=links, tz=config.tz)
        key = f"sub:{sub.id}:digest:{end.isoformat()}"
        headers = unsubscribe_headers(links.unsubscribe)
        report.recorded += await ports.outbox.record(
            [_entry(key, sub, "digest", mail, now, headers)]
        )
    else:
        report.empty += 1
    following = period_end_after(end, sub.frequency, config.tz, config.daily_at)
    await ports.store.advance(sub.id, due_at=sub.due_at, watermark=end, next_due=following)


async def still_wanted(entry: ReminderEntry, *, store: SubscriptionStore) -> bool:
    """A confirmation while the request is kept, a digest while the subscription is active."""
    sub = await store.get(sid_of(entry))
    if sub is None:
        return False
    return entry.stage == "confirm" or sub.status is Status.ACTIVE


async def send_due(
    *, ports: SubscriptionPorts, config: NotifyConfig, eager: bool = True
) -> handlers.DispatchReport:
    """Send what the outbox holds (an unsubscribed search's digest is superseded)."""

    async def applies(entry: ReminderEntry) -> bool:
        return await still_wanted(entry, store=ports.store)

    return await handlers.dispatch(
        store=None,  # type: ignore[arg-type]  # ``applies`` replaces the member check
        reminders=ports.outbox,
        mailer=ports.mailer,
        webhooks=ports.webhooks,
        config=config,
        eager=eager,
        applies=applies,
    )


async def run_digests(
    as_of: datetime | None,
    *,
    ports: SubscriptionPorts,
    config: NotifyConfig,
    sub_config: SubscriptionConfig,
    eager: bool = True,
) -> DigestReport:
    """Every digest whose period ended (``as_of``: move the clock, for tests and drills),
    then every mail due; forget requests never confirmed."""
    now = as_of or datetime.now(UTC)
    upto = now - sub_config.lag
    report = DigestReport()
    while batch := await ports.store.due(upto, DUE_BATCH):
        report.due += len(batch)
        before = report.deferred
        for sub in batch:
            await plan_digest(
                sub,
                upto=upto,
                ports=ports,
                config=config,
                sub_config=sub_config,
                now=now,
                report=report,
            )
        if report.deferred - before == len(batch):
            break  # search is down: the next sweep tries again
    report.dispatch = await send_due(ports=ports, config=config, eager=eager)
    await ports.store.purge_pending(now - CONFIRM_TTL)
    if report.due:
        log.info("digests_planned", due=report.due, recorded=report.recorded, empty=report.empty)
    return report
