"""A submission whose last batch has its outcome is announced as ``submission.completed``
(what notify mails the member's import report from)."""

from __future__ import annotations

import asyncio
import json

import aio_pika

from shared.events import ItemOutcome, Problem, SubmissionCompleted, SubmissionProcessed
from shared.topology import queue_name, subscription
from tests.ingest.conftest import Ingest, record

WARNING = Problem(
    code="missing_description", loc=["description"], msg="Thiếu mô tả / no description"
)


async def _completions(ingest: Ingest, *, expect: int, within: float = 10.0) -> list[dict]:
    name = queue_name(ingest.settings, subscription("notify", SubmissionCompleted))
    found: list[dict] = []
    connection = await aio_pika.connect(ingest.settings.amqp_url.get_secret_value())
    async with connection:
        queue = await (await connection.channel()).declare_queue(name, passive=True)
        deadline = asyncio.get_running_loop().time() + within
        while len(found) < expect and asyncio.get_running_loop().time() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            found.append(json.loads(message.body))
    return found


async def test_the_last_batch_processed_announces_the_submission_once_with_its_counts(
    ingest: Ingest,
) -> None:
    auth = await ingest.key_for("vmu")
    records = [record(f"r{i}") for i in range(600)] + [{"local_id": "bad"}]
    response = await ingest.client.post("/v1/records", json={"records": records}, headers=auth)
    submission_id = response.json()["submission_id"]
    first, second = sorted(await ingest.submitted(expect=2), key=lambda e: e.batch_no)

    await ingest.process(first, "created")
    assert await _completions(ingest, expect=1, within=1.0) == []  # half done: nothing yet

    outcomes = [
        ItemOutcome(
            index=i.index,
            local_id=i.local_id,
            outcome="rejected" if i.local_id == "r599" else "updated",  # type: ignore[arg-type]
            warnings=[WARNING] if i.local_id in ("r500", "r501") else [],
        )
        for i in second.items
    ]
    processed = SubmissionProcessed(
        submission_id=submission_id, member="vmu", batch_no=1, outcomes=outcomes
    )
    await ingest.publish(processed)
    [completed] = await _completions(ingest, expect=1)
    event = SubmissionCompleted.model_validate(completed)
    assert event.submission_id == submission_id and event.member == "vmu"
    assert (event.total, event.stored, event.warned, event.rejected) == (601, 599, 2, 2)
    assert event.source.value == "api"

    await ingest.publish(processed)  # a redelivery of the last batch announces nothing again
    await ingest.process(first, "created")
    assert await _completions(ingest, expect=1, within=1.0) == []
