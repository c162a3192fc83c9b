"""Visit counters of the public pages (online now, today, total), stored in ``search_visits_*``.

A page view costs the request nothing but a dict update: views are buffered in memory and
written in bulk every ``flush_interval`` seconds by a loop the web router's lifespan owns.
Visitors are known only by a salted hash (cookie, or IP and user agent) that changes every
day: nothing personal is stored raw.

Collections:
* ``search_visits_online`` — ``{_id: visitor hash, last_seen}``; online = seen in 5 minutes.
* ``search_visits_daily`` — ``{_id: "YYYY-MM-DD" (Asia/Ho_Chi_Minh), views, sources.{name},
  searches}`` (``searches``: queries with words, from the API, the pages and the widget).
* ``search_visits_totals`` — ``{_id: "all", views}``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from pymongo import DeleteMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.search.domain import LOCAL_TZ
from services.search.ports import SOURCES, DaySearches, VisitStats
from shared.runtime import Periodic

log = structlog.get_logger(__name__)

ONLINE_WINDOW = timedelta(minutes=5)
ONLINE = "search_visits_online"
DAILY = "search_visits_daily"
TOTALS = "search_visits_totals"


def local_day(moment: datetime) -> str:
    """The calendar day of ``moment`` in Hai Phong (Asia/Ho_Chi_Minh)."""
    return moment.astimezone(LOCAL_TZ).date().isoformat()


def visitor_hash(raw_identity: str, *, salt: str, day: str) -> str:
    """A salted, daily-rotating hash of whatever identifies a browser (cookie or IP + UA)."""
    digest = hashlib.sha256(f"{salt}\x00{day}\x00{raw_identity}".encode())
    return digest.hexdigest()[:32]


class MongoVisitCounter:
    """``VisitCounter``: buffers page views in memory and writes them to MongoDB in bulk."""

    def __init__(
        self,
        db: AsyncDatabase,
        *,
        salt: str,
        flush_interval: float = 2.0,
        stored_ttl: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._salt = salt
        self._flush_interval = flush_interval
        self._clock = clock
        self._views: Counter[tuple[str, str]] = Counter()  # (day, source) -> views
        self._seen: dict[str, datetime] = {}  # visitor hash -> last seen, not yet written
        self._searches: Counter[str] = Counter()  # day -> searches, not yet written
        self._flushed: dict[str, datetime] = {}  # hashes this process wrote, last seen
        self._lock = asyncio.Lock()
        self._flusher: Periodic | None = None
        self._last_prune = datetime.min.replace(tzinfo=UTC)
        self._stored: tuple[datetime, str, int, int, int] | None = None  # read-through cache
        self._stored_ttl = timedelta(seconds=stored_ttl)

    def record(self, raw_identity: str, source: str) -> None:
        """Count one page view (no I/O: the flush loop writes it)."""
        now = self._clock()
        day = local_day(now)
        self._views[(day, source if source in SOURCES else "portal")] += 1
        self._seen[visitor_hash(raw_identity, salt=self._salt, day=day)] = now

    def record_search(self) -> None:
        """Count one search (no I/O: the flush loop writes it)."""
        self._searches[local_day(self._clock())] += 1

    async def flush(self) -> int:
        """Write buffered views; on failure they go back into the buffer. Returns views written."""
        async with self._lock:
            views, seen, searches = self._views, self._seen, self._searches
            self._views, self._seen, self._searches = Counter(), {}, Counter()
            if not views and not seen and not searches:
                return 0
            try:
                await self._write(views, seen, searches)
            except Exception:
                self._views.update(views)
                self._searches.update(searches)
                for key, moment in seen.items():
                    self._seen[key] = max(moment, self._seen.get(key, moment))
                raise
            self._stored = None
            cutoff = self._clock() - ONLINE_WINDOW
            self._flushed = {k: v for k, v in self._flushed.items() if v >= cutoff}
            self._flushed.update(seen)
            return sum(views.values())

    async def _write(
        self,
        views: Counter[tuple[str, str]],
        seen: dict[str, datetime],
        searches: Counter[str],
    ) -> None:
        db = self._db
        if seen:
            await db[ONLINE].bulk_write(
                [
                    UpdateOne({"_id": key}, {"$max": {"last_seen": moment}}, upsert=True)
                    for key, moment in seen.items()
                ],
                ordered=False,
            )
        per_day: dict[str, dict[str, int]] = {}
        for (day, source), count in views.items():
            inc = per_day.setdefault(day, {"views": 0})
            inc["views"] += count
            inc[f"sources.{source}"] = inc.get(f"sources.{source}", 0) + count
        for day, count in searches.items():
            per_day.setdefault(day, {})["searches"] = count
        if per_day:
            await db[DAILY].bulk_write(
                [
                    UpdateOne({"_id": day}, {"$inc": inc}, upsert=True)
                    for day, inc in per_day.items()
                ],
                ordered=False,
            )
        if views:
            total = sum(views.values())
            await db[TOTALS].update_one({"_id": "all"}, {"$inc": {"views": total}}, upsert=True)
        await self._prune(db)

    async def _prune(self, db: AsyncDatabase) -> None:
        now = self._clock()
        if now - self._last_prune < ONLINE_WINDOW:
            return
        self._last_prune = now
        await db[ONLINE].bulk_write([DeleteMany({"last_seen": {"$lt": now - 2 * ONLINE_WINDOW}})])

    async def stats(self) -> VisitStats:
        """Online now (visitors seen in 5 minutes), today and total views, buffered included."""
        now = self._clock()
        cutoff = now - ONLINE_WINDOW
        today = local_day(now)
        stored_online, stored_today, stored_total = await self._stored_counts(now, today)
        pending_online = sum(
            1 for key, moment in self._seen.items() if moment >= cutoff and key not in self._flushed
        )
        pending_today = sum(n for (day, _), n in self._views.items() if day == today)
        return VisitStats(
            online=stored_online + pending_online,
            today=stored_today + pending_today,
            total=stored_total + sum(self._views.values()),
        )

    async def searches_per_day(self, days: int) -> list[DaySearches]:
        """Searches on each of the last ``days`` local days (today last), buffered included."""
        today = self._clock().astimezone(LOCAL_TZ).date()
        dates = [(today - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
        cursor = self._db[DAILY].find(
            {"_id": {"$gte": dates[0], "$lte": dates[-1]}}, {"searches": 1}
        )
        stored = {doc["_id"]: int(doc.get("searches", 0)) async for doc in cursor}
        return [
            DaySearches(date=d, searches=stored.get(d, 0) + self._searches.get(d, 0)) for d in dates
        ]

    async def _stored_counts(self, now: datetime, today: str) -> tuple[int, int, int]:
        """What is written, re-read at most every ``stored_ttl`` seconds (pages show it)."""
        cached = self._stored
        if cached is not None and now - cached[0] < self._stored_ttl and cached[1] == today:
            return cached[2], cached[3], cached[4]
        db = self._db
        online = await db[ONLINE].count_documents({"last_seen": {"$gte": now - ONLINE_WINDOW}})
        day_doc = await db[DAILY].find_one({"_id": today}) or {}
        total_doc = await db[TOTALS].find_one({"_id": "all"}) or {}
        counts = (online, int(day_doc.get("views", 0)), int(total_doc.get("views", 0)))
        self._stored = (now, today, *counts)
        return counts

    async def start(self) -> None:
        """Start the background flush loop (owned: stopped by ``stop``)."""
        if self._flusher is None:
            try:
                await self._db[ONLINE].create_index("last_seen")
            except PyMongoError as exc:  # counting works without it; only the count is slower
                log.warning("visits_index_not_created", error=type(exc).__name__)
            self._flusher = Periodic(
                "visits_flush",
                self.flush,
                interval=self._flush_interval,
                service="search",
                wait_first=True,
            )
            self._flusher.start()

    async def stop(self) -> None:
        """Stop the loop and write what is left."""
        if self._flusher is not None:
            await self._flusher.stop()  # waits for a flush under way
            self._flusher = None
        try:
            await self.flush()
        except PyMongoError as exc:  # shutting down with the store gone: say what is lost
            log.warning("visits_not_written", views=sum(self._views.values()), error=str(exc)[:200])
