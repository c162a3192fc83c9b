"""What ``to_document`` gives tantivy to match and complete: the words of the definition,
however the text is cut into remembered pieces (issue 15's indexing speed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.search.adapters.tantivy_schema import SHORT_PREFIX, to_document
from services.search.domain import fold_words, folded_text, searchable_text, synonym_text
from tests.search.corpus import make_record

_TEXT = st.text(
    st.one_of(
        st.sampled_from("aàảđĐươƯ CSDL cơ sở dữ liệu kh & cn,.-_\t\n0123"),
        st.characters(max_codepoint=0x2FFF, exclude_categories=["Cs"]),
    ),
    max_size=80,
)


def _words(text: str) -> list[str]:
    return text.split()


@given(_TEXT)
def test_folded_text_holds_the_folded_words_in_order(text: str) -> None:
    assert _words(folded_text(text)) == fold_words(text)
    assert _words(folded_text(text)) == fold_words(text)  # the second time remembered


@given(title=_TEXT, description=_TEXT, subjects=st.lists(_TEXT, max_size=3))
def test_a_document_matches_and_completes_the_words_of_its_record(
    title: str, description: str, subjects: list[str]
) -> None:
    title = title if title.strip() else "x"
    record = make_record("vmu", "d1", title, description=description, subjects=subjects)
    fields = to_document(record).to_dict()
    folded_title = fold_words(record.title)
    synonyms = synonym_text(" ".join([*folded_title, *fold_words(" ".join(record.subjects))]))
    expected = [*folded_title, *fold_words(searchable_text(record)), *synonyms.split()]
    assert _words(fields["match_f"][0]) == expected
    prefixes = {word[:n] for word in expected for n in range(1, SHORT_PREFIX + 1)}
    assert set(_words(fields["prefix_f"][0])) == prefixes
