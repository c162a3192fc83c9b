"""The catalogue's wiring: the only place where adapters meet use cases."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import structlog
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue import handlers
from services.catalogue.adapters.broker import RabbitEventPublisher
from services.catalogue.adapters.mongo import MongoMemberStore, MongoRecordStore
from services.catalogue.entrypoints.http import (
    build_duplicates_router,
    build_ops_router,
    build_router,
)
from services.catalogue.entrypoints.messaging import register_subscribers
from services.catalogue.linkcheck import LinkChecking, LinkStore, build_link_checking
from services.catalogue.oai import build_oai_router
from services.catalogue.ports import EventPublisher, MemberStore, RecordStore
from shared.audit import MongoAuditLog, install_audit
from shared.auth import wire_service_auth
from shared.config import Settings
from shared.mongo import make_mongo_client, service_database
from shared.runtime import create_service_app, make_service_broker, mongo_ready, queue_depths


@dataclass
class _Ports:
    """The process's clients and ports, filled in the lifespan (never at import)."""

    client: AsyncMongoClient | None = None
    db: AsyncDatabase | None = None
    records: RecordStore | None = None
    members: MemberStore | None = None
    publisher: EventPublisher | None = None
    key_loading: asyncio.Task[None] | None = None
    relay: asyncio.Task[None] | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    linkcheck: LinkChecking | None = None

    def get_records(self) -> RecordStore:
        assert self.records is not None, "the catalogue has not started"
        return self.records

    def get_members(self) -> MemberStore:
        assert self.members is not None, "the catalogue has not started"
        return self.members

    def get_publisher(self) -> EventPublisher:
        assert self.publisher is not None, "the catalogue has not started"
        return self.publisher

    def get_links(self) -> LinkStore:
        """The link checker's results (the quality inbox reads broken links there)."""
        assert self.linkcheck is not None, "the link checker has not started"
        return self.linkcheck.store

    def get_db(self) -> AsyncDatabase:
        assert self.db is not None, "the catalogue has not started"
        return self.db


# A records.submitted message carries up to 500 records; a few batches overlap (reading and
# applying one while the previous one is written and the one before is announced, see
# ``pipeline``). A hundred (the shared prefetch) held ~1 GB of decoded records and made
# SecantusDB thrash.
BATCH_PREFETCH = 4
RELAY_INTERVAL = 2.0  # seconds between looks at the members' outbox
log = structlog.get_logger("catalogue")


async def _load(store: MongoRecordStore) -> None:
    try:
        await store.load()
    except Exception:  # the store is down: the first look-up or page tries again
        log.exception("key_index_load_failed")


async def _relay_loop(ports: _Ports) -> None:
    """Publish the member changes a failed publish left behind, until the process stops."""
    while not ports.stopping.is_set():
        try:
            await handlers.relay_member_changes(
                members=ports.get_members(), publisher=ports.get_publisher()
            )
        except Exception:  # the relay must outlive a broker or store outage; the outbox keeps it
            log.warning("member_outbox_relay_failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ports.stopping.wait(), RELAY_INTERVAL)


def create_app(
    settings: Settings,
    *,
    records: RecordStore | None = None,
    members: MemberStore | None = None,
    publisher: EventPublisher | None = None,
    broker: RabbitBroker | None = None,
) -> FastAPI:
    """The catalogue app: HTTP routes, the ``records.submitted`` subscriber, OAI-PMH."""
    prefetch = min(settings.stinet_prefetch, BATCH_PREFETCH)
    broker = broker or make_service_broker(
        settings.model_copy(update={"stinet_prefetch": prefetch})
    )
    ports = _Ports(records=records, members=members, publisher=publisher)
    process_id = uuid.uuid4().hex[:12]
    audit_log = MongoAuditLog(ports.get_db, "catalogue")

    async def on_startup() -> None:
        ports.client = make_mongo_client(settings)
        ports.db = service_database(ports.client, settings)
        if ports.records is None:
            store = MongoRecordStore(ports.db)
            await store.ensure_indexes()
            ports.records = store
        if ports.members is None:
            ports.members = MongoMemberStore(ports.db)
        await audit_log.ensure_indexes()
        if ports.publisher is None:
            ports.publisher = RabbitEventPublisher(broker, settings, process_id=process_id)
        ports.linkcheck = await build_link_checking(
            settings, ports.db, records=ports.get_records(), members=ports.get_members()
        )

    async def on_started() -> None:
        # Fill the key and id indexes now rather than in the first batch (see
        # ``MongoRecordStore.load``): after the broker started, so the indexes'
        # records.changed queue is bound before the store is read.
        if isinstance(ports.records, MongoRecordStore):
            ports.key_loading = asyncio.create_task(_load(ports.records))
        ports.stopping.clear()
        ports.relay = asyncio.create_task(_relay_loop(ports))
        if settings.linkcheck_enabled and ports.linkcheck is not None:
            ports.linkcheck.sweep.start()

    async def on_stopping() -> None:
        ports.stopping.set()
        if ports.linkcheck is not None:
            await ports.linkcheck.sweep.stop()
        if ports.relay is not None:
            await ports.relay

    async def on_shutdown() -> None:
        if ports.key_loading is not None:
            ports.key_loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ports.key_loading
        if ports.linkcheck is not None:
            await ports.linkcheck.close()
        if ports.client is not None:
            await ports.client.close()

    async def mongo_check() -> bool:
        assert ports.client is not None
        return await mongo_ready(ports.client)()

    register_subscribers(
        broker,
        settings,
        process_id=process_id,
        records=ports.get_records,
        members=ports.get_members,
        publisher=ports.get_publisher,
    )
    app = create_service_app(
        service="catalogue",
        title="stinet catalogue",
        settings=settings,
        broker=broker,
        checks={"mongo": mongo_check},
        on_startup=on_startup,
        on_started=on_started,
        on_stopping=on_stopping,
        on_shutdown=on_shutdown,
    )
    app.include_router(
        build_router(
            records=ports.get_records,
            members=ports.get_members,
            publisher=ports.get_publisher,
            links=ports.get_links,
        )
    )
    wire_service_auth(app, broker, settings, service="catalogue", get_db=ports.get_db)
    install_audit(app, audit_log, "catalogue")
    app.include_router(
        build_duplicates_router(records=ports.get_records, publisher=ports.get_publisher)
    )
    app.include_router(build_ops_router(queue_depths=lambda: queue_depths(broker, settings)))
    app.include_router(build_oai_router(settings=settings, get_db=ports.get_db))
    return app
