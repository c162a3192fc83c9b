"""The catalogue's change feed: which records got a new datestamp (``updated_at``), in order.

``catalogue_feed`` holds one small document per write of a batch: ``at`` (the datestamp the
batch gave its records) and ``ids`` (those records), indexed by ``at``: the OAI-PMH provider
pages through it instead of through an ``updated_at`` index on the records. In the embedded
SecantusDB any secondary index on the records costs each insert about 95 µs; one feed
document per batch costs about 1 ms. The ``_id`` starts with ``at`` at millisecond precision
(BSON dates keep no more), which readers use to group the entries of one datestamp.

An entry goes stale when its record is written again later: readers keep a record only
where its stored ``updated_at`` equals the entry's ``at``. So the feed is written *before*
the records (a write that fails halfway leaves stale entries, never a record without one).

Records stored before the feed existed are entered once (``ensure_feed``), marked done in
``catalogue_meta``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

FEED = "catalogue_feed"
META = "catalogue_meta"
RECORDS = "catalogue_records"
_BACKFILLED = "feed-backfilled"


def at_key(at: datetime) -> str:
    """``at`` as a fixed-width UTC string that sorts like the datestamps (milliseconds)."""
    utc = at.astimezone(UTC) if at.tzinfo is not None else at
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def feed_documents(entries: Iterable[tuple[str, datetime]]) -> list[dict[str, Any]]:
    """One feed document per datestamp among ``(record id, updated_at)`` pairs."""
    by_at: dict[str, tuple[datetime, set[str]]] = {}
    for rid, at in entries:
        by_at.setdefault(at_key(at), (at, set()))[1].add(rid)
    return [
        {"_id": f"{key}|{uuid.uuid4().hex[:12]}", "at": at, "ids": sorted(ids)}
        for key, (at, ids) in by_at.items()
    ]


async def append(db: AsyncDatabase, entries: Iterable[tuple[str, datetime]]) -> None:
    if docs := feed_documents(entries):
        await db[FEED].insert_many(docs, ordered=False)


async def ensure_feed(db: AsyncDatabase) -> None:
    """Enter the records stored before the feed existed, once (idempotent; a repeat or two
    processes at once only add duplicate entries, which readers merge)."""
    await db[FEED].create_index([("at", ASCENDING)])
    if await db[META].find_one({"_id": _BACKFILLED}) is not None:
        return
    batch: list[tuple[str, datetime]] = []
    async for doc in db[RECORDS].find({}, {"updated_at": 1}, batch_size=10_000):
        batch.append((doc["_id"], doc["updated_at"]))
        if len(batch) >= 10_000:
            await append(db, batch)
            batch = []
    await append(db, batch)
    await db[META].replace_one({"_id": _BACKFILLED}, {"_id": _BACKFILLED}, upsert=True)
