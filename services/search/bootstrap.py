"""The only wiring of the search service: engine, member names, broker, HTTP routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.middleware.gzip import GZipMiddleware

from services.search.adapters.analytics import MongoSearchAnalytics
from services.search.adapters.catalogue import CatalogueRecordSource
from services.search.adapters.mongo import MongoMemberDirectory
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.adapters.visits import MongoVisitCounter
from services.search.entrypoints.analytics import build_analytics_router
from services.search.entrypoints.console import build_console_router
from services.search.entrypoints.discovery import (
    Citations,
    build_cite_router,
    build_sitemap_router,
)
from services.search.entrypoints.feeds import build_feed_router
from services.search.entrypoints.http import build_api_router
from services.search.entrypoints.messaging import register_subscribers
from services.search.entrypoints.web import build_web_router
from services.search.handlers import RebuildProgress, rebuild_index
from services.search.ports import MemberDirectory, RebuildableIndex, RecordSource
from shared.audit import MongoAuditLog, install_audit
from shared.auth import wire_service_auth
from shared.config import PEPPER_FILE, Settings, stored_secret
from shared.http import ApiError
from shared.logging import get_logger
from shared.mongo import make_mongo_client, service_database
from shared.runtime import create_service_app, make_service_broker, mongo_ready

log = get_logger("search")
GZIP_MINIMUM_BYTES = 1024


def make_index(settings: Settings) -> RebuildableIndex:
    """Meilisearch when ``MEILI_URL`` is set, the embedded tantivy engine otherwise."""
    if settings.meili_url:
        from services.search.adapters.meili import MeiliIndex

        return MeiliIndex.from_settings(settings)
    return TantivyIndex(settings.stinet_data_dir)


def visit_counter(settings: Settings, get_db: Callable[[], AsyncDatabase]) -> MongoVisitCounter:
    """The process's counter of page views and searches, its salt from the installation's
    pepper (configured, or kept in the data dir): never a guessable constant."""
    pepper = stored_secret(settings.stinet_key_pepper, settings.stinet_data_dir, PEPPER_FILE)
    return MongoVisitCounter(get_db, salt="visits\x00" + pepper.hex())


@dataclass
class SearchServices:
    """The clients of one search process, opened in the lifespan."""

    settings: Settings
    index: RebuildableIndex
    members: MemberDirectory | None = None
    source: RecordSource | None = None
    mongo: AsyncMongoClient | None = None
    http: httpx2.AsyncClient | None = None
    progress: RebuildProgress = field(default_factory=RebuildProgress)
    rebuild_task: asyncio.Task[int] | None = None

    def db(self) -> AsyncDatabase:
        if self.mongo is None:
            raise RuntimeError("the search service is not started")
        return service_database(self.mongo, self.settings)

    def get_members(self) -> MemberDirectory:
        if self.members is None:
            raise RuntimeError("the search service is not started")
        return self.members

    async def start_rebuild(self) -> RebuildProgress:
        """Start a rebuild in the background unless one runs; 409 if it does."""
        if self.rebuild_task is not None and not self.rebuild_task.done():
            raise ApiError(409, "Đang tái lập chỉ mục", "A rebuild is already running")
        if self.source is None:
            raise RuntimeError("the search service is not started")
        self.progress = RebuildProgress(state="running")
        self.rebuild_task = asyncio.create_task(
            rebuild_index(index=self.index, source=self.source, progress=self.progress)
        )
        self.rebuild_task.add_done_callback(_retrieve_exception)
        return self.progress

    async def stop_rebuild(self) -> None:
        if self.rebuild_task is not None and not self.rebuild_task.done():
            self.rebuild_task.cancel()
            with contextlib.suppress(BaseException):
                await self.rebuild_task


def _retrieve_exception(task: asyncio.Task[int]) -> None:
    # The failure is already logged and shown in the progress; this only marks it as seen.
    if not task.cancelled():
        task.exception()


def create_app(
    settings: Settings,
    *,
    index: RebuildableIndex | None = None,
    members: MemberDirectory | None = None,
    source: RecordSource | None = None,
) -> FastAPI:
    """The search service: consumes record and member changes, serves search and the portal."""
    services = SearchServices(settings=settings, index=index or make_index(settings))
    broker = make_service_broker(settings)
    audit_log = MongoAuditLog(services.db, "search")
    visits = visit_counter(settings, services.db)
    analytics = MongoSearchAnalytics(
        services.db, retention_days=settings.search_analytics_retention_days
    )
    register_subscribers(
        broker, settings, get_index=lambda: services.index, get_members=services.get_members
    )

    async def on_startup() -> None:
        services.mongo = make_mongo_client(settings)
        services.members = members or MongoMemberDirectory(services.db())
        services.http = httpx2.AsyncClient(timeout=30.0)
        services.source = source or CatalogueRecordSource(
            settings.catalogue_base_url, services.http
        )
        await services.index.open()
        await audit_log.ensure_indexes()
        log.info("search_index_opened", engine=type(services.index).__name__)

    async def on_stopping() -> None:
        await services.stop_rebuild()

    async def on_shutdown() -> None:
        await services.index.close()
        if services.http is not None:
            await services.http.aclose()
        if services.mongo is not None:
            await services.mongo.close()

    async def index_ready() -> bool:
        return await services.index.ping()

    async def store_ready() -> bool:
        if services.mongo is None:
            return False
        return await mongo_ready(services.mongo)()

    app = create_service_app(
        service="search",
        title="stinet search",
        settings=settings,
        broker=broker,
        checks={"mongo": store_ready, "index": index_ready},
        on_startup=on_startup,
        on_stopping=on_stopping,
        on_shutdown=on_shutdown,
    )
    app.state.search = services
    # Member websites call the API from their own pages (widget): read-only, no credentials;
    # the console (its own origin) also signs in and acts.
    wire_service_auth(app, broker, settings, service="search", get_db=services.db, public_get=True)
    # Phones on slow links: pages and results compressed when the client accepts gzip. Level 4:
    # a 23 KB page of results becomes 4.1 KB in 0.1 ms (level 9: 3.8 KB in 0.24 ms).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=4)
    citations = Citations(settings, services.get_members)
    # Before the API router: its ``/v1/records/{id:path}`` would take ``…/cite`` too.
    app.include_router(build_cite_router(get_index=lambda: services.index, citations=citations))
    app.include_router(
        build_api_router(
            get_index=lambda: services.index,
            get_members=services.get_members,
            start_rebuild=services.start_rebuild,
            rebuild_progress=lambda: services.progress,
            count_search=visits.record_search,
            citations=citations,
            analytics=analytics,
        )
    )
    app.include_router(build_analytics_router(get_analytics=lambda: analytics))
    app.include_router(build_sitemap_router(settings=settings, get_live=lambda: services.index))
    app.include_router(
        build_web_router(
            settings=settings,
            get_index=lambda: services.index,
            get_members=services.get_members,
            visits=visits,
            analytics=analytics,
        )
    )
    app.include_router(
        build_feed_router(
            settings=settings, get_index=lambda: services.index, get_members=services.get_members
        )
    )
    install_audit(app, audit_log, "search")
    app.include_router(build_console_router(settings=settings))
    return app
