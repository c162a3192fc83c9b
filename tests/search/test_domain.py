"""Vietnamese search rules with no engine: query parsing, abbreviations, order, highlights."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from services.search.domain import (
    SYNONYMS,
    _render,
    collation_key,
    completes,
    exact_words,
    fold_aligned,
    fold_words,
    highlight,
    match_spans,
    normalise_abbreviations,
    parse_query,
    synonym_text,
    synonym_words,
    typo_budget,
)
from shared.text import clean_text, fold

VIETNAMESE = (
    "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
)


def test_a_query_is_folded_and_its_last_word_is_a_prefix_until_a_space() -> None:
    typing = parse_query("Đại học Hàng h")
    assert typing.words == ("dai", "hoc", "hang", "h")
    assert typing.last_is_prefix and typing.marked
    assert typing.exact == ("đại", "học", "hàng", "h")
    assert not parse_query("dai hoc ").last_is_prefix
    assert not parse_query("dai hoc").marked


def test_abbreviations_with_an_ampersand_are_one_word() -> None:
    assert parse_query("KH&CN Hải Phòng").words[0] == "khcn"
    assert parse_query("kh & cn").words == ("khcn",)
    assert synonym_text("co so du lieu bien") == "csdl"
    assert "co so du lieu" in synonym_text("csdl luan van")


def test_typo_budget_follows_word_length() -> None:
    assert [typo_budget(w) for w in ("bien", "truong", "nghiencuu")] == [0, 1, 2]


def test_titles_sort_in_vietnamese_alphabetical_order() -> None:
    titles = ["Đà Nẵng", "Dược học", "Ăn uống", "Âm nhạc", "An toàn", "Ấn phẩm", "Bảo tồn"]
    ordered = sorted(titles, key=collation_key)
    # a < ă < â, then the next letters; d < đ; tone marks only break ties.
    assert ordered == ["An toàn", "Ăn uống", "Âm nhạc", "Ấn phẩm", "Bảo tồn", "Dược học", "Đà Nẵng"]
    assert sorted(["Má", "Ma", "Mà"], key=collation_key) == ["Ma", "Mà", "Má"]


_ALPHABET = "aăâbcdđeêghijklmnoôơpqrstuưvwxyz"
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}


def reference_collation_key(title: str) -> str:
    """The definition, character by character: space < digits < the alphabet (one byte
    each) < any other letter; tones after the letters, to break ties."""
    primary, secondary = [], []
    for char in clean_text(title).casefold():
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        secondary.append(next((_TONES[c] for c in parts if c in _TONES), "0"))
        if _ALPHABET.find(base) >= 0:
            primary.append(chr(0x41 + _ALPHABET.find(base)))
        elif base.isalnum() and base.isdigit():
            primary.append(chr(0x30 + unicodedata.digit(base)))
        elif base.isalnum():
            primary.append(chr(0x200 + ord(base)))
        else:
            primary.append(" ")
    return "".join(primary)[:200] + "\x01" + "".join(secondary)[:200]


@given(st.text(st.characters(max_codepoint=0x2FFF, exclude_categories=["Cs"]), max_size=40))
def test_collation_key_equals_its_definition_on_the_covered_blocks(title: str) -> None:
    assert collation_key(title) == reference_collation_key(title)


@given(st.text(st.sampled_from(VIETNAMESE.upper() + VIETNAMESE + " 0123-"), max_size=250))
def test_collation_key_equals_its_definition_on_long_vietnamese_titles(title: str) -> None:
    assert collation_key(title) == reference_collation_key(title)


def test_superscript_and_subscript_digits_sort_as_digits() -> None:
    # "CO₂" made the sort key raise (int("₂")): such a record could not be indexed.
    assert sorted(["CO3 khí", "CO₂ khí", "CO1 khí"], key=collation_key) == [
        "CO1 khí",
        "CO₂ khí",
        "CO3 khí",
    ]
    assert collation_key("Diện tích 5 m²")


def test_title_order_puts_space_before_digits_before_letters_before_other_scripts() -> None:
    titles = ["Ωmega", "Z", "Đ", "9 a", "A b", "Ab", "A", "10", "α", "Zz"]
    assert sorted(titles, key=collation_key) == [
        "10",
        "9 a",
        "A",
        "A b",
        "Ab",
        "Đ",
        "Z",
        "Zz",
        "α",
        "Ωmega",
    ]
    assert all(ord(c) < 0x80 for c in collation_key("Đại học Hàng hải Việt Nam 2025"))


@given(st.lists(st.sampled_from(["csdl", "co", "so", "du", "lieu", "tt", "x", "&", "kh"])))
def test_synonym_text_finds_what_a_substring_search_finds(words: list[str]) -> None:
    text = " ".join(words)
    padded = f" {' '.join(fold_words(text))} "
    expected = []
    for abbreviation, phrases in SYNONYMS.items():
        if f" {abbreviation} " in padded:
            expected.extend(phrases)
        elif any(f" {phrase} " in padded for phrase in phrases):
            expected.append(abbreviation)
    assert synonym_text(text) == " ".join(expected)


def test_highlight_marks_matches_and_escapes_html() -> None:
    marked = highlight("Thư viện <số> Hải Phòng", parse_query("thu vien hai ph"))
    assert (
        marked
        == "<mark>Thư</mark> <mark>viện</mark> &lt;số&gt; <mark>Hải</mark> <mark>Phòng</mark>"
    )
    assert highlight("Không khớp", parse_query("")) == "Không khớp"


def test_long_text_is_cut_around_the_first_match() -> None:
    text = "mở đầu " * 100 + "rừng ngập mặn" + " kết thúc" * 100
    out = highlight(text, parse_query("rung ngap man "), max_chars=120)
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>rừng</mark> <mark>ngập</mark> <mark>mặn</mark>" in out


def test_completions_need_every_word() -> None:
    assert completes("Thư viện số", ("thu", "vi"), True)
    assert not completes("Thư viện số", ("thu", "vi"), False)
    assert not completes("Thư viện số", ("sach",), True)


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " -,.", max_size=60))
def test_aligned_folding_equals_the_shared_fold_on_vietnamese(text: str) -> None:
    assert fold_aligned(text) == fold(text)
    assert len(fold_aligned(text)) == len(text)


_PIECES = st.text(
    st.one_of(
        st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + " \t\n&_-,.0123"),
        st.characters(max_codepoint=0x2FFF, exclude_categories=["Cs"]),
    ),
    max_size=60,
)


@given(_PIECES)
def test_fold_words_piece_by_piece_equals_folding_the_whole_text(text: str) -> None:
    whole = re.findall(r"\w+", normalise_abbreviations(fold(text)))
    assert fold_words(text) == whole
    assert fold_words(text) == whole  # the second time from the remembered pieces


@given(_PIECES.map(lambda text: unicodedata.normalize("NFD", text)) | _PIECES)
def test_exact_words_piece_by_piece_equal_the_words_of_the_whole_text(text: str) -> None:
    whole = re.findall(r"\w+", normalise_abbreviations(clean_text(text).casefold()))
    assert exact_words(text) == whole
    assert exact_words(text) == whole  # the second time from the remembered pieces


@given(st.lists(st.sampled_from(["csdl", "co", "so", "du", "lieu", "tt", "x", "&", "kh"])))
def test_synonyms_of_folded_words_are_those_of_their_text(words: list[str]) -> None:
    text = " ".join(words)
    assert synonym_words(fold_words(text)) == synonym_text(text)


_LONG_TEXT = st.builds(
    lambda filler, words: " ".join(["filler"] * filler + words),
    st.integers(0, 70),  # so the first match may start anywhere, the head's end included
    st.lists(st.sampled_from(["Thư", "viện,", "biển", "Hải", "phòng", "—", "x" * 9]), max_size=80),
)


@settings(max_examples=500)
@given(_LONG_TEXT, st.sampled_from(["thu vien", "bien", "hai ph", "vie", "phong x", "zzz"]))
def test_a_long_text_is_highlighted_from_its_head_as_from_the_whole(text: str, typed: str) -> None:
    query = parse_query(typed)
    whole = _render(text, match_spans(text, query, frozenset()), 240)
    assert highlight(text, query, typo_words=frozenset()) == whole
