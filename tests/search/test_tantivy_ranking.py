"""Ranking with many matches of the same words (``ranked_page``): records whose title holds
every word come first, the title phrase lifts a longer title above shorter ones that hold the
words apart, and pages across the two tiers list every match once, best first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tantivy import Occur, Query

from services.search.adapters.tantivy_index import TantivyIndex
from services.search.adapters.tantivy_query import (
    BOOSTS_ONE_AT_A_TIME_FROM,
    TITLE_TIER_SCORE,
    _title_phrase_boosts,
    _title_tier,
    combine,
    count_matches,
    filter_clauses,
    known_words,
    match_query,
    ranked_page,
)
from services.search.adapters.tantivy_schema import SCHEMA
from services.search.domain import parse_query
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


async def test_boosts_added_one_at_a_time_score_as_one_union(index: TantivyIndex) -> None:
    """From three words the title tier's boosts are nested one by one (cheaper): the page
    must be the one the flat query of every clause at once gives, scores included."""
    typed = "Cảng biển Đông số"
    parsed = parse_query(typed)
    assert len(parsed.words) >= BOOSTS_ONE_AT_A_TIME_FROM
    searcher = index.engine.index.searcher()
    filters = filter_clauses(SearchQuery(q=typed))
    known = known_words(searcher, parsed)
    page = ranked_page(searcher, parsed, filters, require_all=True, known=known, offset=0, limit=50)
    tier = _title_tier(parsed, known)
    assert tier is not None
    every_clause = [
        (Occur.Must, tier),
        (Occur.Must, match_query(parsed, known=known)),
        *[(Occur.Should, boost) for boost in _title_phrase_boosts(parsed)],
    ]
    flat = searcher.search(combine(every_clause, filters), limit=50, count=False).hits
    assert len(page) > 1
    assert [(a.segment_ord, a.doc) for _, a in page] == [(a.segment_ord, a.doc) for _, a in flat]
    assert [s - TITLE_TIER_SCORE for s, _ in page] == pytest.approx([s for s, _ in flat])


async def test_word_pairs_are_neighbours_in_the_title_or_in_one_subject(tmp_path: Path) -> None:
    """A two-word phrase boost is one term of ``title_pairs`` (folded) or ``exact_pairs``
    (as written); a pair never spans the title and a subject."""
    opened = TantivyIndex(tmp_path / "pairs")
    await opened.open()
    await opened.upsert([make_record("vmu", "p1", "Nuôi cá sông", subjects=["Thủy sản nước ngọt"])])
    searcher = opened.engine.index.searcher()

    def held(field: str, pair: str) -> int:
        return count_matches(searcher, Query.term_query(SCHEMA, field, pair))

    assert held("title_pairs", "nuoi+ca") == held("title_pairs", "ca+song") == 1
    assert held("exact_pairs", "cá+sông") == held("exact_pairs", "nước+ngọt") == 1
    assert held("exact_pairs", "ca+song") == 0  # as written: the marks kept
    assert held("exact_pairs", "sông+thủy") == 0  # across the title and its subject
    await opened.close()
