"""Nothing acked is lost: the search consumer SIGKILLed while group commits run (issue 15).

A real consumer process (the production subscriber over the embedded index) takes
one-record ``records.changed`` events from the real RabbitMQ and is killed mid-stream.
Whatever the queue no longer holds was acked, and must be in the index on disk; the rest
is still in the queue, for the next consumer.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest

from services.search.adapters.tantivy_index import TantivyIndex
from shared.amqp import connect_first
from shared.config import Settings
from shared.events import ChangeKind, RecordChange, RecordsChanged
from shared.topology import (
    declare_topology,
    make_broker,
    publish_event,
    queue_name,
    subscription,
)
from tests.conftest import AMQP_URL, delete_namespace
from tests.search.corpus import make_record

EVENTS = 600
KILL_AFTER_TAKEN = 250  # deliveries taken off the queue (acked or in flight) before the kill


@pytest.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    value = Settings(
        amqp_url=AMQP_URL,
        stinet_namespace=f"tk-{uuid.uuid4().hex[:10]}",
        stinet_data_dir=tmp_path,
    )
    yield value
    await delete_namespace(value)


async def queue_counts(channel: aio_pika.abc.AbstractChannel, name: str) -> tuple[int, int]:
    """Messages ready in the queue (not taken by a consumer), and its consumers."""
    declared = (await channel.declare_queue(name, passive=True)).declaration_result
    assert declared.message_count is not None and declared.consumer_count is not None
    return declared.message_count, declared.consumer_count


async def consumer_gone(channel: aio_pika.abc.AbstractChannel, name: str) -> None:
    """Until the broker has seen the connection go (and put its unacked deliveries back)."""
    for _ in range(400):
        if (await queue_counts(channel, name))[1] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the broker still counts the killed consumer")


async def left_in_queue(settings: Settings, name: str) -> set[str]:
    """Record ids of every message still in the queue (taken and acked: the test's end)."""
    ids: set[str] = set()
    connection = await connect_first(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(name, ensure=False)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            event = RecordsChanged.model_validate_json(message.body)
            ids.update(change.record.id for change in event.changes)
    return ids


@pytest.mark.timeout(180)
async def test_a_sigkill_during_group_commits_loses_nothing_acked(settings: Settings) -> None:
    publisher = make_broker(settings)
    name = queue_name(settings, subscription("search", RecordsChanged))
    records = [make_record("kill", str(n), f"Bản tin hàng hải số {n}") for n in range(EVENTS)]
    async with publisher:
        await publisher.connect()
        await declare_topology(publisher, settings)
        for record in records:
            change = RecordChange(change=ChangeKind.CREATED, record=record)
            await publish_event(publisher, settings, RecordsChanged(changes=[change]))

    consumer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.search.kill_consumer",
        settings.stinet_namespace,
        str(settings.stinet_data_dir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "AMQP_URL": settings.amqp_url.get_secret_value()},
        cwd=Path(__file__).parents[2],
    )
    connection = await connect_first(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        try:
            while (await queue_counts(channel, name))[0] > EVENTS - KILL_AFTER_TAKEN:
                assert consumer.returncode is None, "the consumer stopped by itself"
                await asyncio.sleep(0.005)
        finally:
            consumer.send_signal(signal.SIGKILL)
            await consumer.wait()
        await consumer_gone(channel, name)

    remaining = await left_in_queue(settings, name)
    acked = {r.id for r in records} - remaining
    assert acked and remaining  # killed mid-stream, not before or after
    index = TantivyIndex(settings.stinet_data_dir)
    await index.open()
    try:
        missing = [record_id for record_id in acked if await index.get(record_id) is None]
    finally:
        await index.close()
    assert missing == []
