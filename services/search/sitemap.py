"""The sitemap protocol (sitemaps.org 0.9): an index of pages of at most 50,000 record URLs.

Pure: the routes give a base URL and the index's live entries; these functions give XML
text, a chunk per batch of entries, so a page is written as it is read, never held whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from services.search.ports import LiveEntry
from services.search.web.views import record_path

URLS_PER_PAGE = 50_000  # the protocol's limit per sitemap file
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def page_count(live: int, per_page: int = URLS_PER_PAGE) -> int:
    """Pages the index lists: one at least (an empty network has an empty page)."""
    return max(1, -(-live // per_page))


def page_offset(number: int, per_page: int = URLS_PER_PAGE) -> int:
    """Where page ``number`` (1-based) starts among the live entries."""
    return (number - 1) * per_page


def page_url(base: str, number: int) -> str:
    return f"{base}/sitemaps/{number}.xml"


def w3c_datetime(moment: datetime) -> str:
    """``2026-01-01T08:30:00+00:00``: the W3C datetime ``lastmod`` takes, in UTC."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def index_document(base: str, pages: int) -> str:
    """The sitemap index: one ``<sitemap>`` per page."""
    items = "".join(
        f"<sitemap><loc>{escape(page_url(base, n))}</loc></sitemap>\n" for n in range(1, pages + 1)
    )
    return f'{_HEAD}<sitemapindex xmlns="{NAMESPACE}">\n{items}</sitemapindex>\n'


def url_element(base: str, entry: LiveEntry) -> str:
    loc = escape(base + record_path(entry.id), {'"': "&quot;", "'": "&apos;"})
    return f"<url><loc>{loc}</loc><lastmod>{w3c_datetime(entry.updated_at)}</lastmod></url>\n"


async def urlset(base: str, batches: AsyncIterable[list[LiveEntry]]) -> AsyncIterator[bytes]:
    """One sitemap page, a chunk of UTF-8 per batch of entries."""
    yield f'{_HEAD}<urlset xmlns="{NAMESPACE}">\n'.encode()
    async for batch in batches:
        yield "".join(url_element(base, entry) for entry in batch).encode()
    yield b"</urlset>\n"


def robots_txt(base: str) -> str:
    """Crawl the portal and its record pages; not the API, the console or the embed copy."""
    return (
        "User-agent: *\n"
        "Allow: /\n"
        "Disallow: /v1/\n"
        "Disallow: /console/\n"
        "Disallow: /embed\n"
        "Disallow: /opensearch\n"
        f"\nSitemap: {base}/sitemap.xml\n"
    )
