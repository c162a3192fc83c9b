"""The only wiring of ingest: stores, broker, routes, subscribers, the outbox relay, harvest.

``bootstrap`` builds the process's ports (real adapters unless a test passes its own);
``create_app`` hands them to routes and subscribers and opens and closes them in the
lifespan. The same shape in every service: docs/operators/contributing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.ingest import handlers
from services.ingest.adapters.harvest_store import MongoHarvestStore
from services.ingest.adapters.mongo import (
    MongoKeyRevocations,
    MongoKeyStore,
    MongoMemberDirectory,
    MongoSubmissionStore,
)
from services.ingest.adapters.oai_client import HttpOaiRepositories
from services.ingest.entrypoints import harvest as harvest_routes
from services.ingest.entrypoints import http
from services.ingest.entrypoints.dependencies import HarvestPorts, IngestPorts
from services.ingest.entrypoints.http import install_store_down_handler
from services.ingest.entrypoints.messaging import register_subscribers
from services.ingest.formats import ParsedRow
from services.ingest.harvest.config import HarvestSettings
from services.ingest.harvest.runner import Harvester
from services.ingest.ports import (
    EventPublisher,
    HarvestStore,
    KeyStore,
    MemberDirectory,
    OaiRepositories,
    SubmissionStore,
    Submit,
)
from shared.audit import MongoAuditLog, install_audit
from shared.auth import (
    Authenticator,
    Caller,
    FailedGuesses,
    install_authenticator,
    session_signer,
)
from shared.config import PEPPER_FILE, Settings, stored_secret
from shared.events import SubmittedItem
from shared.http import install_cors, install_ports
from shared.mongo import Document, make_mongo_client, service_database
from shared.ratelimit import MongoWindows, RateLimit
from shared.records import Source
from shared.runtime import (
    Periodic,
    create_service_app,
    ensure_indexes,
    make_service_broker,
    mongo_ready,
)
from shared.topology import RabbitPublisher

RELAY_INTERVAL = 2.0


@dataclass(frozen=True)
class Ports:
    """One ingest process's clients and ports, built by :func:`bootstrap`."""

    settings: Settings
    broker: RabbitBroker
    mongo: AsyncMongoClient[Document]  # connects on first use, in the lifespan
    db: AsyncDatabase[Document]
    keys: KeyStore
    members: MemberDirectory
    submissions: SubmissionStore
    publisher: EventPublisher
    harvest_sources: HarvestStore
    audit: MongoAuditLog
    pepper: bytes  # the server pepper the key hashes are made with

    async def open(self) -> None:
        """Create the stores' indexes (the client connects here)."""
        await ensure_indexes(self.keys, self.submissions, self.harvest_sources, self.audit)

    async def close(self) -> None:
        await self.mongo.close()


def bootstrap(
    settings: Settings,
    *,
    keys: KeyStore | None = None,
    members: MemberDirectory | None = None,
    submissions: SubmissionStore | None = None,
    publisher: EventPublisher | None = None,
    harvest_sources: HarvestStore | None = None,
) -> Ports:
    """Ingest's ports: MongoDB stores and the RabbitMQ publisher unless given."""
    broker = make_service_broker(settings)
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    return Ports(
        settings=settings,
        broker=broker,
        mongo=mongo,
        db=db,
        keys=keys or MongoKeyStore(db),
        members=members or MongoMemberDirectory(db),
        submissions=submissions or MongoSubmissionStore(db),
        publisher=publisher or RabbitPublisher(broker, settings),
        harvest_sources=harvest_sources or MongoHarvestStore(db),
        audit=MongoAuditLog(db, "ingest"),
        # From settings, else generated once into STINET_DATA_DIR (0600).
        pepper=stored_secret(settings.stinet_key_pepper, settings.stinet_data_dir, PEPPER_FILE),
    )


def authenticator(ports: Ports) -> Authenticator:
    """The root key, sessions, and members' own keys (ingest is where keys are kept)."""

    async def verify_key(token: str) -> Caller:
        key, _ = await handlers.authenticate(
            token, keys=ports.keys, members=ports.members, pepper=ports.pepper
        )
        return handlers.caller_of(key)

    return Authenticator(
        root_key=ports.settings.admin_key,
        signer=session_signer(ports.settings),
        revoked=MongoKeyRevocations(ports.db),
        keys=verify_key,
        member_active=lambda code: handlers.member_active(code, members=ports.members),
    )


@dataclass(frozen=True)
class HarvestComponent:
    """The harvester and what its routes need (``install_ports`` it beside
    ``entrypoints.harvest.router``); ``start`` after the broker is connected (runs publish),
    ``stop`` before it (running harvests are recorded as interrupted)."""

    harvester: Harvester
    routes: HarvestPorts

    async def start(self) -> None:
        """Create the store's indexes, then start the schedule loop."""
        await ensure_indexes(self.harvester.store)
        await self.harvester.start()

    async def stop(self) -> None:
        await self.harvester.stop()


def build_harvest(
    *,
    settings: Settings,
    store: HarvestStore,
    submit: Submit,
    harvest_settings: HarvestSettings | None = None,
    repositories: OaiRepositories | None = None,
) -> HarvestComponent:
    """Harvest sources, their HTTP routes (centre only: ``shared.auth.CentreCaller``) and
    the schedule loop, over ``store`` and (unless given) the members' repositories over
    HTTP, SSRF-guarded unless ``HARVEST_ALLOW_PRIVATE_NETWORKS``."""
    config = harvest_settings or HarvestSettings()
    allow_private = settings.harvest_allow_private_networks
    harvester = Harvester(
        store=store,
        repositories=repositories
        or HttpOaiRepositories(config=config, allow_private=allow_private),
        submit=submit,
        config=config,
    )
    routes = HarvestPorts(harvester=harvester, allow_private=allow_private)
    return HarvestComponent(harvester=harvester, routes=routes)


def harvest(ports: Ports) -> HarvestComponent:
    """The OAI-PMH harvester, submitting what it reads as the API does."""

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
            submissions=ports.submissions,
            publisher=ports.publisher,
            max_records=max(len(items), 1),
            correlation_id=correlation_id,
        )
        return receipt.submission.id

    return build_harvest(settings=ports.settings, store=ports.harvest_sources, submit=submit)


def create_app(
    settings: Settings, ports: Ports | None = None, *, rate_limit: str | None = None
) -> FastAPI:
    """The ingest service: HTTP API, subscribers, outbox relay and the OAI-PMH harvester, on
    ``ports`` (``bootstrap(settings)`` unless a test built its own)."""
    ports = ports or bootstrap(settings)
    register_subscribers(
        ports.broker,
        settings,
        members=ports.members,
        submissions=ports.submissions,
        publisher=ports.publisher,
    )
    harvesting = harvest(ports)

    async def relay() -> None:
        await handlers.relay_once(submissions=ports.submissions, publisher=ports.publisher)
        await handlers.relay_keys(keys=ports.keys, publisher=ports.publisher)

    relay_loop = Periodic("outbox_relay", relay, interval=RELAY_INTERVAL, service="ingest")

    async def on_started() -> None:
        relay_loop.start()
        await harvesting.harvester.start()  # its indexes: ``ports.open``

    async def on_stopping() -> None:
        await harvesting.stop()
        await relay_loop.stop()

    app = create_service_app(
        service="ingest",
        title="stinet ingest",
        settings=settings,
        broker=ports.broker,
        checks={"mongo": mongo_ready(ports.mongo)},
        on_startup=ports.open,
        on_started=on_started,
        on_stopping=on_stopping,
        on_shutdown=ports.close,
    )
    auth = authenticator(ports)
    install_store_down_handler(app)
    install_authenticator(app, auth, FailedGuesses(counter=MongoWindows(ports.db, "ingest")))
    install_cors(app, settings)
    install_audit(app, ports.audit, "ingest")
    app.include_router(http.router)
    app.include_router(harvest_routes.router)
    routes = IngestPorts(
        keys=ports.keys,
        members=ports.members,
        submissions=ports.submissions,
        publisher=ports.publisher,
        pepper=ports.pepper,
        authenticator=auth,
        limiter=RateLimit(
            rate_limit or settings.ingest_rate_limit, MongoWindows(ports.db, "ingest")
        ),
    )
    install_ports(app, routes, harvesting.routes)
    return app
