"""The quality inbox (docs/thanh-vien/chat-luong.md) through the catalogue service: real RabbitMQ
and SecantusDB."""

from __future__ import annotations

from typing import Any

from services.catalogue.adapters.embedded_store import EmbeddedRecordStore
from services.catalogue.adapters.mongo import MongoRecordStore
from services.catalogue.quality import PENALTIES
from shared.events import SubmittedItem
from tests.catalogue.conftest import Catalogue, code, upsert
from tests.sessions import session_for

COMPLETE = {"description": "Mô tả", "year": 2020, "subjects": ["biển"], "language": "vi"}


async def quality(catalogue: Catalogue, member: str, **params: Any) -> dict[str, Any]:
    response = await catalogue.http.get(
        f"/v1/members/{member}/quality", params=params, headers=catalogue.admin
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_fixed_problem_leaves_the_inbox_and_the_score_rises(
    catalogue: Catalogue, db: Any
) -> None:
    member = code()
    await catalogue.add_member(member)
    flawed = upsert("b1", identifiers={"isbn": "978-0-306-40615-8"}, **COMPLETE)
    await catalogue.outcome(await catalogue.submit(member, flawed, upsert("ok", 1, **COMPLETE)))

    before = await quality(catalogue, member)
    assert before["records"] == 2 and before["records_with_problems"] == 1
    assert before["counts"] == {"invalid_isbn": 1}
    assert before["score"] == round((100 + 100 - PENALTIES["invalid_isbn"]) / 2)
    [problem] = before["problems"]
    assert problem["record_id"] == f"{member}:b1" and problem["code"] == "invalid_isbn"
    assert problem["loc"] == ["identifiers", "isbn"]
    vietnamese, _, english = problem["msg"].partition(" / ")
    assert vietnamese.startswith("ISBN-13 sai số kiểm tra") and "checksum" in english

    # A process that starts now fills its quality index from the stored records alike, and
    # the MongoDB-shaped store reads the same rows from the store itself.
    for store in (EmbeddedRecordStore(db), MongoRecordStore(db)):
        assert await store.quality_rows(member) == [
            (f"{member}:b1", ("invalid_isbn",)),
            (f"{member}:ok", ()),
        ]

    fixed = upsert("b1", identifiers={"isbn": "978-0-306-40615-7"}, **COMPLETE)
    await catalogue.outcome(await catalogue.submit(member, fixed))
    after = await quality(catalogue, member)
    assert after["problems"] == [] and after["counts"] == {}
    assert after["score"] == 100 > before["score"]

    withdraw = SubmittedItem(index=0, op="withdraw", local_id="ok")
    await catalogue.outcome(await catalogue.submit(member, withdraw))
    assert (await quality(catalogue, member))["records"] == 1  # only active records count


async def test_problems_are_paged_in_record_order_and_counted_whole(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    bare = [upsert(f"r{i}", i) for i in range(5)]  # 4 missing_* problems each
    await catalogue.outcome(await catalogue.submit(member, *bare))
    seen: list[tuple[str, str]] = []
    offset = 0
    while True:
        page = await quality(catalogue, member, offset=offset, limit=3)
        assert page["total_problems"] == 20 and page["offset"] == offset
        if not page["problems"]:
            break
        assert len(page["problems"]) <= 3
        seen += [(p["record_id"], p["code"]) for p in page["problems"]]
        offset += 3
    assert len(seen) == len(set(seen)) == 20
    assert [rid for rid, _ in seen] == sorted(rid for rid, _ in seen)
    assert page["counts"] == {
        "missing_description": 5, "missing_language": 5, "missing_subjects": 5, "missing_year": 5
    }  # fmt: skip
    too_big = await catalogue.http.get(
        f"/v1/members/{member}/quality?limit=5000", headers=catalogue.admin
    )
    assert too_big.status_code == 422 and too_big.json()["error"]["details"]


async def test_the_network_overview_lists_every_member_worst_first(catalogue: Catalogue) -> None:
    good, poor, empty = code(), code(), code()
    for member in (good, poor, empty):
        await catalogue.add_member(member)
    await catalogue.outcome(await catalogue.submit(good, upsert("a", **COMPLETE)))
    await catalogue.outcome(await catalogue.submit(poor, upsert("a", title="TIÊU ĐỀ VIẾT HOA")))
    response = await catalogue.http.get("/v1/quality", headers=catalogue.admin)
    assert response.status_code == 200
    rows = [r for r in response.json()["members"] if r["member"] in (good, poor, empty)]
    assert [r["member"] for r in rows] == [poor, good, empty]
    assert rows[0]["counts"]["title_all_caps"] == 1 and rows[1]["score"] == 100
    assert rows[2]["score"] is None and rows[2]["records"] == 0
    assert rows[0]["name"] == f"Thành viên {poor}"
    network = response.json()["network"]
    assert network["records"] >= 2 and 0 <= network["score"] <= 100


async def test_the_inbox_needs_the_centres_key_and_a_known_member(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    for path in (f"/v1/members/{member}/quality", "/v1/quality"):
        anonymous = await catalogue.http.get(path)
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "unauthenticated"
    unknown = await catalogue.http.get("/v1/members/nobody-here/quality", headers=catalogue.admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    spec = (await catalogue.http.get("/openapi.json")).json()["paths"]
    member_route = spec["/v1/members/{code}/quality"]["get"]["responses"]
    assert {"200", "401", "404", "422"} <= set(member_route)
    envelope = member_route["401"]["content"]["application/json"]["schema"]
    assert envelope["required"] == ["error"]
    assert set(spec["/v1/quality"]["get"]["responses"]) >= {"200", "401"}


async def test_a_members_staff_read_their_own_inbox_and_no_one_elses(
    catalogue: Catalogue,
) -> None:
    mine, theirs = code(), code()
    for member in (mine, theirs):
        await catalogue.add_member(member)
    _, own = session_for(catalogue.settings, member=mine)
    _, outsider = session_for(catalogue.settings, member=theirs)

    assert (await catalogue.http.get(f"/v1/members/{mine}/quality", headers=own)).status_code == 200
    refused = await catalogue.http.get(f"/v1/members/{mine}/quality", headers=outsider)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    overview = await catalogue.http.get("/v1/quality", headers=own)
    assert overview.status_code == 403  # the network's overview is the centre's


async def test_an_undecided_duplicate_pair_is_in_both_inboxes_until_the_centre_decides(
    catalogue: Catalogue,
) -> None:
    first, second = code(), code()
    for member in (first, second):
        await catalogue.add_member(member)
    book = {"identifiers": {"doi": f"10.5555/{first}"}, **COMPLETE}  # no other test's DOI
    await catalogue.outcome(await catalogue.submit(first, upsert("x", **book)))
    await catalogue.outcome(await catalogue.submit(second, upsert("y", **book)))
    x, y = f"{first}:x", f"{second}:y"

    for member, mine, other in ((first, x, y), (second, y, x)):
        inbox = await quality(catalogue, member)
        assert inbox["counts"] == {"duplicate_candidate": 1}
        assert inbox["score"] == 100 - PENALTIES["duplicate_candidate"]
        [problem] = inbox["problems"]
        assert problem["record_id"] == mine and problem["code"] == "duplicate_candidate"
        vietnamese, _, english = problem["msg"].partition(" / ")
        assert f"Có thể trùng với {other} (cùng DOI)" in vietnamese
        assert f"possibly the same work as {other} (same DOI)" in english

    # The network overview counts them alike: the same score as each inbox.
    overview = (await catalogue.http.get("/v1/quality", headers=catalogue.admin)).json()
    listed = {m["member"]: m for m in overview["members"]}
    assert (
        listed[first]["score"] == listed[second]["score"] == 100 - PENALTIES["duplicate_candidate"]
    )
    assert listed[first]["counts"] == {"duplicate_candidate": 1}

    decision = {"a": x, "b": y, "decision": "reject"}
    decided = await catalogue.http.post(
        "/v1/duplicates/decision", json=decision, headers=catalogue.admin
    )
    assert decided.status_code == 200, decided.text
    for member in (first, second):
        after = await quality(catalogue, member)
        assert after["counts"] == {} and after["problems"] == [] and after["score"] == 100
