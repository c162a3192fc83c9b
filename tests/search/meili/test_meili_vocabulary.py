"""Did you mean on Meilisearch (issue 17): the vocabulary tallied from live documents, the
phrase support that tells marks apart, the sitemap without document sorting.

Against the fake Meilisearch served over real HTTP (``fake_server``): it folds marks in
phrase searches as the real server does, so the adapter must check the marks itself. No
Meilisearch server can run here (docs/operators/search.md §1); the contract suite runs these rules
against one when ``MEILI_URL`` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.search.adapters import meili
from services.search.adapters.meili import MeiliIndex
from services.search.handlers import did_you_mean
from services.search.spelling import Lexicon
from shared.records import Record, RecordStatus
from tests.search.corpus import make_record
from tests.search.meili.fake_server import FakeMeili

UID = "t-records"
Open = Callable[..., Awaitable[MeiliIndex]]

RECORDS = [
    make_record("tsi", "1", "Kỹ thuật nuôi tôm thẻ chân trắng", subjects=["Nuôi tôm"]),
    make_record("tsi", "2", "Nuôi tôm sú ở Hải Phòng", subjects=["Thủy sản"]),
    make_record("tsi", "3", "Tóm tắt báo cáo nuôi trồng thủy sản", subjects=["Nuôi tóm"]),
    make_record("tsi", "4", "Nuôi", subjects=["Tôm"]),  # the words apart: no phrase
    make_record(
        "tsi",
        "5",
        "Nuôi tôm hùm bông",
        subjects=["Hải sản quý hiếm"],
        status=RecordStatus.WITHDRAWN,
    ),
    make_record("tsi", "6", "Cảng biển", description="Tomm, bến số 3"),
]


@pytest.fixture
async def open_index(server: tuple[str, FakeMeili]) -> AsyncIterator[Open]:
    opened: list[MeiliIndex] = []

    async def start(records: list[Record] = RECORDS, **options: object) -> MeiliIndex:
        index = MeiliIndex(url=server[0], api_key=None, uid=UID, poll_ms=5, **options)  # type: ignore[arg-type]
        await index.open()
        await index.upsert(records)
        opened.append(index)
        return index

    yield start
    for index in opened:
        await index.close()


def fetches(fake: FakeMeili) -> int:
    return fake.calls.count(f"POST /indexes/{UID}/documents/fetch")


async def lexicon_with(index: MeiliIndex, word: str) -> Lexicon:
    """The lexicon once a background refresh has brought ``word`` in (bounded wait)."""
    for _ in range(500):
        lexicon = await index.lexicon()
        if word in lexicon.forms:
            return lexicon
        await asyncio.sleep(0.01)
    raise AssertionError(f"{word!r} never reached the lexicon")


async def test_the_lexicon_holds_live_titles_and_subjects_as_written(open_index: Open) -> None:
    index = await open_index()
    lexicon = await index.lexicon()  # the first request waits for the first build
    assert lexicon.forms["tom"] == [("tôm", 3), ("tóm", 1)]
    assert lexicon.forms["nuoi"] == [("nuôi", 4)]  # "Nuôi tôm" twice in one record: once
    assert "hum" not in lexicon.forms  # only in the withdrawn record
    assert "ben" not in lexicon.forms  # only in a description


async def test_the_lexicon_is_read_in_bounded_pages(
    open_index: Open, server: tuple[str, FakeMeili]
) -> None:
    index = await open_index(lexicon_batch=2, lexicon_max_fetches=2)
    lexicon = await index.lexicon()
    assert fetches(server[1]) == 2  # five live records, two pages of two: the rest unread
    assert "cang" not in lexicon.forms and "nuoi" in lexicon.forms


async def test_the_lexicon_is_rebuilt_only_when_the_index_changed(
    open_index: Open, server: tuple[str, FakeMeili]
) -> None:
    index = await open_index(lexicon_refresh=0)
    first = await index.lexicon()
    read, checks = fetches(server[1]), server[1].calls.count(f"GET /indexes/{UID}")
    for _ in range(3):  # due every time, but the index's updatedAt has not moved
        assert await index.lexicon() is first
        if (check := index._lexicon_task) is not None:
            await check
    assert fetches(server[1]) == read
    assert server[1].calls.count(f"GET /indexes/{UID}") == checks + 3
    await index.upsert([make_record("tsi", "7", "Nuôi cua biển")])
    assert (await lexicon_with(index, "cua")).forms["nuoi"] == [("nuôi", 5)]


async def test_requests_wait_for_the_first_build_only_so_long(
    open_index: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meili, "LEXICON_FIRST_WAIT_SECONDS", 0)
    index = await open_index()
    assert not len(await index.lexicon())  # not built yet: no suggestion rather than a wait
    assert "nuoi" in (await lexicon_with(index, "nuoi")).forms


async def test_a_stale_lexicon_is_served_while_it_refreshes(open_index: Open) -> None:
    index = await open_index(lexicon_refresh=3600)
    first = await index.lexicon()
    await index.upsert([make_record("tsi", "7", "Nuôi cua biển")])
    assert await index.lexicon() is first  # not due yet: the words may lag the index


async def test_support_counts_only_records_holding_the_marks_as_written(
    open_index: Open, server: tuple[str, FakeMeili]
) -> None:
    index = await open_index()
    searches = server[1].calls.count(f"POST /indexes/{UID}/search")
    counts = await index.support([("nuôi", "tôm"), ("nuôi", "tóm"), ("nuôi", "tom"), ("tôm",)])
    # "nuôi tôm" in two live records (not the withdrawn one, not "Nuôi" + "Tôm" apart)
    assert counts == [2, 1, 0, 3]
    # one phrase search per folded reading: "nuoi tom" and "tom"
    assert server[1].calls.count(f"POST /indexes/{UID}/search") - searches == 2


async def test_known_words_are_those_some_field_holds(open_index: Open) -> None:
    index = await open_index()
    assert await index.known(["tomm", "cang", "tommm"]) == {"tomm", "cang"}


async def test_did_you_mean_puts_marks_back_and_corrects_a_typo(open_index: Open) -> None:
    index = await open_index()
    assert await did_you_mean("nuoi tom", 0, index=index) == "nuôi tôm"
    assert await did_you_mean("nuoi tomj", 40, index=index) == "nuôi tôm"
    assert await did_you_mean("nuôi tôm", 0, index=index) is None
    # "tomm" is a word of a description: never corrected into a title's word
    assert await did_you_mean("nuôi tomm", 40, index=index) is None


async def test_the_sitemap_lists_live_records_oldest_first(open_index: Open) -> None:
    index = await open_index()
    listed = [e.id async for batch in index.live_entries(offset=0, limit=10) for e in batch]
    assert listed == ["tsi:1", "tsi:2", "tsi:3", "tsi:4", "tsi:6"]  # same year: by change


async def test_the_sitemap_falls_back_to_unsorted_pages_on_an_older_meilisearch(
    open_index: Open, server: tuple[str, FakeMeili]
) -> None:
    fake = server[1]
    fake.documents_sort = False
    index = await open_index(
        [make_record("hpu", f"r{n}", f"Tên {n}", version=9 - n) for n in range(5)]
    )
    before = fetches(fake)
    listed = [
        e.id async for batch in index.live_entries(offset=0, limit=10, batch=2) for e in batch
    ]
    assert sorted(listed) == [f"hpu:r{n}" for n in range(5)]
    # refused once, then pages of 2, 2, 1 and an empty one: never asked to sort again
    assert fetches(fake) - before == 1 + 4


async def test_the_phrase_held_with_its_marks_beats_the_more_used_word(open_index: Open) -> None:
    summaries = [make_record("tsi", f"t{n}", f"Tóm tắt luận án {n}") for n in range(4)]
    index = await open_index([*summaries, make_record("tsi", "n", "Nuôi tôm công nghiệp")])
    assert (await index.lexicon()).forms["tom"] == [("tóm", 4), ("tôm", 1)]
    # "nuôi tóm" is the likelier pair of words, but only "nuôi tôm" is held as a phrase
    assert await did_you_mean("nuoi tom", 1, index=index) == "nuôi tôm"
