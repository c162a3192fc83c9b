"""``/feeds/search.atom`` read as a feed reader reads it (feedparser), and the portal's links."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import feedparser
import httpx2
import pytest
from fastapi import FastAPI

from services.search.adapters.mongo import MongoMemberDirectory
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.bootstrap import visit_counter
from services.search.entrypoints import feeds as feed_routes
from services.search.entrypoints import web
from services.search.entrypoints.dependencies import FeedPorts, WebPorts
from shared.http import install_error_handlers, install_ports
from shared.mongo import make_mongo_client, service_database
from shared.records import Record
from tests.search.web.conftest import portal_settings
from tests.search.web.corpus import MEMBERS, record

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def added(member: str, local_id: str, title: str, days: int, **fields: object) -> Record:
    """A record added to the network ``days`` after ``START`` (and updated an hour later)."""
    created = START + timedelta(days=days)
    base = record(member, local_id, title, **fields)
    return base.model_copy(
        update={"created_at": created, "updated_at": created + timedelta(hours=1)}
    )


# Added in an order unlike their years: the feed follows when a record arrived, not its year.
FEED_CORPUS = [
    added("vimn", "t-1", "Kỹ thuật nuôi tôm thẻ chân trắng", 1, year=2024, subjects=["Nuôi tôm"]),
    added("vimn", "t-2", "Bệnh trên tôm nuôi nước lợ", 5, year=2019, subjects=["Nuôi tôm"]),
    added("hpu", "t-3", "Nuôi tôm sú quảng canh cải tiến", 3, year=2025, kind="database"),
    added("vmu", "t-4", "Tôm hùm lồng bè ở Cát Bà", 9, year=2021, description="Đ" * 900),
    added("vmu", "s-1", "Cảng biển Hải Phòng", 7, year=2023),
    *[added("hpu", f"many-{i}", f"Tôm càng xanh số {i}", 20 + i) for i in range(60)],
]


@pytest.fixture(scope="module")
async def feeds(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx2.AsyncClient]:
    settings = portal_settings(mongo_url, tmp_path_factory.mktemp("feeds")).model_copy(
        update={
            "notify_public_url": "https://notify.example.vn",
            "stinet_public_url": "http://tracuu.test",
        }
    )
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    index = TantivyIndex(settings.stinet_data_dir)
    await index.open()
    await index.upsert(FEED_CORPUS)
    directory = MongoMemberDirectory(db)
    for code, (name, name_en) in MEMBERS.items():
        await directory.save(code, name, name_en, 1)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(web.router)
    app.include_router(feed_routes.router)
    install_ports(
        app,
        WebPorts(
            settings=settings, index=index, members=directory, visits=visit_counter(settings, db)
        ),
        FeedPorts(settings=settings, index=index, members=directory),
    )
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://tracuu.test") as client,
    ):
        yield client
    await index.close()
    await mongo.drop_database(settings.stinet_db)
    await mongo.close()


async def parsed(client: httpx2.AsyncClient, **params: object) -> feedparser.FeedParserDict:
    response = await client.get("/feeds/search.atom", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")  # well-formed, as a reader needs it
    assert feed.version == "atom10"
    return feed


def record_ids(feed: feedparser.FeedParserDict) -> list[str]:
    return [urlsplit(e.link).path.removeprefix("/records/") for e in feed.entries]


async def test_the_feed_is_valid_atom_of_the_newest_additions_first(
    feeds: httpx2.AsyncClient,
) -> None:
    feed = await parsed(feeds, q="nuoi tom", kind="publication")
    assert record_ids(feed) == ["vimn:t-2", "vimn:t-1"]  # added day 5, then day 1
    assert feed.feed.title.startswith("Theo dõi tìm kiếm “nuoi tom”")
    assert feed.feed.language == "vi"
    first = feed.entries[0]
    assert first.title == "Bệnh trên tôm nuôi nước lợ"  # UTF-8 Vietnamese, intact
    assert first.id == "http://tracuu.test/records/vimn:t-2"
    assert first.updated_parsed[:4] == (2026, 3, 6, 9)  # updated_at, from the record
    assert first.published_parsed[:3] == (2026, 3, 6)  # created_at
    assert first.author == "Viện Nghiên cứu Hải sản"
    assert {t.term for t in first.tags} >= {"publication", "Nuôi tôm"}
    links = {link.rel: link.href for link in feed.feed.links}
    assert parse_qs(urlsplit(links["self"]).query) == {"q": ["nuoi tom"], "kind": ["publication"]}
    assert urlsplit(links["alternate"]).path == "/"


async def test_filters_are_respected_and_the_feed_holds_fifty_entries(
    feeds: httpx2.AsyncClient,
) -> None:
    assert record_ids(await parsed(feeds, q="tom", member="vmu")) == ["vmu:t-4"]
    assert record_ids(await parsed(feeds, q="tom", year_from=2024)) == ["hpu:t-3", "vimn:t-1"]
    everything = await parsed(feeds, q="tom")
    assert len(everything.entries) == 50
    published = [e.published_parsed for e in everything.entries]
    assert published == sorted(published, reverse=True)
    assert record_ids(everything)[0] == "hpu:many-59"


async def test_english_feed_and_long_text_stay_valid(feeds: httpx2.AsyncClient) -> None:
    feed = await parsed(feeds, q="tom hum", lang="en")
    assert feed.feed.language == "en" and feed.feed.title.startswith("Following the search")
    (entry,) = feed.entries
    assert entry.link.endswith("/records/vmu:t-4?lang=en")
    assert entry.author == "Vietnam Maritime University"
    assert len(entry.summary) < 600 and entry.summary.endswith("…")


async def test_a_repeated_fetch_is_not_modified(feeds: httpx2.AsyncClient) -> None:
    first = await feeds.get("/feeds/search.atom", params={"q": "cang"})
    again = await feeds.get(
        "/feeds/search.atom", params={"q": "cang"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


async def test_a_repeated_fetch_of_an_empty_feed_is_not_modified(
    feeds: httpx2.AsyncClient,
) -> None:
    first = await feeds.get("/feeds/search.atom", params={"q": "khongcotrongchimuc"})
    assert first.status_code == 200 and b"<entry" not in first.content
    await asyncio.sleep(1.1)  # the empty feed's own time used to be now: a second later
    again = await feeds.get(
        "/feeds/search.atom",
        params={"q": "khongcotrongchimuc"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304


async def test_bad_filters_answer_422_with_the_field(feeds: httpx2.AsyncClient) -> None:
    response = await feeds.get("/feeds/search.atom", params={"kind": "ufo", "year_from": "x"})
    assert response.status_code == 422
    fields = {d["loc"][-1] for d in response.json()["error"]["details"]}
    assert {"kind", "year_from"} & fields


class HeadLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: list[dict[str, str | None]] = []
        self.anchors: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "alternate":
            self.alternates.append(values)
        if tag == "a":
            self._href = values.get("href")

    def handle_data(self, data: str) -> None:
        if self._href and data.strip():
            self.anchors[data.strip()] = self._href
            self._href = None


async def test_results_page_links_its_feed_and_the_follow_page(feeds: httpx2.AsyncClient) -> None:
    page = await feeds.get("/", params={"q": "nuôi tôm", "member": "vimn", "page": "1"})
    links = HeadLinks()
    links.feed(page.text)
    (alternate,) = [a for a in links.alternates if a.get("type") == "application/atom+xml"]
    feed_href = str(alternate["href"])
    assert urlsplit(feed_href).path == "/feeds/search.atom"
    assert parse_qs(urlsplit(feed_href).query) == {"q": ["nuôi tôm"], "member": ["vimn"]}
    assert record_ids(
        await parsed(feeds, **{k: v[0] for k, v in parse_qs(urlsplit(feed_href).query).items()})
    )
    follow = urlsplit(links.anchors["Theo dõi tìm kiếm này"])
    assert (follow.scheme, follow.netloc, follow.path) == (
        "https",
        "notify.example.vn",
        "/theo-doi",
    )
    assert parse_qs(follow.query) == {"q": ["nuôi tôm"], "member": ["vimn"]}
    english = HeadLinks()
    english.feed((await feeds.get("/", params={"q": "tom", "lang": "en"})).text)
    assert "lang=en" in english.anchors["Follow this search"]
