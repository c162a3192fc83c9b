"""The sitemap's listing (``LiveRecords``), run against every adapter that can run here."""

from __future__ import annotations

from datetime import timedelta

from services.search.ports import LiveEntry, LiveRecords
from shared.records import RecordStatus
from tests.search.contract.conftest import IndexFactory
from tests.search.corpus import BASE, make_record

LIVE = [
    make_record(
        f"m{i % 3}",
        f"r-{i:02d}",
        f"Tài liệu số {i}",
        year=2000 + i % 4,
        updated_at=BASE + timedelta(seconds=37 * i),
    )
    for i in range(30)
]
WITHDRAWN = [
    make_record("m0", f"gone-{i}", "Đã thu hồi", status=RecordStatus.WITHDRAWN) for i in range(3)
]


async def listing(index: LiveRecords, **window: int) -> list[list[LiveEntry]]:
    return [batch async for batch in index.live_entries(**window)]


async def test_live_records_are_listed_once_oldest_first_without_the_withdrawn(
    make_index: IndexFactory,
) -> None:
    index = await make_index()
    await index.upsert(LIVE + WITHDRAWN)
    assert await index.live_count() == len(LIVE)  # type: ignore[attr-defined]
    batches = await listing(index, offset=0, limit=100, batch=7)  # type: ignore[arg-type]
    assert [len(b) for b in batches] == [7, 7, 7, 7, 2]
    entries = [e for b in batches for e in b]
    expected = sorted(LIVE, key=lambda r: (r.year, r.updated_at))
    assert [e.id for e in entries] == [r.id for r in expected]
    assert [e.updated_at for e in entries] == [r.updated_at for r in expected]


async def test_windows_of_the_listing_tile_it_exactly(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert(LIVE + WITHDRAWN)
    whole = [e.id for b in await listing(index, offset=0, limit=30) for e in b]  # type: ignore[arg-type]
    tiles: list[str] = []
    for offset in (0, 11, 22):
        tiles += [e.id for b in await listing(index, offset=offset, limit=11) for e in b]  # type: ignore[arg-type]
    assert tiles == whole and len(set(tiles)) == 30
    assert await listing(index, offset=30, limit=11) == []  # type: ignore[arg-type]
    assert await listing(index, offset=0, limit=0) == []  # type: ignore[arg-type]


async def test_a_withdrawal_leaves_the_listing(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert(LIVE[:5])
    gone = LIVE[2].model_copy(update={"status": RecordStatus.WITHDRAWN, "version": 2})
    await index.upsert([gone])
    listed = [e.id for b in await listing(index, offset=0, limit=10) for e in b]  # type: ignore[arg-type]
    assert gone.id not in listed and len(listed) == 4
    assert await index.live_count() == 4  # type: ignore[attr-defined]
