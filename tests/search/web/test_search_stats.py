"""Searches per day: counted beside the visits (buffered, bulk-written), read per local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from services.search.adapters.visits import TOTALS, MongoVisitCounter
from tests.search.web.test_visits import Clock, db  # noqa: F401  (fixture)


async def test_searches_are_stored_per_local_day_and_read_back_with_zero_days(
    db: AsyncDatabase,  # noqa: F811
) -> None:
    clock = Clock(datetime(2026, 11, 26, 16, 58, tzinfo=UTC))  # 23:58 in Hai Phong
    counter = MongoVisitCounter(db, salt="s", clock=clock)
    counter.record_search()
    clock.now += timedelta(minutes=5)  # 00:03 the next local day
    counter.record_search()
    counter.record_search()
    await counter.flush()
    assert await db[TOTALS].find_one({"_id": "all"}) is None  # searches are not page views
    counter.record_search()  # buffered, not yet written

    again = MongoVisitCounter(db, salt="s", clock=clock)  # another process
    assert [(d.date, d.searches) for d in await again.searches_per_day(3)] == [
        ("2026-11-25", 0),
        ("2026-11-26", 1),
        ("2026-11-27", 2),
    ]
    assert [d.searches for d in await counter.searches_per_day(2)] == [1, 3]
    stats = await counter.stats()
    assert (stats.today, stats.total) == (0, 0)
