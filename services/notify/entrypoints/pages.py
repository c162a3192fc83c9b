"""Notify's HTML pages (attestation, following a search): ``services/notify/templates``,
autoescaped, in the reader's language with a link to the other one."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from shared.templates import template_environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> Environment:
    """The templates' environment, built on first use (nothing at import)."""
    return template_environment(TEMPLATES)


def language_switch(request: Request, english: bool) -> str:
    """This page again in the other language: its query string, ``lang`` swapped."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*pairs, ("lang", "vi" if english else "en")])


def page(
    request: Request,
    template: str,
    *,
    english: bool,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """One of notify's pages: ``template`` rendered with ``context`` (escaped)."""
    html = (
        environment()
        .get_template(template)
        .render(
            english=english,
            lang="en" if english else "vi",
            switch_href=language_switch(request, english),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
