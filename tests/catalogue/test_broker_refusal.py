"""The catalogue while the broker refuses what it publishes (real RabbitMQ): a queue bound to
``records.changed`` that takes nothing (``x-overflow: reject-publish``, as a queue whose node is
down nacks in a cluster) makes every announcement of a stored batch fail; the batch waits in
the process instead of spending deliveries, nothing is dead-lettered, and it is answered once
the broker takes the announcement."""

from __future__ import annotations

import asyncio

import aio_pika
import httpx
from pymongo import AsyncMongoClient

from services.catalogue.bootstrap import create_app
from shared.config import Settings
from shared.events import RecordsChanged, RecordsSubmitted
from shared.topology import dlq_name, make_broker, publish_event, subscription
from tests.catalogue.test_store_outage import DELIVERY_LIMIT, batch, depth, processed

HOLD_DELAYS_S = 0.5 + 1 + 2 + 4  # the hold's first back-offs: more tries than the limit


async def test_a_refused_announcement_dead_letters_no_batch_and_goes_out_after(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    app = create_app(settings)
    admin = {"Authorization": f"Bearer {settings.admin_key}"}
    event = batch("vmu")
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://catalogue"
        ) as http,
        make_broker(settings) as broker,
        connection,
    ):
        member = {"code": "vmu", "name": "Đại học Hàng hải"}
        assert (await http.post("/v1/members", json=member, headers=admin)).status_code == 200
        channel = await connection.channel()
        refusing = await channel.declare_queue(
            f"{settings.stinet_namespace}.test-refuses-everything",
            arguments={"x-max-length": 0, "x-overflow": "reject-publish"},
        )
        await refusing.bind(settings.stinet_namespace, routing_key=RecordsChanged.EVENT_NAME)
        try:
            await publish_event(broker, settings, event)
            await asyncio.sleep(HOLD_DELAYS_S + 2)  # every delivery the limit allows, and more
            dlq = dlq_name(settings, subscription("catalogue", RecordsSubmitted))
            assert await depth(channel, dlq) == 0, f"dead-lettered (limit {DELIVERY_LIMIT})"
        finally:
            await refusing.delete(if_unused=False, if_empty=False)
        answer = await processed(channel, settings, event.submission_id)
        assert await depth(channel, dlq) == 0
    assert [o["outcome"] for o in answer["outcomes"]] == ["created"]  # type: ignore[index, union-attr]
    stored = await mongo[settings.stinet_db]["catalogue_records"].find_one({"_id": "vmu:ts-1"})
    assert stored is not None
