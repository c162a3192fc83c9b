"""The engine's caches: least recently used out first, and nothing kept across a commit."""

from __future__ import annotations

from pathlib import Path

from services.search.adapters.lru import Lru
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.ports import SearchQuery
from tests.search.corpus import make_record


def test_the_least_recently_used_value_goes_first() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used

    cache.put("c", 3)

    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)


def test_a_write_is_a_use_and_replaces_the_value() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (10, None, 3)


def test_clear_forgets_everything_and_size_zero_keeps_nothing() -> None:
    cache: Lru[str, int] = Lru(4)
    cache.put("a", 1)
    cache.clear()
    assert cache.get("a") is None and len(cache) == 0

    none: Lru[str, int] = Lru(0)
    none.put("a", 1)
    assert none.get("a") is None


async def test_a_commit_empties_the_caches_and_drops_answers_computed_before_it(
    tmp_path: Path,
) -> None:
    index = TantivyIndex(tmp_path)
    await index.open()
    try:
        query = SearchQuery(q="hai trinh")
        before = await index.search(query)
        engine = index.engine
        generation = engine.generation
        assert len(engine.results) == 1 and len(engine.facets) == 1

        await index.upsert([make_record("m1", "1", "Nhật ký hải trình")])
        engine.remember(engine.results, ("late",), generation, before)  # a slow reader

        assert len(engine.results) == 0 and len(engine.facets) == 0
        assert (before.total, (await index.search(query)).total) == (0, 1)
    finally:
        await index.close()
