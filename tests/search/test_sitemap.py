"""The sitemap's XML and paging arithmetic (pure), checked with lxml."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

from lxml import etree

from services.search.ports import LiveEntry
from services.search.sitemap import (
    NAMESPACE,
    index_document,
    page_count,
    page_offset,
    robots_txt,
    urlset,
    w3c_datetime,
)

NS = {"s": NAMESPACE}


def test_pages_hold_at_most_fifty_thousand_urls() -> None:
    assert [page_count(n) for n in (0, 1, 50_000, 50_001, 1_000_000)] == [1, 1, 1, 2, 20]
    assert page_offset(1) == 0 and page_offset(3) == 100_000


def test_lastmod_is_a_w3c_datetime_in_utc() -> None:
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 1, 1, 7, 30, 15, 123456, tzinfo=hanoi)
    assert w3c_datetime(moment) == "2026-01-01T00:30:15+00:00"


async def test_a_page_streams_one_chunk_per_batch_with_escaped_locations() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)

    async def batches() -> AsyncIterator[list[LiveEntry]]:
        yield [LiveEntry("vmu:a&b<c>", at), LiveEntry("vmu:sách 1", at)]
        yield [LiveEntry("hpu:x'y\"z", at)]

    chunks = [chunk async for chunk in urlset("https://tracuu.test", batches())]
    assert len(chunks) == 4  # head, two batches, tail
    root = etree.fromstring(b"".join(chunks))
    locs = [e.text for e in root.findall("s:url/s:loc", NS)]
    assert locs == [
        "https://tracuu.test/records/vmu:a%26b%3Cc%3E",
        "https://tracuu.test/records/vmu:s%C3%A1ch%201",
        "https://tracuu.test/records/hpu:x%27y%22z",
    ]


def test_the_index_lists_each_page_and_robots_points_to_it() -> None:
    root = etree.fromstring(index_document("https://tracuu.test", 3).encode())
    assert [e.text for e in root.findall("s:sitemap/s:loc", NS)] == [
        f"https://tracuu.test/sitemaps/{n}.xml" for n in (1, 2, 3)
    ]
    robots = robots_txt("https://tracuu.test")
    assert "Sitemap: https://tracuu.test/sitemap.xml" in robots.splitlines()
    assert "Disallow: /records" not in robots
