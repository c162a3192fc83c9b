"""The shared Vietnamese folding: tone marks and every other nonspacing mark go, đ is d."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from shared.text import clean_text, fold

# Every character of the blocks the fold tables cover, surrogates aside.
COVERED = st.characters(min_codepoint=0, max_codepoint=0x2FFF, exclude_categories=["Cs"])
VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
TONES = "\u0300\u0301\u0303\u0309\u0323"


def reference_fold(text: str) -> str:
    """The definition, one character at a time."""
    d_like = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
    decomposed = unicodedata.normalize("NFD", text.translate(d_like))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).casefold().translate(d_like)


def test_vietnamese_folds_without_tone_marks_and_d_stroke() -> None:
    assert fold("Đại học Hàng hải Việt Nam") == "dai hoc hang hai viet nam"
    assert fold("ÐỒNG NGHIỆP") == "dong nghiep"  # the look-alike eth too
    assert fold(unicodedata.normalize("NFD", "Thuỷ sản")) == "thuy san"


def test_nonspacing_marks_beyond_the_cached_blocks_are_dropped_too() -> None:
    # U+302A (ideographic tone mark) and U+FE20 (combining half mark) lie above the blocks
    # the fold table keeps; asking twice must answer the same.
    for _ in range(2):
        assert fold("a\u302ab\ufe20c") == "abc"


def test_fold_equals_its_definition_on_every_character_up_to_u3000_and_beyond() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x3100) if not 0xD800 <= c <= 0xDFFF)
    assert fold(text) == reference_fold(text)


def test_fold_equals_its_definition_on_each_character_alone() -> None:
    for code in range(0x3100):
        if not 0xD800 <= code <= 0xDFFF:
            assert fold(chr(code)) == reference_fold(chr(code)), hex(code)


@given(st.text(COVERED, max_size=40))
def test_fold_equals_its_definition_on_any_text_of_the_covered_blocks(text: str) -> None:
    assert fold(text) == reference_fold(text)


@given(
    st.lists(
        st.tuples(st.sampled_from(VIETNAMESE), st.text(st.sampled_from(TONES), max_size=2)),
        max_size=30,
    ),
    st.sampled_from(["NFC", "NFD"]),
    st.text(st.sampled_from(" .,-&\u00a0"), max_size=3),
)
def test_fold_equals_its_definition_on_vietnamese_composed_or_not(
    letters: list[tuple[str, str]], form: str, separator: str
) -> None:
    text = unicodedata.normalize(form, separator.join(base + tones for base, tones in letters))
    assert fold(text) == reference_fold(text)


def test_characters_folded_with_their_neighbours_still_fold_by_the_definition() -> None:
    # Hangul jamo compose (NFC) into a syllable; an Indic vowel sign composes with the one
    # before it: a table of characters alone would get both wrong.
    for text in ["\u1100\u1161", "Đà \u1100\u1161", "\u09c7\u09be ấ", "ấ \uac00 \U0001f600"]:
        assert fold(text) == reference_fold(text)


def test_clean_text_equals_its_definition_on_every_kind_of_white_space() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert len(spaces) > 20  # tab, NBSP, the U+2000 block, ideographic space, …
    text = "x".join(f"{s}{s}" for s in spaces) + unicodedata.normalize("NFD", " Thuỷ  sản ")
    reference = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    assert clean_text(text) == reference
    assert clean_text("\u00a0\u3000") == "" and clean_text("") == ""


def test_clean_text_composes_and_collapses_white_space() -> None:
    assert clean_text("  Ha\u0300ng \t hải\n") == "Hàng hải"


def test_only_the_ascii_space_is_both_white_space_and_printable() -> None:
    # What clean_text's shortcut for text already clean rests on.
    printable_spaces = [c for c in map(chr, range(0x110000)) if c.isspace() and c.isprintable()]
    assert printable_spaces == [" "]


@given(st.text(st.sampled_from(" \t\n\u00a0\u2003\u3000\u0301a\u1ea1đ.-\x1f\x85")))
def test_clean_text_equals_its_definition(text: str) -> None:
    reference = " ".join(unicodedata.normalize("NFC", text).split())
    assert clean_text(text) == reference
