"""Ranking with many matches of the same words (``ranked_page``): records whose title holds
every word come first, the title phrase lifts a longer title above shorter ones that hold the
words apart, and pages across the two tiers list every match once, best first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.search.adapters.tantivy_index import TantivyIndex
from services.search.ports import SearchQuery
from shared.records import Record
from tests.search.corpus import make_record

FILLER = "nghiên cứu ứng dụng công nghệ thông tin khoa học đại học"
SHORT = 150  # the words apart in a short title: each scores higher on the words alone
IN_TEXT = 60  # the words in the description only, many times: after every title
MATCHES = SHORT + 200 + 1 + IN_TEXT  # and long titles, and the phrase


def scattered(n: int, extra_words: int) -> Record:
    """Both query words in the title, apart; ``extra_words`` lengthen it (a lower score)."""
    padding = " ".join(FILLER.split()[:extra_words])
    return make_record("vmu", f"s{n}", f"Biển Đông {padding} cảng số {n}")


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[TantivyIndex]:
    opened = TantivyIndex(tmp_path)
    await opened.open()
    short = [scattered(n, 0) for n in range(SHORT)]
    long = [scattered(n, 10) for n in range(SHORT, MATCHES - 1 - IN_TEXT)]
    in_text = [
        make_record("vmu", f"t{n}", f"Tài liệu {n}", description="Cảng biển, cảng biển. " * 5)
        for n in range(IN_TEXT)
    ]
    # Longer than the short titles, so on the words alone it ranks behind every one of them;
    # the phrase must lift it.
    phrase = make_record("vmu", "phrase", f"Cảng biển {' '.join(FILLER.split()[:5])} số 1")
    await opened.upsert([*short, *long, phrase, *in_text])
    yield opened
    await opened.close()


async def test_the_phrase_boost_still_decides_the_top(index: TantivyIndex) -> None:
    found = await index.search(SearchQuery(q="cang bien", per_page=5))
    assert found.total == MATCHES
    assert found.hits[0].id == "vmu:phrase"


async def test_pages_list_every_match_once_best_first(
    index: TantivyIndex,
) -> None:
    seen: list[str] = []
    scores: list[float] = []
    for page in range(1, 6):
        found = await index.search(SearchQuery(q="cang bien", per_page=90, page=page))
        seen += [hit.id for hit in found.hits]
        scores += [hit.score or 0.0 for hit in found.hits]
    assert len(seen) == len(set(seen)) == MATCHES
    assert scores == sorted(scores, reverse=True)
    assert {i for i in seen[-IN_TEXT:]} == {f"vmu:t{n}" for n in range(IN_TEXT)}
