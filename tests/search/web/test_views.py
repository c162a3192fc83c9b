"""View helpers: highlight markup, query-string parsing, facet and page links."""

from __future__ import annotations

import pytest

from services.search.ports import Facets, SearchQuery, SearchResult
from services.search.web import views


def test_highlight_marks_become_mark_elements_and_the_rest_is_escaped() -> None:
    text = "<mark>Đại</mark> học &amp; &lt;b&gt;x&lt;/b&gt; <em>hàng</em>"
    assert str(views.mark_highlight(text)) == (
        "<mark>Đại</mark> học &amp; &lt;b&gt;x&lt;/b&gt; <mark>hàng</mark>"
    )


def test_highlight_never_lets_markup_through() -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)> <mark>a<mark>b</mark>"
    out = str(views.mark_highlight(hostile))
    assert "<script" not in out and "<img" not in out
    assert out.count("<mark>") == out.count("</mark>") == 1


def test_unbalanced_marks_are_closed() -> None:
    assert str(views.mark_highlight("<mark>open")) == "<mark>open</mark>"
    assert str(views.mark_highlight("</mark>close")) == "close"


def test_search_params_become_a_query() -> None:
    query = views.parse_search_params(
        {"q": ["dai hoc"], "kind": ["database", "database", "website"], "year_from": ["2001"]}
    )
    assert query == SearchQuery(q="dai hoc", kind=["database", "website"], year_from=2001)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": ["101"]}, "per_page"),
        ({"page": ["-1"]}, "page"),
        ({"sort": ["random"]}, "sort"),
        ({"kind": ["book"]}, "kind"),
        ({"year_from": ["2021"], "year_to": ["2020"]}, "year_to"),
        ({"member": [f"m{i}" for i in range(30)]}, "member"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, list[str]], field: str) -> None:
    with pytest.raises(views.QueryError) as caught:
        views.parse_search_params(params)
    assert caught.value.details[0]["loc"][:2] == ["query", field]


def test_a_pinned_member_overrides_the_query_string() -> None:
    query = views.parse_search_params({"member": ["other"]}, member="vmu")
    assert query.member == ["vmu"]


def test_facet_links_toggle_one_value_and_reset_the_page() -> None:
    state = views.QueryState({"q": ["x"], "kind": ["database"], "page": ["3"]}, path="/", lang=None)
    links = views.facet_links(state, "kind", {"website": 5, "database": 2})
    assert [(link.value, link.active) for link in links] == [("database", True), ("website", False)]
    assert links[0].href == "/?q=x"
    assert links[1].href == "/?q=x&kind=database&kind=website"


def test_pages_link_within_the_result() -> None:
    state = views.QueryState({"q": ["x"]}, path="/", lang="en")
    query = SearchQuery(q="x", page=2, per_page=10)
    pages = views.pagination(state, SearchResult(total=25, hits=[], facets=Facets()), query)
    assert (pages.pages, pages.previous, pages.next) == (3, "/?q=x&lang=en", "/?q=x&lang=en&page=3")


def test_record_paths_quote_what_a_local_id_may_hold() -> None:
    assert views.record_path("vmu:a/b c?d") == "/records/vmu:a%2Fb%20c%3Fd"
