"""Pure rules of the harvester: dc:type → kind, languages, dates, identifiers, ids, SSRF."""

from __future__ import annotations

import pytest
from lxml import etree

from services.ingest.adapters.oai_client import parse_list_records
from services.ingest.harvest.domain import local_id_of, schedule_interval
from services.ingest.harvest.mapping import (
    dates_of,
    identifiers_of,
    kind_of,
    language_of,
    map_oai_dc,
)
from shared.netguard import refused_address
from shared.safe_xml import hardened_parser


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        (["stinet:training", "Text"], "training"),
        (["Dataset"], "database"),
        (["Cơ sở dữ liệu"], "database"),
        (["info:eu-repo/semantics/article"], "publication"),
        (["Thesis"], "publication"),
        (["InteractiveResource"], "website"),
        (["Event"], "training"),
        (["Khóa đào tạo"], "training"),
        (["Dịch vụ thông tin"], "service"),
        ([], "publication"),
    ],
)
def test_dc_type_maps_to_our_kinds(types: list[str], kind: str) -> None:
    assert kind_of(types) == kind


@pytest.mark.parametrize(
    ("value", "code"),
    [("vi", "vi"), ("vi_VN", "vi"), ("en-US", "en"), ("vie", "vi"), ("eng", "en"),
     ("Tiếng Việt", "vi"), ("English", "en"), ("fre", "fr"), ("klingon", None), ("", None)],
)  # fmt: skip
def test_languages_become_iso_639_1(value: str, code: str | None) -> None:
    assert language_of(value) == code


def test_dates_prefer_the_issued_value_over_dspace_timestamps() -> None:
    assert dates_of(["2020-01-02T03:04:05Z", "2020-01-02T03:04:05Z", "2018"]) == {"year": 2018}
    assert dates_of(["2017-06-30"]) == {"year": 2017, "date": "2017-06-30"}
    assert dates_of(["c1999."]) == {"year": 1999}
    assert dates_of(["n.d."]) == {}
    assert dates_of(["2020-02-30"]) == {"year": 2020}  # an impossible day keeps the year


def test_identifiers_are_recognised_and_the_landing_page_chosen() -> None:
    found, url = identifiers_of(
        ["https://doi.org/10.5555/x.1", "http://hdl.handle.net/123/4", "urn:isbn:978-604-1",
         "ISSN 1859-3461", "https://repo.example.vn/items/4"]
    )  # fmt: skip
    assert found == {
        "doi": "10.5555/x.1", "handle": "123/4", "isbn": "978-604-1", "issn": "1859-3461",
    }  # fmt: skip
    assert url == "https://repo.example.vn/items/4"
    assert identifiers_of(["http://hdl.handle.net/123/4"])[1] == "http://hdl.handle.net/123/4"


def _dc(*elements: str) -> etree._Element:
    ns = 'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    ns += 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    return etree.fromstring(
        f"<oai_dc:dc {ns}><dc:title>T</dc:title>{''.join(elements)}</oai_dc:dc>"
    )


def test_coverage_is_a_trainings_time_and_place_and_nothing_elsewhere() -> None:
    coverage = (
        "<dc:coverage>2026-12-01T01:30:00Z/2026-12-03T09:30:00Z</dc:coverage>"
        "<dc:coverage>Hội trường A, Hải Phòng</dc:coverage>"
    )
    training = map_oai_dc(_dc("<dc:type>Event</dc:type>", coverage))
    assert training["starts_at"] == "2026-12-01T01:30:00Z"
    assert training["ends_at"] == "2026-12-03T09:30:00Z"
    assert training["location"] == "Hội trường A, Hải Phòng"
    article = map_oai_dc(_dc("<dc:type>Text</dc:type>", coverage))
    assert not {"starts_at", "ends_at", "location"} & set(article)


def test_long_oai_identifiers_are_shortened_deterministically() -> None:
    short = "oai:repo.example.vn:123/4"
    assert local_id_of(short) == short
    long = "oai:repo.example.vn:" + "x" * 300
    assert local_id_of(long) == local_id_of(long)
    assert len(local_id_of(long)) <= 128
    assert local_id_of(long) != local_id_of(long + "y")


@pytest.mark.parametrize(
    ("address", "refused"),
    [("127.0.0.1", True), ("10.0.0.8", True), ("192.168.1.1", True), ("172.16.0.1", True),
     ("169.254.169.254", True), ("::1", True), ("fe80::1", True), ("::ffff:127.0.0.1", True),
     ("100.64.0.1", True), ("0.0.0.0", True), ("8.8.8.8", False), ("2001:4860:4860::8888", False)],
)  # fmt: skip
def test_ssrf_guard_classifies_addresses(address: str, refused: bool) -> None:
    assert refused_address(address) is refused


def test_schedules() -> None:
    assert schedule_interval("manual") is None
    assert schedule_interval("every 2h").total_seconds() == 7200
    for bad in ("every 1m", "sometimes", "every 0d"):
        with pytest.raises(ValueError):
            schedule_interval(bad)


def test_the_parser_resolves_no_external_entities(tmp_path: object) -> None:
    page = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>
<header><identifier>oai:x:1</identifier><datestamp>2024-01-01</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&xxe;</dc:title></oai_dc:dc></metadata>
</record></ListRecords></OAI-PMH>"""
    root = etree.fromstring(page, hardened_parser())
    assert b"root:" not in etree.tostring(root)
    page_records = parse_list_records(root).records
    assert [r.identifier for r in page_records] == ["oai:x:1"]
