"""The embedded engine's write path (issue 15): concurrent writes share commits, each caller
returns only once its records are searchable, a poison write fails alone; prefix terms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.search.adapters.tantivy_index import SHORT_PREFIX, TantivyIndex, short_prefixes
from services.search.ports import SearchQuery
from shared.records import Record
from tests.search.corpus import make_record

WRITERS = 60


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[TantivyIndex]:
    opened = TantivyIndex(tmp_path)
    await opened.open()
    yield opened
    await opened.close()


async def searchable_after_upsert(index: TantivyIndex, record: Record) -> bool:
    await index.upsert([record])
    return await index.get(record.id) is not None


async def test_concurrent_writes_share_commits_and_each_returns_searchable(
    index: TantivyIndex,
) -> None:
    records = [make_record("gc", str(n), f"Nhật ký hải trình số {n}") for n in range(WRITERS)]
    before = index.engine.generation

    found = await asyncio.gather(*(searchable_after_upsert(index, r) for r in records))

    assert all(found)
    assert await index.count() == WRITERS
    assert index.engine.generation - before < WRITERS / 4  # commits shared, not one each


async def test_the_newest_version_wins_within_one_group_commit(index: TantivyIndex) -> None:
    versions = [make_record("gc", "v", f"Bản số {v}", version=v) for v in (2, 5, 3, 1, 4)]

    await asyncio.gather(*(index.upsert([r]) for r in versions))

    found = await index.get("gc:v")
    assert found is not None and found.version == 5


async def test_a_poison_write_fails_alone_and_leaves_nothing_behind(index: TantivyIndex) -> None:
    healthy = [make_record("gc", f"ok{n}", f"Báo cáo tổng kết năm {n}") for n in range(5)]
    # A record no validation would let through (no title): making its document fails.
    poison = make_record("gc", "bad", "Sẽ hỏng").model_copy(update={"title": None})
    sibling = make_record("gc", "bad-sibling", "Cùng thông điệp với bản hỏng")

    outcomes = await asyncio.gather(
        *(index.upsert([r]) for r in healthy[:3]),
        index.upsert([sibling, poison]),
        *(index.upsert([r]) for r in healthy[3:]),
        return_exceptions=True,
    )

    assert [isinstance(o, Exception) for o in outcomes] == [False] * 3 + [True] + [False] * 2
    assert all([await index.get(r.id) is not None for r in healthy])
    # The failed write is retried whole (redelivery): none of it was committed.
    assert await index.get(sibling.id) is None
    result = await index.search(SearchQuery(q="bao cao tong ket"))
    assert result.total == len(healthy)


async def test_writes_queued_at_close_are_committed_first(tmp_path: Path) -> None:
    first = TantivyIndex(tmp_path)
    await first.open()
    records = [make_record("gc", f"c{n}", f"Hồ sơ đóng tàu {n}") for n in range(10)]
    writes = [asyncio.create_task(first.upsert([r])) for r in records]
    await asyncio.sleep(0)  # queued, not yet committed
    await first.close()
    await asyncio.gather(*writes)

    again = TantivyIndex(tmp_path)
    await again.open()
    try:
        assert await again.count() == len(records)
    finally:
        await again.close()


@given(st.lists(st.text(st.sampled_from("abcdđươ"), min_size=1, max_size=7), max_size=12))
def test_short_prefixes_are_every_prefix_of_up_to_four_letters(words: list[str]) -> None:
    expected = {w[:n] for w in words for n in range(1, min(len(w), SHORT_PREFIX) + 1)}
    assert set(short_prefixes(" ".join(words)).split()) == expected
