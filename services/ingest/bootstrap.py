"""The only wiring of ingest: stores, broker, routes, subscribers, the outbox relay, harvest."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.ingest import handlers
from services.ingest.adapters.mongo import (
    MongoKeyRevocations,
    MongoKeyStore,
    MongoMemberDirectory,
    MongoSubmissionStore,
    ensure_indexes,
)
from services.ingest.adapters.rabbit import RabbitBatchPublisher
from services.ingest.entrypoints.http import IngestPorts, build_router, install_store_down_handler
from services.ingest.entrypoints.messaging import register_subscribers
from services.ingest.formats import ParsedRow
from services.ingest.harvest import build_harvest
from services.ingest.ports import BatchPublisher, KeyStore, MemberDirectory, SubmissionStore
from shared.audit import MongoAuditLog, install_audit
from shared.auth import Authenticator, Caller, install_authenticator, session_signer
from shared.config import PEPPER_FILE, Settings, stored_secret
from shared.events import SubmittedItem
from shared.http import install_cors
from shared.logging import get_logger
from shared.mongo import make_mongo_client, service_database
from shared.records import Source
from shared.runtime import create_service_app, make_service_broker, mongo_ready

log = get_logger("ingest")
RELAY_INTERVAL = 2.0


@dataclass
class _Process:
    """What the lifespan opens and closes."""

    client: AsyncMongoClient | None = None
    db: AsyncDatabase | None = None
    pepper: bytes = b""
    relay: asyncio.Task[None] | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def get_db(self) -> AsyncDatabase:
        if self.db is None:
            raise RuntimeError("ingest: the database is not open yet")
        return self.db


async def _relay_loop(
    state: _Process, submissions: SubmissionStore, keys: KeyStore, publisher: BatchPublisher
) -> None:
    while not state.stopping.is_set():
        try:
            await handlers.relay_once(submissions=submissions, publisher=publisher)
            await handlers.relay_keys(keys=keys, publisher=publisher)
        except Exception:  # the relay must outlive a store outage; the outbox keeps the data
            log.exception("outbox_relay_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stopping.wait(), RELAY_INTERVAL)


def create_app(
    settings: Settings,
    *,
    keys: KeyStore | None = None,
    members: MemberDirectory | None = None,
    submissions: SubmissionStore | None = None,
    publisher: BatchPublisher | None = None,
    rate_limit: str | None = None,
) -> FastAPI:
    """The ingest service: HTTP API, subscribers, outbox relay and the OAI-PMH harvester."""
    state = _Process()
    broker = make_service_broker(settings)
    keys = keys or MongoKeyStore(state.get_db)
    members = members or MongoMemberDirectory(state.get_db)
    submissions = submissions or MongoSubmissionStore(state.get_db)
    publisher = publisher or RabbitBatchPublisher(broker, settings)
    register_subscribers(
        broker, settings, members=members, submissions=submissions, publisher=publisher
    )
    audit_log = MongoAuditLog(state.get_db, "ingest")

    async def verify_key(token: str) -> Caller:
        key, _ = await handlers.authenticate(token, keys=keys, members=members, pepper=state.pepper)
        return handlers.caller_of(key)

    authenticator = Authenticator(
        root_key=settings.admin_key,
        signer=session_signer(settings),
        revoked=MongoKeyRevocations(state.get_db),
        keys=verify_key,
    )

    async def submit(
        *,
        member: str,
        items: list[SubmittedItem],
        source: Source,
        correlation_id: str | None = None,
    ) -> str:
        """Store a submission and publish its batches; the id once every batch is confirmed."""
        receipt = await handlers.receive(
            (ParsedRow(item.index, item) for item in items),
            member=member,
            source=source,
            submissions=submissions,
            publisher=publisher,
            max_records=max(len(items), 1),
            correlation_id=correlation_id,
        )
        return receipt.submission.id

    harvest = build_harvest(
        settings=settings,
        get_db=state.get_db,
        submit=submit,
    )

    async def on_startup() -> None:
        state.client = make_mongo_client(settings)
        state.db = service_database(state.client, settings)
        # The server pepper: from settings, else generated once into STINET_DATA_DIR (0600).
        state.pepper = stored_secret(
            settings.stinet_key_pepper, settings.stinet_data_dir, PEPPER_FILE
        )
        await ensure_indexes(state.db)
        await audit_log.ensure_indexes()

    async def on_started() -> None:
        state.stopping.clear()
        state.relay = asyncio.create_task(_relay_loop(state, submissions, keys, publisher))
        await harvest.start()

    async def on_stopping() -> None:
        await harvest.stop()
        state.stopping.set()
        if state.relay is not None:
            await state.relay

    async def on_shutdown() -> None:
        if state.client is not None:
            await state.client.close()

    async def mongo_check() -> bool:
        if state.client is None:
            return False
        return await mongo_ready(state.client)()

    app = create_service_app(
        service="ingest",
        title="stinet ingest",
        settings=settings,
        broker=broker,
        checks={"mongo": mongo_check},
        on_startup=on_startup,
        on_started=on_started,
        on_stopping=on_stopping,
        on_shutdown=on_shutdown,
    )
    install_store_down_handler(app)
    install_authenticator(app, authenticator)
    install_cors(app, settings)
    install_audit(app, audit_log, "ingest")
    ports = IngestPorts(
        keys=keys,
        members=members,
        submissions=submissions,
        publisher=publisher,
        pepper=lambda: state.pepper,
        authenticator=authenticator,
        rate_limit=rate_limit or settings.ingest_rate_limit,
    )
    app.include_router(build_router(ports))
    app.include_router(harvest.router)
    return app
