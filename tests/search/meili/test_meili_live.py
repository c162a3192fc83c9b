"""The Meilisearch adapter's document reads: the sitemap's listing and did-you-mean's
vocabulary and phrase support (no server here: docs/operators/search.md §1; the contract suite runs
them when MEILI_URL is set)."""

from __future__ import annotations

from services.search.adapters.meili import (
    SUPPORT_SAMPLE,
    known_params,
    lexicon_page_params,
    live_page_params,
    phrase,
    support_params,
    verified_support,
)


def test_a_listing_batch_fetches_ids_of_live_documents_oldest_first() -> None:
    params = live_page_params(offset=50_000, limit=1000)
    assert params == {
        "offset": 50_000,
        "limit": 1000,
        "fields": ["id", "newest"],
        "filter": ['status = "active"'],
        "sort": "newest:asc",
    }


def test_without_document_sorting_a_listing_batch_asks_for_no_order() -> None:
    params = live_page_params(offset=0, limit=1000, sort=False)
    assert "sort" not in params and params["filter"] == ['status = "active"']


def test_a_vocabulary_page_reads_titles_and_subjects_of_live_documents() -> None:
    assert lexicon_page_params(offset=3000, limit=1000) == {
        "offset": 3000,
        "limit": 1000,
        "fields": ["title", "subjects"],
        "filter": ['status = "active"'],
    }


def test_a_reading_is_searched_as_one_phrase_in_titles_and_subjects() -> None:
    params = support_params(["nuoi", "tom"])
    assert params["query"] == '"nuoi tom"'
    assert params["matching_strategy"] == "all" and params["limit"] == SUPPORT_SAMPLE
    assert params["filter"] == ['status = "active"']
    assert params["attributes_to_search_on"] == ["title", "title_folded", "subjects"]
    assert params["attributes_to_retrieve"] == ["title", "subjects"]
    assert phrase(['a"b', "c"]) == '"ab c"'  # a quote cannot end the phrase early
    assert known_params("tomm") == {"query": '"tomm"', "limit": 0, "matching_strategy": "all"}


def test_support_counts_the_marks_in_the_sample_and_scales_it_to_the_total() -> None:
    hits = [
        {"title": "Nuôi tôm sú"},
        {"title": "Nuôi tóm", "subjects": ["Nuôi tôm"]},
        {"title": "Nuôi", "subjects": ["Tôm"]},  # title and subject: not one phrase
        {"title": "nuôi tóm"},
    ]
    assert verified_support(("nuôi", "tôm"), hits, total=4) == 2
    assert verified_support(("nuôi", "tôm"), hits, total=400) == 200
    assert verified_support(("nuôi", "tom"), hits, total=400) == 0
    assert verified_support(("nuôi", "tôm"), [], total=0) == 0
