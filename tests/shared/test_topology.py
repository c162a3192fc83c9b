"""The broker topology against the real RabbitMQ: durable, confirmed, dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

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
from tests.ingest.proxy import CuttableProxy

# Short server selection, so an outage of a few seconds outlasts limit (3) x timeout.
SELECTION_TIMEOUT_MS = 400
OUTAGE_SECONDS = 3 * SELECTION_TIMEOUT_MS / 1000 * 3


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


async def wait_until(condition: object, what: str) -> None:
    for _ in range(300):
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def store_behind_proxy(
    settings: Settings, secantus_port: int, mongo: AsyncMongoClient
) -> AsyncIterator[tuple[CuttableProxy, AsyncCollection]]:
    """A collection reached through a proxy the test cuts: "the store is down".

    ``mongo`` (direct, not proxied) drops the test's database afterwards.
    """
    proxy = await CuttableProxy(upstream_port=secantus_port).start()
    client: AsyncMongoClient = AsyncMongoClient(
        f"mongodb://127.0.0.1:{proxy.port}/", serverSelectionTimeoutMS=SELECTION_TIMEOUT_MS
    )
    collection = client[settings.stinet_db]["outage"]
    await collection.insert_one({"_id": "warm-up"})
    yield proxy, collection
    await client.close()
    await proxy.cut()


async def test_a_store_outage_longer_than_the_delivery_limit_dead_letters_nothing(
    settings: Settings, store_behind_proxy: tuple[CuttableProxy, AsyncCollection]
) -> None:
    proxy, collection = store_behind_proxy
    broker = make_broker(settings)

    @subscriber(broker, settings, "notify", MemberChanged)
    async def store_it(event: MemberChanged) -> None:
        await collection.insert_one({"_id": str(event.event_id), "code": event.member.code})

    events = [member_changed() for _ in range(5)]
    dlq = dlq_name(settings, subscription("notify", MemberChanged))
    async with broker:
        await declare_topology(broker, settings)
        await broker.start()
        await proxy.cut()
        for event in events:
            await publish_event(broker, settings, event)
        await asyncio.sleep(OUTAGE_SECONDS)  # every delivery would have failed 3 times by now
        await proxy.restore()

        async def all_stored() -> bool:
            return await collection.count_documents({"code": "vmu"}) == len(events)

        await wait_until(all_stored, "every held message stored after the outage")
    assert await queue_depth(settings, dlq) == 0


async def test_a_message_held_at_shutdown_goes_back_to_its_queue(
    settings: Settings, store_behind_proxy: tuple[CuttableProxy, AsyncCollection]
) -> None:
    proxy, collection = store_behind_proxy
    broker = make_broker(settings)
    tries: list[int] = []

    @subscriber(broker, settings, "notify", MemberChanged)
    async def store_it(event: MemberChanged) -> None:
        tries.append(1)
        await collection.insert_one({"_id": str(event.event_id)})

    name = queue_name(settings, subscription("notify", MemberChanged))
    async with broker:
        await declare_topology(broker, settings)
        await broker.start()
        await proxy.cut()
        await publish_event(broker, settings, member_changed())

        async def retried() -> bool:
            return len(tries) >= 2

        await wait_until(retried, "the message retried in the process")
    # The broker stopped while the store was still down: nothing lost, nothing dead-lettered.
    assert await queue_depth(settings, name) == 1
    assert (
        await queue_depth(settings, dlq_name(settings, subscription("notify", MemberChanged))) == 0
    )
