"""Did you mean, the pure rules: marks put back, typos corrected, the phrase decides."""

from __future__ import annotations

from services.search import spelling
from services.search.analytics import normalised_query, search_id, valid_search_id

WORDS = [("nuôi", 5), ("tôm", 2), ("tóm", 6), ("tắt", 6), ("thủy", 4), ("sản", 4), ("tom", 1)]


def lexicon() -> spelling.Lexicon:
    return spelling.Lexicon.build(WORDS)


def candidates(q: str, total: int = 0, known: frozenset[str] = frozenset()) -> list[str]:
    found = spelling.choices(q, lexicon(), known)
    return [" ".join(r) for r in spelling.readings(found, q, total)] if found else []


def test_an_unmarked_query_with_few_results_is_offered_its_marked_readings() -> None:
    assert candidates("nuoi tom")[:3] == ["nuôi tóm", "nuôi tôm", "nuôi tom"]
    assert candidates("Thuy San") == ["thủy sản"]


def test_the_reading_the_index_holds_as_a_phrase_wins_over_more_used_words() -> None:
    readings = [("nuôi", "tóm"), ("nuôi", "tôm")]
    assert spelling.best(readings, [0, 2]) == "nuôi tôm"
    assert spelling.best(readings, [0, 0]) == "nuôi tóm"  # none whole: the likeliest


def test_nothing_is_offered_for_marks_typed_or_enough_results() -> None:
    assert candidates("nuôi tôm") == []
    assert candidates("nuoi tom", total=spelling.FEW_RESULTS) == []


def test_a_typo_is_corrected_to_a_word_one_edit_away_even_with_many_results() -> None:
    assert "nuôi tôm" in candidates("nuoi tomm", total=500)
    assert candidates("nuio tom")[0].startswith("nuôi ")  # two letters swapped
    assert candidates("nuoi tomxx", total=500) == []  # two edits away: left alone


def test_wrong_marks_are_a_typo_too() -> None:
    assert candidates("nuôi tộm", total=500)[:2] == ["nuôi tóm", "nuôi tôm"]


def test_a_word_the_index_holds_elsewhere_is_never_corrected() -> None:
    assert candidates("nuoi tomm", known=frozenset({"tomm"})) == ["nuôi tomm"]


def test_one_edit_apart() -> None:
    assert spelling.one_edit_apart("tomm", "tom")
    assert spelling.one_edit_apart("nuio", "nuoi")
    assert spelling.one_edit_apart("tam", "tom")
    assert not spelling.one_edit_apart("tom", "tom")
    assert not spelling.one_edit_apart("tomat", "tom")


def test_queries_are_counted_as_folded_text_under_a_stable_id() -> None:
    assert normalised_query("  Nuôi   TÔM ") == "nuoi tom"
    assert normalised_query("  ") == ""
    sid = search_id("nuoi tom")
    assert sid == search_id(normalised_query("nuôi tôm")) and valid_search_id(sid)
    assert not valid_search_id("<script>") and not valid_search_id(None)
