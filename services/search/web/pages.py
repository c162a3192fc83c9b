"""What every HTML page of the portal shares: its templates and the reader's language."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.search.web.i18n import Translator
from shared.http import wants_english

WEB_DIR = Path(__file__).resolve().parent


def environment() -> Environment:
    """The pages' Jinja environment: ``web/templates``, autoescaped (HTML and XML)."""
    return Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def translator(request: Request) -> Translator:
    """Vietnamese unless ``?lang=en`` or an English browser; an explicit choice sticks."""
    chosen = request.query_params.get("lang")
    return Translator(wants_english(request), chosen if chosen in ("vi", "en") else None)
