"""The DLQ tool against the real broker: a dead-lettered event goes back to work, once."""

from __future__ import annotations

import aio_pika

from devstack.dlq import depths, find, replay
from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.topology import declare_topology, dlq_name, make_broker, queue_name


async def test_replay_moves_dead_letters_back_to_their_work_queue(settings: Settings) -> None:
    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
    sub = find(settings, "notify.member-changed")
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

    before = {d.queue: d for d in await depths(settings)}[queue_name(settings, sub)]
    assert (before.messages, before.dead) == (0, 2)

    assert await replay(settings, sub, limit=1) == 1
    assert await replay(settings, sub) == 1
    assert await replay(settings, sub) == 0

    after = {d.queue: d for d in await depths(settings)}[queue_name(settings, sub)]
    assert (after.messages, after.dead) == (2, 0)
    async with await aio_pika.connect(settings.amqp_url.get_secret_value()) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name(settings, sub), passive=True)
        message = await queue.get(no_ack=True)
        assert MemberChanged.model_validate_json(message.body).member.code == "vmu"
        assert message.headers["x-custom"] == "kept" and "x-death" not in message.headers
        assert message.headers["x-stinet-replayed"] == 1
