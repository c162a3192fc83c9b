"""Did you mean's vocabulary for an engine that lists no terms: the pure tally (issue 17)."""

from __future__ import annotations

from services.search.domain import title_subject_words
from services.search.spelling import VocabularyTally, holds_phrase, holds_reading


def test_words_are_kept_as_written_lower_cased_and_counted_once_per_record() -> None:
    tally = VocabularyTally()
    tally.add("Nuôi TÔM thẻ, nuôi tôm sú", ["Nuôi tôm"])
    tally.add("Tóm tắt 2024", ["ISO9001"])  # numbers and codes are never offered: not kept
    assert tally.records == 2
    assert tally.counts == {"nuôi": 1, "tôm": 1, "thẻ": 1, "sú": 1, "tóm": 1, "tắt": 1}
    assert tally.lexicon().forms["tom"] == [("tóm", 1), ("tôm", 1)]


def test_the_tally_keeps_at_most_its_limit_of_distinct_words() -> None:
    tally = VocabularyTally(limit=3)
    tally.add("một hai ba", [])
    assert not tally.truncated
    tally.add("bốn một", [])  # "bốn" does not fit; "một" goes on being counted
    assert tally.truncated and tally.counts == {"một": 2, "hai": 1, "ba": 1}


def test_the_shared_tokenizer_reads_titles_and_subjects_as_the_index_does() -> None:
    decomposed = "Nuo\u0302i"  # NFD input becomes NFC
    assert title_subject_words(decomposed, ["KH&CN", "Hàng hải"]) == [
        "nuôi",
        "khcn",
        "hàng",
        "hải",
    ]


def test_a_phrase_is_held_only_in_order_and_within_one_field() -> None:
    assert holds_phrase(["kỹ", "nuôi", "tôm"], ("nuôi", "tôm"))
    assert not holds_phrase(["tôm", "nuôi"], ("nuôi", "tôm"))
    assert not holds_phrase(["nuôi"], ())
    assert holds_reading("Kỹ thuật", ["Nuôi tôm"], ("nuôi", "tôm"))
    assert not holds_reading("Nuôi", ["Tôm"], ("nuôi", "tôm"))
    assert not holds_reading("Nuôi tóm", [], ("nuôi", "tôm"))
