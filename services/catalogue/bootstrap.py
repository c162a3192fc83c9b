"""The catalogue's wiring: the only place where adapters meet use cases.

``bootstrap`` builds the process's ports (real adapters unless a test passes its own);
``create_app`` hands them to routes and subscribers and opens and closes them in the
lifespan. The same shape in every service: docs/operators/contributing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue import handlers
from services.catalogue.adapters.embedded_store import EmbeddedRecordStore
from services.catalogue.adapters.link_checker import HttpLinkChecker
from services.catalogue.adapters.linkcheck_store import FeedChangedRecords, MongoLinkStore
from services.catalogue.adapters.mongo import MongoMemberStore, MongoRecordStore
from services.catalogue.adapters.oai_store import MongoOaiRecords
from services.catalogue.entrypoints import http as http_routes
from services.catalogue.entrypoints import oai as oai_routes
from services.catalogue.entrypoints.dependencies import OaiPorts, RoutePorts
from services.catalogue.entrypoints.messaging import register_subscribers
from services.catalogue.linkcheck.politeness import HostSchedule
from services.catalogue.linkcheck.sweep import LinkSweep, sweep_config
from services.catalogue.oai import render
from services.catalogue.oai.config import OaiSettings, oai_base_url, token_key
from services.catalogue.oai.domain import TokenCodec
from services.catalogue.oai.provider import OaiProvider
from services.catalogue.ports import (
    ChangedRecords,
    EventPublisher,
    LinkChecker,
    LinkStore,
    MemberStore,
    OaiRecords,
    RecordStore,
)
from shared.audit import MongoAuditLog, install_audit
from shared.auth import wire_service_auth
from shared.config import Settings
from shared.http import install_ports
from shared.mongo import Document, make_mongo_client, service_database
from shared.runtime import (
    Periodic,
    create_service_app,
    ensure_indexes,
    make_service_broker,
    mongo_ready,
    queue_depths,
)
from shared.topology import RabbitPublisher

# A records.submitted message carries up to 500 records; a few batches overlap (reading and
# applying one while the previous one is written and the one before is announced, see
# ``pipeline``). A hundred (the shared prefetch) held ~1 GB of decoded records and made
# SecantusDB thrash.
BATCH_PREFETCH = 4
RELAY_INTERVAL = 2.0  # seconds between looks at the members' outbox
log = structlog.get_logger("catalogue")


@dataclass(frozen=True)
class Ports:
    """One catalogue process's clients and ports, built by :func:`bootstrap`."""

    settings: Settings
    broker: RabbitBroker
    mongo: AsyncMongoClient[Document]  # connects on first use, in the lifespan
    db: AsyncDatabase[Document]
    process_id: str  # names this process's own records.changed, so it can skip them
    records: RecordStore
    members: MemberStore
    publisher: EventPublisher
    links: LinkStore
    changed_records: ChangedRecords  # what the link checker reads to learn of changes
    link_checker: LinkChecker
    oai: OaiRecords
    audit: MongoAuditLog

    async def open(self) -> None:
        """Create the stores' indexes (the client connects here)."""
        await ensure_indexes(self.records, self.audit, self.links)

    async def close(self) -> None:
        await self.link_checker.close()
        await self.mongo.close()


def bootstrap(
    settings: Settings,
    *,
    records: RecordStore | None = None,
    members: MemberStore | None = None,
    publisher: EventPublisher | None = None,
    links: LinkStore | None = None,
    link_checker: LinkChecker | None = None,
    oai: OaiRecords | None = None,
) -> Ports:
    """The catalogue's ports: MongoDB stores and the RabbitMQ publisher unless given."""
    prefetch = min(settings.stinet_prefetch, BATCH_PREFETCH)
    broker = make_service_broker(settings.model_copy(update={"stinet_prefetch": prefetch}))
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    process_id = uuid.uuid4().hex[:12]
    records = records or record_store(db, settings)
    members = members or MongoMemberStore(db)
    return Ports(
        settings=settings,
        broker=broker,
        mongo=mongo,
        db=db,
        process_id=process_id,
        records=records,
        members=members,
        publisher=publisher or RabbitPublisher(broker, settings, origin=process_id),
        links=links or MongoLinkStore(db),
        changed_records=FeedChangedRecords(db),
        link_checker=link_checker or http_link_checker(settings),
        oai=oai or MongoOaiRecords(db),
        audit=MongoAuditLog(db, "catalogue"),
    )


def record_store(db: AsyncDatabase[Document], settings: Settings) -> MongoRecordStore:
    """MongoDB's own indexes; the embedded SecantusDB's shape (in-memory key and id indexes,
    see ``adapters.embedded_store``) when ``MONGO_EMBEDDED`` says the store is SecantusDB."""
    if settings.mongo_embedded:
        return EmbeddedRecordStore(db)
    return MongoRecordStore(db)


def http_link_checker(settings: Settings) -> HttpLinkChecker:
    """Links checked over HTTP at each host's pace (``LINKCHECK_*``), SSRF-safe unless
    ``LINKCHECK_ALLOW_PRIVATE_NETWORKS``."""
    schedule = HostSchedule(
        interval=settings.linkcheck_per_host_seconds,
        concurrency=settings.linkcheck_concurrency,
    )
    return HttpLinkChecker(
        schedule=schedule,
        timeout=settings.linkcheck_timeout_seconds,
        allow_private=settings.linkcheck_allow_private_networks,
    )


def link_sweep(ports: Ports) -> LinkSweep:
    """The link checker's loop over the process's ports (started in the lifespan)."""
    return LinkSweep(
        links=ports.links,
        changed=ports.changed_records,
        records=ports.records,
        members=ports.members,
        checker=ports.link_checker,
        config=sweep_config(ports.settings),
    )


def oai_provider(
    settings: Settings, records: OaiRecords, oai_settings: OaiSettings | None = None
) -> OaiProvider:
    """The OAI-PMH provider over ``records``, described by ``OAI_*`` (unless given)."""
    oai = oai_settings or OaiSettings()
    return OaiProvider(
        store=records,
        info=render.RepositoryInfo(
            name=oai.repository_name,
            base_url=oai_base_url(settings, oai),
            domain=oai.repository_domain,
            admin_emails=(oai.admin_email or settings.centre_email,),
        ),
        tokens=TokenCodec(token_key(settings), timedelta(days=oai.token_ttl_days)),
        page_size=oai.page_size,
        sets_enabled=oai.sets_enabled,
    )


async def _load(store: EmbeddedRecordStore) -> None:
    try:
        await store.load()
    except Exception:  # the store is down: the first look-up or page tries again
        log.exception("key_index_load_failed")


class _KeyLoading:
    """Fills the embedded record store's key and id indexes in the background (see
    ``EmbeddedRecordStore.load``), cancelled if the process stops first."""

    def __init__(self, records: RecordStore) -> None:
        self._records = records
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if isinstance(self._records, EmbeddedRecordStore):
            self._task = asyncio.create_task(_load(self._records))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def create_app(settings: Settings, ports: Ports | None = None) -> FastAPI:
    """The catalogue app: HTTP routes, the ``records.submitted`` subscriber, OAI-PMH, on
    ``ports`` (``bootstrap(settings)`` unless a test built its own)."""
    ports = ports or bootstrap(settings)
    broker = ports.broker
    key_loading = _KeyLoading(ports.records)
    sweep = link_sweep(ports)

    async def relay() -> None:
        """Publish the member changes a failed publish left behind."""
        await handlers.relay_member_changes(members=ports.members, publisher=ports.publisher)

    relay_loop = Periodic(
        "member_outbox_relay", relay, interval=RELAY_INTERVAL, service="catalogue"
    )

    async def on_started() -> None:
        # Fill the key and id indexes now rather than in the first batch: after the broker
        # started, so the indexes' records.changed queue is bound before the store is read.
        key_loading.start()
        relay_loop.start()
        if settings.linkcheck_enabled:
            sweep.start()

    async def on_stopping() -> None:
        await sweep.stop()
        await relay_loop.stop()

    async def on_shutdown() -> None:
        await key_loading.stop()
        await ports.close()

    register_subscribers(
        broker,
        settings,
        process_id=ports.process_id,
        records=lambda: ports.records,
        members=lambda: ports.members,
        publisher=lambda: ports.publisher,
        follow_others=isinstance(ports.records, EmbeddedRecordStore),
    )
    app = create_service_app(
        service="catalogue",
        title="stinet catalogue",
        settings=settings,
        broker=broker,
        checks={"mongo": mongo_ready(ports.mongo)},
        on_startup=ports.open,
        on_started=on_started,
        on_stopping=on_stopping,
        on_shutdown=on_shutdown,
    )
    app.include_router(http_routes.router)
    wire_service_auth(
        app,
        broker,
        settings,
        service="catalogue",
        db=ports.db,
        member_active=lambda code: handlers.member_active(code, members=ports.members),
    )
    install_audit(app, ports.audit, "catalogue")
    app.include_router(http_routes.duplicates_router)
    app.include_router(http_routes.ops_router)
    app.include_router(oai_routes.router)
    install_ports(
        app,
        RoutePorts(
            records=ports.records,
            members=ports.members,
            publisher=ports.publisher,
            links=ports.links,
            queue_depths=lambda: queue_depths(broker, settings),
        ),
        OaiPorts(provider=oai_provider(settings, ports.oai)),
    )
    return app
