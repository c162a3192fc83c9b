"""Retries with the same Idempotency-Key after a crash: what the crash left behind is taken over,
only a sealed submission replays, and two retries at once never both win."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from services.ingest.adapters.mongo import MongoSubmissionStore
from services.ingest.domain import Refusal, Submission, expiry
from services.ingest.formats import ParsedRow
from services.ingest.handlers import receive
from shared.events import SubmittedItem
from shared.records import RecordIn, Source, utcnow
from shared.topology import RabbitPublisher, make_broker
from tests.ingest.conftest import Ingest, record

KEY = "upload-2026-12-02-01"


def _store(ingest: Ingest) -> MongoSubmissionStore:
    return MongoSubmissionStore(ingest.db)


def _draft(submission_id: str, key: str = KEY) -> Submission:
    now = utcnow()
    return Submission(
        id=submission_id,
        member="vmu",
        source="api",
        state="receiving",
        created_at=now,
        updated_at=now,
        idempotency_key=key,
    )


def _items(*local_ids: str) -> list[SubmittedItem]:
    return [
        SubmittedItem(index=i, local_id=x, record=RecordIn(**record(x)))
        for i, x in enumerate(local_ids)
    ]


async def _crashed_while_receiving(ingest: Ingest) -> None:
    """What ingest killed mid-request leaves: a receiving submission with part of its batches
    (and rejections) stored, holding the key."""
    store = _store(ingest)
    await store.create(_draft("crashed"))
    await store.add_batch("crashed", 0, _items("old-0", "old-1"))


async def _post(ingest: Ingest, auth: dict[str, str], *local_ids: str) -> Any:
    return await ingest.client.post(
        "/v1/records",
        json={"records": [record(x) for x in local_ids]},
        headers={**auth, "Idempotency-Key": KEY},
    )


async def _status(ingest: Ingest, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await ingest.client.get(body["status_url"], headers=auth)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_retry_after_a_crash_mid_request_is_processed_afresh(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    await _crashed_while_receiving(ingest)

    response = await _post(ingest, auth, "a", "b", "c")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 3 and "replayed" not in body
    assert body["submission_id"] != "crashed"
    assert (await _status(ingest, auth, body))["accepted"] == 3
    [event] = await ingest.submitted(expect=1)
    assert [i.local_id for i in event.items] == ["a", "b", "c"]
    assert await ingest.queue_depth() == 0
    # What the crash left is gone, outbox rows included, and the key belongs to the retry.
    assert await ingest.db["ingest_submissions"].count_documents({"_id": "crashed"}) == 0
    assert await ingest.db["ingest_outbox"].count_documents({"submission_id": "crashed"}) == 0
    again = await _post(ingest, auth, "a", "b", "c")
    assert again.json()["submission_id"] == body["submission_id"] and again.json()["replayed"]


async def test_a_claim_without_its_submission_is_taken_over(ingest: Ingest) -> None:
    """A crash between the claim and the submission (how the claim used to be written)."""
    auth = await ingest.key_for("vmu")
    await _store(ingest).idempotency.insert_one(
        {"_id": f"vmu:{KEY}", "submission_id": "never-stored", "expires_at": expiry(utcnow())}
    )

    response = await _post(ingest, auth, "a", "b")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and "replayed" not in body
    assert (await _status(ingest, auth, body))["accepted"] == 2
    [event] = await ingest.submitted(expect=1)
    assert [i.local_id for i in event.items] == ["a", "b"]


async def test_a_sealed_submission_still_replays_even_before_it_is_published(
    ingest: Ingest,
) -> None:
    """Sealed, then the process died before publishing: the relay will send it, and the retry
    gets that submission back rather than a second one."""
    auth = await ingest.key_for("vmu")
    store = _store(ingest)
    await store.create(_draft("sealed"))
    await store.add_batch("sealed", 0, _items("a", "b"))
    await store.seal(
        "sealed",
        batch_count=1,
        accepted=2,
        rejected=0,
        notes={},
        relay_after=utcnow() + timedelta(seconds=60),
    )

    response = await _post(ingest, auth, "a", "b")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["submission_id"] == "sealed" and body["replayed"] is True
    assert body["accepted"] == 2
    assert (await _status(ingest, auth, body))["accepted"] == 2
    assert await ingest.queue_depth() == 0  # nothing published twice: the relay sends it
    assert await ingest.db["ingest_outbox"].count_documents({"submission_id": "sealed"}) == 1


async def test_two_retries_at_once_after_a_crash_never_both_win(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    await _crashed_while_receiving(ingest)

    first, second = await asyncio.gather(
        _post(ingest, auth, "a", "b"), _post(ingest, auth, "a", "b")
    )
    answers = sorted([first, second], key=lambda r: (r.status_code, "replayed" in r.json()))
    winner, other = answers
    assert winner.status_code == 202 and "replayed" not in winner.json(), winner.text
    assert winner.json()["accepted"] == 2
    if other.status_code == 202:  # it came second: the winner's submission, replayed
        assert other.json()["replayed"] and other.json()["accepted"] == 2
        assert other.json()["submission_id"] == winner.json()["submission_id"]
    else:  # at the same moment (key in use), or taken over by the other: told to retry
        assert other.status_code == 409 and other.headers["Retry-After"]
        assert "Idempotency-Key" in other.json()["error"]["message"]
    [event] = await ingest.submitted(expect=2, within=2)  # one batch, never two
    assert event.submission_id == winner.json()["submission_id"]
    assert await ingest.db["ingest_submissions"].count_documents({}) == 1


async def test_a_request_still_receiving_when_its_retry_arrives_gives_way(
    ingest: Ingest,
) -> None:
    """The client gave up on a slow request and retried: the retry takes the key over, and the
    first request, still reading its rows, is refused at its seal and leaves nothing."""
    auth = await ingest.key_for("vmu")
    loop = asyncio.get_running_loop()
    retry: dict[str, Any] = {}

    def rows() -> Iterator[ParsedRow]:  # read in a worker thread, as request bodies are
        yield ParsedRow(0, record("slow-0"))
        future = asyncio.run_coroutine_threadsafe(_post(ingest, auth, "a", "b"), loop)
        retry["response"] = future.result(timeout=60)
        yield ParsedRow(1, record("slow-1"))

    broker = make_broker(ingest.settings)
    async with broker:
        with pytest.raises(Refusal) as refused:
            await receive(
                rows(),
                member="vmu",
                source=Source.API,
                submissions=_store(ingest),
                publisher=RabbitPublisher(broker, ingest.settings),
                max_records=10,
                idempotency_key=KEY,
            )
    assert refused.value.status == 409 and refused.value.headers["Retry-After"]
    response = retry["response"]
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 2 and "replayed" not in response.json()
    [event] = await ingest.submitted(expect=2, within=2)
    assert [i.local_id for i in event.items] == ["a", "b"]
    assert await ingest.db["ingest_submissions"].count_documents({}) == 1
    assert await ingest.db["ingest_outbox"].count_documents({}) == 0


async def test_a_replayed_202_carries_the_same_warnings_as_the_first(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    payload = {
        "records": [
            record("bad-isbn", identifiers={"isbn": "978-0-306-40615-8"}),
            {"local_id": "no-title"},
            record("clean", description="Mô tả", year=2020, subjects=["Hàng hải"], language="vi"),
        ]
    }
    headers = {**auth, "Idempotency-Key": KEY}
    first = await ingest.client.post("/v1/records", json=payload, headers=headers)
    again = await ingest.client.post("/v1/records", json=payload, headers=headers)
    assert first.status_code == again.status_code == 202, again.text
    assert again.json()["replayed"] is True
    assert first.json()["warnings_count"] == 1
    assert [w["local_id"] for w in first.json()["warnings"]] == ["bad-isbn"]
    for field in ("warnings", "warnings_count", "rejected", "accepted"):
        assert again.json()[field] == first.json()[field], field
