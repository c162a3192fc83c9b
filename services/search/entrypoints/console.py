"""The console: a no-build ES-module app where member staff and the centre work
(docs/operators/README.md §11).

The search service only hands out its files: the app shell for ``/console/`` and every deep
link under it (the app routes with the History API), its assets under ``/console/static/``,
and ``/console/config.json`` with the public base URLs of the four APIs it calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from shared.config import Settings
from shared.http import ports_of

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
PREFIX = "/console"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
# The shell is small and changes with each release: always revalidated (ETag).
REVALIDATE = "no-cache"


class ConsoleConfig(BaseModel):
    """Where the console finds each service's public API."""

    ingest: str
    catalogue: str
    notify: str
    search: str


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def console_config(settings: Settings) -> ConsoleConfig:
    """The public base URLs; unset ones default to the local ports (as ``make run`` binds)."""

    def local(port: int) -> str:
        return f"http://127.0.0.1:{port}"

    return ConsoleConfig(
        ingest=(settings.ingest_public_url or local(settings.ingest_port)).rstrip("/"),
        catalogue=(settings.catalogue_public_url or settings.catalogue_base_url).rstrip("/"),
        notify=(settings.notify_public_url or local(settings.notify_port)).rstrip("/"),
        search=settings.stinet_public_url.rstrip("/"),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config: ConsoleConfig) -> str:
    """Scripts and styles from the console only; API calls to the four services only."""
    apis = sorted({_origin(u) for u in config.model_dump().values()})
    return "; ".join(
        [
            "default-src 'self'",
            f"connect-src 'self' {' '.join(apis)}",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _asset(body: bytes, media_type: str) -> Asset:
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


def load_assets(root: Path = CONSOLE_DIR / "static") -> dict[str, Asset]:
    """Every file under ``static/`` of a known type, read once: path → asset."""
    assets = {}
    for path in sorted(root.rglob("*")):
        media = MEDIA_TYPES.get(path.suffix)
        if path.is_file() and media:
            assets[path.relative_to(root).as_posix()] = _asset(path.read_bytes(), media)
    return assets


def _send(asset: Asset, if_none_match: str | None, headers: dict[str, str]) -> Response:
    headers = {**headers, "ETag": asset.etag, "Cache-Control": REVALIDATE}
    if if_none_match == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@dataclass(frozen=True)
class ConsoleSite:
    """The console's files, read once per process (:func:`console_site`), and where the
    APIs are."""

    config: ConsoleConfig
    assets: dict[str, Asset]
    shell: Asset
    page_headers: dict[str, str]


def console_site(settings: Settings) -> ConsoleSite:
    """The shell, the assets under ``static/`` and the API locations of ``settings``."""
    config = console_config(settings)
    return ConsoleSite(
        config=config,
        assets=load_assets(),
        shell=_asset((CONSOLE_DIR / "index.html").read_bytes(), "text/html; charset=utf-8"),
        page_headers={
            "Content-Security-Policy": content_security_policy(config),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


Site = Annotated[ConsoleSite, Depends(ports_of(ConsoleSite))]

# ``/console/…``: the shell on every page path, the assets, the API locations.
router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


@router.get("")
async def console_root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


@router.get("/config.json")
async def console_config_json(site: Site) -> JSONResponse:
    """Where the APIs are (public base URLs)."""
    return JSONResponse(site.config.model_dump(), headers={"Cache-Control": REVALIDATE})


@router.get("/static/{name:path}")
async def console_asset(request: Request, name: str, site: Site) -> Response:
    """The app's modules, styles and icons (a fixed set read at start-up)."""
    asset = site.assets.get(name)
    if asset is None:
        return Response(status_code=404)
    etag = request.headers.get("if-none-match")
    return _send(asset, etag, {"X-Content-Type-Options": "nosniff"})


@router.get("/{page:path}")
async def console_page(request: Request, page: str, site: Site) -> Response:
    """The app shell: every console URL is a deep link the app routes itself."""
    return _send(site.shell, request.headers.get("if-none-match"), site.page_headers)


__all__ = [
    "ConsoleConfig",
    "ConsoleSite",
    "console_config",
    "console_site",
    "content_security_policy",
    "router",
]
