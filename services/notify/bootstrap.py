"""The only wiring of notify: real adapters by default, any port replaceable.

``bootstrap`` builds the process's ports (real adapters unless a test passes its own);
``create_app`` hands them to routes and subscribers and opens and closes them in the
lifespan. The same shape in every service: docs/operators/contributing.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx2
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.notify import handlers
from services.notify.adapters.catalogue import CatalogueQuality
from services.notify.adapters.mongo import MongoFreshnessStore, MongoReminderLog, MongoSchedule
from services.notify.adapters.search_analytics import SearchAnalyticsApi
from services.notify.adapters.search_api import HttpSearchApi
from services.notify.adapters.smtp import SmtpMailer
from services.notify.adapters.subscriptions import MongoSubscriptionStore
from services.notify.adapters.webhook import HttpWebhookSender
from services.notify.entrypoints import http as http_routes
from services.notify.entrypoints import subscriptions as subscription_routes
from services.notify.entrypoints.dependencies import RoutePorts
from services.notify.entrypoints.messaging import register_subscribers
from services.notify.handlers import NotifyConfig
from services.notify.ports import (
    EventPublisher,
    FreshnessStore,
    Mailer,
    NotifyPorts,
    QualitySource,
    ReminderLog,
    Schedule,
    SearchAnalyticsSource,
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
from shared.http import install_ports
from shared.logging import get_logger
from shared.mongo import Document, make_mongo_client, service_database
from shared.runtime import (
    Periodic,
    create_service_app,
    ensure_indexes,
    make_service_broker,
    mongo_ready,
)
from shared.topology import RabbitPublisher

log = get_logger("notify")
SECRET_FILE = "notify-secret"
QUALITY_TIMEOUT = 10.0  # seconds for one read of the catalogue's quality or search's analytics
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


@dataclass(frozen=True)
class Ports:
    """One notify process's clients and ports, built by :func:`bootstrap`."""

    settings: Settings
    broker: RabbitBroker
    mongo: AsyncMongoClient[Document]  # connects on first use, in the lifespan
    db: AsyncDatabase[Document]
    notify: NotifyPorts  # freshness, reminders and their mail, webhooks and events
    subscriptions: SubscriptionPorts  # saved searches and their digests
    audit: MongoAuditLog
    http: httpx2.AsyncClient | None  # catalogue's quality and search's analytics APIs

    async def open(self) -> None:
        """Create the stores' indexes (the client connects here)."""
        subs = self.subscriptions
        await ensure_indexes(self.notify.reminders, self.audit, subs.store, subs.outbox)

    async def close(self) -> None:
        for closable in (self.notify.mailer, self.notify.webhooks, self.subscriptions.search):
            close = getattr(closable, "close", None)
            if close is not None:
                await close()
        if self.http is not None:
            await self.http.aclose()
        await self.mongo.close()


def bootstrap(
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
    analytics: SearchAnalyticsSource | None = None,
) -> Ports:
    """Notify's ports: MongoDB, SMTP, webhooks over HTTP, RabbitMQ and the search API unless
    given. ``quality`` defaults to the catalogue's quality API at ``CATALOGUE_URL``,
    ``analytics`` to search's ``/v1/analytics`` at ``SEARCH_URL``, both read with the centre's
    key (none without ``STINET_ADMIN_KEY``: the digest then carries neither)."""
    broker = make_service_broker(settings)
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    http = None
    if (quality is None or analytics is None) and settings.admin_key:
        http = httpx2.AsyncClient(timeout=QUALITY_TIMEOUT)
        if quality is None:
            quality = CatalogueQuality(settings.catalogue_base_url, http, settings.admin_key)
        if analytics is None:
            analytics = SearchAnalyticsApi(settings.search_base_url, http, settings.admin_key)
    mailer = mailer or SmtpMailer(settings)
    webhooks = webhooks or HttpWebhookSender(allow_private=settings.webhook_allow_private_networks)
    return Ports(
        settings=settings,
        broker=broker,
        mongo=mongo,
        db=db,
        notify=NotifyPorts(
            store=store or MongoFreshnessStore(db),
            reminders=reminders or MongoReminderLog(db),
            schedule=schedule or MongoSchedule(db),
            mailer=mailer,
            webhooks=webhooks,
            publisher=publisher or RabbitPublisher(broker, settings),
            quality=quality,
            analytics=analytics,
        ),
        subscriptions=SubscriptionPorts(
            store=subscriptions or MongoSubscriptionStore(db),
            outbox=MongoReminderLog(db, SUBSCRIPTION_MAIL),
            search=search_api or HttpSearchApi(settings.search_base_url),
            mailer=mailer,
            webhooks=webhooks,
        ),
        audit=MongoAuditLog(db, "notify"),
        http=http,
    )


def sweep_loop(ports: Ports, config: NotifyConfig, sub_config: SubscriptionConfig) -> Periodic:
    """The daily evaluation, saved searches' digests and the retries, every
    ``NOTIFY_SWEEP_SECONDS``. It waits one interval first: the service consumes the events
    queued while it was down (and a fresh stack loads its members) before the evaluation."""
    owner = f"notify-{uuid.uuid4().hex[:8]}"
    p = ports.notify

    async def evaluate() -> None:
        await handlers.sweep(
            owner=owner,
            store=p.store,
            reminders=p.reminders,
            schedule=p.schedule,
            mailer=p.mailer,
            webhooks=p.webhooks,
            publisher=p.publisher,
            config=config,
            quality=p.quality,
            analytics=p.analytics,
        )

    async def digests() -> None:
        await run_digests(
            None, ports=ports.subscriptions, config=config, sub_config=sub_config, eager=False
        )

    return Periodic(
        "sweep",
        evaluate,
        digests,
        interval=ports.settings.notify_sweep_seconds,
        service="notify",
        wait_first=True,
        cancel_on_stop=True,
    )


def create_app(
    settings: Settings, ports: Ports | None = None, *, run_schedule: bool = True
) -> FastAPI:
    """Notify's app: consumes records/member changes, serves freshness, sends reminders, on
    ``ports`` (``bootstrap(settings)`` unless a test built its own)."""
    ports = ports or bootstrap(settings)
    config = notify_config(settings)
    sub_config = subscription_config(
        settings.stinet_public_url,
        lag_seconds=settings.notify_digest_lag_seconds,
        limit=settings.notify_subscribe_limit,
    )
    loop = sweep_loop(ports, config, sub_config)

    async def on_started() -> None:
        if run_schedule:
            loop.start()

    register_subscribers(ports.broker, settings, lambda: ports.notify, config)
    app = create_service_app(
        service="notify",
        title="stinet notify",
        settings=settings,
        broker=ports.broker,
        checks={"mongo": mongo_ready(ports.mongo)},
        on_startup=ports.open,
        on_started=on_started,
        on_stopping=loop.stop,
        on_shutdown=ports.close,
    )
    wire_service_auth(
        app,
        ports.broker,
        settings,
        service="notify",
        db=ports.db,
        member_active=lambda code: handlers.member_active(code, store=ports.notify.store),
    )
    install_audit(app, ports.audit, "notify")
    app.include_router(http_routes.router)
    app.include_router(subscription_routes.router)
    routes = RoutePorts(
        notify=ports.notify, subscriptions=ports.subscriptions, config=config, sub_config=sub_config
    )
    install_ports(app, routes)
    return app
