"""The only wiring of the search service: engine, member names, broker, HTTP routes.

``bootstrap`` builds the process's ports (real adapters unless a test passes its own);
``create_app`` hands them to routes and subscribers and opens and closes them in the
lifespan. The same shape in every service: docs/operators/contributing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.middleware.gzip import GZipMiddleware

from services.search.adapters.analytics import MongoSearchAnalytics
from services.search.adapters.catalogue import CatalogueRecordSource
from services.search.adapters.mongo import MongoMemberDirectory
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.adapters.visits import MongoVisitCounter
from services.search.entrypoints import analytics, console, discovery, feeds, guide, http, web
from services.search.entrypoints.dependencies import (
    AnalyticsPorts,
    ApiPorts,
    FeedPorts,
    SitemapPorts,
    WebPorts,
)
from services.search.entrypoints.messaging import register_subscribers
from services.search.handlers import Rebuilds
from services.search.ports import MemberDirectory, RebuildableIndex, RecordSource
from shared.audit import MongoAuditLog, install_audit
from shared.auth import wire_service_auth
from shared.config import PEPPER_FILE, Settings, stored_secret
from shared.http import install_ports
from shared.logging import get_logger
from shared.mongo import Document, make_mongo_client, service_database
from shared.runtime import create_service_app, ensure_indexes, make_service_broker, mongo_ready

log = get_logger("search")
GZIP_MINIMUM_BYTES = 1024
CATALOGUE_TIMEOUT = 30.0  # seconds for one page of the catalogue's records (a rebuild)


def make_index(settings: Settings) -> RebuildableIndex:
    """Meilisearch when ``MEILI_URL`` is set, the embedded tantivy engine otherwise."""
    if settings.meili_url:
        from services.search.adapters.meili import MeiliIndex

        return MeiliIndex.from_settings(settings)
    return TantivyIndex(settings.stinet_data_dir)


def visit_counter(settings: Settings, db: AsyncDatabase[Document]) -> MongoVisitCounter:
    """The process's counter of page views and searches, its salt from the installation's
    pepper (configured, or kept in the data dir): never a guessable constant."""
    pepper = stored_secret(settings.stinet_key_pepper, settings.stinet_data_dir, PEPPER_FILE)
    return MongoVisitCounter(db, salt="visits\x00" + pepper.hex())


@dataclass(frozen=True)
class Ports:
    """One search process's clients and ports, built by :func:`bootstrap`."""

    settings: Settings
    broker: RabbitBroker
    mongo: AsyncMongoClient[Document]  # connects on first use, in the lifespan
    db: AsyncDatabase[Document]
    http: httpx2.AsyncClient  # the catalogue's API, read by rebuilds
    index: RebuildableIndex
    members: MemberDirectory
    source: RecordSource
    visits: MongoVisitCounter
    audit: MongoAuditLog
    rebuilds: Rebuilds
    analytics: MongoSearchAnalytics

    async def open(self) -> None:
        """Open the index and create the stores' indexes (the client connects here)."""
        await self.index.open()
        await ensure_indexes(self.audit)
        log.info("search_index_opened", engine=type(self.index).__name__)
        self.rebuilds.refill()  # a new schema started the index empty: fill it again

    async def close(self) -> None:
        await self.index.close()
        await self.http.aclose()
        await self.mongo.close()

    def get_members(self) -> MemberDirectory:
        """The member names (the subscribers take getters of their ports)."""
        return self.members


def bootstrap(
    settings: Settings,
    *,
    index: RebuildableIndex | None = None,
    members: MemberDirectory | None = None,
    source: RecordSource | None = None,
) -> Ports:
    """Search's ports: the engine of ``make_index``, MongoDB member names and the
    catalogue's API as the rebuilds' source unless given."""
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    http = httpx2.AsyncClient(timeout=CATALOGUE_TIMEOUT)
    index = index or make_index(settings)
    source = source or CatalogueRecordSource(settings.catalogue_base_url, http)
    return Ports(
        settings=settings,
        broker=make_service_broker(settings),
        mongo=mongo,
        db=db,
        http=http,
        index=index,
        members=members or MongoMemberDirectory(db),
        source=source,
        visits=visit_counter(settings, db),
        audit=MongoAuditLog(db, "search"),
        rebuilds=Rebuilds(index=index, source=source),
        analytics=MongoSearchAnalytics(db, retention_days=settings.search_analytics_retention_days),
    )


def create_app(settings: Settings, ports: Ports | None = None) -> FastAPI:
    """The search service: consumes record and member changes, serves search and the
    portal, on ``ports`` (``bootstrap(settings)`` unless a test built its own)."""
    services = ports or bootstrap(settings)
    broker = services.broker
    register_subscribers(
        broker, settings, get_index=lambda: services.index, get_members=services.get_members
    )

    async def index_ready() -> bool:
        return await services.index.ping()

    app = create_service_app(
        service="search",
        title="stinet search",
        settings=settings,
        broker=broker,
        checks={"mongo": mongo_ready(services.mongo), "index": index_ready},
        on_startup=services.open,
        on_stopping=services.rebuilds.stop,
        on_shutdown=services.close,
        visitor_limit=settings.search_rate_limit,
    )
    # Member websites call the API from their own pages (widget): read-only, no credentials;
    # the console (its own origin) also signs in and acts.
    wire_service_auth(app, broker, settings, service="search", db=services.db, public_get=True)
    # Phones on slow links: pages and results compressed when the client accepts gzip. Level 4:
    # a 23 KB page of results becomes 4.1 KB in 0.1 ms (level 9: 3.8 KB in 0.24 ms).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=4)
    # Before the API router: its ``/v1/records/{id:path}`` would take ``…/cite`` too.
    app.include_router(discovery.cite_router)
    app.include_router(http.router)
    app.include_router(analytics.router)
    app.include_router(discovery.sitemap_router)
    app.include_router(web.router)  # the guide's routes with it
    app.include_router(feeds.router)
    install_audit(app, services.audit, "search")
    app.include_router(console.router)
    index = services.index
    install_ports(
        app,
        ApiPorts(
            settings=settings,
            index=index,
            members=services.members,
            rebuilds=services.rebuilds,
            visits=services.visits,
            analytics=services.analytics,
        ),
        AnalyticsPorts(analytics=services.analytics),
        SitemapPorts(settings=settings, live=index),
        WebPorts(
            settings=settings,
            index=index,
            members=services.members,
            visits=services.visits,
            analytics=services.analytics,
        ),
        guide.guide_pages(),
        FeedPorts(settings=settings, index=index, members=services.members),
        console.console_site(settings),
    )
    return app
