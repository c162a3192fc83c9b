"""The catalogue service end to end: real RabbitMQ, real SecantusDB, its HTTP API in-process."""

from __future__ import annotations

import asyncio
import json
import os
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.processes import free_port, http_ok, service_process
from services.catalogue.adapters.mongo import MongoRecordStore
from services.catalogue.bootstrap import create_app
from services.catalogue.domain import Context, decide
from shared.config import Settings
from shared.events import (
    MemberChanged,
    RecordChange,
    RecordsChanged,
    RecordsSubmitted,
    SubmissionProcessed,
    SubmittedItem,
)
from shared.mongo import make_mongo_client
from shared.records import RecordIn, Source
from shared.topology import make_broker, publish_event, queue_name, subscription
from tests.conftest import AMQP_URL, delete_namespace, unique_namespace

TIMEOUT = 20.0


class Outbox:
    """Reads the queues of the catalogue's consumers, keeping every message it has seen."""

    def __init__(self, channel: aio_pika.abc.AbstractChannel, settings: Settings) -> None:
        self.channel = channel
        self.settings = settings
        self.seen: dict[str, list[dict[str, Any]]] = {}

    async def wait_for(
        self, service: str, event: type, match: Callable[[dict[str, Any]], bool], count: int = 1
    ) -> list[dict[str, Any]]:
        name = queue_name(self.settings, subscription(service, event))
        queue = await self.channel.get_queue(name, ensure=False)
        seen = self.seen.setdefault(name, [])
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                seen.append(json.loads(message.body))
                continue
            found = [m for m in seen if match(m)]
            if len(found) >= count or asyncio.get_running_loop().time() > deadline:
                assert len(found) >= count, f"{count} message(s) expected on {name}: {found}"
                return found
            await asyncio.sleep(0.05)


class Catalogue:
    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, outbox: Outbox, broker: Any
    ) -> None:
        self.http = http
        self.settings = settings
        self.outbox = outbox
        self.broker = broker
        self.admin = {"Authorization": f"Bearer {settings.admin_key}"}

    async def add_member(self, code: str, **fields: Any) -> dict[str, Any]:
        body = {"code": code, "name": f"Thành viên {code}", "type": "library", **fields}
        response = await self.http.post("/v1/members", json=body, headers=self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    async def submit(
        self, member: str, *items: SubmittedItem, sid: str | None = None, at: datetime | None = None
    ) -> RecordsSubmitted:
        event = RecordsSubmitted(
            submission_id=sid or uuid.uuid4().hex,
            member=member,
            batch_no=0,
            batch_count=1,
            submitted_at=at or datetime.now(UTC),
            items=list(items),
        )
        await publish_event(self.broker, self.settings, event)
        return event

    async def outcome(self, event: RecordsSubmitted, count: int = 1) -> list[dict[str, Any]]:
        found = await self.outbox.wait_for(
            "ingest",
            SubmissionProcessed,
            lambda m: m["submission_id"] == event.submission_id,
            count,
        )
        return found[count - 1]["outcomes"]

    async def changes_of(self, rid: str, count: int = 1) -> list[dict[str, Any]]:
        messages = await self.outbox.wait_for(
            "search",
            RecordsChanged,
            lambda m: any(c["record"]["id"] == rid for c in m["changes"]),
            count,
        )
        return [c for m in messages for c in m["changes"] if c["record"]["id"] == rid]


def upsert(local_id: str, index: int = 0, **fields: Any) -> SubmittedItem:
    data = {"local_id": local_id, "kind": "publication", "title": f"Tài liệu {local_id}", **fields}
    return SubmittedItem(index=index, local_id=local_id, record=RecordIn(**data))


def code() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
async def service_settings(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    namespace = unique_namespace("cat")
    settings = Settings(
        amqp_url=AMQP_URL,
        mongo_url=mongo_url,
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=tmp_path_factory.mktemp("catalogue"),
        stinet_admin_key="test-admin-" + uuid.uuid4().hex,
        stinet_delivery_limit=3,
    )
    yield settings
    await delete_namespace(settings)
    client = make_mongo_client(settings)
    await client.drop_database(settings.stinet_db)
    await client.close()


@pytest.fixture(scope="module")
async def catalogue(service_settings: Settings) -> AsyncIterator[Catalogue]:
    app = create_app(service_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        connection = await aio_pika.connect(AMQP_URL)
        broker = make_broker(service_settings)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://catalogue") as http,
            connection,
            broker,
        ):
            outbox = Outbox(await connection.channel(), service_settings)
            yield Catalogue(http, service_settings, outbox, broker)


@pytest.fixture(scope="module")
async def db(service_settings: Settings) -> AsyncIterator[Any]:
    client: AsyncMongoClient = make_mongo_client(service_settings)
    yield client[service_settings.stinet_db]
    await client.close()


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
