"""The DLQ tool against the real broker: a dead-lettered event goes back to work, once."""

from __future__ import annotations

import aio_pika

from devstack.dlq import depth, find, replay
from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.topology import (
    Subscription,
    dead_letter_exchange,
    dead_letter_queue,
    dlq_name,
    exchange,
    make_broker,
    queue_name,
    work_queue,
)


async def declare_one(settings: Settings, sub: Subscription) -> None:
    """Only the queues this test uses: every quorum queue declared and deleted costs the broker."""
    broker = make_broker(settings)
    async with broker:
        main = await broker.declare_exchange(exchange(settings))
        dlx = await broker.declare_exchange(dead_letter_exchange(settings))
        queue = await broker.declare_queue(work_queue(settings, sub))
        await queue.bind(main, routing_key=sub.event.EVENT_NAME)
        dlq = await broker.declare_queue(dead_letter_queue(settings, sub))
        await dlq.bind(dlx, routing_key=queue_name(settings, sub))


async def depth_of(settings: Settings, sub: Subscription) -> tuple[int, int]:
    async with await aio_pika.connect(settings.amqp_url.get_secret_value()) as connection:
        found = await depth(await connection.channel(), settings, sub)
    return found.messages, found.dead


async def test_replay_moves_dead_letters_back_to_their_work_queue(settings: Settings) -> None:
    sub = find(settings, "notify.member-changed")
    await declare_one(settings, sub)
    event = MemberChanged(change="created", member=Member(code="vmu", name="Đại học Hàng hải"))
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for _ in range(2):
            await channel.default_exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    headers={"x-death": [], "x-custom": "kept"},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=dlq_name(settings, sub),
            )

    assert await depth_of(settings, sub) == (0, 2)

    assert await replay(settings, sub, limit=1) == 1
    assert await replay(settings, sub) == 1
    assert await replay(settings, sub) == 0

    assert await depth_of(settings, sub) == (2, 0)
    async with await aio_pika.connect(settings.amqp_url.get_secret_value()) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name(settings, sub), passive=True)
        message = await queue.get(no_ack=True)
        assert MemberChanged.model_validate_json(message.body).member.code == "vmu"
        assert message.headers["x-custom"] == "kept" and "x-death" not in message.headers
        assert message.headers["x-stinet-replayed"] == 1
