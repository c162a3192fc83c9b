"""Vietnamese search rules with no engine: query parsing, abbreviations, order, highlights."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.search.domain import (
    collation_key,
    completes,
    fold_aligned,
    highlight,
    parse_query,
    synonym_text,
    typo_budget,
)
from shared.text import fold

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
