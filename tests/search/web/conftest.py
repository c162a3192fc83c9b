"""The portal router mounted in a small app over the real embedded engine and SecantusDB."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.search.adapters.mongo import MongoMemberDirectory
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.adapters.tantivy_query import ESTIMATE_FROM
from services.search.bootstrap import visit_counter
from services.search.entrypoints import web
from services.search.entrypoints.dependencies import WebPorts
from services.search.entrypoints.guide import guide_pages
from shared.config import Settings
from shared.http import install_error_handlers, install_ports
from shared.mongo import make_mongo_client, service_database
from tests.search.web.corpus import MEMBERS, WEB_CORPUS


@dataclass
class Portal:
    client: httpx2.AsyncClient
    db: AsyncDatabase
    index: TantivyIndex
    settings: Settings


def portal_settings(mongo_url: str, data_dir: Path) -> Settings:
    namespace = f"tw-{uuid.uuid4().hex[:10]}"
    return Settings(
        mongo_url=mongo_url,
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=data_dir,
        stinet_key_pepper="test-pepper",
        stinet_public_url="http://portal.test",
        meili_url=None,
    )


async def fill(index: TantivyIndex, db: AsyncDatabase) -> None:
    await index.upsert(WEB_CORPUS)
    directory = MongoMemberDirectory(db)
    for code, (name, name_en) in MEMBERS.items():
        await directory.save(code, name, name_en, 1)


@pytest.fixture(scope="module")
def estimate_from() -> int:
    """Matches from which the portal's engine estimates counts (a module may lower it)."""
    return ESTIMATE_FROM


@pytest.fixture(scope="module")
async def portal(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory, estimate_from: int
) -> AsyncIterator[Portal]:
    """The web router in an app of its own, its lifespan (visit flusher) running."""
    settings = portal_settings(mongo_url, tmp_path_factory.mktemp("portal"))
    mongo: AsyncMongoClient = make_mongo_client(settings)
    db = service_database(mongo, settings)
    index = TantivyIndex(settings.stinet_data_dir, estimate_from=estimate_from)
    await index.open()
    await fill(index, db)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(web.router)
    install_ports(
        app,
        WebPorts(
            settings=settings,
            index=index,
            members=MongoMemberDirectory(db),
            visits=visit_counter(settings, db),
        ),
        guide_pages(),
    )
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://portal.test") as client,
    ):
        yield Portal(client=client, db=db, index=index, settings=settings)
    await index.close()
    await mongo.drop_database(settings.stinet_db)
    await mongo.close()


@pytest.fixture(autouse=True)
def new_visitor(request: pytest.FixtureRequest) -> None:
    """Each test is a new visitor: no language picked by an earlier test (the lang cookie)."""
    if "portal" in request.fixturenames:
        request.getfixturevalue("portal").client.cookies.clear()
