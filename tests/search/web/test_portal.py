"""The portal, record page, embed, widget script and OpenSearch over the real embedded engine."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from defusedxml import ElementTree

from tests.search.web.conftest import Portal
from tests.search.web.corpus import HOSTILE_TITLE, TARGET_TITLE, record


class Links(HTMLParser):
    """Collects ``<a href>`` with their text, and the ``<html lang>``."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.lang: str | None = None
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "a" and values.get("href"):
            self._href, self._text = values["href"], []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def result_titles(html: str) -> list[str]:
    titles = re.findall(r'<h3 class="hit-title"><a [^>]*>(.*?)</a></h3>', html, re.S)
    return [re.sub(r"</?mark>", "", t) for t in titles]


async def test_an_unaccented_query_finds_the_vietnamese_title_with_marks(portal: Portal) -> None:
    response = await portal.client.get("/", params={"q": "thu vien so dai hoc hang hai"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert parse(page).lang == "vi"
    assert result_titles(page)[0] == TARGET_TITLE
    assert "<mark>Hàng</mark>" in page and "<mark>hải</mark>" in page
    assert "Tổng lượt truy cập" in page and "Đang truy cập" in page


async def test_the_page_links_its_english_version_and_opensearch(portal: Portal) -> None:
    page = (await portal.client.get("/", params={"q": "hang hai"})).text
    switch = [href for href, text in parse(page).links if text == "English"]
    assert switch, "no link to the English page"
    assert 'rel="search" type="application/opensearchdescription+xml"' in page
    english = await portal.client.get(switch[0])
    assert parse(english.text).lang == "en"
    assert "Total visits" in english.text and "results for" in english.text
    assert parse_qs(urlsplit(switch[0]).query)["q"] == ["hang hai"]


async def test_facet_links_filter_without_javascript(portal: Portal) -> None:
    page = (await portal.client.get("/", params={"q": "hang hai"})).text
    database = [
        href for href, text in parse(page).links if "kind=" in href and "Cơ sở dữ liệu" in text
    ]
    assert len(database) == 1
    filtered = (await portal.client.get(database[0])).text
    assert result_titles(filtered) == [
        "Cơ sở dữ liệu luận văn thạc sĩ ngành khai thác máy tàu biển"
    ]
    # the same link again (now active) removes the filter
    again = [
        href
        for href, text in parse(filtered).links
        if text.startswith("Cơ sở dữ liệu") and not href.startswith("/records/")
    ]
    assert "kind=" not in again[0]


async def test_member_facet_shows_member_names(portal: Portal) -> None:
    page = (await portal.client.get("/", params={"q": "hang hai"})).text
    labels = [text for href, text in parse(page).links if "member=" in href]
    assert any(label.startswith("Trường Đại học Hàng hải Việt Nam") for label in labels)


async def test_pagination_links_walk_the_result_pages(portal: Portal) -> None:
    first = (await portal.client.get("/", params={"q": "bao cao tap huan", "per_page": 5})).text
    assert len(result_titles(first)) == 5
    next_links = [href for href, text in parse(first).links if text == "Trang sau"]
    second = (await portal.client.get(next_links[0])).text
    assert "page=2" in next_links[0]
    assert len(result_titles(second)) == 5
    assert not set(result_titles(first)) & set(result_titles(second))


async def test_everything_from_the_index_is_escaped(portal: Portal) -> None:
    page = (await portal.client.get("/", params={"q": "thuy san moi truong"})).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    assert "<b>thẻ</b>" not in page
    record = await portal.client.get("/records/vimn:xss-1")
    assert record.status_code == 200
    assert "<script>alert" not in record.text
    assert HOSTILE_TITLE not in record.text


async def test_bad_parameters_give_a_400_page_not_a_crash(portal: Portal) -> None:
    for params in (
        {"q": "x", "per_page": "1000"},
        {"q": "x", "page": "0"},
        {"q": "x", "kind": "nonsense"},
        {"q": "x", "year_from": "2020", "year_to": "2010"},
        {"q": "x", "year_from": "abc"},
        {"q": "x" * 600},
    ):
        response = await portal.client.get("/", params=params)
        assert response.status_code == 400, params
        assert "Yêu cầu tìm kiếm không hợp lệ" in response.text
        assert 'role="alert"' in response.text


async def test_the_record_page_shows_holdings_as_links(portal: Portal) -> None:
    response = await portal.client.get("/records/vmu:tv-1")
    assert response.status_code == 200
    page = response.text
    assert f'<h1 lang="vi">{TARGET_TITLE}</h1>' in page
    links = parse(page).links
    holding = [href for href, text in links if text == "Trường Đại học Hải Phòng"]
    assert holding == ["/records/hpu:hh-9"]
    other = await portal.client.get(holding[0])
    assert "65 năm xây dựng" in other.text
    assert ("https://lib.vimaru.edu.vn", "https://lib.vimaru.edu.vn") in links


async def test_an_unknown_record_is_a_404_page(portal: Portal) -> None:
    response = await portal.client.get("/records/vmu:nothing-here")
    assert response.status_code == 404
    assert "Không tìm thấy tài nguyên" in response.text


async def test_the_embed_is_compact_framable_and_pinned_to_a_member(portal: Portal) -> None:
    response = await portal.client.get("/embed", params={"member": "hpu", "q": "hang hai"})
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    titles = result_titles(response.text)
    assert titles == ["Đại học Hàng hải Việt Nam: 65 năm xây dựng và phát triển"]
    assert '<input type="hidden" name="member" value="hpu">' in response.text
    portal_page = await portal.client.get("/", params={"q": "hang hai"})
    assert portal_page.headers["x-frame-options"] == "SAMEORIGIN"


async def test_the_embed_without_a_query_shows_only_the_box(portal: Portal) -> None:
    response = await portal.client.get("/embed", params={"lang": "en"})
    assert response.status_code == 200
    assert 'role="search"' in response.text and "hit-title" not in response.text
    assert parse(response.text).lang == "en"


async def test_widget_script_carries_its_words_and_is_cacheable(portal: Portal) -> None:
    response = await portal.client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Tìm tài nguyên KH&CN" in response.text and "Search S&T resources" in response.text
    assert "/*STRINGS*/" not in response.text
    again = await portal.client.get(
        "/widget.js", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_static_assets_are_a_fixed_list(portal: Portal) -> None:
    assert (await portal.client.get("/static/portal.css")).status_code == 200
    assert (await portal.client.get("/static/..%2Fi18n.py")).status_code == 404
    assert (await portal.client.get("/static/widget.js")).status_code == 404


async def test_opensearch_description_follows_the_1_1_format(portal: Portal) -> None:
    response = await portal.client.get("/opensearch.xml")
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = ElementTree.fromstring(response.content)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    assert root.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription"
    short = root.find("os:ShortName", ns)
    assert short is not None and 0 < len(short.text or "") <= 16
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"] == "http://portal.test/?q={searchTerms}&page={startPage?}"
    assert "{searchTerms}" in urls["application/x-suggestions+json"]
    suggest_url = urls["application/x-suggestions+json"].replace("{searchTerms}", "thu vi")
    suggestions = (await portal.client.get(suggest_url)).json()
    assert suggestions[0] == "thu vi"
    assert isinstance(suggestions[1], list)


async def test_a_withdrawn_record_says_so_with_410(portal: Portal) -> None:
    gone = record("vmu", "gone-1", "Tài liệu đã thu hồi", status="withdrawn")
    await portal.index.upsert([gone])
    response = await portal.client.get("/records/vmu:gone-1")
    assert response.status_code == 410
    assert "Tài nguyên này đã được thu hồi." in response.text


async def test_holdings_given_as_member_codes_link_to_that_members_search(portal: Portal) -> None:
    await portal.index.upsert([record("hpu", "code-1", "Bản ghi liên kết", also_held_by=["vmu"])])
    links = parse((await portal.client.get("/records/hpu:code-1")).text).links
    assert ("/?member=vmu", "Trường Đại học Hàng hải Việt Nam") in links


class Structure(HTMLParser):
    """Landmarks, headings, form controls with their labels, ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


async def test_pages_have_landmarks_one_h1_and_labelled_controls(portal: Portal) -> None:
    for path in ("/?q=hang+hai", "/records/vmu:tv-1", "/embed?q=hang+hai"):
        page = Structure()
        page.feed((await portal.client.get(path)).text)
        assert len(page.all("h1")) == 1, path
        assert page.all("main"), path
        ids = {attrs.get("id") for _, attrs in page.tags}
        labelled = {attrs.get("for") for attrs in page.all("label")}
        for control in page.all("input") + page.all("select"):
            if control.get("type") != "hidden":
                assert control.get("id") in labelled, (path, control)
        for anchor in page.all("a"):
            href = anchor.get("href") or ""
            if href.startswith("#"):
                assert href[1:] in ids, (path, href)
    portal_page = Structure()
    portal_page.feed((await portal.client.get("/")).text)
    first_link = portal_page.all("a")[0]
    assert first_link["class"] == "skip" and first_link["href"] == "#results"
    assert portal_page.all("header") and portal_page.all("footer") and portal_page.all("nav")
    assert portal_page.all("form")[0].get("role") == "search"


async def test_a_forged_host_header_never_reaches_the_opensearch_description(
    portal: Portal,
) -> None:
    forged = await portal.client.get("/opensearch.xml", headers={"Host": "evil.example"})
    assert forged.status_code == 200
    assert b"evil.example" not in forged.content
    assert b"http://portal.test/?q={searchTerms}" in forged.content
