"""What every HTML page of the portal shares: its templates and the reader's language."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response
from jinja2 import Environment

from services.search.web.i18n import Translator
from shared.templates import template_environment

WEB_DIR = Path(__file__).resolve().parent
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
LANGUAGES = ("vi", "en")


def environment() -> Environment:
    """The pages' Jinja environment: ``web/templates``, autoescaped (HTML and XML)."""
    return template_environment(WEB_DIR / "templates")


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
