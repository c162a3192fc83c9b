"""What people look for, did you mean, Vietnamese by default (issue 17), through the whole
search app: real SecantusDB, the embedded engine, HTTP over ASGI."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.search.adapters.analytics import DAYS, MEMBERS, QUERIES, MongoSearchAnalytics
from services.search.analytics import search_id
from services.search.handlers import apply_record_changes
from shared.events import ChangeKind, RecordChange, RecordsChanged
from tests.search.corpus import CORPUS, make_record
from tests.search.service.conftest import Service
from tests.sessions import session_for

SHRIMP = [
    make_record("tsi", "nt-1", "Kỹ thuật nuôi tôm thẻ chân trắng", subjects=["Thủy sản"]),
    make_record("tsi", "nt-2", "Nuôi tôm sú vùng ven biển", subjects=["Thủy sản"]),
    make_record("hpl", "tt-1", "Tóm tắt báo cáo khoa học 2024"),
    make_record("hpl", "tt-2", "Tóm tắt luận án tiến sĩ"),
    make_record("hpl", "tt-3", "Tóm tắt hội thảo nuôi trồng"),
]
LINK = re.compile(r'href="(/records/[^"?]+\?[^"]*from=[0-9a-f]{16}[^"]*)"')


@pytest.fixture(scope="module", autouse=True)
async def indexed(service: Service) -> None:
    changes = [RecordChange(change=ChangeKind.CREATED, record=r) for r in CORPUS + SHRIMP]
    index = service.ports.index
    await apply_record_changes(RecordsChanged(changes=changes), index=index)


def admin(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.settings.admin_key}"}


async def report(service: Service, **params: Any) -> dict[str, Any]:
    response = await service.client.get("/v1/analytics", params=params, headers=admin(service))
    assert response.status_code == 200, response.text
    return response.json()


def row(rows: list[dict[str, Any]], query: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["query"] == query), None)


async def test_concurrent_searches_and_opens_are_counted_exactly(service: Service) -> None:
    before = (await report(service))["totals"]
    api = [service.client.get("/v1/search", params={"q": "dai hoc hang hai"}) for _ in range(20)]
    pages = [service.client.get("/", params={"q": "Đại học  HÀNG hải"}) for _ in range(10)]
    empty = [service.client.get("/v1/search", params={"q": "zzqqxx"}) for _ in range(7)]
    paged = [service.client.get("/v1/search", params={"q": "dai hoc hang hai", "page": 2})]
    answers = await asyncio.gather(*api, *pages, *empty, *paged)
    assert all(a.status_code == 200 for a in answers)
    hits = answers[0].json()["hits"]
    assert answers[0].json()["search_id"] == search_id("dai hoc hang hai")
    links = LINK.findall(answers[20].text)  # a portal page: its result links carry the search
    assert len(links) == len(hits) and f"from={search_id('dai hoc hang hai')}" in links[0]
    chosen = [links[0], links[0], links[-1]]  # one result opened twice
    opened = await asyncio.gather(*(service.client.get(link) for link in chosen))
    assert all(o.status_code == 200 for o in opened)

    body = await report(service)
    top = row(body["top_queries"], "dai hoc hang hai")
    assert top == {"query": "dai hoc hang hai", "searches": 30, "zero": 0, "opened": 3}
    assert row(body["zero_result_queries"], "zzqqxx") == {
        "query": "zzqqxx",
        "searches": 7,
        "zero": 7,
        "opened": 0,
    }
    totals = body["totals"]
    assert totals["searches"] - before["searches"] == 37  # page 2 is no new search
    assert totals["zero"] - before["zero"] == 7 and totals["opened"] - before["opened"] == 3
    today = body["days"][-1]
    assert today["searches"] >= 37 and len(body["days"]) == 30
    shown = Counter(h["member"] for h in hits)
    members = {m["member"]: m for m in body["members"]}
    for code, n in shown.items():  # 30 first pages of the same hits (page 2 is empty)
        assert members[code]["shown"] >= 30 * n
    opened_members = Counter(link.split("/")[2].split(":")[0] for link in chosen)
    for code, n in opened_members.items():
        assert members[code]["opened"] >= n


async def test_a_query_whose_results_nobody_opened_is_listed(service: Service) -> None:
    await service.client.get("/v1/search", params={"q": "Thư viện số"})
    body = await report(service)
    assert row(body["unopened_queries"], "thu vien so") is not None
    assert row(body["zero_result_queries"], "thu vien so") is None


async def test_nothing_about_the_person_is_stored(service: Service) -> None:
    headers = {"User-Agent": "Mozilla/5.0 (X11) Firefox/140", "X-Forwarded-For": "198.51.100.9"}
    await service.client.get("/", params={"q": "môi trường biển"}, headers=headers)
    await report(service)  # written
    db = service.ports.db
    stored = [doc for name in (QUERIES, MEMBERS, DAYS) for doc in await db[name].find().to_list()]
    assert stored
    text = json.dumps(stored, default=str)
    for personal in ("127.0.0.1", "198.51.100.9", "Mozilla", "Firefox", "testclient"):
        assert personal not in text
    allowed = {"_id", "day", "q", "searches", "zero", "opened", "member", "shown"}
    assert all(doc.keys() <= allowed for doc in stored)
    assert any(doc.get("q") == "moi truong bien" for doc in stored)  # folded, not as typed


async def test_a_made_up_search_id_adds_no_query(service: Service) -> None:
    response = await service.client.get("/records/vmu:dh-1", params={"from": "0123456789abcdef"})
    assert response.status_code == 200
    await service.client.get("/records/vmu:dh-1", params={"from": "<script>"})
    body = await report(service, limit=100)
    ids = {search_id(r["query"]) for r in body["top_queries"]}
    assert "0123456789abcdef" not in ids


async def test_the_report_is_for_the_centre_only(service: Service) -> None:
    assert (await service.client.get("/v1/analytics")).status_code == 401
    _, member = session_for(service.settings, member="vmu")
    assert (await service.client.get("/v1/analytics", headers=member)).status_code == 403
    _, centre = session_for(service.settings)
    assert (await service.client.get("/v1/analytics", headers=centre)).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "not-a-day"}, "from"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_a_bad_period_is_a_422_naming_the_field(
    service: Service, params: dict[str, Any], field: str
) -> None:
    response = await service.client.get("/v1/analytics", params=params, headers=admin(service))
    assert response.status_code == 422
    assert any(d["loc"][-1] == field for d in response.json()["error"]["details"])


async def test_a_period_reports_each_of_its_days(service: Service) -> None:
    body = await report(service, **{"from": "2026-01-30", "to": "2026-02-02"})
    assert body["from"] == "2026-01-30" and body["to"] == "2026-02-02"
    assert [d["date"] for d in body["days"]] == [
        "2026-01-30",
        "2026-01-31",
        "2026-02-01",
        "2026-02-02",
    ]


# ---- did you mean --------------------------------------------------------------------------


async def suggestion(service: Service, q: str) -> str | None:
    response = await service.client.get("/v1/search", params={"q": q})
    assert response.status_code == 200
    return response.json()["suggestion"]


async def test_an_unmarked_query_is_offered_the_reading_the_titles_hold(service: Service) -> None:
    # "tóm" is the more used word (3 titles), but only "nuôi tôm" is held as a phrase.
    assert await suggestion(service, "nuoi tom") == "nuôi tôm"
    assert await suggestion(service, "nuôi tôm") is None  # typed with marks: nothing to offer


async def test_a_typo_is_offered_its_correction(service: Service) -> None:
    assert await suggestion(service, "nuoi tomm") == "nuôi tôm"
    assert await suggestion(service, "ky thuat nuoii tom") == "kỹ thuật nuôi tôm"


async def test_the_portal_links_the_suggestion(service: Service) -> None:
    page = await service.client.get("/", params={"q": "nuoi tom", "kind": "publication"})
    assert 'class="did-you-mean"' in page.text
    assert "q=nu%C3%B4i+t%C3%B4m" in page.text and "kind=publication" in page.text


# ---- Vietnamese by default -----------------------------------------------------------------


@pytest.fixture
async def browser(service: Service) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of its own (its own cookies), on the running app."""
    transport = httpx2.ASGITransport(app=service.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://search.test") as client:
        yield client


def html_lang(page: httpx2.Response) -> str:
    found = re.search(r'<html lang="(\w+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_the_portal_is_vietnamese_whatever_the_browser_says(
    browser: httpx2.AsyncClient,
) -> None:
    page = await browser.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(page) == "vi" and page.headers["content-language"] == "vi"
    record = await browser.get("/records/vmu:dh-1", headers={"Accept-Language": "en"})
    assert html_lang(record) == "vi"
    assert "set-cookie" not in page.headers


async def test_english_when_picked_remembered_in_a_cookie_and_carried_in_links(
    browser: httpx2.AsyncClient,
) -> None:
    picked = await browser.get("/", params={"q": "hai phong", "lang": "en"})
    cookie = picked.headers["set-cookie"].lower()
    assert cookie.startswith("lang=en;") and "samesite=lax" in cookie
    assert "max-age=31536000" in cookie and "path=/" in cookie
    again = await browser.get("/", params={"q": "hai phong"})  # the cookie, no ?lang=
    assert html_lang(again) == "en" and "set-cookie" not in again.headers
    assert re.search(r'href="/records/[^"]*lang=en', again.text)
    record = await browser.get("/records/vmu:dh-1")
    assert html_lang(record) == "en"
    back = await browser.get("/", params={"lang": "vi"})
    assert back.headers["set-cookie"].lower().startswith("lang=vi;")
    assert html_lang(await browser.get("/")) == "vi"


# ---- retention -----------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase]:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    name = f"analytics_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


async def test_counts_older_than_the_retention_are_deleted(db: AsyncDatabase) -> None:
    clock = Clock(datetime(2025, 1, 10, 3, 0, tzinfo=UTC))
    analytics = MongoSearchAnalytics(db, retention_days=30, clock=clock)
    analytics.record_search("cu", 1)
    analytics.record_shown(["vmu"])
    await analytics.flush()
    clock.now += timedelta(days=31)
    analytics.record_search("moi", 0)
    await analytics.flush()
    stored = [doc async for doc in db[QUERIES].find()]
    assert [doc["q"] for doc in stored] == ["moi"]
    assert await db[MEMBERS].count_documents({}) == 0
    assert [doc["_id"] async for doc in db[DAYS].find()] == ["2025-02-10"]
