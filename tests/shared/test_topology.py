"""The broker topology against the real RabbitMQ: durable, confirmed, dead-lettered."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest

from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.topology import (
    declare_topology,
    dlq_name,
    make_broker,
    publish_event,
    queue_name,
    subscriber,
    subscription,
)


def member_changed() -> MemberChanged:
    return MemberChanged(change="created", member=Member(code="vmu", name="Đại học Hàng hải"))


async def queue_depth(settings: Settings, name: str) -> int:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def test_published_event_waits_durably_in_every_consumer_queue(settings: Settings) -> None:
    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
        await publish_event(broker, settings, member_changed())
    for service in ("ingest", "search", "notify"):
        name = queue_name(settings, subscription(service, MemberChanged))
        assert await queue_depth(settings, name) == 1


async def test_handler_failure_is_retried_then_dead_lettered(settings: Settings) -> None:
    broker = make_broker(settings)
    attempts: list[str] = []

    @subscriber(broker, settings, "notify", MemberChanged)
    async def always_fails(event: MemberChanged) -> None:
        attempts.append(event.member.code)
        raise RuntimeError("store unavailable")

    async with broker:
        await declare_topology(broker, settings)
        await broker.start()
        await publish_event(broker, settings, member_changed())
        dlq = dlq_name(settings, subscription("notify", MemberChanged))
        for _ in range(100):
            if await queue_depth(settings, dlq) == 1:
                break
            await asyncio.sleep(0.1)
    assert await queue_depth(settings, dlq) == 1
    # Quorum queues count deliveries: the limit (3 in tests) bounds the retries.
    assert 3 <= len(attempts) <= 4


async def test_publish_without_a_declared_topology_is_refused(settings: Settings) -> None:
    broker = make_broker(settings)
    async with broker:
        with pytest.raises(Exception):  # noqa: B017 - the exchange does not exist: channel error
            await publish_event(broker, settings, member_changed())


async def test_dead_letter_depth_is_a_metric(settings: Settings) -> None:
    from prometheus_client import generate_latest

    from shared.runtime import refresh_queue_depths
    from shared.topology import dead_letter_exchange

    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
        dlq = dlq_name(settings, subscription("notify", MemberChanged))
        await broker.publish(
            b"{}",
            exchange=dead_letter_exchange(settings),
            routing_key=queue_name(settings, subscription("notify", MemberChanged)),
            persist=True,
        )
        await refresh_queue_depths(broker, settings, "notify")
    exposed = generate_latest().decode()
    assert f'stinet_queue_messages{{queue="{dlq}"}} 1.0' in exposed
