"""The ``SearchIndex`` contract, run against every adapter that can run here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.search.ports import RebuildableIndex, SearchQuery
from tests.search.contract.conftest import IndexFactory
from tests.search.corpus import CORPUS, make_record


async def ids(index: RebuildableIndex, q: str = "", **filters: object) -> list[str]:
    result = await index.search(SearchQuery(q=q, per_page=50, **filters))  # type: ignore[arg-type]
    return [h.id for h in result.hits]


# -- Vietnamese matching ------------------------------------------------------------------
async def test_query_without_tone_marks_finds_text_with_them(
    corpus_index: RebuildableIndex,
) -> None:
    found = await ids(corpus_index, "dai hoc hang hai")
    assert "vmu:dh-1" in found and "vmu:dh-2" in found


async def test_d_stroke_and_its_look_alike_fold_to_d(corpus_index: RebuildableIndex) -> None:
    for q in ("Đại học", "đại học", "Ðại học", "DAI HOC"):  # the third is the Icelandic eth
        assert "vmu:dh-1" in await ids(corpus_index, q), q


async def test_query_typed_with_marks_ranks_exact_forms_first(
    corpus_index: RebuildableIndex,
) -> None:
    found = await ids(corpus_index, "Đại học Hàng hải")
    assert found.index("vmu:dh-1") < found.index("vmu:dh-2")
    unaccented = await ids(corpus_index, "dai hoc hang hai")
    assert {"vmu:dh-1", "vmu:dh-2"} <= set(unaccented)


async def test_decomposed_input_matches_composed_text(corpus_index: RebuildableIndex) -> None:
    decomposed = "Thu\u031b vie\u0323\u0302n"  # "Thư viện" typed as base letters + combining marks
    assert "hpl:tv-1" in await ids(corpus_index, decomposed)


async def test_last_word_matches_as_a_prefix(corpus_index: RebuildableIndex) -> None:
    assert "hpl:tv-1" in await ids(corpus_index, "thu vi")
    assert "hpl:tv-1" in await ids(corpus_index, "vie")
    assert await ids(corpus_index, "vie ") == []  # a space ends the word


async def test_typos_are_tolerated_by_word_length(corpus_index: RebuildableIndex) -> None:
    assert "hpu:kh-1" in await ids(corpus_index, "moi truomg ")  # 6 letters: one typo
    assert "hpl:en-1" in await ids(corpus_index, "enjineerinq ")  # 11 letters: two typos
    assert await ids(corpus_index, "cqng ") == []  # 4 letters: no typo allowed


async def test_abbreviations_of_the_field_match_both_ways(corpus_index: RebuildableIndex) -> None:
    assert {"vmu:csdl-1", "hmu:tr-1"} <= set(await ids(corpus_index, "CSDL"))
    assert "vmu:csdl-1" in await ids(corpus_index, "cơ sở dữ liệu")
    assert "hpu:kh-2" in await ids(corpus_index, "KH&CN")
    assert "hpu:kh-2" in await ids(corpus_index, "khoa học công nghệ")


async def test_words_together_rank_above_words_apart(make_index: IndexFactory) -> None:
    index = await make_index()
    apart = make_record("aa", "1", "Phòng thí nghiệm Hải dương học")
    together = make_record("aa", "2", "Cảng Hải Phòng")
    await index.upsert([apart, together])
    assert (await ids(index, "hai phong"))[0] == "aa:2"


async def test_matched_words_are_highlighted(corpus_index: RebuildableIndex) -> None:
    result = await corpus_index.search(SearchQuery(q="thu vien"))
    hit = next(h for h in result.hits if h.id == "hpl:tv-1")
    assert "<mark>Thư</mark>" in hit.highlight["title"]
    assert "<mark>viện</mark>" in hit.highlight["title"]


# -- filters, facets, sort, pages ---------------------------------------------------------
async def test_filters_narrow_by_kind_member_subject_language_and_years(
    corpus_index: RebuildableIndex,
) -> None:
    assert set(await ids(corpus_index, kind=["database"])) == {"vmu:csdl-1", "vmu:old-1"}
    assert set(await ids(corpus_index, member=["hmu"])) == {"hmu:yk-1", "hmu:tr-1"}
    assert set(await ids(corpus_index, subject=["Hàng hải"])) == {
        "vmu:dh-1",
        "vmu:dh-2",
        "vmu:csdl-1",
    }
    assert await ids(corpus_index, language=["en"]) == ["hpl:en-1"]
    years = await ids(corpus_index, year_from=2022, year_to=2023)
    assert set(years) == {"vmu:dh-1", "hpu:kh-1"}
    assert set(await ids(corpus_index, "hai", member=["vmu"], kind=["website"])) == {"vmu:dh-1"}


async def test_filter_values_are_data_not_syntax(corpus_index: RebuildableIndex) -> None:
    assert await ids(corpus_index, member=['vmu" OR member = "hpu']) == []
    assert await ids(corpus_index, subject=["x' OR 1=1 OR subject = 'y"]) == []


async def test_withdrawn_records_are_hidden_unless_asked_for(
    corpus_index: RebuildableIndex,
) -> None:
    assert "vmu:w-1" not in await ids(corpus_index, "ban ghi da rut")
    assert "vmu:w-1" in await ids(corpus_index, "ban ghi da rut", include_withdrawn=True)


async def test_facets_count_the_whole_result_set(corpus_index: RebuildableIndex) -> None:
    result = await corpus_index.search(SearchQuery(q="hai phong", per_page=1))
    assert len(result.hits) == 1 and result.total > 1
    assert sum(result.facets.kind.values()) == result.total
    assert sum(result.facets.member.values()) == result.total
    everything = await corpus_index.search(SearchQuery(per_page=1))
    assert everything.total == len(CORPUS) - 1
    assert everything.facets.member["vmu"] == 4
    assert everything.facets.language == {"vi": 9, "en": 1}
    assert everything.facets.year["2024"] == 2


async def test_sort_by_newest_and_by_vietnamese_title_order(
    corpus_index: RebuildableIndex,
) -> None:
    newest = await corpus_index.search(SearchQuery(sort="newest", per_page=50))
    years = [h.year for h in newest.hits]
    assert years == sorted(years, key=lambda y: y or 0, reverse=True)
    by_title = await corpus_index.search(SearchQuery(sort="title", per_page=50))
    titles = [h.title for h in by_title.hits]
    # Vietnamese order: A < Ả (tone only breaks ties) … C < D < Đ < M < N < T < Th
    assert titles.index("Ảnh tư liệu cảng Hải Phòng xưa") < titles.index(
        "CSDL luận văn thạc sĩ ngành hàng hải"
    )
    assert titles.index("Dai hoc hang hai: tai lieu khong dau") < titles.index(
        "Đại học Hàng hải Việt Nam — giới thiệu"
    )
    assert titles.index("Đại học Hàng hải Việt Nam — giới thiệu") < titles.index(
        "Marine engineering handbook"
    )


async def test_added_between_two_instants_newest_addition_first(
    make_index: IndexFactory,
) -> None:
    """What a saved search's digest asks for: records added in ``[since, before)``."""
    index = await make_index()
    start = datetime(2026, 5, 1, tzinfo=UTC)
    records = [
        make_record("aa", str(day), f"Nuôi tôm ngày {day}", year=2000 + day).model_copy(
            update={"created_at": start + timedelta(days=day)}
        )
        for day in range(5)
    ]
    await index.upsert(records)
    since, before = start + timedelta(days=1), start + timedelta(days=3)
    assert await ids(
        index, "nuoi tom", created_since=since, created_before=before, sort="created"
    ) == ["aa:2", "aa:1"]  # the bound ``before`` is left out, ``since`` kept
    assert await ids(index, created_since=start + timedelta(days=4)) == ["aa:4"]
    assert await ids(index, sort="created") == ["aa:4", "aa:3", "aa:2", "aa:1", "aa:0"]
    result = await index.search(SearchQuery(created_before=since))
    assert result.total == 1 and result.hits[0].created_at == start


async def test_pages_split_the_results_without_overlap(corpus_index: RebuildableIndex) -> None:
    first = await corpus_index.search(SearchQuery(sort="title", per_page=4, page=1))
    second = await corpus_index.search(SearchQuery(sort="title", per_page=4, page=2))
    assert first.total == second.total == len(CORPUS) - 1
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = await corpus_index.search(SearchQuery(per_page=4, page=50))
    assert beyond.hits == [] and beyond.total == first.total


async def test_suggest_completes_titles_and_subjects(corpus_index: RebuildableIndex) -> None:
    suggestions = await corpus_index.suggest("thu vi")
    assert "Thư viện số thành phố Hải Phòng" in suggestions or "Thư viện" in suggestions
    assert any("Hàng hải" in s for s in await corpus_index.suggest("hang h"))
    assert await corpus_index.suggest("zzzz") == []


# -- writes -----------------------------------------------------------------------------
async def test_upsert_keeps_the_newest_version(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "1", "Phiên bản hai", version=2)])
    await index.upsert([make_record("m1", "1", "Phiên bản một", version=1)])  # late, older
    await index.upsert([make_record("m1", "1", "Phiên bản hai", version=2)])  # redelivered
    record = await index.get("m1:1")
    assert record is not None and record.title == "Phiên bản hai" and record.version == 2
    assert await index.count() == 1
    assert await ids(index, "mot ") == []


async def test_same_version_replaces_for_holdings_links(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "1", "Sách", version=3)])
    await index.upsert([make_record("m1", "1", "Sách", version=3, also_held_by=["hpl"])])
    record = await index.get("m1:1")
    assert record is not None and record.also_held_by == ["hpl"]


async def test_delete_removes_and_ignores_unknown_ids(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "1", "Một"), make_record("m1", "2", "Hai")])
    await index.delete(["m1:1", "m1:unknown"])
    assert await index.get("m1:1") is None
    assert await index.count() == 1
    assert await index.ping()


async def test_rebuild_swaps_in_a_new_index_and_keeps_live_changes(
    make_index: IndexFactory,
) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "stale", "Bản ghi cũ")])
    await index.begin_rebuild()
    await index.add_to_rebuild([make_record("m1", "1", "Ấn phẩm một", version=1)])
    # A change arriving during the rebuild: live at once, and not lost by the swap,
    # even though the snapshot (read earlier) carries an older version afterwards.
    await index.upsert([make_record("m1", "1", "Ấn phẩm một (sửa)", version=2)])
    await index.add_to_rebuild([make_record("m1", "1", "Ấn phẩm một", version=1)])
    assert await index.get("m1:stale") is not None  # the old index still serves
    await index.finish_rebuild()
    assert await index.get("m1:stale") is None
    record = await index.get("m1:1")
    assert record is not None and record.version == 2
    assert await ids(index, "an pham") == ["m1:1"]


async def test_aborted_rebuild_leaves_the_live_index(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "1", "Còn nguyên")])
    await index.begin_rebuild()
    await index.add_to_rebuild([make_record("m1", "2", "Dở dang")])
    await index.abort_rebuild()
    assert await ids(index, "con nguyen") == ["m1:1"]
    assert await index.get("m1:2") is None


async def test_a_late_older_change_during_a_rebuild_loses_to_the_snapshot(
    make_index: IndexFactory,
) -> None:
    index = await make_index()
    await index.begin_rebuild()
    await index.add_to_rebuild([make_record("m1", "1", "Bản mới trong danh mục", version=5)])
    await index.upsert([make_record("m1", "1", "Bản cũ đến muộn", version=4)])
    await index.finish_rebuild()
    record = await index.get("m1:1")
    assert record is not None and record.version == 5


async def test_totals_and_facets_follow_every_write(make_index: IndexFactory) -> None:
    index = await make_index()
    await index.upsert([make_record("m1", "1", "Cảng cá Hạ Long", kind="database")])
    first = await index.search(SearchQuery(q="cang ca"))
    again = await index.search(SearchQuery(q="cang ca", sort="title"))  # same match set
    assert first.total == again.total == 1
    await index.upsert([make_record("m2", "2", "Cảng cá Cát Bà", kind="service")])
    after = await index.search(SearchQuery(q="cang ca"))
    assert after.total == 2 and after.facets.kind == {"database": 1, "service": 1}
    await index.upsert([make_record("m2", "2", "Cảng cá Cát Bà", version=2, status="withdrawn")])
    assert (await index.search(SearchQuery(q="cang ca"))).facets.member == {"m1": 1}


async def test_a_repeated_request_follows_every_write(make_index: IndexFactory) -> None:
    index = await make_index()
    query = SearchQuery(q="cang ca", sort="title")
    await index.upsert([make_record("m1", "1", "Cảng cá Hạ Long")])
    assert [h.id for h in (await index.search(query)).hits] == ["m1:1"]
    assert await index.suggest("cang c") == ["Cảng cá Hạ Long"]
    await index.upsert([make_record("m1", "1", "Cảng cá Cát Bà", version=2)])
    (hit,) = (await index.search(query)).hits
    assert "Cát Bà" in hit.title and "<mark>Cảng</mark>" in hit.highlight["title"]
    assert await index.suggest("cang c") == ["Cảng cá Cát Bà"]
    await index.upsert([make_record("m2", "2", "Cảng cá Đồ Sơn")])
    assert [h.id for h in (await index.search(query)).hits] == ["m1:1", "m2:2"]
    await index.delete(["m1:1"])
    assert [h.id for h in (await index.search(query)).hits] == ["m2:2"]
