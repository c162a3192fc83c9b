"""Visit counters: buffered page views, bulk-written to search_visits_*, hashed visitors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.search.adapters.visits import DAILY, ONLINE, TOTALS, MongoVisitCounter, local_day
from tests.search.web.conftest import Portal


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase]:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    name = f"visits_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def test_today_is_the_day_in_hai_phong() -> None:
    assert local_day(datetime(2026, 11, 26, 16, 59, tzinfo=UTC)) == "2026-11-26"
    assert local_day(datetime(2026, 11, 26, 17, 0, tzinfo=UTC)) == "2026-11-27"


async def test_online_counts_distinct_visitors_of_the_last_five_minutes(db: AsyncDatabase) -> None:
    clock = Clock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    counter = MongoVisitCounter(db, salt="s", clock=clock)
    counter.record("1.2.3.4|Firefox", "portal")
    counter.record("1.2.3.4|Firefox", "record")
    counter.record("5.6.7.8|Chrome", "widget")
    assert await counter.flush() == 3
    clock.now += timedelta(minutes=4)
    counter.record("9.9.9.9|Safari", "embed")  # buffered, not yet written
    stats = await counter.stats()
    assert (stats.online, stats.today, stats.total) == (3, 4, 4)
    clock.now += timedelta(minutes=2)  # the first two are now 6 minutes old
    stats = await counter.stats()
    assert (stats.online, stats.today, stats.total) == (1, 4, 4)


async def test_views_are_stored_per_local_day_and_source_with_hashed_visitors(
    db: AsyncDatabase,
) -> None:
    clock = Clock(datetime(2026, 11, 26, 16, 58, tzinfo=UTC))
    counter = MongoVisitCounter(db, salt="s", clock=clock)
    counter.record("203.0.113.7|Mozilla/5.0", "portal")
    clock.now += timedelta(minutes=5)  # 17:03 UTC = 00:03 the next day in Hai Phong
    counter.record("203.0.113.7|Mozilla/5.0", "widget")
    counter.record("203.0.113.7|Mozilla/5.0", "widget")
    await counter.flush()
    days = {doc["_id"]: doc async for doc in db[DAILY].find()}
    assert days["2026-11-26"]["views"] == 1 and days["2026-11-26"]["sources"] == {"portal": 1}
    assert days["2026-11-27"]["views"] == 2 and days["2026-11-27"]["sources"] == {"widget": 2}
    assert (await db[TOTALS].find_one({"_id": "all"}))["views"] == 3
    stored = [doc async for doc in db[ONLINE].find()]
    assert len(stored) == 2  # the visitor's hash changes with the day
    assert all("203.0.113.7" not in doc["_id"] and len(doc["_id"]) == 32 for doc in stored)
    assert (await counter.stats()).today == 2


async def test_a_failed_flush_keeps_the_views_for_the_next_one(db: AsyncDatabase) -> None:
    broken = True

    class FlakyDatabase:
        """The database's collections, unreachable while ``broken``."""

        def __getitem__(self, name: str) -> Any:
            if broken:
                raise ConnectionError("store down")
            return db[name]

    counter = MongoVisitCounter(FlakyDatabase(), salt="s")  # type: ignore[arg-type]
    counter.record("a", "portal")
    counter.record("b", "portal")
    with pytest.raises(ConnectionError):
        await counter.flush()
    broken = False
    assert await counter.flush() == 2
    assert (await db[TOTALS].find_one({"_id": "all"}))["views"] == 2


async def test_stopping_writes_what_is_buffered(db: AsyncDatabase) -> None:
    counter = MongoVisitCounter(db, salt="s", flush_interval=60)
    await counter.start()
    counter.record("a", "embed")
    await counter.stop()
    assert (await db[TOTALS].find_one({"_id": "all"}))["views"] == 1


async def test_pages_and_widget_searches_are_counted(portal: Portal) -> None:
    before = (await portal.client.get("/v1/stats/visits")).json()
    assert set(before) == {"online", "today", "total"}
    await portal.client.get("/", params={"q": "hang hai"})
    await portal.client.get("/embed", params={"member": "vmu"})
    await portal.client.get("/records/vmu:tv-1")
    ping = await portal.client.get("/v1/stats/visits/ping", params={"source": "widget"})
    assert ping.status_code == 204
    after = (await portal.client.get("/v1/stats/visits")).json()
    assert after["today"] - before["today"] == 4
    assert after["total"] - before["total"] == 4
    assert after["online"] >= 1
    page = (await portal.client.get("/")).text
    assert f'data-visits="total">{after["total"] + 1:,}'.replace(",", ".") in page
