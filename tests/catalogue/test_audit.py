"""The catalogue audits the centre's changes and serves the console's duplicates and queues."""

from __future__ import annotations

from tests.catalogue.conftest import Catalogue, code, upsert
from tests.sessions import entries, session_for


async def test_member_changes_are_recorded_with_who_and_filtered(catalogue: Catalogue) -> None:
    first, second = code(), code()
    await catalogue.add_member(first)
    await catalogue.add_member(first, name="Tên mới")
    await catalogue.add_member(first, name="Tên mới")  # unchanged: nothing to record
    await catalogue.add_member(second)
    suspended = await catalogue.http.delete(f"/v1/members/{second}", headers=catalogue.admin)
    assert suspended.status_code == 200

    mine = await catalogue.http.get("/v1/audit", params={"member": first}, headers=catalogue.admin)
    assert entries(mine.json()) == [
        ("member.updated", "root", first),
        ("member.registered", "root", first),
    ]
    theirs = await catalogue.http.get(
        "/v1/audit",
        params={"member": second, "action": "member.suspended"},
        headers=catalogue.admin,
    )
    (entry,) = theirs.json()["entries"]
    assert entry["service"] == "catalogue" and entry["target"] == second
    assert entry["actor_label"] == "Khoá quản trị gốc / root key"

    _, member_session = session_for(catalogue.settings, member=first)
    refused = await catalogue.http.get("/v1/audit", headers=member_session)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert (await catalogue.http.get("/v1/audit")).status_code == 401


async def test_duplicate_candidates_are_listed_and_decided_by_the_centre(
    catalogue: Catalogue,
) -> None:
    first, second, stranger = code(), code(), code()
    for member in (first, second, stranger):
        await catalogue.add_member(member)
    await catalogue.outcome(
        await catalogue.submit(first, upsert("x", identifiers={"doi": "10.5555/dup"}))
    )
    await catalogue.outcome(
        await catalogue.submit(second, upsert("y", identifiers={"doi": "10.5555/DUP"}))
    )
    x, y = f"{first}:x", f"{second}:y"

    listed = await catalogue.http.get(
        "/v1/duplicates", params={"member": first}, headers=catalogue.admin
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    (pair,) = body["pairs"]
    assert {pair["a"]["id"], pair["b"]["id"]} == {x, y}
    assert pair["key"] == "doi" and pair["state"] == "candidate"
    assert pair["since"] is not None and pair["a"]["title"]

    _, own = session_for(catalogue.settings, member=first)
    assert (await catalogue.http.get("/v1/duplicates", headers=own)).json()["total"] == 1
    _, outsider = session_for(catalogue.settings, member=stranger)
    assert (await catalogue.http.get("/v1/duplicates", headers=outsider)).json()["total"] == 0
    peek = await catalogue.http.get("/v1/duplicates", params={"member": first}, headers=outsider)
    assert peek.status_code == 403 and peek.json()["error"]["code"] == "forbidden"
    decision = {"a": x, "b": y, "decision": "confirm"}
    by_member = await catalogue.http.post("/v1/duplicates/decision", json=decision, headers=own)
    assert by_member.status_code == 403

    centre, centre_session = session_for(catalogue.settings, label="Cán bộ Trung tâm")
    decided = await catalogue.http.post(
        "/v1/duplicates/decision", json=decision, headers=centre_session
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "confirmed"
    assert decided.json()["records"][x]["also_held_by"] == [y]
    candidates = await catalogue.http.get(
        "/v1/duplicates", params={"member": first}, headers=catalogue.admin
    )
    assert candidates.json()["total"] == 0
    confirmed = await catalogue.http.get(
        "/v1/duplicates", params={"member": first, "state": "confirmed"}, headers=catalogue.admin
    )
    assert confirmed.json()["pairs"][0]["decided_at"] is not None

    audit = await catalogue.http.get(
        "/v1/audit", params={"actor": centre.key_id}, headers=catalogue.admin
    )
    (entry,) = audit.json()["entries"]
    assert (entry["action"], entry["actor_label"]) == ("duplicate.confirmed", "Cán bộ Trung tâm")
    assert entry["details"]["a"] == x and entry["details"]["b"] == y

    for wrong in (
        {"a": x, "b": x, "decision": "confirm"},
        {"a": x, "b": y, "decision": "maybe"},
        {"a": x, "b": y},
    ):
        response = await catalogue.http.post(
            "/v1/duplicates/decision", json=wrong, headers=catalogue.admin
        )
        assert response.status_code == 422, wrong
        assert response.json()["error"]["details"]
    missing = await catalogue.http.post(
        "/v1/duplicates/decision",
        json={"a": x, "b": f"{second}:nothing", "decision": "reject"},
        headers=catalogue.admin,
    )
    assert missing.status_code == 404
    bad_state = await catalogue.http.get(
        "/v1/duplicates", params={"state": "auto"}, headers=catalogue.admin
    )
    assert bad_state.status_code == 422


async def test_the_centre_sees_every_work_queue_and_its_dead_letter_queue(
    catalogue: Catalogue,
) -> None:
    response = await catalogue.http.get("/v1/ops/queues", headers=catalogue.admin)
    assert response.status_code == 200, response.text
    queues = {q["name"]: q for q in response.json()["queues"]}
    ns = catalogue.settings.stinet_namespace
    assert f"{ns}.catalogue.records-submitted" in queues
    assert f"{ns}.search.records-changed" in queues and f"{ns}.ingest.member-changed" in queues
    assert all(name.startswith(f"{ns}.") for name in queues)
    work = queues[f"{ns}.notify.member-changed"]
    assert isinstance(work["messages"], int) and isinstance(work["dlq_messages"], int)
    assert queues[f"{ns}.audit.reminder-sent"]["dlq_messages"] is None

    _, member_session = session_for(catalogue.settings, member=code())
    assert (await catalogue.http.get("/v1/ops/queues", headers=member_session)).status_code == 403
    assert (await catalogue.http.get("/v1/ops/queues")).status_code == 401
