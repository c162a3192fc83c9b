"""``/v1/search``, ``/v1/suggest``, ``/v1/records/{id}``: shapes, filters and 4xx for bad input."""

from __future__ import annotations

import httpx2
import pytest

from services.search.handlers import apply_record_changes
from shared.events import ChangeKind, RecordChange, RecordsChanged
from tests.search.corpus import CORPUS
from tests.search.service.conftest import Service


@pytest.fixture(scope="module", autouse=True)
async def indexed(service: Service) -> None:
    event = RecordsChanged(
        changes=[RecordChange(change=ChangeKind.CREATED, record=r) for r in CORPUS]
    )
    await apply_record_changes(event, index=service.ports.index)


async def test_search_answers_in_the_documented_shape(service: Service) -> None:
    response = await service.client.get("/v1/search", params={"q": "dai hoc hang hai"})
    assert response.status_code == 200
    body = response.json()
    assert {"query", "total", "page", "per_page", "hits", "facets", "took_ms"} <= body.keys()
    assert body["query"] == "dai hoc hang hai" and body["page"] == 1 and body["per_page"] == 20
    assert body["estimated"] is False  # a few matches: counted, not estimated
    assert {"kind", "member", "year", "language"} <= body["facets"].keys()
    first = body["hits"][0]
    assert {"id", "title", "kind", "member", "year", "url", "highlight"} <= first.keys()
    assert first["id"] == "vmu:dh-1"
    assert "<mark>" in first["highlight"]["title"]


async def test_filters_accept_repeated_and_comma_separated_values(service: Service) -> None:
    repeated = await service.client.get(
        "/v1/search", params=[("kind", "database"), ("kind", "service")]
    )
    commas = await service.client.get("/v1/search", params={"kind": "database,service"})
    ids = {h["id"] for h in repeated.json()["hits"]}
    assert (
        ids
        == {h["id"] for h in commas.json()["hits"]}
        == {
            "vmu:csdl-1",
            "vmu:old-1",
            "hpl:tv-1",
        }
    )
    years = await service.client.get("/v1/search", params={"year_from": 2024, "year_to": 2024})
    assert {h["id"] for h in years.json()["hits"]} == {"hmu:yk-1", "hmu:tr-1"}
    body = (await service.client.get("/v1/search", params={"subject": "Hàng hải"})).json()
    assert body["total"] == 3 and body["facets"]["subject"]["Hàng hải"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": 1001}, "page"),
        ({"page": "x"}, "page"),
        ({"kind": "novel"}, "kind"),
        ({"sort": "random"}, "sort"),
        ({"year_from": 2020, "year_to": 2010}, "year_from"),
        ({"year_from": 10000}, "year_from"),
        ({"member": 'vmu" OR member = "hpu'}, "member"),
        ({"language": "vietnamese"}, "language"),
        ({"q": "x" * 501}, "q"),
    ],
)
async def test_bad_parameters_are_4xx_with_field_details(
    service: Service, params: dict[str, object], field: str
) -> None:
    response = await service.client.get("/v1/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(field in d["loc"] for d in error["details"]), error


async def test_errors_are_vietnamese_unless_english_is_asked_for(service: Service) -> None:
    vi = await service.client.get("/v1/search", params={"per_page": 500})
    en = await service.client.get("/v1/search", params={"per_page": 500, "lang": "en"})
    assert vi.json()["error"]["message"] == "Tham số tìm kiếm không hợp lệ"
    assert en.json()["error"]["message"] == "Invalid search parameters"


async def test_suggest_completes_as_you_type(service: Service) -> None:
    response = await service.client.get("/v1/suggest", params={"q": "thu vi"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "thu vi"
    assert "Thư viện số thành phố Hải Phòng" in body["suggestions"]
    empty = await service.client.get("/v1/suggest", params={"q": " "})
    assert empty.json()["suggestions"] == []
    too_many = await service.client.get("/v1/suggest", params={"q": "a", "limit": 500})
    assert too_many.status_code == 422


async def test_record_page_data_and_unknown_ids(service: Service) -> None:
    found = await service.client.get("/v1/records/hmu:tr-1")
    assert found.status_code == 200
    assert found.json()["location"] == "Hải Phòng" and found.json()["kind"] == "training"
    missing = await service.client.get("/v1/records/nobody:nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_cors_allows_reading_from_member_websites_only(service: Service) -> None:
    origin = {"Origin": "https://vimaru.edu.vn"}
    response = await service.client.get("/v1/search", params={"q": "hai"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    preflight_get = await service.client.options(
        "/v1/search", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight_get.status_code == 200
    preflight_post = await service.client.options(
        "/v1/admin/reindex", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight_post.status_code == 400


async def test_admin_routes_need_the_centre_key(service: Service) -> None:
    assert (await service.client.post("/v1/admin/reindex")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-key"}
    assert (await service.client.get("/v1/admin/reindex", headers=wrong)).status_code == 401


async def test_health_and_readiness(service: Service) -> None:
    ready = await service.client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"] == {"broker": True, "mongo": True, "index": True}


async def test_a_visitor_beyond_the_search_rate_limit_waits_and_others_do_not(
    service: Service,
) -> None:
    """SEARCH_RATE_LIMIT (40/minute here) per visitor address; the machine's own requests
    (this suite's client, 127.0.0.1) are not counted."""

    def visitor(address: str) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=service.app, client=(address, 50000))
        return httpx2.AsyncClient(transport=transport, base_url="http://search.test")

    async with visitor("198.51.100.20") as flood, visitor("198.51.100.21") as other:
        answers = [
            (await flood.get("/v1/suggest", params={"q": "ca"})).status_code for _ in range(41)
        ]
        assert answers[:40] == [200] * 40 and answers[40] == 429
        refused = await flood.get("/v1/search", params={"q": "cảng"})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert (await other.get("/v1/search", params={"q": "cảng"})).status_code == 200
    assert (await service.client.get("/v1/search", params={"q": "cảng"})).status_code == 200
