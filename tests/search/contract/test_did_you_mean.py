"""Did you mean against every adapter (issue 17): the vocabulary, the phrase support and the
reading offered, from the index's own words. Runs on Meilisearch when ``MEILI_URL`` is set."""

from __future__ import annotations

from services.search.handlers import did_you_mean
from shared.records import RecordStatus
from tests.search.contract.conftest import IndexFactory
from tests.search.corpus import make_record

RECORDS = [
    *(make_record("tsi", f"t{n}", f"Tóm tắt luận án {n}") for n in range(4)),
    make_record("tsi", "n1", "Nuôi tôm công nghiệp", subjects=["Thủy sản"]),
    make_record("tsi", "n2", "Kỹ thuật", subjects=["Nuôi tôm"]),
    make_record("tsi", "w", "Nuôi tôm hùm", status=RecordStatus.WITHDRAWN),
    make_record("tsi", "d", "Cảng biển", description="Bến tomm số 3"),
]


async def test_the_vocabulary_is_live_titles_and_subjects_as_written(
    make_index: IndexFactory,
) -> None:
    index = await make_index()
    await index.upsert(RECORDS)
    lexicon = await index.lexicon()
    assert lexicon.forms["tom"] == [("tóm", 4), ("tôm", 2)]
    assert "hum" not in lexicon.forms  # withdrawn
    assert "ben" not in lexicon.forms  # a description's word


async def test_support_counts_live_records_holding_the_marked_phrase(
    make_index: IndexFactory,
) -> None:
    index = await make_index()
    await index.upsert(RECORDS)
    assert await index.support([("nuôi", "tôm"), ("nuôi", "tóm"), ("tóm", "tắt")]) == [2, 0, 4]


async def test_the_reading_offered_is_the_one_the_index_holds(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert(RECORDS)
    await index.lexicon()  # built (Meilisearch: the first request waits for it)
    assert await did_you_mean("nuoi tom", 2, index=index) == "nuôi tôm"
    assert await did_you_mean("nuoi tomj", 50, index=index) == "nuôi tôm"
    assert await did_you_mean("ben tomm", 0, index=index) is None  # a description's word
