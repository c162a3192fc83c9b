"""The member guide: the Markdown of ``docs/thanh-vien/`` served as pages of the portal."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from markdown_it import MarkdownIt
from markdown_it.token import Token

from services.search.web.pages import WEB_DIR, environment, remember_language, translator
from shared.http import ports_of
from shared.logging import get_logger
from shared.text import fold

log = get_logger("search.guide")

GUIDE_DIR = Path(__file__).resolve().parents[3] / "docs" / "thanh-vien"
IMAGE_PREFIX = "/huong-dan/img"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}  # no SVG (scripts)
PREFIX = "/huong-dan"
INDEX_FILE = "README.md"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
INDEX_TITLE = "Hướng dẫn cho đơn vị thành viên"
CACHE = "public, max-age=300"


@dataclass(frozen=True)
class Guide:
    """One rendered guide: its slug, its first heading and its HTML body."""

    slug: str
    title: str
    html: str


def _asset_version() -> str:
    """The same cache-busting version the portal puts on its CSS and JS."""
    names = ("portal.css", "portal.js", "icon.svg")
    digests = (hashlib.sha256((WEB_DIR / "static" / n).read_bytes()).hexdigest() for n in names)
    return "".join(d[:10] for d in digests)[:10]


def _markdown() -> MarkdownIt:
    """CommonMark with tables; raw HTML in the Markdown is shown as text, never passed on."""
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _guide_href(href: str, slugs: set[str]) -> str:
    """A link to a sibling ``x.md`` becomes ``/huong-dan/x``; anything else is left alone."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or "/" in parts.path or not parts.path.endswith(".md"):
        return href
    anchor = f"#{parts.fragment}" if parts.fragment else ""
    if parts.path == INDEX_FILE:
        return f"{PREFIX}/{anchor}"
    slug = parts.path.removesuffix(".md")
    return f"{PREFIX}/{slug}{anchor}" if slug in slugs else href


def _image_src(src: str, images: dict[str, Path]) -> str:
    """``../img/console/x.png`` (as the Markdown reads on GitHub) becomes the portal's URL."""
    name = src.removeprefix("../img/")
    return f"{IMAGE_PREFIX}/{name}" if src.startswith("../img/") and name in images else src


def _rewrite_links(tokens: list[Token], slugs: set[str], images: dict[str, Path]) -> None:
    for token in tokens:
        if token.children:
            _rewrite_links(token.children, slugs, images)
        if token.type == "link_open":
            href = token.attrGet("href")
            if isinstance(href, str):
                token.attrSet("href", _guide_href(href, slugs))
        if token.type == "image":
            src = token.attrGet("src")
            if isinstance(src, str):
                token.attrSet("src", _image_src(src, images))


def guide_images(directory: Path) -> dict[str, Path]:
    """The pictures the guides may show: every image under ``docs/img`` by its relative name
    (a fixed list read at start, so no request path ever reaches the file system)."""
    root = directory.parent / "img"
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix.lower() in IMAGE_TYPES
    }


def _title(tokens: list[Token], fallback: str) -> str:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            return tokens[i + 1].content.strip() or fallback
    return fallback


def load_guides(directory: Path, images: dict[str, Path] | None = None) -> dict[str, Guide]:
    """Every ``*.md`` of ``directory`` rendered once; the index page is under the key ``""``."""
    if not directory.is_dir():
        log.warning("guide_directory_missing", directory=str(directory))
        return {}
    md = _markdown()
    files = sorted(p for p in directory.glob("*.md") if p.is_file())
    slugs = {p.stem for p in files if SLUG.match(p.stem)}
    guides = {}
    for path in files:
        slug = "" if path.name == INDEX_FILE else path.stem
        if slug and slug not in slugs:
            continue
        tokens = md.parse(path.read_text(encoding="utf-8"))
        _rewrite_links(tokens, slugs, images or {})
        html = md.renderer.render(tokens, md.options, {})
        guides[slug] = Guide(slug=slug, title=_title(tokens, path.stem), html=html)
    return guides


@dataclass(frozen=True)
class GuidePages:
    """The guides, rendered once per process (:func:`guide_pages`), and what they show."""

    guides: dict[str, Guide]  # slug → guide; the index page under ``""``
    images: dict[str, Path]
    env: Environment
    asset_version: str


def guide_pages(directory: Path = GUIDE_DIR) -> GuidePages:
    """Every guide of ``directory`` (``docs/thanh-vien/`` unless a test gives its own)."""
    images = guide_images(directory)
    return GuidePages(
        guides=load_guides(directory, images),
        images=images,
        env=environment(),
        asset_version=_asset_version(),
    )


Guides = Annotated[GuidePages, Depends(ports_of(GuidePages))]


def render_guide(
    request: Request, pages: GuidePages, guide: Guide | None, *, status: int = 200
) -> HTMLResponse:
    """A guide (or the list of them, or the 404 page) in the portal's chrome."""
    t = translator(request)
    others = sorted((g for s, g in pages.guides.items() if s), key=lambda g: fold(g.title))
    context = {
        "t": t,
        "base": "",
        "asset_version": pages.asset_version,
        "lang_switch": request.url.path + ("?lang=vi" if t.english else "?lang=en"),
        "visits": None,
        "guide": guide,
        "guides": others if guide is None or not guide.slug else [],
        "index_href": f"{PREFIX}/" + (f"?lang={t.chosen}" if t.chosen else ""),
        "suffix": f"?lang={t.chosen}" if t.chosen else "",
        "prefix": PREFIX,
    }
    body = pages.env.get_template("guide.html").render(context)
    headers = {"Content-Language": t.lang, "Vary": "Cookie"}
    if status == 200:
        headers["Cache-Control"] = CACHE
    headers["X-Frame-Options"] = "SAMEORIGIN"
    response = HTMLResponse(body, status_code=status, headers=headers)
    remember_language(request, response)
    return response


# ``/huong-dan/`` (the list of guides) and ``/huong-dan/{slug}`` (one guide).
router = APIRouter(tags=["guide"])


@router.get(f"{PREFIX}", include_in_schema=False)
@router.get(f"{PREFIX}/", response_class=HTMLResponse)
async def guide_index(request: Request, pages: Guides) -> HTMLResponse:
    """The member guide: the list of guides by their first heading (Vietnamese)."""
    index = pages.guides.get("") or Guide(
        slug="", title=INDEX_TITLE, html=f"<h1>{INDEX_TITLE}</h1>"
    )
    return render_guide(request, pages, index)


@router.get(f"{IMAGE_PREFIX}/{{name:path}}", include_in_schema=False)
async def guide_image(name: str, pages: Guides) -> Response:
    """A picture shown in a guide (the console's screenshots); 404 for any other name."""
    path = pages.images.get(name)
    if path is None:
        return Response(status_code=404)
    media_type = IMAGE_TYPES[path.suffix.lower()]
    return Response(path.read_bytes(), media_type=media_type, headers={"Cache-Control": CACHE})


@router.get(f"{PREFIX}/{{slug}}", response_class=HTMLResponse)
async def guide_page(request: Request, slug: str, pages: Guides) -> HTMLResponse:
    """One guide of ``docs/thanh-vien/`` as a page; 404 for an unknown name."""
    guide = pages.guides.get(slug) if slug and SLUG.match(slug) else None
    if guide is None:
        return render_guide(request, pages, None, status=404)
    return render_guide(request, pages, guide)
