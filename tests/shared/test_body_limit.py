"""Body limits over real HTTP (uvicorn): refused with 413 in the error envelope before any
parsing, whether the body declares its length or arrives chunked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx2
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from services.catalogue.bootstrap import create_app as catalogue_app
from services.ingest.bootstrap import create_app as ingest_app
from services.notify.bootstrap import create_app as notify_app
from services.search.bootstrap import create_app as search_app
from shared.config import Settings
from shared.http import (
    DEFAULT_MAX_BODY_BYTES,
    body_limit,
    install_error_handlers,
    install_request_context,
)
from tests.ingest.harvest.helpers import serve_app

SMALL = 1024
APP_DEFAULT = 8 * 1024


class Note(BaseModel):
    text: str


class Calls:
    def __init__(self) -> None:
        self.parsed: list[str] = []


def limited_app(calls: Calls) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_request_context(app, "body-limit-test", max_body_bytes=APP_DEFAULT)

    @app.post("/notes", openapi_extra=body_limit(SMALL))
    async def post_note(note: Note) -> dict[str, int]:
        calls.parsed.append("notes")
        return {"length": len(note.text)}

    @app.post("/raw")
    async def post_raw(request: Request) -> dict[str, int]:
        body = await request.body()
        calls.parsed.append("raw")
        return {"length": len(body)}

    return app


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx2.AsyncClient, Calls]]:
    calls = Calls()
    async with (
        serve_app(limited_app(calls)) as url,
        httpx2.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield http, calls


async def chunks(total: int, size: int = 256) -> AsyncIterator[bytes]:
    """A JSON body of about ``total`` bytes sent chunked (no Content-Length)."""
    yield b'{"text": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


async def test_a_declared_length_over_the_routes_limit_is_refused_unread(
    served: tuple[httpx2.AsyncClient, Calls],
) -> None:
    http, calls = served
    response = await http.post("/notes", json={"text": "x" * (SMALL + 1)})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"max_bytes": SMALL}
    assert error["message"].startswith("Yêu cầu quá lớn: tối đa 1 KB")
    english = await http.post("/notes?lang=en", json={"text": "x" * 5000})
    assert english.json()["error"]["message"].startswith("Request too large: at most 1 KB")
    assert calls.parsed == []


async def test_a_chunked_body_is_counted_as_it_arrives_and_refused(
    served: tuple[httpx2.AsyncClient, Calls],
) -> None:
    http, calls = served
    for path, total in (("/notes", 4 * SMALL), ("/raw", 4 * APP_DEFAULT)):
        request = http.build_request("POST", path, content=chunks(total))
        assert "content-length" not in request.headers
        response = await http.send(request)
        assert response.status_code == 413, path
        limit = SMALL if path == "/notes" else APP_DEFAULT
        assert response.json()["error"]["details"] == {"max_bytes": limit}
    assert calls.parsed == []


async def test_bodies_within_their_limits_go_through(
    served: tuple[httpx2.AsyncClient, Calls],
) -> None:
    http, calls = served
    small = await http.post("/notes", json={"text": "x" * (SMALL - 100)})
    assert small.status_code == 200 and small.json() == {"length": SMALL - 100}
    chunked = await http.post("/raw", content=chunks(APP_DEFAULT - 512))
    assert chunked.status_code == 200
    over_the_route_but_not_the_app = await http.post("/raw", content=b"x" * (2 * SMALL))
    assert over_the_route_but_not_the_app.status_code == 200
    assert calls.parsed == ["notes", "raw", "raw"]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# (service, route, its limit, whether an anonymous caller's chunked body is read at all: a
# route that refuses the caller first never reads it, which is as safe)
SERVICE_ROUTES = [
    ("catalogue", "/v1/members", 64 * 1024, True),
    ("catalogue", "/v1/links", 4 * 1024, True),
    ("catalogue", "/oai", 64 * 1024, True),
    ("notify", "/v1/attest", 16 * 1024, True),
    ("search", "/v1/admin/reindex", DEFAULT_MAX_BODY_BYTES, False),
    ("ingest", "/v1/records", 10 * 2**20, False),
]


def service_app(service: str, settings: Settings) -> FastAPI:
    factories: dict[str, Callable[[Settings], FastAPI]] = {
        "catalogue": catalogue_app,
        "notify": notify_app,
        "search": search_app,
        "ingest": ingest_app,
    }
    return factories[service](settings)


@pytest.mark.parametrize(("service", "path", "limit", "reads_body"), SERVICE_ROUTES)
async def test_every_service_refuses_a_body_over_its_routes_limit(
    settings: Settings, service: str, path: str, limit: int, reads_body: bool
) -> None:
    app = service_app(service, settings)
    async with serve_app(app) as url, httpx2.AsyncClient(base_url=url, timeout=30) as http:
        refused = [await http.post(path, content=b"x" * (limit + 1), headers=FORM)]
        if reads_body:
            body = chunks(limit + 1024, size=4096)
            refused.append(await http.post(path, content=body, headers=FORM))
    for response in refused:
        assert response.status_code == 413, (path, response.text)
        assert response.json()["error"]["details"] == {"max_bytes": limit}
