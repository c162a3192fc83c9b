"""POST /v1/records, keys and submissions against the real broker and SecantusDB."""

from __future__ import annotations

import json

from shared.config import Settings
from tests.ingest.conftest import AppFactory, Ingest, record


async def test_key_for_an_unknown_member_says_the_centre_must_register_it(ingest: Ingest) -> None:
    response = await ingest.client.post("/v1/members/vmu/keys", headers=ingest.admin)
    assert response.status_code == 404
    assert "đăng ký thành viên trước" in response.json()["error"]["message"]
    english = await ingest.client.post("/v1/members/vmu/keys?lang=en", headers=ingest.admin)
    assert "register the member first" in english.json()["error"]["message"]


async def test_keys_are_issued_listed_revoked_and_only_hashes_are_stored(ingest: Ingest) -> None:
    await ingest.register("vmu")
    issued = await ingest.client.post("/v1/members/vmu/keys", headers=ingest.admin)
    assert issued.status_code == 201
    body = issued.json()
    token, key_id = body["key"], body["key_id"]
    member_auth = {"Authorization": f"Bearer {token}"}

    listing = (await ingest.client.get("/v1/members/vmu/keys", headers=ingest.admin)).json()
    assert [k["key_id"] for k in listing["keys"]] == [key_id]
    assert "created_at" in listing["keys"][0]
    assert token not in json.dumps(listing)
    stored = await ingest.db["ingest_keys"].find_one({"_id": key_id})
    assert stored is not None and token not in json.dumps(stored, default=str)
    secret = token.split("_", 2)[2]  # stk_<key id>_<secret>; the secret may hold "_" itself
    assert secret not in json.dumps(stored, default=str)

    ok = await ingest.client.post(
        "/v1/records", json={"records": [record("a1")]}, headers=member_auth
    )
    assert ok.status_code == 202
    revoked = await ingest.client.delete(f"/v1/members/vmu/keys/{key_id}", headers=ingest.admin)
    assert revoked.status_code == 204
    after = await ingest.client.post(
        "/v1/records", json={"records": [record("a2")]}, headers=member_auth
    )
    assert after.status_code == 401


async def test_key_routes_need_the_centre_key(ingest: Ingest) -> None:
    member_auth = await ingest.key_for("vmu")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await ingest.client.post("/v1/members/vmu/keys", headers=headers)
        assert response.status_code == 401
    as_member = await ingest.client.post("/v1/members/vmu/keys", headers=member_auth)
    assert as_member.status_code == 403


async def test_a_suspended_members_keys_stop_working(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    await ingest.register("vmu", change="suspended", version=2)
    response = await ingest.client.post(
        "/v1/records", json={"records": [record("a")]}, headers=auth
    )
    assert response.status_code == 403
    assert "tạm dừng" in response.json()["error"]["message"]


async def test_a_stale_member_change_does_not_undo_a_newer_one(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    await ingest.register("vmu", change="suspended", version=3)
    await ingest.publish(
        __import__("shared.events", fromlist=["MemberChanged"]).MemberChanged(
            change="updated",
            member=__import__("shared.events", fromlist=["Member"]).Member(
                code="vmu", name="old", version=2
            ),
        )
    )
    await ingest.register("hpu")  # processed after the stale change (same queue, in order)
    response = await ingest.client.post(
        "/v1/records", json={"records": [record("a")]}, headers=auth
    )
    assert response.status_code == 403


async def test_mixed_batch_reports_bad_records_and_sends_the_good_ones_on(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    records = [
        record("ok-1", year=2020, creators=["Nguyễn Văn A"]),
        {"local_id": "bad-1", "kind": "book", "title": ""},
        record("ok-2", language="en"),
        {"kind": "publication", "title": "no id"},
        record("bad-3", year="năm ngoái", url="ftp://x"),
        record("ok-3", kind="database"),
    ]
    response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 3 and body["rejected_count"] == 3
    rejected = {r["index"]: r for r in body["rejected"]}
    assert set(rejected) == {1, 3, 4}
    assert rejected[1]["local_id"] == "bad-1"
    assert {tuple(e["loc"]) for e in rejected[1]["errors"]} == {("kind",), ("title",)}
    # Wrong type rejects; an ftp:// URL is only a warning (docs/thanh-vien/nhap-du-lieu.md), not an
    # error here.
    assert {tuple(e["loc"]) for e in rejected[4]["errors"]} == {("year",)}
    assert rejected[3]["errors"][0]["loc"] == ["local_id"]

    [event] = await ingest.submitted(expect=1)
    assert event.submission_id == body["submission_id"] and event.member == "vmu"
    assert [(i.index, i.local_id) for i in event.items] == [(0, "ok-1"), (2, "ok-2"), (5, "ok-3")]
    assert event.batch_count == 1 and event.source == "api"


async def test_large_requests_are_split_into_batches_of_500(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    records = [record(f"r{i}") for i in range(1203)]
    response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    assert response.status_code == 202 and response.json()["accepted"] == 1203
    events = await ingest.submitted(expect=3)
    assert sorted(len(e.items) for e in events) == [203, 500, 500]
    assert {e.batch_count for e in events} == {3}
    assert sorted(i.index for e in events for i in e.items) == list(range(1203))


async def test_bad_bodies_get_clear_4xx_answers(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    headers = {**auth, "Content-Type": "application/json"}
    malformed = await ingest.client.post("/v1/records", content=b'{"records": [', headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "bad_request"
    wrong_shape = await ingest.client.post("/v1/records", json={"items": []}, headers=auth)
    assert wrong_shape.status_code == 422
    empty = await ingest.client.post("/v1/records", json={"records": []}, headers=auth)
    assert empty.status_code == 422
    too_many = await ingest.client.post(
        "/v1/records", json={"records": [record(str(i)) for i in range(5001)]}, headers=auth
    )
    assert too_many.status_code == 413
    assert "5,000" in too_many.json()["error"]["message"]
    huge = {"records": [record("x", description="đ" * 20000) for _ in range(300)]}
    too_big = await ingest.client.post("/v1/records", json=huge, headers=auth)
    assert too_big.status_code == 413
    assert "10 MB" in too_big.json()["error"]["message"]
    no_key = await ingest.client.post("/v1/records", json={"records": [record("a")]})
    assert no_key.status_code == 401
    assert await ingest.queue_depth() == 0
    assert await ingest.db["ingest_submissions"].count_documents({}) == 0


async def test_ndjson_bodies_are_accepted(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    lines = [json.dumps(record(f"n{i}"), ensure_ascii=False) for i in range(3)]
    lines.insert(1, "{not json")
    response = await ingest.client.post(
        "/v1/records",
        content="\n".join(lines).encode(),
        headers={**auth, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 3
    assert [r["index"] for r in body["rejected"]] == [1]
    [event] = await ingest.submitted(expect=1)
    assert [i.local_id for i in event.items] == ["n0", "n1", "n2"]


async def test_a_retry_with_the_same_idempotency_key_returns_the_same_submission(
    ingest: Ingest,
) -> None:
    auth = await ingest.key_for("vmu")
    headers = {**auth, "Idempotency-Key": "upload-2026-11-26-01"}
    payload = {"records": [record("a"), {"local_id": "b"}]}
    first = await ingest.client.post("/v1/records", json=payload, headers=headers)
    again = await ingest.client.post("/v1/records", json=payload, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["submission_id"] == first.json()["submission_id"]
    assert again.json()["replayed"] is True
    assert again.json()["rejected"] == first.json()["rejected"]
    await ingest.submitted(expect=1)
    assert await ingest.queue_depth() == 0  # one message, not two
    other = await ingest.client.post(
        "/v1/records", json=payload, headers={**auth, "Idempotency-Key": "another"}
    )
    assert other.json()["submission_id"] != first.json()["submission_id"]


async def test_a_member_only_ever_touches_its_own_records(ingest: Ingest) -> None:
    vmu = await ingest.key_for("vmu")
    hpu = await ingest.key_for("hpu")
    mine = await ingest.client.post("/v1/records", json={"records": [record("r1")]}, headers=vmu)
    await ingest.submitted(expect=1)

    forged = {"records": [{**record("r1"), "member": "vmu"}]}
    attempt = await ingest.client.post("/v1/records", json=forged, headers=hpu)
    assert attempt.status_code == 202
    assert attempt.json()["accepted"] == 0
    assert attempt.json()["rejected"][0]["errors"][0]["loc"] == ["member"]

    same_local_id = await ingest.client.post(
        "/v1/records", json={"records": [record("r1", title="Đổi nhan đề")]}, headers=hpu
    )
    withdraw = await ingest.client.delete("/v1/records/r1", headers=hpu)
    assert same_local_id.status_code == withdraw.status_code == 202
    events = await ingest.submitted(expect=2)
    assert {e.member for e in events} == {"hpu"}  # "hpu:r1", never "vmu:r1"
    assert {e.items[0].op.value for e in events} == {"upsert", "withdraw"}

    other = await ingest.client.get(f"/v1/submissions/{mine.json()['submission_id']}", headers=hpu)
    assert other.status_code == 404
    own = await ingest.client.get(f"/v1/submissions/{mine.json()['submission_id']}", headers=vmu)
    assert own.status_code == 200


async def test_submission_goes_queued_processing_done_with_outcomes(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    records = [record(f"r{i}") for i in range(600)] + [{"local_id": "bad"}]
    response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    submission_id = response.json()["submission_id"]
    url = f"/v1/submissions/{submission_id}"

    queued = (await ingest.client.get(url, headers=auth)).json()
    assert queued["state"] == "queued"
    assert queued["counts"]["rejected"] == 1 and queued["total"] == 601
    assert queued["outcomes"][0]["local_id"] == "bad"
    assert queued["outcomes"][0]["errors"]

    first, second = sorted(await ingest.submitted(expect=2), key=lambda e: e.batch_no)
    await ingest.process(first, "created")
    await ingest.process(first, "created")  # a redelivery changes nothing twice
    state = await _wait_for(ingest, url, auth, lambda b: b["batches"]["processed"] == 1)
    assert state["state"] == "processing" and state["counts"]["created"] == 500

    await ingest.process(second, "unchanged")
    done = await _wait_for(ingest, url, auth, lambda b: b["state"] == "done")
    assert done["counts"] == {
        "created": 500,
        "updated": 0,
        "unchanged": 100,
        "withdrawn": 0,
        "restored": 0,
        "rejected": 1,
    }
    rejected = (await ingest.client.get(url + "?outcome=rejected", headers=auth)).json()
    assert [o["local_id"] for o in rejected["outcomes"]] == ["bad"]
    page = (await ingest.client.get(url + "?offset=599&limit=2", headers=auth)).json()
    assert [(o["index"], o["outcome"]) for o in page["outcomes"]] == [
        (599, "unchanged"),
        (600, "rejected"),
    ]
    as_centre = await ingest.client.get(url, headers=ingest.admin)
    assert as_centre.status_code == 200
    # One document a processed batch (the redelivered one stored once), one row for the
    # rejection at receipt; all with a TTL: kept ≥ 90 days.
    batches = ingest.db["ingest_outcome_batches"].find({"submission_id": submission_id})
    stored = await batches.to_list(None)
    assert sorted((d["batch_no"], d["count"]) for d in stored) == [(0, 500), (1, 100)]
    rows = await ingest.db["ingest_outcomes"].find({"submission_id": submission_id}).to_list(None)
    assert [r["local_id"] for r in rows] == ["bad"]
    assert all(doc["expires_at"] is not None for doc in stored + rows)


async def _wait_for(ingest: Ingest, url: str, auth: dict, ready) -> dict:  # type: ignore[no-untyped-def]
    import asyncio

    for _ in range(100):
        body = (await ingest.client.get(url, headers=auth)).json()
        if ready(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"submission never reached the expected state: {body}")


async def test_requests_beyond_the_rate_limit_get_429_with_retry_after(
    start_ingest: AppFactory,
) -> None:
    ingest = await start_ingest(rate_limit="3/minute")
    auth = await ingest.key_for("vmu")
    codes = []
    for i in range(4):
        response = await ingest.client.post(
            "/v1/records", json={"records": [record(str(i))]}, headers=auth
        )
        codes.append(response.status_code)
    assert codes == [202, 202, 202, 429]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"


async def test_the_oai_harvester_is_wired_into_ingest(ingest: Ingest) -> None:
    assert (await ingest.client.get("/v1/harvest-sources")).status_code == 401
    listed = await ingest.client.get("/v1/harvest-sources", headers=ingest.admin)
    assert listed.status_code == 200


async def test_the_rate_limit_comes_from_the_ingest_rate_limit_setting(
    start_ingest: AppFactory, settings: Settings
) -> None:
    configured = settings.model_copy(update={"ingest_rate_limit": "2/minute"})
    ingest = await start_ingest(configured)
    auth = await ingest.key_for("vmu")
    codes = []
    for i in range(3):
        response = await ingest.client.post(
            "/v1/records", json={"records": [record(str(i))]}, headers=auth
        )
        codes.append(response.status_code)
    assert codes == [202, 202, 429]
    assert response.json()["error"]["code"] == "rate_limited"


def test_the_default_rate_limit_is_300_a_minute() -> None:
    assert Settings.model_fields["ingest_rate_limit"].default == "300/minute"
