"""Estimated facets (``match_facets``): a large match set's total and facet counts come from
the sample of one record in 16, scaled and rounded, and say so; a kind rare in the sample is
counted exactly; a small match set, or nothing typed, is counted exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.search.adapters.tantivy_index import TantivyIndex
from services.search.adapters.tantivy_query import about
from services.search.ports import SearchQuery
from shared.records import Kind
from tests.search.corpus import make_record

PORTS = 3200  # publications about ports: the large match set
TRAININGS = 3  # training events about ports: a kind the sample may not even hold
DATABASES = 40  # databases about fisheries: a small match set
ESTIMATE_FROM = 800  # matches; the service's default is 20,000


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[TantivyIndex]:
    opened = TantivyIndex(tmp_path, estimate_from=ESTIMATE_FROM)
    await opened.open()
    ports = [
        make_record(
            ("vmu", "hpu")[n % 2],
            f"p{n}",
            f"Cảng biển số {n}",
            year=2000 + n % 20,
            subjects=["Hàng hải"],
        )
        for n in range(PORTS)
    ]
    trainings = [
        make_record("vmu", f"t{n}", f"Tập huấn khai thác cảng biển {n}", kind="training")
        for n in range(TRAININGS)
    ]
    databases = [
        make_record("hpu", f"d{n}", f"Cơ sở dữ liệu thủy sản {n}", kind="database")
        for n in range(DATABASES)
    ]
    await opened.upsert([*ports, *trainings, *databases])
    yield opened
    await opened.close()


async def test_a_large_match_set_is_estimated_from_the_sample(index: TantivyIndex) -> None:
    found = await index.search(SearchQuery(q="cang bien"))
    assert found.estimated
    matches = PORTS + TRAININGS
    assert abs(found.total - matches) <= 0.25 * matches
    assert found.total == about(found.total)  # three digits, like each count it sums
    publications = found.facets.kind[Kind.PUBLICATION.value]
    assert publications == about(publications) and publications % 10 == 0  # rounded
    assert set(found.facets.member) == {"vmu", "hpu"}
    assert found.facets.subject["Hàng hải"] == publications
    assert len(found.hits) == 20


async def test_a_kind_rare_in_the_sample_is_counted_exactly(index: TantivyIndex) -> None:
    found = await index.search(SearchQuery(q="cang bien"))
    assert found.facets.kind[Kind.TRAINING.value] == TRAININGS
    assert Kind.DATABASE.value not in found.facets.kind  # no match: not listed


async def test_a_small_match_set_is_counted_exactly(index: TantivyIndex) -> None:
    found = await index.search(SearchQuery(q="thuy san"))
    assert not found.estimated
    assert found.total == DATABASES
    assert found.facets.kind == {Kind.DATABASE.value: DATABASES}
    narrowed = await index.search(SearchQuery(q="cang bien", kind=[Kind.TRAINING]))
    assert not narrowed.estimated and narrowed.total == TRAININGS


async def test_nothing_typed_counts_the_whole_catalogue_exactly(index: TantivyIndex) -> None:
    found = await index.search(SearchQuery())
    assert not found.estimated
    assert found.total == PORTS + TRAININGS + DATABASES


async def test_every_page_shows_the_same_estimate(index: TantivyIndex) -> None:
    first = await index.search(SearchQuery(q="cang bien"))
    second = await index.search(SearchQuery(q="cảng biển", page=2))
    assert second.estimated and second.total == first.total
    assert second.facets == first.facets


def test_estimates_keep_three_digits() -> None:
    assert [about(n) for n in (7, 999, 1234, 37_216, 612_480)] == [7, 999, 1230, 37_200, 612_000]
