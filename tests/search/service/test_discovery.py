"""Record pages for search engines, the sitemap, robots.txt and citations, over the whole
search app (its real wiring: the cite route must win over ``/v1/records/{id}``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
from lxml import etree, html

from services.search.handlers import apply_record_changes
from services.search.sitemap import NAMESPACE
from services.search.web.views import record_path
from shared.events import ChangeKind, RecordChange, RecordsChanged
from shared.records import Record, RecordStatus
from tests.search.corpus import BASE, make_record
from tests.search.service.conftest import Service

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "schemas/sitemap-subset.xsd")))
NS = {"s": NAMESPACE}
HOST = "http://search.test"
MEMBERS = {
    "vmu": ("Trường Đại học Hàng hải Việt Nam", "Vietnam Maritime University"),
    "vimn": ("Viện Nghiên cứu Hải sản", "Research Institute for Marine Fisheries"),
}
HOSTILE = "Cá </script><script>alert(1)</script> & <!-- biển"
WITHDRAWN_AT = BASE + timedelta(days=40)

RECORDS: list[Record] = [
    make_record(
        "vmu",
        "sach/01",
        "Kỹ thuật đóng tàu hiện đại",
        creators=["Nguyễn Văn An", "Phạm Thị Mai"],
        publisher="Nhà xuất bản Hàng hải",
        year=2023,
        identifiers={"isbn": "9786049876543", "doi": "10.1234/hh.2023.01"},
        url="https://lib.vimaru.edu.vn/files/dong-tau.pdf",
        subjects=["Đóng tàu"],
    ),
    make_record(
        "vmu",
        "lv-1",
        "Luận án tiến sĩ: Tối ưu hoá khai thác cảng Đình Vũ",
        creators=["Lê Thu Hằng"],
        year=2022,
    ),
    make_record(
        "vmu", "bb-1", "Đánh giá chất lượng nước cảng Hải Phòng", creators=["Vũ Minh"], year=2021
    ),
    make_record(
        "vimn",
        "db-1",
        "Cơ sở dữ liệu nguồn lợi hải sản vịnh Bắc Bộ",
        kind="database",
        access="open",
        description="Số liệu điều tra nguồn lợi hải sản vịnh Bắc Bộ từ năm 2000.",
    ),
    make_record(
        "vimn", "web-1", "Cổng thông tin Viện Hải sản", kind="website", url="https://rimf.org.vn"
    ),
    make_record("vimn", "dv-1", "Dịch vụ cung cấp thông tin nghề cá", kind="service"),
    make_record(
        "vimn",
        "tt-1",
        "Tập huấn khai thác cơ sở dữ liệu thủy sản",
        kind="training",
        starts_at=datetime(2026, 3, 9, 1, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        location="Hội trường Viện, 224 Lê Lai, Hải Phòng",
    ),
    make_record("vimn", "x-1", HOSTILE, kind="database"),
    make_record("vmu", "gone-1", "Tài liệu sẽ thu hồi", description="Nội dung bí mật của bản ghi."),
]

# What each claimed schema.org type must carry (Google's required properties, and ours).
REQUIRED: dict[str, set[str]] = {
    "Book": {"name", "author", "publisher", "isbn", "datePublished", "url"},
    "Thesis": {"name", "author", "publisher", "datePublished", "url"},
    "ScholarlyArticle": {"name", "headline", "author", "datePublished", "publisher", "url"},
    "Dataset": {"name", "description", "creator", "publisher", "url"},
    "WebSite": {"name", "url", "publisher"},
    "Service": {"name", "provider", "serviceType", "url"},
    "Event": {"name", "startDate", "endDate", "location", "organizer", "url"},
}
EXPECTED_TYPES = {
    "vmu:sach/01": "Book",
    "vmu:lv-1": "Thesis",
    "vmu:bb-1": "ScholarlyArticle",
    "vimn:db-1": "Dataset",
    "vimn:web-1": "WebSite",
    "vimn:dv-1": "Service",
    "vimn:tt-1": "Event",
}


@pytest.fixture(scope="module", autouse=True)
async def indexed(service: Service) -> None:
    index = service.ports.index
    changes = [RecordChange(change=ChangeKind.CREATED, record=r) for r in RECORDS]
    await apply_record_changes(RecordsChanged(changes=changes), index=index)
    members = service.ports.members
    for code, (name, name_en) in MEMBERS.items():
        await members.save(code, name, name_en, 1)
    # How search learns of a withdrawal: records.changed with change "withdrawn".
    gone = RECORDS[-1].model_copy(
        update={"status": RecordStatus.WITHDRAWN, "version": 2, "updated_at": WITHDRAWN_AT}
    )
    withdrawn = RecordsChanged(changes=[RecordChange(change=ChangeKind.WITHDRAWN, record=gone)])
    await apply_record_changes(withdrawn, index=index)


async def page(service: Service, record_id: str) -> html.HtmlElement:
    response = await service.client.get(f"/records/{record_id}")
    assert response.status_code == 200, response.text
    return html.fromstring(response.text)


def json_ld(tree: html.HtmlElement) -> dict[str, Any]:
    scripts = tree.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def organization(value: Any, name: str) -> None:
    assert value["@type"] == "Organization" and value["name"] == name
    assert value["url"].startswith(HOST + "/?member=")


@pytest.mark.parametrize(("record_id", "claimed"), EXPECTED_TYPES.items())
async def test_each_kind_claims_its_schema_org_type_with_the_fields_it_requires(
    service: Service, record_id: str, claimed: str
) -> None:
    data = json_ld(await page(service, record_id))
    assert data["@context"] == "https://schema.org" and data["@type"] == claimed
    missing = {name for name in REQUIRED[claimed] if not data.get(name)}
    assert not missing, f"{claimed} lacks {missing}"
    assert data["inLanguage"] == "vi"
    if claimed in ("Book", "Thesis", "ScholarlyArticle"):
        assert all(a["@type"] == "Person" and a["name"] for a in data["author"])
        organization(data["provider"], MEMBERS["vmu"][0])
    if claimed == "Dataset":
        organization(data["publisher"], MEMBERS["vimn"][0])
        assert data["isAccessibleForFree"] is True
    if claimed == "Service":
        organization(data["provider"], MEMBERS["vimn"][0])
    if claimed == "Event":
        assert data["startDate"] == "2026-03-09T01:30:00+00:00"
        assert data["endDate"] == "2026-03-10T09:00:00+00:00"
        assert data["location"]["@type"] == "Place"
        assert data["location"]["name"] == "Hội trường Viện, 224 Lê Lai, Hải Phòng"
        organization(data["organizer"], MEMBERS["vimn"][0])


async def test_a_book_page_carries_citation_tags_canonical_and_open_graph(
    service: Service,
) -> None:
    tree = await page(service, "vmu:sach/01?lang=en")
    meta: dict[str, list[str]] = {}
    for tag in tree.xpath("//meta[@name or @property]"):
        meta.setdefault(tag.get("name") or tag.get("property"), []).append(tag.get("content"))
    canonical = f"{HOST}/records/vmu:sach%2F01"  # the portal's one form of the path
    assert tree.xpath('//link[@rel="canonical"]/@href') == [canonical]
    assert meta["citation_title"] == ["Kỹ thuật đóng tàu hiện đại"]
    assert meta["citation_author"] == ["Nguyễn Văn An", "Phạm Thị Mai"]
    assert meta["citation_publication_date"] == ["2023"]
    assert meta["citation_publisher"] == ["Nhà xuất bản Hàng hải"]
    assert meta["citation_isbn"] == ["9786049876543"]
    assert meta["citation_doi"] == ["10.1234/hh.2023.01"]
    assert meta["citation_pdf_url"] == ["https://lib.vimaru.edu.vn/files/dong-tau.pdf"]
    assert meta["citation_abstract_html_url"] == [canonical]
    assert meta["og:url"] == [canonical] and meta["og:type"] == ["book"]
    assert meta["og:title"] == ["Kỹ thuật đóng tàu hiện đại"] and meta["og:locale"] == ["en_US"]


async def test_only_publications_carry_citation_tags(service: Service) -> None:
    tree = await page(service, "vimn:db-1")
    assert not tree.xpath('//meta[starts-with(@name, "citation_")]')
    assert tree.xpath('//meta[@property="og:type"]/@content') == ["website"]


async def test_record_text_cannot_close_the_json_ld_script(service: Service) -> None:
    response = await service.client.get("/records/vimn:x-1")
    assert "</script><script>alert(1)" not in response.text
    assert "<!-- biển" not in response.text
    assert json_ld(html.fromstring(response.text))["name"] == HOSTILE


async def test_the_record_page_links_its_citations(service: Service) -> None:
    tree = await page(service, "vmu:sach/01")
    cite = tree.xpath('//p[@class="cite"]')[0]
    assert cite.text_content().startswith("Trích dẫn: BibTeX · RIS · CSL-JSON")
    for href in cite.xpath(".//a/@href"):
        response = await service.client.get(href)
        assert response.status_code == 200, href
        assert "thuật đóng tàu hiện đại" in response.text


async def test_a_withdrawn_record_answers_410_with_a_stub_only(service: Service) -> None:
    response = await service.client.get("/records/vmu:gone-1")
    assert response.status_code == 410
    tree = html.fromstring(response.text)
    assert tree.xpath("//h1")[0].text_content() == "Tài liệu sẽ thu hồi"
    text = tree.text_content()
    assert MEMBERS["vmu"][0] in text and "Ngày thu hồi" in text and "10/02/2026" in text
    assert "Nội dung bí mật" not in response.text
    assert not tree.xpath('//script[@type="application/ld+json"]')
    assert tree.xpath('//meta[@name="robots"]/@content') == ["noindex"]
    cite = await service.client.get("/v1/records/vmu:gone-1/cite", params={"format": "ris"})
    assert cite.status_code == 410 and cite.json()["error"]["code"] == "gone"


async def sitemap_locations(service: Service) -> dict[str, str]:
    index = await service.client.get("/sitemap.xml")
    assert index.status_code == 200 and index.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(index.content)
    SCHEMA.assertValid(root)
    pages = [loc.text for loc in root.findall("s:sitemap/s:loc", NS)]
    assert pages == [f"{HOST}/sitemaps/1.xml"]
    response = await service.client.get(pages[0].removeprefix(HOST))
    assert response.status_code == 200
    urlset = etree.fromstring(response.content)
    SCHEMA.assertValid(urlset)
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in urlset.findall("s:url", NS)
    }


async def test_the_sitemap_lists_every_live_record_with_its_lastmod(service: Service) -> None:
    listed = await sitemap_locations(service)
    live = [r for r in RECORDS if r.id != "vmu:gone-1"]
    assert set(listed) == {HOST + record_path(r.id) for r in live}
    assert f"{HOST}/records/vmu:gone-1" not in listed
    book = RECORDS[0]
    assert datetime.fromisoformat(listed[HOST + record_path(book.id)]) == book.updated_at
    robots = await service.client.get("/robots.txt")
    assert f"Sitemap: {HOST}/sitemap.xml" in robots.text.splitlines()


@pytest.mark.parametrize(
    ("path", "status"),
    [("/sitemaps/2.xml", 404), ("/sitemaps/0.xml", 422), ("/sitemaps/x.xml", 422)],
)
async def test_sitemap_pages_beyond_the_index_are_refused(
    service: Service, path: str, status: int
) -> None:
    response = await service.client.get(path)
    assert response.status_code == status
    assert response.json()["error"]["code"] in ("not_found", "validation_error")


async def test_a_record_cites_in_three_formats_as_a_download(service: Service) -> None:
    url = "/v1/records/vmu:sach/01/cite"
    bib = await service.client.get(url, params={"format": "bibtex"})
    assert bib.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert bib.headers["content-disposition"].startswith('attachment; filename="vmu_sach_01.bib"')
    entry = bibtexparser.loads(bib.text).entries[0]
    assert entry["ENTRYTYPE"] == "book" and entry["title"] == "{Kỹ} thuật đóng tàu hiện đại"
    ris = await service.client.get(url, params={"format": "ris"})
    assert ris.headers["content-type"] == "application/x-research-info-systems; charset=utf-8"
    assert rispy.loads(ris.text)[0]["title"] == "Kỹ thuật đóng tàu hiện đại"
    csl = await service.client.get(url, params={"format": "csl-json"})
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    item = json.loads(csl.content.decode("utf-8"))[0]
    assert item["type"] == "book" and item["publisher"] == "Nhà xuất bản Hàng hải"
    assert item["URL"] == "https://lib.vimaru.edu.vn/files/dong-tau.pdf"


async def test_citing_an_unknown_record_or_format_is_a_4xx(service: Service) -> None:
    missing = await service.client.get("/v1/records/vmu:nope/cite", params={"format": "ris"})
    assert missing.status_code == 404
    wrong = await service.client.get("/v1/records/vmu:sach/01/cite", params={"format": "endnote"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["loc"] == ["query", "format"]
    # The record route itself still answers, and ``…/cite`` in a record's JSON is not a cite.
    assert (await service.client.get("/v1/records/vmu:sach/01")).json()["id"] == "vmu:sach/01"


async def test_a_page_of_search_results_cites_as_ris(service: Service) -> None:
    params = {"q": "hai san", "per_page": 2}
    hits = (await service.client.get("/v1/search", params=params)).json()["hits"]
    ris = await service.client.get("/v1/search", params={**params, "format": "ris"})
    assert ris.status_code == 200
    assert 'filename="tra-cuu.ris"' in ris.headers["content-disposition"]
    assert [e["id"] for e in rispy.loads(ris.text)] == [h["id"] for h in hits]
    wrong = await service.client.get("/v1/search", params={**params, "format": "doc"})
    assert wrong.status_code == 422
