"""The only wiring of notify: real adapters by default, any port replaceable."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from zoneinfo import ZoneInfo

import httpx2
from fastapi import FastAPI

from services.notify import handlers
from services.notify.adapters.catalogue import CatalogueQuality
from services.notify.adapters.events import BrokerPublisher
from services.notify.adapters.mongo import MongoFreshnessStore, MongoReminderLog, MongoSchedule
from services.notify.adapters.search_api import HttpSearchApi
from services.notify.adapters.smtp import SmtpMailer
from services.notify.adapters.subscriptions import MongoSubscriptionStore
from services.notify.adapters.webhook import HttpWebhookSender
from services.notify.entrypoints.http import make_router
from services.notify.entrypoints.messaging import register_subscribers
from services.notify.entrypoints.subscriptions import make_subscription_router
from services.notify.handlers import NotifyConfig
from services.notify.ports import (
    EventPublisher,
    FreshnessStore,
    Mailer,
    NotifyPorts,
    QualitySource,
    ReminderLog,
    Schedule,
    SearchApi,
    SubscriptionStore,
    WebhookSender,
)
from services.notify.signing import derive_key
from services.notify.subscription_handlers import (
    SubscriptionConfig,
    SubscriptionPorts,
    run_digests,
    subscription_config,
)
from shared.audit import MongoAuditLog, install_audit
from shared.auth import wire_service_auth
from shared.config import Settings, stored_secret
from shared.logging import get_logger
from shared.mongo import make_mongo_client, service_database
from shared.runtime import create_service_app, make_service_broker, mongo_ready

log = get_logger("notify")
SECRET_FILE = "notify-secret"
QUALITY_TIMEOUT = 10.0  # seconds for one read of the catalogue's quality API
SUBSCRIPTION_MAIL = "notify_subscription_mail"  # the saved searches' send-once outbox


def signing_secret(settings: Settings) -> bytes:
    """Derived from the centre's key, else a random secret kept in ``STINET_DATA_DIR``."""
    if settings.admin_key:
        return derive_key(settings.admin_key.encode(), "stinet-notify-signing-v1")
    # The file holds 64 hex digits; its 32 bytes are the key (links already mailed stay valid).
    return bytes.fromhex(stored_secret(None, settings.stinet_data_dir, SECRET_FILE).decode())


def notify_config(settings: Settings) -> NotifyConfig:
    public = (settings.notify_public_url or f"http://127.0.0.1:{settings.notify_port}").rstrip("/")
    return NotifyConfig(
        centre_email=settings.centre_email,
        tz=ZoneInfo(settings.notify_timezone),
        public_url=public,
        guide_url=f"{settings.stinet_public_url.rstrip('/')}/huong-dan/",
        console_url=f"{settings.stinet_public_url.rstrip('/')}/console",
        secret=signing_secret(settings),
        mail_domain=settings.smtp_from.rpartition("@")[2] or "stinet.local",
        lease_seconds=settings.notify_lease_seconds,
        daily_at=settings.notify_daily_at,
    )


class SweepLoop:
    """The daily evaluation, saved searches' digests and the retries, every
    ``NOTIFY_SWEEP_SECONDS``; stopped cleanly."""

    def __init__(
        self,
        ports: NotifyPorts,
        config: NotifyConfig,
        interval: float,
        subscriptions: tuple[SubscriptionPorts, SubscriptionConfig] | None = None,
    ) -> None:
        self._ports = ports
        self._subscriptions = subscriptions
        self._config = config
        self._interval = interval
        self._owner = f"notify-{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        p = self._ports
        await handlers.sweep(
            owner=self._owner,
            store=p.store,
            reminders=p.reminders,
            schedule=p.schedule,
            mailer=p.mailer,
            webhooks=p.webhooks,
            publisher=p.publisher,
            config=self._config,
            quality=p.quality,
        )

    async def _digests(self) -> None:
        if self._subscriptions is not None:
            ports, sub_config = self._subscriptions
            await run_digests(
                None, ports=ports, config=self._config, sub_config=sub_config, eager=False
            )

    async def _run(self) -> None:
        # Wait one interval first: the service consumes the events queued while it was down
        # (and a fresh stack loads its members) before the day's evaluation.
        while True:
            await asyncio.sleep(self._interval)
            for step in (self._tick, self._digests):
                try:
                    await step()
                except Exception:  # the loop outlives a bad tick; the next tick retries
                    log.exception("sweep_failed", owner=self._owner, step=step.__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def create_app(
    settings: Settings,
    *,
    store: FreshnessStore | None = None,
    reminders: ReminderLog | None = None,
    schedule: Schedule | None = None,
    mailer: Mailer | None = None,
    webhooks: WebhookSender | None = None,
    publisher: EventPublisher | None = None,
    quality: QualitySource | None = None,
    subscriptions: SubscriptionStore | None = None,
    search_api: SearchApi | None = None,
    run_schedule: bool = True,
) -> FastAPI:
    """Notify's app: consumes records/member changes, serves freshness, sends reminders.

    ``quality`` defaults to the catalogue's quality API at ``CATALOGUE_URL`` read with the
    centre's key (none without ``STINET_ADMIN_KEY``: the mails then carry no scores)."""
    broker = make_service_broker(settings)
    config = notify_config(settings)
    sub_config = subscription_config(
        settings.stinet_public_url,
        lag_seconds=settings.notify_digest_lag_seconds,
        limit=settings.notify_subscribe_limit,
    )
    client = make_mongo_client(settings)
    state: dict[str, object] = {}
    audit_log = MongoAuditLog(lambda: service_database(client, settings), "notify")

    def ports() -> NotifyPorts:
        return state["ports"]  # type: ignore[return-value]

    def subscription_ports() -> SubscriptionPorts:
        return state["subscriptions"]  # type: ignore[return-value]

    async def on_startup() -> None:
        db = service_database(client, settings)
        log_store = reminders or MongoReminderLog(db)
        if isinstance(log_store, MongoReminderLog):
            await log_store.ensure_indexes()
        await audit_log.ensure_indexes()
        source = quality
        if source is None and settings.admin_key:
            http = httpx2.AsyncClient(timeout=QUALITY_TIMEOUT)
            state["http"] = http
            source = CatalogueQuality(settings.catalogue_base_url, http, settings.admin_key)
        state["ports"] = NotifyPorts(
            store=store or MongoFreshnessStore(db),
            reminders=log_store,
            schedule=schedule or MongoSchedule(db),
            mailer=mailer or SmtpMailer(settings),
            webhooks=webhooks
            or HttpWebhookSender(allow_private=settings.webhook_allow_private_networks),
            publisher=publisher or BrokerPublisher(broker, settings),
            quality=source,
        )
        sub_store = subscriptions or MongoSubscriptionStore(db)
        if isinstance(sub_store, MongoSubscriptionStore):
            await sub_store.ensure_indexes()
        outbox = MongoReminderLog(db, SUBSCRIPTION_MAIL)
        await outbox.ensure_indexes()
        p = state["ports"]
        assert isinstance(p, NotifyPorts)
        state["subscriptions"] = SubscriptionPorts(
            store=sub_store,
            outbox=outbox,
            search=search_api or HttpSearchApi(settings.search_base_url),
            mailer=p.mailer,
            webhooks=p.webhooks,
        )

    async def on_started() -> None:
        if run_schedule:
            loop = SweepLoop(
                ports(),
                config,
                settings.notify_sweep_seconds,
                (subscription_ports(), sub_config),
            )
            loop.start()
            state["loop"] = loop

    async def on_stopping() -> None:
        loop = state.pop("loop", None)
        if isinstance(loop, SweepLoop):
            await loop.stop()

    async def on_shutdown() -> None:
        p = state.get("ports")
        if isinstance(p, NotifyPorts):
            subs = state.get("subscriptions")
            search = subs.search if isinstance(subs, SubscriptionPorts) else None
            for closable in (p.mailer, p.webhooks, search):
                close = getattr(closable, "close", None)
                if close is not None:
                    await close()
        http = state.pop("http", None)
        if isinstance(http, httpx2.AsyncClient):
            await http.aclose()
        await client.close()

    register_subscribers(broker, settings, ports, config)
    app = create_service_app(
        service="notify",
        title="stinet notify",
        settings=settings,
        broker=broker,
        checks={"mongo": mongo_ready(client)},
        on_startup=on_startup,
        on_started=on_started,
        on_stopping=on_stopping,
        on_shutdown=on_shutdown,
    )
    wire_service_auth(
        app, broker, settings, service="notify", get_db=lambda: service_database(client, settings)
    )
    install_audit(app, audit_log, "notify")
    app.include_router(make_router(ports, config))
    app.include_router(make_subscription_router(subscription_ports, config, sub_config))
    return app
