"""``SearchAnalytics`` on MongoDB: buffered in memory, written in bulk (the visit counter's way).

Collections (``day`` is the local day in Hai Phong, ISO):
* ``search_analytics_queries`` — ``{_id: "day|search id", day, q, searches, zero, opened}``;
  ``q`` is the normalised text (``services.search.analytics.normalised_query``).
* ``search_analytics_members`` — ``{_id: "day|member", day, member, shown, opened}``.
* ``search_analytics_days`` — ``{_id: day, day, searches, zero, opened}``.

No address, user agent or cookie is ever written. An open counts for its query only if that
query was searched that day (no upsert): a made-up ``?from=`` adds no query text.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pymongo import DeleteMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.search.adapters.visits import local_day
from services.search.analytics import (
    DEFAULT_RETENTION_DAYS,
    AnalyticsReport,
    DayCount,
    MemberCount,
    QueryRow,
    build_report,
    normalised_query,
    retention_cutoff,
    search_id,
    valid_search_id,
)
from services.search.domain import LOCAL_TZ
from shared.runtime import Periodic

log = structlog.get_logger(__name__)

QUERIES = "search_analytics_queries"
MEMBERS = "search_analytics_members"
DAYS = "search_analytics_days"
PRUNE_EVERY = timedelta(hours=1)


class _Buffer:
    """Counts not yet written; swapped out whole by a flush."""

    def __init__(self) -> None:
        self.searches: Counter[tuple[str, str]] = Counter()  # (day, search id)
        self.zero: Counter[tuple[str, str]] = Counter()
        self.texts: dict[str, str] = {}  # search id -> normalised query
        self.opened: Counter[tuple[str, str]] = Counter()  # (day, search id)
        self.shown: Counter[tuple[str, str]] = Counter()  # (day, member)
        self.member_opened: Counter[tuple[str, str]] = Counter()  # (day, member)

    def __bool__(self) -> bool:
        return bool(self.searches or self.opened or self.shown or self.member_opened)

    def merge(self, other: _Buffer) -> None:
        self.searches.update(other.searches)
        self.zero.update(other.zero)
        self.texts.update(other.texts)
        self.opened.update(other.opened)
        self.shown.update(other.shown)
        self.member_opened.update(other.member_opened)


class MongoSearchAnalytics:
    """Counts searches, zero results, records shown and opened; reports a period."""

    def __init__(
        self,
        db: AsyncDatabase,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        flush_interval: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._retention_days = retention_days
        self._flush_interval = flush_interval
        self._clock = clock
        self._buffer = _Buffer()
        self._lock = asyncio.Lock()
        self._flusher: Periodic | None = None
        self._last_prune = datetime.min.replace(tzinfo=UTC)

    # -- the write path: no I/O ------------------------------------------------------------
    def record_search(self, q: str, total: int) -> str | None:
        """Count one new search (no I/O: the flush loop writes it); its search id."""
        text = normalised_query(q)
        if not text:
            return None
        sid = search_id(text)
        key = (local_day(self._clock()), sid)
        self._buffer.searches[key] += 1
        if total == 0:
            self._buffer.zero[key] += 1
        self._buffer.texts[sid] = text
        return sid

    def record_shown(self, members: Sequence[str]) -> None:
        """Count the records of a page of results, per member (no I/O)."""
        day = local_day(self._clock())
        for member in members:
            self._buffer.shown[(day, member)] += 1

    def record_open(self, search: str, member: str) -> None:
        """Count one record opened from a page of results (no I/O)."""
        if not valid_search_id(search):
            return
        day = local_day(self._clock())
        self._buffer.opened[(day, search)] += 1
        self._buffer.member_opened[(day, member)] += 1

    # -- writing ---------------------------------------------------------------------------
    async def flush(self) -> int:
        """Write what is buffered; on failure it goes back. Returns the searches written."""
        async with self._lock:
            pending, self._buffer = self._buffer, _Buffer()
            if not pending:
                return 0
            try:
                await self._write(self._db, pending)
            except Exception:
                self._buffer.merge(pending)
                raise
            try:
                await self._prune()
            except PyMongoError as exc:  # what is old is deleted on a later flush
                log.warning("analytics_prune_failed", error=type(exc).__name__)
            return sum(pending.searches.values())

    async def _write(self, db: AsyncDatabase, pending: _Buffer) -> None:
        if pending.searches:
            await db[QUERIES].bulk_write(_query_updates(pending), ordered=False)
        if pending.opened:  # after the searches: an open of a query searched in this batch
            opens = [
                UpdateOne({"_id": f"{day}|{sid}"}, {"$inc": {"opened": n}})
                for (day, sid), n in pending.opened.items()
            ]
            await db[QUERIES].bulk_write(opens, ordered=False)
        members = _member_updates(pending)
        if members:
            await db[MEMBERS].bulk_write(members, ordered=False)
        days = _day_updates(pending)
        if days:
            await db[DAYS].bulk_write(days, ordered=False)

    async def _prune(self) -> None:
        """Delete counts older than the retention, at most once an hour."""
        now = self._clock()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        cutoff = retention_cutoff(now.astimezone(LOCAL_TZ).date(), self._retention_days)
        db = self._db
        for name in (QUERIES, MEMBERS, DAYS):
            await db[name].bulk_write([DeleteMany({"day": {"$lt": cutoff}})])

    # -- reading ---------------------------------------------------------------------------
    async def report(self, first: date, last: date, *, limit: int) -> AnalyticsReport:
        """The period's counts, what is buffered included (written first)."""
        await self.flush()
        db = self._db
        period = {"day": {"$gte": first.isoformat(), "$lte": last.isoformat()}}
        sums = {"searches": "$searches", "zero": "$zero", "opened": "$opened"}
        queries = await _grouped(db, QUERIES, period, "$q", sums)
        members = await _grouped(
            db, MEMBERS, period, "$member", {"shown": "$shown", "opened": "$opened"}
        )
        days = {
            doc["day"]: DayCount(
                date=doc["day"],
                searches=int(doc.get("searches", 0)),
                zero=int(doc.get("zero", 0)),
                opened=int(doc.get("opened", 0)),
            )
            async for doc in db[DAYS].find(period)
        }
        return build_report(
            first=first,
            last=last,
            queries=[
                QueryRow(str(g["_id"]), g["searches"], g["zero"], g["opened"]) for g in queries
            ],
            days=days,
            members=[
                MemberCount(member=str(g["_id"]), shown=g["shown"], opened=g["opened"])
                for g in members
            ],
            limit=limit,
        )

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the background flush loop (owned: stopped by ``stop``)."""
        if self._flusher is None:
            try:
                for name in (QUERIES, MEMBERS, DAYS):
                    await self._db[name].create_index("day")
            except PyMongoError as exc:  # counting works without it; reports are slower
                log.warning("analytics_index_not_created", error=type(exc).__name__)
            self._flusher = Periodic(
                "analytics_flush",
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
            lost = sum(self._buffer.searches.values())
            log.warning("analytics_not_written", searches=lost, error=str(exc)[:200])


def _query_updates(pending: _Buffer) -> list[UpdateOne]:
    return [
        UpdateOne(
            {"_id": f"{day}|{sid}"},
            {
                "$inc": {"searches": n, "zero": pending.zero.get((day, sid), 0), "opened": 0},
                "$setOnInsert": {"day": day, "q": pending.texts[sid]},
            },
            upsert=True,
        )
        for (day, sid), n in pending.searches.items()
    ]


def _member_updates(pending: _Buffer) -> list[UpdateOne]:
    keys = set(pending.shown) | set(pending.member_opened)
    return [
        UpdateOne(
            {"_id": f"{day}|{member}"},
            {
                "$inc": {
                    "shown": pending.shown.get((day, member), 0),
                    "opened": pending.member_opened.get((day, member), 0),
                },
                "$setOnInsert": {"day": day, "member": member},
            },
            upsert=True,
        )
        for day, member in sorted(keys)
    ]


def _day_updates(pending: _Buffer) -> list[UpdateOne]:
    per_day: dict[str, dict[str, int]] = {}
    for counter, field in (
        (pending.searches, "searches"),
        (pending.zero, "zero"),
        (pending.opened, "opened"),
    ):
        for (day, _), n in counter.items():
            inc = per_day.setdefault(day, {"searches": 0, "zero": 0, "opened": 0})
            inc[field] += n
    return [
        UpdateOne({"_id": day}, {"$inc": inc, "$setOnInsert": {"day": day}}, upsert=True)
        for day, inc in sorted(per_day.items())
    ]


async def _grouped(
    db: AsyncDatabase, name: str, match: dict[str, Any], key: str, sums: dict[str, str]
) -> list[dict[str, Any]]:
    """Counts summed per ``key`` over the matched days, by the store."""
    group: dict[str, Any] = {"_id": key, **{f: {"$sum": path} for f, path in sums.items()}}
    cursor = await db[name].aggregate([{"$match": match}, {"$group": group}])
    return [doc async for doc in cursor]
