"""What every HTML page of the portal shares: its templates and the reader's language."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from jinja2 import Environment

from services.search.web.i18n import Translator, strings_for_widget
from shared.templates import template_environment

WEB_DIR = Path(__file__).resolve().parent
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
LANGUAGES = ("vi", "en")
STATIC_TYPES = {
    "portal.css": "text/css; charset=utf-8",
    "portal.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


def environment() -> Environment:
    """The pages' Jinja environment: ``web/templates``, autoescaped (HTML and XML)."""
    return template_environment(WEB_DIR / "templates")


@dataclass(frozen=True)
class PortalFiles:
    """What the portal's pages are made of, read once per process (``portal_files``)."""

    env: Environment
    static: dict[str, tuple[bytes, str, str]]  # name → (body, content type, version)
    widget: bytes
    widget_etag: str

    @property
    def asset_version(self) -> str:
        """The cache-busting version the pages put on their CSS and JS."""
        return "".join(v for _, _, v in self.static.values())[:10]


def portal_files() -> PortalFiles:
    """The templates, the page assets and the widget's script, read from ``web/``."""
    widget = _widget_source()
    return PortalFiles(
        env=environment(),
        static=_load_static(),
        widget=widget,
        widget_etag='"' + hashlib.sha256(widget).hexdigest()[:16] + '"',
    )


def _load_static() -> dict[str, tuple[bytes, str, str]]:
    """The page assets: name → (body, content type, version)."""
    out = {}
    for name, media in STATIC_TYPES.items():
        body = (WEB_DIR / "static" / name).read_bytes()
        out[name] = (body, media, hashlib.sha256(body).hexdigest()[:10])
    return out


def _widget_source() -> bytes:
    """widget.js with its words (both languages) baked in as JSON."""
    strings = {"vi": strings_for_widget(False), "en": strings_for_widget(True)}
    literal = json.dumps(strings, ensure_ascii=False).replace("</", "<\\/")
    source = (WEB_DIR / "static" / "widget.js").read_text(encoding="utf-8")
    return source.replace("/*STRINGS*/{}", literal).encode()


def chosen_language(request: Request) -> str | None:
    """The language the visitor picked: ``?lang=`` now, else the ``lang`` cookie of an
    earlier pick. The browser's Accept-Language is never asked: the portal is Vietnamese."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGUAGES:
            return value
    return None


def translator(request: Request) -> Translator:
    """Vietnamese unless the visitor picked English (``?lang=en``, remembered in a cookie);
    the pick is carried on every link."""
    chosen = chosen_language(request)
    return Translator(chosen == "en", chosen)


def remember_language(request: Request, response: Response) -> None:
    """Keep a ``?lang=`` pick for a year (``lang`` cookie, SameSite=Lax)."""
    picked = request.query_params.get("lang")
    if picked in LANGUAGES and request.cookies.get(LANG_COOKIE) != picked:
        response.set_cookie(
            LANG_COOKIE,
            picked,
            max_age=LANG_COOKIE_SECONDS,
            path="/",
            samesite="lax",
            httponly=True,
            secure=request.url.scheme == "https",
        )
