"""The catalogue service end to end: real RabbitMQ, real SecantusDB, its HTTP API in-process."""

from __future__ import annotations

import asyncio
import os
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from devstack.processes import free_port, http_ok, service_process
from services.catalogue.adapters.mongo import MongoRecordStore
from services.catalogue.domain import Context, decide
from shared.auth import Caller, session_signer
from shared.config import Settings
from shared.events import (
    MemberChanged,
    RecordChange,
    RecordsChanged,
    SubmittedItem,
)
from shared.records import Source
from shared.topology import publish_event
from tests.catalogue.conftest import Catalogue, code, upsert
from tests.conftest import AMQP_URL


async def test_members_are_registered_by_the_centre_and_announced(catalogue: Catalogue) -> None:
    member = code()
    anonymous = await catalogue.http.post("/v1/members", json={"code": member, "name": "X"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    bad = await catalogue.http.post(
        "/v1/members?lang=en",
        json={"code": member, "name": "X", "contact_email": "nope", "website": "ftp://x"},
        headers=catalogue.admin,
    )
    assert bad.status_code == 422
    locs = sorted(d["loc"][-1] for d in bad.json()["error"]["details"])
    assert locs == ["contact_email", "website"]

    created = await catalogue.add_member(
        member,
        name=unicodedata.normalize("NFD", "Thư viện  Đại học"),
        name_en="University Library",
        contact_email="tv@example.edu.vn",
        website="HTTPS://Example.edu.vn/",
        joined_at="2024-01-15T00:00:00Z",
    )
    assert created["change"] == "created"
    assert created["member"]["name"] == "Thư viện Đại học"
    assert created["member"]["website"] == "https://example.edu.vn/"
    listed = (await catalogue.http.get("/v1/members")).json()["members"]
    assert member in [m["code"] for m in listed]
    suspended = await catalogue.http.delete(f"/v1/members/{member}", headers=catalogue.admin)
    assert suspended.json()["member"]["status"] == "suspended"
    events = await catalogue.outbox.wait_for(
        "ingest", MemberChanged, lambda m: m["member"]["code"] == member, count=2
    )
    assert [e["change"] for e in events] == ["created", "suspended"]
    missing = await catalogue.http.get("/v1/members/nobody-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_members_private_fields_are_shown_to_the_centre_only(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(
        member,
        website="https://tv.example.edu.vn/",
        contact_email="tv@example.edu.vn",
        webhook_url="https://tv.example.edu.vn/hooks/stinet",
    )
    private = {"contact_email", "webhook_url"}
    for anyone in ({}, {"Authorization": "Bearer not-the-centres-key"}):
        one = (await catalogue.http.get(f"/v1/members/{member}", headers=anyone)).json()
        listed = (await catalogue.http.get("/v1/members", headers=anyone)).json()["members"]
        [same] = [m for m in listed if m["code"] == member]
        for view in (one, same):
            assert private.isdisjoint(view), view
            assert view["website"] == "https://tv.example.edu.vn/" and view["version"] == 1
    centre = (await catalogue.http.get(f"/v1/members/{member}", headers=catalogue.admin)).json()
    listed = (await catalogue.http.get("/v1/members", headers=catalogue.admin)).json()["members"]
    [same] = [m for m in listed if m["code"] == member]
    for view in (centre, same):
        assert view["contact_email"] == "tv@example.edu.vn"
        assert view["webhook_url"] == "https://tv.example.edu.vn/hooks/stinet"
    signer = session_signer(catalogue.settings)
    for staff_of, sees in ((member, True), ("someone-else", False)):
        staff = Caller(key_id="k1", label="Cán bộ", role="member", member=staff_of, via="session")
        token, _ = signer.issue(staff)
        view = (
            await catalogue.http.get(
                f"/v1/members/{member}", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        assert ("contact_email" in view) is sees, staff_of


async def test_a_batch_is_normalised_stored_announced_and_answered(
    catalogue: Catalogue, db: Any
) -> None:
    member = code()
    await catalogue.add_member(member)
    event = await catalogue.submit(
        member,
        upsert("a", title=unicodedata.normalize("NFD", "Hải  dương học"), language="vie",
               identifiers={"isbn": "0-306-40615-2", "doi": "https://doi.org/10.5555/ABC"}),
        upsert("bad", 1, identifiers={"issn": "1234-5678"}),
        SubmittedItem(index=2, op="withdraw", local_id="never-seen"),
    )  # fmt: skip
    outcomes = await catalogue.outcome(event)
    assert [(o["local_id"], o["outcome"]) for o in outcomes] == [
        ("a", "created"),
        ("bad", "created"),
        ("never-seen", "rejected"),
    ]
    assert [w["loc"] for w in outcomes[1]["warnings"] if w["code"] == "invalid_issn"] == [
        ["identifiers", "issn"]
    ]
    [change] = await catalogue.changes_of(f"{member}:a")
    assert change["change"] == "created" and change["record"]["version"] == 1

    record = (await catalogue.http.get(f"/v1/records/{member}:a")).json()
    assert record["title"] == "Hải dương học" and record["language"] == "vi"
    assert record["identifiers"] == {"doi": "10.5555/abc", "isbn": "9780306406157"}
    flagged = (await catalogue.http.get(f"/v1/records/{member}:bad")).json()
    assert flagged["invalid_identifiers"] == {"issn": ["1234-5678"]}
    assert "invalid_issn" in {p["code"] for p in flagged["problems"]}
    doc = await db.catalogue_records.find_one({"_id": f"{member}:a"})
    assert doc["member"] == member and doc["status"] == "active"
    assert doc["updated_at"].tzinfo is not None
    # Lean documents: no repeated id, no unset or empty fields; they read back as defaults.
    assert "id" not in doc and "contact" not in doc and "also_held_by" not in doc
    assert "record_id" not in doc["_history"][0]
    assert record["id"] == f"{member}:a" and record["contact"] is None
    assert record["also_held_by"] == []
    [entry] = (await catalogue.http.get(f"/v1/records/{member}:a/history")).json()["versions"]
    assert entry["record_id"] == f"{member}:a" and entry["member"] == member
    # Duplicate keys are stored (the process's KeyIndex is filled from them), not indexed.
    assert "isbn:9780306406157" in doc["_keys"]
    indexes = [i["key"] async for i in await db.catalogue_records.list_indexes()]
    assert not any(next(iter(k)) == "_keys" for k in indexes)


async def test_a_redelivered_batch_answers_the_same_without_a_new_version(
    catalogue: Catalogue,
) -> None:
    member = code()
    await catalogue.add_member(member)
    event = await catalogue.submit(member, upsert("a"), upsert("b", 1))
    first = await catalogue.outcome(event)
    await publish_event(catalogue.broker, catalogue.settings, event)  # the same message again
    second = await catalogue.outcome(event, count=2)
    assert second == first
    history = (await catalogue.http.get(f"/v1/records/{member}:a/history")).json()["versions"]
    assert [v["version"] for v in history] == [1]


async def test_an_older_message_arriving_late_does_not_overwrite(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    now = datetime.now(UTC)
    newer = await catalogue.submit(member, upsert("a", year=2024), at=now)
    await catalogue.outcome(newer)
    older = await catalogue.submit(member, upsert("a", year=1999), at=now - timedelta(hours=1))
    assert [o["outcome"] for o in await catalogue.outcome(older)] == ["unchanged"]
    record = (await catalogue.http.get(f"/v1/records/{member}:a")).json()
    assert (record["year"], record["version"]) == (2024, 1)


async def test_versions_history_and_withdraw_restore_reach_search(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    rid = f"{member}:a"
    steps = [
        upsert("a", year=2020),
        upsert("a", year=2020),
        upsert("a", year=2021, subjects=["Hàng hải"]),
        SubmittedItem(index=0, op="withdraw", local_id="a"),
        SubmittedItem(index=0, op="restore", local_id="a"),
    ]
    outcomes = []
    for item in steps:
        outcomes += [
            o["outcome"] for o in await catalogue.outcome(await catalogue.submit(member, item))
        ]
    assert outcomes == ["created", "unchanged", "updated", "withdrawn", "restored"]
    changes = await catalogue.changes_of(rid, count=4)
    assert [(c["change"], c["record"]["version"], c["record"]["status"]) for c in changes] == [
        ("created", 1, "active"),
        ("updated", 2, "active"),
        ("withdrawn", 3, "withdrawn"),
        ("restored", 4, "active"),
    ]
    history = (await catalogue.http.get(f"/v1/records/{rid}/history")).json()["versions"]
    assert [(v["version"], v["change"], v["source"]) for v in history] == [
        (1, "created", "api"), (2, "updated", "api"), (3, "withdrawn", "api"),
        (4, "restored", "api"),
    ]  # fmt: skip
    assert history[1]["fields"] == ["subjects", "year"]
    assert history[3]["at"] >= history[2]["at"]


async def test_duplicates_across_members_are_linked_and_the_centre_can_reject(
    catalogue: Catalogue,
) -> None:
    first, second = code(), code()
    await catalogue.add_member(first)
    await catalogue.add_member(second)
    e1 = await catalogue.submit(first, upsert("x", identifiers={"doi": "10.7777/sea"}))
    await catalogue.outcome(e1)
    e2 = await catalogue.submit(second, upsert("y", identifiers={"doi": "doi:10.7777/SEA"}))
    await catalogue.outcome(e2)
    x, y = f"{first}:x", f"{second}:y"
    record = (await catalogue.http.get(f"/v1/records/{x}")).json()
    assert record["also_held_by"] == [y]
    assert [h["member"] for h in record["holdings"]] == [second]
    linked = await catalogue.changes_of(x, count=2)
    assert (linked[-1]["change"], linked[-1]["record"]["also_held_by"]) == ("linked", [y])

    decision = {"a": x, "b": y, "state": "rejected"}
    refused = await catalogue.http.post("/v1/links", json=decision)
    assert refused.status_code == 401
    response = await catalogue.http.post("/v1/links", json=decision, headers=catalogue.admin)
    assert response.status_code == 200
    again = await catalogue.submit(
        second, upsert("y", year=2001, identifiers={"doi": "10.7777/sea"})
    )
    await catalogue.outcome(again)
    assert (await catalogue.http.get(f"/v1/records/{x}")).json()["also_held_by"] == []
    assert (await catalogue.http.get(f"/v1/records/{y}")).json()["also_held_by"] == []


async def test_a_duplicate_stored_by_another_catalogue_process_is_linked(
    catalogue: Catalogue, db: Any
) -> None:
    """Duplicate look-ups use this process's key index; it hears of other processes' records
    through records.changed, so a record it never stored itself is still found."""
    first, second = code(), code()
    await catalogue.add_member(first)
    await catalogue.add_member(second)
    # The index is filled from the store at start-up (a look-up waits for that); theirs is
    # stored after the first look-up below.
    warm = await catalogue.submit(second, upsert("warm", identifiers={"doi": "10.8888/warm"}))
    await catalogue.outcome(warm)

    now = datetime.now(UTC)
    ctx = Context(member=first, source=Source.API, submission_id="elsewhere",
                  submitted_at=now, batch_no=0, now=now)  # fmt: skip
    theirs = decide(upsert("x", identifiers={"doi": "10.8888/reef"}), None, ctx).state
    assert theirs is not None
    await MongoRecordStore(db).save([(theirs, None)])  # as another catalogue process would
    news = RecordsChanged(changes=[RecordChange(change="created", record=theirs.record)])
    await publish_event(catalogue.broker, catalogue.settings, news, origin="another-process")

    x, y = f"{first}:x", f"{second}:y"
    for attempt in range(40):  # each new version of y looks for its duplicates again
        event = await catalogue.submit(
            second, upsert("y", title=f"Rạn san hô {attempt}", identifiers={"doi": "10.8888/reef"})
        )
        await catalogue.outcome(event)
        if (await catalogue.http.get(f"/v1/records/{y}")).json()["also_held_by"] == [x]:
            break
        await asyncio.sleep(0.1)
    assert (await catalogue.http.get(f"/v1/records/{y}")).json()["also_held_by"] == [x]
    assert (await catalogue.http.get(f"/v1/records/{x}")).json()["also_held_by"] == [y]


async def test_a_suspended_members_submission_is_rejected(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    await catalogue.http.delete(f"/v1/members/{member}", headers=catalogue.admin)
    outcomes = await catalogue.outcome(await catalogue.submit(member, upsert("a")))
    assert outcomes[0]["outcome"] == "rejected" and "suspended" in outcomes[0]["errors"][0]["msg"]


async def test_listing_stats_and_replay(catalogue: Catalogue) -> None:
    member = code()
    await catalogue.add_member(member)
    items = [
        upsert(f"r{i}", i, year=2000 + i % 2, kind="database" if i else "website") for i in range(5)
    ]
    await catalogue.outcome(await catalogue.submit(member, *items))

    page1 = (await catalogue.http.get(f"/v1/records?member={member}&limit=3")).json()
    page2 = (
        await catalogue.http.get(f"/v1/records?member={member}&limit=3&after={page1['next']}")
    ).json()
    ids = [r["id"] for r in page1["records"] + page2["records"]]
    assert ids == [f"{member}:r{i}" for i in range(5)] and page2["next"] is None
    bad = await catalogue.http.get("/v1/records?limit=0")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"][-1] == "limit"

    stats = (await catalogue.http.get("/v1/stats")).json()
    assert stats["records"]["by_member"][member] == 5
    mine = [r for r in stats["records"]["by_member_kind_year"] if r["member"] == member]
    assert {(r["kind"], r["year"], r["count"]) for r in mine} == {
        ("website", 2000, 1), ("database", 2000, 2), ("database", 2001, 2),
    }  # fmt: skip
    [period] = [p for p in stats["half_years"] if p["member"] == member]
    assert (period["added"], period["updated"]) == (5, 0)
    [month] = [p for p in stats["months"] if p["member"] == member]
    assert month["month"] == datetime.now(UTC).strftime("%Y-%m") and month["added"] == 5

    refused = await catalogue.http.post("/v1/replay")
    assert refused.status_code == 401
    replay = (await catalogue.http.post("/v1/replay", headers=catalogue.admin)).json()
    assert replay["records"] >= 5 and replay["members"] >= 1
    replayed = await catalogue.outbox.wait_for(
        "search",
        RecordsChanged,
        lambda m: any(
            c["change"] == "replayed" and c["record"]["member"] == member for c in m["changes"]
        ),
    )
    assert replayed


async def test_the_service_runs_as_a_process_and_stops_cleanly(
    service_settings: Settings, tmp_path: Any
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URL": AMQP_URL,
        "MONGO_URL": service_settings.mongo_uri,
        "STINET_NAMESPACE": service_settings.stinet_namespace,
        "STINET_DB": service_settings.stinet_db,
        "STINET_ADMIN_KEY": service_settings.admin_key or "",
        "STINET_DATA_DIR": str(tmp_path),
        "CATALOGUE_PORT": str(port),
        "STINET_DELIVERY_LIMIT": str(service_settings.stinet_delivery_limit),
    }
    process = service_process("catalogue", env, tmp_path / "catalogue.log").start()
    try:
        await asyncio.to_thread(
            process.wait_until, lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), 60
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/v1/stats")).status_code == 200
            assert (await http.get("/docs")).status_code == 200
    finally:
        code_ = await asyncio.to_thread(process.stop)
    # uvicorn re-raises the SIGTERM it handled once its shutdown is complete
    assert code_ in (0, -15), process.tail()
    assert "Application shutdown complete" in process.tail(), process.tail()
