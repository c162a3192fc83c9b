"""The one way a service builds its HTML pages: Jinja templates from a folder, autoescaped."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape


def template_environment(directory: Path) -> Environment:
    """A Jinja environment over ``directory``: every ``.html`` and ``.xml`` template escapes
    what it is given (user text can never become markup), blocks trimmed as written."""
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
