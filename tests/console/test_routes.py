"""The console's files as the search service serves them: shell on deep links, assets, config."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI

from services.search.entrypoints import console
from services.search.entrypoints.console import CONSOLE_DIR
from shared.config import Settings
from shared.http import install_error_handlers, install_ports


def app_for(settings: Settings) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(console.router)
    install_ports(app, console.console_site(settings))
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    settings = Settings(
        stinet_public_url="https://tracuu.example.vn",
        ingest_public_url="https://tracuu.example.vn/ingest/",
        catalogue_public_url="https://api.example.vn/catalogue",
    )
    transport = httpx2.ASGITransport(app=app_for(settings))
    async with httpx2.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/console/",
        "/console/sign-in",
        "/console/member/records/abc%2F1/edit",
        "/console/centre/keys",
    ],
)
async def test_every_console_url_is_the_app_shell(client: httpx2.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/console/static/js/app.js">' in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_bare_console_redirects_to_the_slash(client: httpx2.AsyncClient) -> None:
    response = await client.get("/console", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/console/"


async def test_config_names_each_api_base_without_trailing_slash(
    client: httpx2.AsyncClient,
) -> None:
    body = (await client.get("/console/config.json")).json()
    assert body == {
        "ingest": "https://tracuu.example.vn/ingest",
        "catalogue": "https://api.example.vn/catalogue",
        "notify": "http://127.0.0.1:8003",
        "search": "https://tracuu.example.vn",
    }


async def test_config_defaults_are_the_local_ports() -> None:
    settings = Settings(ingest_port=9101, catalogue_port=9102, notify_port=9103)
    transport = httpx2.ASGITransport(app=app_for(settings))
    async with httpx2.AsyncClient(transport=transport, base_url="http://c.test") as c:
        body = (await c.get("/console/config.json")).json()
    assert body["ingest"] == "http://127.0.0.1:9101"
    assert body["catalogue"] == "http://127.0.0.1:9102"
    assert body["notify"] == "http://127.0.0.1:9103"
    assert body["search"] == "http://127.0.0.1:8000"


async def test_the_shell_allows_scripts_from_itself_and_calls_to_the_apis_only(
    client: httpx2.AsyncClient,
) -> None:
    policy = (await client.get("/console/")).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"].split() == [
        "'self'",
        "http://127.0.0.1:8003",
        "https://api.example.vn",
        "https://tracuu.example.vn",
    ]
    assert directives["frame-ancestors"] == "'none'"


async def test_assets_are_served_with_their_type_and_revalidated(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.get("/console/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == (CONSOLE_DIR / "static" / "js" / "app.js").read_bytes()
    again = await client.get(
        "/console/static/js/app.js", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    css = await client.get("/console/static/console.css")
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/console/static/%2e%2e/index.html",
        "/console/static/..%2F..%2Fentrypoints%2Fconsole.py",
        "/console/static/js/nothing.js",
        "/console/static/",
    ],
)
async def test_unknown_assets_are_404_never_files_by_name(
    client: httpx2.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.content == b""


def test_every_page_module_is_imported_by_the_route_table() -> None:
    pages = CONSOLE_DIR / "static" / "js" / "pages"
    table = (pages / "index.js").read_text(encoding="utf-8")
    for module in pages.glob("*.js"):
        if module.name != "index.js":
            assert f'"./{module.name}"' in table, module.name


def test_make_run_prints_the_console_url(tmp_path: Path) -> None:
    from devstack.__main__ import banner
    from devstack.stack import LocalStack

    stack = LocalStack(Settings(stinet_data_dir=tmp_path, search_port=8123))
    assert "Bàn làm việc / console      http://127.0.0.1:8123/console/" in banner(stack)
