"""Ingest records who did each state-changing call; the centre reads it at GET /v1/audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.events import Operation
from tests.ingest.conftest import Ingest, record
from tests.sessions import entries, session_for


async def issue(ingest: Ingest, code: str, label: str) -> tuple[str, dict[str, str]]:
    body = {"label": label, "role": "member", "member": code}
    response = await ingest.client.post("/v1/keys", json=body, headers=ingest.admin)
    assert response.status_code == 201, response.text
    issued = response.json()
    return issued["key_id"], {"Authorization": f"Bearer {issued['token']}"}


async def test_each_change_is_recorded_with_who_and_the_filters_find_it(ingest: Ingest) -> None:
    await ingest.register("vmu")
    await ingest.register("hpu")
    key_id, staff = await issue(ingest, "vmu", "Nguyễn Văn A — thư viện")
    other_id, _ = await issue(ingest, "hpu", "Trần Thị B")
    before = datetime.now(UTC)

    pushed = await ingest.client.post(
        "/v1/records", json={"records": [record("a")]}, headers={**staff, "X-Request-ID": "req-1"}
    )
    assert pushed.status_code == 202, pushed.text
    assert (await ingest.client.delete("/v1/records/a", headers=staff)).status_code == 202
    revoked = await ingest.client.delete(f"/v1/keys/{other_id}", headers=ingest.admin)
    assert revoked.status_code == 204

    page = (await ingest.client.get("/v1/audit", headers=ingest.admin)).json()
    assert entries(page)[:5] == [
        ("key.revoked", "root", "hpu"),
        ("record.withdrawn", key_id, "vmu"),
        ("records.submitted", key_id, "vmu"),
        ("key.issued", "root", "hpu"),
        ("key.issued", "root", "vmu"),
    ]
    submitted = page["entries"][2]
    assert submitted["actor_label"] == "Nguyễn Văn A — thư viện"
    assert submitted["actor_role"] == "member" and submitted["service"] == "ingest"
    assert submitted["request_id"] == "req-1"
    assert submitted["target"] == pushed.json()["submission_id"]
    assert submitted["details"]["accepted"] == 1
    assert page["entries"][1]["target"] == "vmu:a"
    assert page["entries"][0]["details"]["label"] == "Trần Thị B"

    async def found(**params: str) -> list[tuple[str, str, str | None]]:
        response = await ingest.client.get("/v1/audit", params=params, headers=ingest.admin)
        assert response.status_code == 200, response.text
        return entries(response.json())

    assert await found(member="hpu") == [
        ("key.revoked", "root", "hpu"),
        ("key.issued", "root", "hpu"),
    ]
    assert [a for a, _, _ in await found(actor=key_id)] == ["record.withdrawn", "records.submitted"]
    assert await found(action="key.issued", member="vmu") == [("key.issued", "root", "vmu")]
    assert await found(**{"from": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}) == []
    assert len(await found(**{"from": before.isoformat()})) == 3
    assert await found(to=before.isoformat(), member="vmu") == [("key.issued", "root", "vmu")]
    paged = await ingest.client.get(
        "/v1/audit", params={"limit": 1, "offset": 1, "member": "vmu"}, headers=ingest.admin
    )
    assert paged.json()["total"] == 3 and entries(paged.json()) == [
        ("records.submitted", key_id, "vmu")
    ]


async def test_only_the_centre_reads_the_audit_and_bad_filters_are_a_clear_422(
    ingest: Ingest,
) -> None:
    await ingest.register("vmu")
    _, staff = await issue(ingest, "vmu", "Nhân viên")
    _, member_session = session_for(ingest.settings, member="vmu")
    _, centre_session = session_for(ingest.settings, label="Cán bộ Trung tâm")
    assert (await ingest.client.get("/v1/audit")).status_code == 401
    for headers in (staff, member_session):
        refused = await ingest.client.get("/v1/audit", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert (await ingest.client.get("/v1/audit", headers=centre_session)).status_code == 200

    bad = await ingest.client.get(
        "/v1/audit",
        params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "limit": 0},
        headers=ingest.admin,
    )
    assert bad.status_code == 422
    assert {tuple(d["loc"]) for d in bad.json()["error"]["details"]} == {("query", "limit")}
    backwards = await ingest.client.get(
        "/v1/audit",
        params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        headers=ingest.admin,
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["details"][0]["loc"] == ["query", "from"]
    refused_params = (
        {"member": "NOT A CODE"},
        {"action": "DROP TABLE"},
        {"from": "yesterday"},
        {"to": "0.5"},  # lax pydantic would read a Unix timestamp
        {"offset": 25595504141130279157760},  # beyond MongoDB's 64-bit skip: not a 500
    )
    for params in refused_params:
        response = await ingest.client.get("/v1/audit", params=params, headers=ingest.admin)
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["loc"][0] == "query"


async def test_a_withdrawn_record_is_restored_through_the_normal_submission_path(
    ingest: Ingest,
) -> None:
    await ingest.register("vmu")
    key_id, staff = await issue(ingest, "vmu", "Nhân viên thư viện")
    restored = await ingest.client.post("/v1/records/sach-1/restore", headers=staff)
    assert restored.status_code == 202, restored.text
    (event,) = await ingest.submitted(expect=1)
    assert event.submission_id == restored.json()["submission_id"]
    assert event.member == "vmu"
    assert [(i.op, i.local_id) for i in event.items] == [(Operation.RESTORE, "sach-1")]
    status = await ingest.client.get(restored.json()["status_url"], headers=staff)
    assert status.status_code == 200

    audit = (await ingest.client.get("/v1/audit", headers=ingest.admin)).json()
    assert entries(audit)[0] == ("record.restored", key_id, "vmu")
    assert audit["entries"][0]["target"] == "vmu:sach-1"

    assert (await ingest.client.post("/v1/records/sach-1/restore")).status_code == 401
    await ingest.register("hpu")
    theirs = await ingest.client.post(
        "/v1/records/sach-1/restore", params={"member": "hpu"}, headers=staff
    )
    assert theirs.status_code == 403 and theirs.json()["error"]["code"] == "forbidden"
    centre, centre_session = session_for(ingest.settings, label="Cán bộ Trung tâm")
    for_them = await ingest.client.post(
        "/v1/records/sach-2/restore", params={"member": "hpu"}, headers=centre_session
    )
    assert for_them.status_code == 202, for_them.text
    latest = (await ingest.client.get("/v1/audit", headers=ingest.admin)).json()["entries"][0]
    assert (latest["actor_key_id"], latest["member"], latest["target"]) == (
        centre.key_id,
        "hpu",
        "hpu:sach-2",
    )
    bad = await ingest.client.post(f"/v1/records/{'x' * 129}/restore", headers=staff)
    assert bad.status_code == 422
    openapi = (await ingest.client.get("/openapi.json")).json()
    declared = openapi["paths"]["/v1/records/{local_id}/restore"]["post"]["responses"]
    assert {"202", "401", "403", "422"} <= set(declared)
    assert declared["403"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorEnvelope"
    )
