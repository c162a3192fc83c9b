"""The store failing after the broker confirmed a batch: the answer says what is true (the
records are on their way), and the relay sends again what the store was not told."""

from __future__ import annotations

import asyncio

from services.ingest.adapters.mongo import MongoSubmissionStore
from shared.records import utcnow
from tests.ingest.conftest import Ingest, record

SERVICE_APP = "stinet"  # the app name of the services' Mongo client (shared.mongo)


async def _store_drops_deletes(ingest: Ingest, mode: str) -> None:
    """While on, the store drops the service's connection on every delete: marking a batch
    published fails, whether or not the driver retries it."""
    await ingest.mongo.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": mode,
            "data": {"failCommands": ["delete"], "closeConnection": True, "appName": SERVICE_APP},
        }
    )


async def test_a_store_outage_after_the_confirm_is_not_told_as_nothing_accepted(
    failpoint_ingest: Ingest,
) -> None:
    ingest = failpoint_ingest
    auth = await ingest.key_for("vmu")
    records = [record(f"r{i}") for i in range(600)]  # two batches
    await _store_drops_deletes(ingest, "alwaysOn")
    try:
        response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    finally:
        await _store_drops_deletes(ingest, "off")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 600 and "pending_batches" not in body
    events = await ingest.submitted(expect=2)
    assert sorted(e.batch_no for e in events) == [0, 1]
    status = await ingest.client.get(body["status_url"], headers=auth)
    assert status.status_code == 200 and status.json()["accepted"] == 600

    # The outbox still holds the batches the store was never told were confirmed: the relay
    # sends them again (the catalogue takes a batch twice without change) and clears them.
    outbox = ingest.db["ingest_outbox"]
    assert sorted([d["batch_no"] async for d in outbox.find({})]) == [0, 1]
    await MongoSubmissionStore(ingest.db).defer(body["submission_id"], utcnow())
    again = await ingest.submitted(expect=2, within=15)
    assert sorted(e.batch_no for e in again) == [0, 1]
    assert {e.submission_id for e in again} == {body["submission_id"]}
    for _ in range(100):
        if await outbox.count_documents({}) == 0:
            break
        await asyncio.sleep(0.1)
    assert await outbox.count_documents({}) == 0
