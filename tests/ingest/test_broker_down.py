"""RabbitMQ unreachable (a proxy we cut, never the machine's broker): 503, nothing half-accepted,
and an outbox that finishes what was already accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from services.ingest.adapters.mongo import MongoSubmissionStore
from services.ingest.domain import Submission
from services.ingest.handlers import relay_once
from shared.config import Settings
from shared.events import Member, MemberChanged, RecordsSubmitted, SubmittedItem
from shared.mongo import service_database
from shared.records import RecordIn, utcnow
from shared.topology import RabbitPublisher, declare_topology, make_broker
from tests.ingest.conftest import AppFactory, Ingest, record, take_submitted
from tests.ingest.proxy import CuttableProxy


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    proxy = await CuttableProxy().start()
    yield proxy
    await proxy.cut()


async def _start_behind(proxy: CuttableProxy, settings: Settings, start: AppFactory) -> Ingest:
    proxied = settings.model_copy(
        update={"amqp_url": SecretStr(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")}
    )
    ingest = await start(proxied)
    ingest.settings = settings  # the test itself talks to the broker directly
    return ingest


async def _until_accepted(ingest: Ingest, auth: dict[str, str], payload: dict) -> dict:  # type: ignore[type-arg]
    for _ in range(150):
        response = await ingest.client.post("/v1/records", json=payload, headers=auth)
        if response.status_code == 202:
            return response.json()
        assert response.status_code == 503
        await asyncio.sleep(0.2)
    raise AssertionError("ingest never recovered after the broker came back")


async def test_broker_down_gives_503_and_stores_nothing_then_recovers(
    proxy: CuttableProxy, settings: Settings, start_ingest: AppFactory
) -> None:
    ingest = await _start_behind(proxy, settings, start_ingest)
    auth = await ingest.key_for("vmu")
    await proxy.cut()

    response = await ingest.client.post(
        "/v1/records", json={"records": [record("a"), record("b")]}, headers=auth
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "gửi lại" in response.json()["error"]["message"]
    assert await ingest.db["ingest_submissions"].count_documents({}) == 0
    assert await ingest.db["ingest_outbox"].count_documents({}) == 0
    assert await ingest.queue_depth() == 0

    await proxy.restore()
    accepted = await _until_accepted(ingest, auth, {"records": [record("a"), record("b")]})
    [event] = await ingest.submitted(expect=1)
    assert event.submission_id == accepted["submission_id"]
    assert [i.local_id for i in event.items] == ["a", "b"]


async def test_a_cut_part_way_is_completed_by_the_outbox_relay(
    proxy: CuttableProxy, settings: Settings, start_ingest: AppFactory
) -> None:
    ingest = await _start_behind(proxy, settings, start_ingest)
    auth = await ingest.key_for("vmu")
    records = [record(f"r{i}", description="mô tả " * 40) for i in range(1000)]
    first_batch = RecordsSubmitted(
        submission_id="0" * 32,
        member="vmu",
        batch_no=0,
        batch_count=2,
        items=[
            SubmittedItem(index=i, local_id=r["local_id"], record=RecordIn(**r))
            for i, r in enumerate(records[:500])
        ],
    )
    batch_bytes = len(first_batch.model_dump_json().encode())
    proxy.cut_after(batch_bytes * 3 // 2)  # the first batch goes through, the second does not

    response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["pending_batches"] == 1 and body["accepted"] == 1000
    assert await ingest.db["ingest_outbox"].count_documents({}) == 1

    await proxy.restore()
    events = await ingest.submitted(expect=2, within=30)
    assert sorted(e.batch_no for e in events) == [0, 1]
    assert sorted(i.index for e in events for i in e.items) == list(range(1000))
    assert await ingest.db["ingest_outbox"].count_documents({}) == 0


async def test_the_relay_publishes_what_a_crashed_process_left_in_the_outbox(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    """Stored and sealed, then the process died before publishing: the relay sends it."""
    db = service_database(mongo, settings)
    store = MongoSubmissionStore(db)
    now = utcnow()
    draft = Submission(
        id="crashed-submission",
        member="vmu",
        source="api",
        state="receiving",
        created_at=now,
        updated_at=now,
    )
    await store.create(draft)
    items = [
        SubmittedItem(index=i, local_id=f"r{i}", record=RecordIn(**record(f"r{i}")))
        for i in range(3)
    ]
    await store.add_batch(draft.id, 0, items)
    await store.seal(
        draft.id,
        batch_count=1,
        accepted=3,
        rejected=0,
        notes={},
        relay_after=now + timedelta(seconds=60),
    )
    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
        publisher = RabbitPublisher(broker, settings)
        assert await relay_once(submissions=store, publisher=publisher) == 0  # not due yet
        await store.defer(draft.id, now)
        assert await relay_once(submissions=store, publisher=publisher) == 1
        assert await relay_once(submissions=store, publisher=publisher) == 0  # nothing twice
    [event] = await take_submitted(settings, expect=1)
    assert event.submission_id == draft.id and [i.local_id for i in event.items] == [
        "r0",
        "r1",
        "r2",
    ]
    assert await db["ingest_outbox"].count_documents({}) == 0


async def test_store_down_gives_503_not_500(
    settings: Settings, start_ingest: AppFactory, secantus_port: int
) -> None:
    store_proxy = await CuttableProxy(upstream_port=secantus_port).start()
    try:
        # A fresh Settings (model_copy would carry the cached ``mongo_uri`` along); a direct
        # connection, or the driver would discover the server's own address and bypass us.
        url = f"mongodb://127.0.0.1:{store_proxy.port}/?directConnection=true"
        proxied = Settings(**{**settings.model_dump(), "mongo_url": url})
        ingest = await start_ingest(proxied)
        auth = await _key_via(ingest, "vmu")
        await store_proxy.cut()
        response = await ingest.client.post(
            "/v1/records", json={"records": [record("a")]}, headers=auth
        )
    finally:
        await store_proxy.cut()
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Kho dữ liệu" in response.json()["error"]["message"]
    assert await ingest.queue_depth() == 0


async def _key_via(ingest: Ingest, code: str) -> dict[str, str]:
    """Like ``Ingest.key_for`` for an app on its own store: poll the API, not the database."""
    await ingest.publish(MemberChanged(change="created", member=Member(code=code, name=code)))
    for _ in range(100):
        response = await ingest.client.post(f"/v1/members/{code}/keys", headers=ingest.admin)
        if response.status_code == 201:
            return {"Authorization": f"Bearer {response.json()['key']}"}
        await asyncio.sleep(0.05)
    raise AssertionError("ingest never learnt the member")
