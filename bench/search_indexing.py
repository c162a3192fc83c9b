"""Embedded indexing (tantivy) through the subscriber's code path, committed (issue 15).

``records.changed`` events go to ``apply_record_changes`` as the search consumer hands them
over: up to ``PREFETCH`` at once (the consumer's prefetch), so the group commit sees what a
live consumer sees. Prints records/s for 500-record events (what the catalogue publishes)
and for one-record events, then write -> searchable latency of single records on the full
index. Two corpora: the issue's (about 80 common S&T words, long descriptions) and
``bench.search_corpus``'s. The CPU a record (this process, tantivy's threads included)
says more than records/s when the machine is shared.

    flock /tmp/stinet-bench.lock .venv/bin/python -m bench.search_indexing [records]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.search_corpus import corpus
from bench.search_syllables import corpus as syllable_corpus
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.handlers import apply_record_changes
from services.search.ports import SearchQuery
from shared.events import ChangeKind, RecordChange, RecordsChanged
from shared.records import MAX_BATCH, Record

PREFETCH = 100  # STINET_PREFETCH's default: deliveries a consumer holds at once
SINGLES = 2_000
LATENCY_SAMPLES = 100
TARGET = 8_000


def events(records: list[Record], size: int) -> list[RecordsChanged]:
    return [
        RecordsChanged(
            changes=[
                RecordChange(change=ChangeKind.CREATED, record=r) for r in records[i : i + size]
            ]
        )
        for i in range(0, len(records), size)
    ]


async def consume(index: TantivyIndex, stream: list[RecordsChanged]) -> tuple[float, float]:
    """Hand ``stream`` to the handler with at most ``PREFETCH`` in flight; seconds taken and
    CPU seconds a record."""
    slots = asyncio.Semaphore(PREFETCH)

    async def deliver(event: RecordsChanged) -> None:
        async with slots:
            await apply_record_changes(event, index=index)

    started, cpu = time.perf_counter(), time.process_time()
    async with asyncio.TaskGroup() as group:
        for event in stream:
            await slots.acquire()  # as the broker does: no more deliveries than the prefetch
            slots.release()
            group.create_task(deliver(event))
    records = sum(len(event.changes) for event in stream)
    return time.perf_counter() - started, (time.process_time() - cpu) / records


async def latencies(index: TantivyIndex, records: list[Record]) -> list[float]:
    """Single records written one after another (a pause between): write -> searchable."""
    taken = []
    for record in records:
        await asyncio.sleep(0.03)  # not within the commit interval of the one before
        started = time.perf_counter()
        await apply_record_changes(events([record], 1)[0], index=index)
        taken.append(time.perf_counter() - started)
        assert await index.get(record.id) is not None
    return taken


async def measure(name: str, records: list[Record], base: Path) -> float:
    index = TantivyIndex(base / name)
    await index.open()
    bulk, singles = records[: -SINGLES - LATENCY_SAMPLES], records[-SINGLES - LATENCY_SAMPLES :]
    seconds, cpu = await consume(index, events(bulk, MAX_BATCH))
    assert await index.count() == len(bulk)
    rate = len(bulk) / seconds
    print(
        f"{name}: {len(bulk)} records in {MAX_BATCH}-record events: {rate:,.0f} records/s"
        f" ({cpu * 1e6:,.0f} µs of CPU a record)"
    )
    seconds, cpu = await consume(index, events(singles[:SINGLES], 1))
    print(
        f"{name}: {SINGLES} one-record events: {SINGLES / seconds:,.0f} records/s"
        f" ({cpu * 1e6:,.0f} µs of CPU a record)"
    )
    taken = sorted(await latencies(index, singles[SINGLES:]))
    p95 = taken[int(len(taken) * 0.95) - 1]
    print(
        f"{name}: write -> searchable, {len(taken)} single records on {await index.count()}:"
        f" p50 {statistics.median(taken) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )
    found = await index.search(SearchQuery(q=records[0].title.split()[0]))
    assert found.total > 0
    await index.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("records", nargs="?", type=int, default=20_000, help="per corpus")
    size = parser.parse_args().records
    base = Path(tempfile.mkdtemp(prefix="stinet-bench-indexing-"))
    try:
        rates = [
            asyncio.run(measure("issue-corpus", list(syllable_corpus(size)), base)),
            asyncio.run(measure("search-corpus", list(corpus(size)), base)),
        ]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    verdict = "met" if min(rates) >= TARGET else "NOT met"
    print(f"embedded indexing >= {TARGET:,} records/s: {verdict} ({min(rates):,.0f})")


if __name__ == "__main__":
    main()
