"""The whole search app (broker, SecantusDB, embedded engine) in-process, over ASGI."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from devstack.processes import free_port
from services.search.bootstrap import Ports, bootstrap, create_app
from shared.config import Settings
from shared.mongo import make_mongo_client
from shared.records import Record
from shared.topology import make_broker
from tests.conftest import AMQP_URL, delete_namespace


@dataclass
class FakeCatalogue:
    """A real HTTP server answering ``GET /v1/records?after=&limit=`` like the catalogue."""

    port: int
    records: list[Record] = field(default_factory=list)
    delay: float = 0.0  # seconds per page, to hold a rebuild open

    def page(self, after: str | None, limit: int) -> dict[str, object]:
        ordered = sorted(self.records, key=lambda r: r.id)
        rest = [r for r in ordered if after is None or r.id > after][:limit]
        more = len(rest) == limit and rest[-1].id != ordered[-1].id
        return {
            "records": [r.model_dump(mode="json") for r in rest],
            "next": rest[-1].id if more else None,
        }


def serve_catalogue(catalogue: FakeCatalogue) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/v1/records":
                self.send_error(404)
                return
            time.sleep(catalogue.delay)
            params = parse_qs(url.query)
            body = json.dumps(
                catalogue.page(params.get("after", [None])[0], int(params["limit"][0]))
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", catalogue.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def catalogue() -> Iterator[FakeCatalogue]:
    fake = FakeCatalogue(port=free_port())
    server = serve_catalogue(fake)
    yield fake
    server.shutdown()
    server.server_close()


@dataclass
class Service:
    client: httpx2.AsyncClient
    settings: Settings
    broker: RabbitBroker
    app: FastAPI
    ports: Ports


def search_settings(
    mongo_url: str, data_dir: Path, catalogue_port: int, **overrides: Any
) -> Settings:
    """A search service of its own: namespace, database, data dir, the embedded engine."""
    namespace = f"ts-{uuid.uuid4().hex[:10]}"
    return Settings(
        amqp_url=AMQP_URL,
        mongo_url=mongo_url,
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=data_dir,
        stinet_admin_key="test-admin-" + uuid.uuid4().hex,
        catalogue_url=f"http://127.0.0.1:{catalogue_port}",
        meili_url=None,
        **overrides,
    )


@pytest.fixture(scope="module")
async def service(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory, catalogue: FakeCatalogue
) -> AsyncIterator[Service]:
    """The search service app with its lifespan running, and a broker to publish with."""
    settings = search_settings(
        mongo_url,
        Path(tmp_path_factory.mktemp("search")),
        catalogue.port,
        stinet_delivery_limit=3,
        stinet_public_url="http://search.test",  # what the pages link to, as the client sees it
        search_rate_limit="40/minute",  # per visitor; this client (127.0.0.1) is not counted
    )
    ports = bootstrap(settings)
    app = create_app(settings, ports)
    publisher = make_broker(settings)
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        publisher,
        httpx2.AsyncClient(transport=transport, base_url="http://search.test") as client,
    ):
        yield Service(client=client, settings=settings, broker=publisher, app=app, ports=ports)
    await delete_namespace(settings)
    mongo = make_mongo_client(settings)
    await mongo.drop_database(settings.stinet_db)
    await mongo.close()


@pytest.fixture(autouse=True)
def new_visitor(request: pytest.FixtureRequest) -> None:
    """Each test is a new visitor: no language picked by an earlier test (the lang cookie)."""
    if "service" in request.fixturenames:
        request.getfixturevalue("service").client.cookies.clear()
