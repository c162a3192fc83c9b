"""Citations parsed back by the tools people cite with: bibtexparser, rispy, plain JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import bibtexparser
import rispy
from bibtexparser.bparser import BibTexParser

from services.search.cite import (
    CiteFormat,
    bibtex_key,
    content_disposition,
    protect_capitals,
    to_bibtex,
    to_csl_json,
    to_ris,
)
from services.search.work import Citable, WorkType, work_type
from tests.search.web.corpus import record

MEMBER = "Trường Đại học Hàng hải Việt Nam"
TITLE = "Nghiên cứu Ứng dụng Công nghệ Đóng tàu tại Hải Phòng: 50% & {mới}"

BOOK = record(
    "vmu",
    "sach/01",
    TITLE,
    creators=["Nguyễn Văn An", "Trần, Thị Bình"],
    publisher="Nhà xuất bản Hàng hải",
    date=date(2023, 5, 17),
    identifiers={"isbn": "9786049876543", "doi": "https://doi.org/10.1234/hh.2023.01"},
    subjects=["Đóng tàu", "Hàng hải"],
    description="Tổng quan về đóng tàu\nở Hải Phòng.",
)
THESIS = record(
    "vmu",
    "lv-7",
    "Luận văn thạc sĩ: Tối ưu hoá cảng Đình Vũ",
    creators=["Lê Thu Hằng"],
    year=2022,
)
ARTICLE = record("hpu", "bb-1", "Đa dạng sinh học vịnh Lan Hạ", identifiers={"issn": "1859-316X"})
EVENT = record(
    "vimn",
    "tt-1",
    "Tập huấn khai thác cơ sở dữ liệu thủy sản",
    kind="training",
    starts_at=datetime(2026, 3, 9, 1, 30, tzinfo=UTC),
    ends_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    location="Hội trường Viện, 224 Lê Lai, Hải Phòng",
)
DATABASE = record("vimn", "db-1", "CSDL Nguồn lợi Hải sản", kind="database", access="open")


def citable(r: object) -> Citable:
    return Citable(record=r, landing_url=f"https://tracuu.test/records/{r.id}", member_name=MEMBER)  # type: ignore[attr-defined]


ALL = [citable(r) for r in (BOOK, THESIS, ARTICLE, EVENT, DATABASE)]


def unbrace(value: str) -> str:
    return value.replace("{", "").replace("}", "")


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    database = bibtexparser.loads(text, parser=parser)
    return {entry["ID"]: entry for entry in database.entries}


def test_publications_are_books_theses_or_articles_as_their_data_says() -> None:
    assert work_type(BOOK) is WorkType.BOOK
    assert work_type(THESIS) is WorkType.MASTERS_THESIS
    assert work_type(ARTICLE) is WorkType.ARTICLE
    assert work_type(EVENT) is WorkType.EVENT


def test_bibtex_parses_back_with_vietnamese_titles_and_names_intact() -> None:
    entries = parse_bibtex(to_bibtex(ALL))
    assert set(entries) == {bibtex_key(r.record) for r in ALL}
    book = entries[bibtex_key(BOOK)]
    assert book["ENTRYTYPE"] == "book"
    # Escapes undone and braces dropped, the title is the record's, diacritics and all.
    title = unbrace(book["title"]).replace("\\%", "%").replace("\\&", "&")
    assert title == TITLE.replace("{", "\\textbraceleft").replace("}", "\\textbraceright")
    assert book["author"] == "{Nguyễn Văn An} and Trần, Thị Bình"
    assert book["publisher"] == "Nhà xuất bản Hàng hải"
    assert book["isbn"] == "9786049876543" and book["doi"] == "10.1234/hh.2023.01"
    assert book["date"] == "2023-05-17" and book["year"] == "2023"
    assert book["abstract"] == "Tổng quan về đóng tàu ở Hải Phòng."
    thesis = entries[bibtex_key(THESIS)]
    assert thesis["ENTRYTYPE"] == "mastersthesis" and thesis["school"] == MEMBER
    assert entries[bibtex_key(EVENT)]["year"] == "2026"
    assert entries[bibtex_key(ARTICLE)]["url"] == "https://tracuu.test/records/hpu:bb-1"


def test_bibtex_braces_capitalised_words_and_keeps_braces_balanced() -> None:
    protected = protect_capitals("Cảng Đình Vũ và biển Đông {x} 100%")
    assert protected == (
        "{Cảng} {Đình} {Vũ} và biển {Đông} \\textbraceleft{}x\\textbraceright{} 100\\%"
    )
    text = to_bibtex(ALL)
    assert text.count("{") == text.count("}")
    assert re.search(r"^@book\{vmu:sach-01,$", text, re.MULTILINE)


def test_ris_parses_back_with_rispy() -> None:
    entries = rispy.loads(to_ris(ALL))
    assert [e["type_of_reference"] for e in entries] == ["BOOK", "THES", "JOUR", "GEN", "DATA"]
    book = entries[0]
    assert book["title"] == TITLE
    assert book["authors"] == ["Nguyễn Văn An", "Trần, Thị Bình"]
    assert book["date"] == "2023/05/17" and book["year"] == "2023"
    assert book["doi"] == "10.1234/hh.2023.01"
    assert book["keywords"] == ["Đóng tàu", "Hàng hải"]
    assert book["urls"] == ["https://tracuu.test/records/vmu:sach/01"]
    assert entries[3]["place_published"] == "Hội trường Viện, 224 Lê Lai, Hải Phòng"
    assert entries[2]["issn"] == "1859-316X"


def test_csl_json_items_carry_types_names_and_dates() -> None:
    items = json.loads(to_csl_json(ALL))
    book, thesis, article, event, database = items
    assert book["type"] == "book" and book["title"] == TITLE
    assert book["author"] == [{"literal": "Nguyễn Văn An"}, {"family": "Trần", "given": "Thị Bình"}]
    assert book["issued"] == {"date-parts": [[2023, 5, 17]]}
    assert book["ISBN"] == "9786049876543" and book["DOI"] == "10.1234/hh.2023.01"
    assert thesis["type"] == "thesis" and thesis["genre"] == "Luận văn thạc sĩ"
    assert article["type"] == "article-journal" and article["ISSN"] == "1859-316X"
    assert event["type"] == "event" and event["event-date"] == {"date-parts": [[2026, 3, 9]]}
    assert database["type"] == "dataset" and database["publisher"] == MEMBER


def test_download_names_have_an_ascii_fallback_and_the_exact_utf8_name() -> None:
    header = content_disposition("vmu:sách/01", CiteFormat.RIS)
    assert header.startswith('attachment; filename="vmu_sach_01.ris"; ')
    assert header.endswith("filename*=UTF-8''vmu%3As%C3%A1ch%2F01.ris")
