"""The search service counts searches per day and audits the centre's rebuilds."""

from __future__ import annotations

from tests.search.service.conftest import Service
from tests.sessions import entries, session_for


async def test_searches_with_words_are_counted_per_day(service: Service) -> None:
    before = (await service.client.get("/v1/stats/searches", params={"days": 1})).json()
    for query in ("hàng hải", "dai hoc"):
        assert (await service.client.get("/v1/search", params={"q": query})).status_code == 200
    assert (await service.client.get("/v1/search", params={"q": ""})).status_code == 200
    assert (await service.client.get("/", params={"q": "thư viện"})).status_code == 200

    response = await service.client.get("/v1/stats/searches", params={"days": 7})
    assert response.status_code == 200
    days = response.json()["days"]
    assert len(days) == 7 and [d["date"] for d in days] == sorted(d["date"] for d in days)
    assert days[-1]["searches"] == before["days"][-1]["searches"] + 3
    assert len((await service.client.get("/v1/stats/searches")).json()["days"]) == 30
    for bad in ("0", "367", "many"):
        refused = await service.client.get("/v1/stats/searches", params={"days": bad})
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["loc"] == ["query", "days"]


async def test_a_reindex_is_recorded_and_only_the_centre_reads_the_audit(service: Service) -> None:
    admin = {"Authorization": f"Bearer {service.settings.admin_key}"}
    started = await service.client.post("/v1/admin/reindex", headers=admin)
    assert started.status_code == 202, started.text
    audit = await service.client.get("/v1/audit", params={"action": "reindex"}, headers=admin)
    assert entries(audit.json())[0] == ("reindex", "root", None)
    assert audit.json()["entries"][0]["service"] == "search"
    _, member_session = session_for(service.settings, member="vmu")
    assert (await service.client.get("/v1/audit", headers=member_session)).status_code == 403
    _, centre_session = session_for(service.settings)
    assert (await service.client.get("/v1/audit", headers=centre_session)).status_code == 200
