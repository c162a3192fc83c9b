"""Each normalisation of incoming records: one canonical form, invalid values reported."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from services.catalogue.normalise import InvalidValue, doi, isbn, issn, language, normalise, url
from shared.records import RecordIn


def record(**fields: object) -> RecordIn:
    return RecordIn(**{"local_id": "r1", "kind": "publication", "title": "Sách", **fields})


def test_decomposed_vietnamese_is_stored_composed_with_whitespace_collapsed() -> None:
    decomposed = unicodedata.normalize("NFD", "Đại   học\tHàng hải")
    result = normalise(
        record(title=decomposed, creators=[unicodedata.normalize("NFD", " Nguyễn  Văn A ")])
    )
    assert result.record is not None
    assert result.record.title == "Đại học Hàng hải"
    assert unicodedata.is_normalized("NFC", result.record.title)
    assert result.record.creators == ["Nguyễn Văn A"]


@pytest.mark.parametrize(
    ("given", "expected"), [("vi", "vi"), ("VI", "vi"), ("vi-VN", "vi"), ("vie", "vi"),
                            ("eng", "en"), ("fre", "fr"), ("zh-Hant", "zh")],
)  # fmt: skip
def test_language_codes_become_iso_639_1(given: str, expected: str) -> None:
    assert language(given) == expected


def test_unknown_language_code_is_reported_on_its_field() -> None:
    result = normalise(record(language="xyz"))
    assert result.record is None
    assert [e.loc for e in result.errors] == [["language"]]


@pytest.mark.parametrize(
    "given", ["0-306-40615-2", "0306406152", "978-0-306-40615-7", "ISBN 978 0 306 40615 7",
              "ISBN-10: 0306406152"],
)  # fmt: skip
def test_isbn_10_and_13_share_one_canonical_form(given: str) -> None:
    assert isbn(given) == "9780306406157"


def test_isbn_10_with_x_check_digit() -> None:
    assert isbn("0-8044-2957-X") == "9780804429573"


@pytest.mark.parametrize("given", ["0-306-40615-3", "978-0-306-40615-8", "12345", "abcdefghij"])
def test_isbn_with_bad_checksum_is_refused(given: str) -> None:
    with pytest.raises(InvalidValue):
        isbn(given)


@pytest.mark.parametrize("given", ["0317-8471", "03178471", "ISSN 0317 8471"])
def test_issn_is_verified_and_hyphenated(given: str) -> None:
    assert issn(given) == "0317-8471"


def test_issn_with_x_check_digit_and_bad_checksum() -> None:
    assert issn("2434-561x") == "2434-561X"
    with pytest.raises(InvalidValue):
        issn("0317-8472")


@pytest.mark.parametrize(
    "given", ["10.1000/ABC.def", "doi:10.1000/abc.DEF", "https://doi.org/10.1000/abc.def",
              "http://dx.doi.org/10.1000/ABC.DEF"],
)  # fmt: skip
def test_doi_is_lower_cased_without_resolver(given: str) -> None:
    assert doi(given) == "10.1000/abc.def"


def test_invalid_doi_is_refused() -> None:
    with pytest.raises(InvalidValue):
        doi("not-a-doi")


def test_url_scheme_and_host_are_lower_cased() -> None:
    assert url("HTTPS://ThuVien.VMU.edu.VN/Tra-Cuu?q=1") == "https://thuvien.vmu.edu.vn/Tra-Cuu?q=1"


@pytest.mark.parametrize(
    "given", ["http://", "http://exa mple.com", "http://-bad-.com/", "https://x", "http://a..b/",
              "http://user:pw@example.com/"],
)  # fmt: skip
def test_invalid_urls_are_refused(given: str) -> None:
    with pytest.raises(InvalidValue):
        url(given)


def test_identifiers_are_canonical_and_every_invalid_one_is_reported() -> None:
    good = normalise(record(identifiers={"isbn": "0306406152", "doi": "DOI:10.1000/X1"}))
    assert good.record is not None
    assert good.record.identifiers == {"doi": "10.1000/x1", "isbn": "9780306406157"}
    bad = normalise(record(identifiers={"isbn": "0306406153", "issn": "1234-5678"}))
    assert bad.record is None
    assert sorted(e.loc for e in bad.errors) == [["identifiers", "isbn"], ["identifiers", "issn"]]


def test_year_is_taken_from_date_and_a_contradiction_is_reported() -> None:
    derived = normalise(record(date="2021-03-04"))
    assert derived.record is not None and derived.record.year == 2021
    bad = normalise(record(date="2021-03-04", year=2020))
    assert bad.record is None and bad.errors[0].loc == ["year"]


def test_naive_training_times_are_hai_phong_time_stored_in_utc() -> None:
    result = normalise(
        RecordIn(local_id="t1", kind="training", title="Tập huấn", starts_at="2026-03-01T08:00:00")
    )
    assert result.record is not None
    assert result.record.starts_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
