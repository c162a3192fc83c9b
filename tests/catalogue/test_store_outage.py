"""The catalogue while its store is away for longer than delivery limit x server selection
(real RabbitMQ, real SecantusDB behind a proxy the test cuts): the batch waits in the
process, nothing is dead-lettered, and it is stored and answered once the store is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import httpx
from faststream.rabbit import RabbitBroker
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from services.catalogue.bootstrap import create_app
from shared.config import Settings
from shared.events import RecordsSubmitted, SubmissionProcessed, SubmittedItem
from shared.records import RecordIn
from shared.topology import dlq_name, make_broker, publish_event, queue_name, subscription
from tests.ingest.proxy import CuttableProxy

SERVER_SELECTION_S = 5  # shared.mongo's timeout: each failed try takes this long
DELIVERY_LIMIT = 3  # the test settings'


async def depth(channel: aio_pika.abc.AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    return int(queue.declaration_result.message_count or 0)


async def processed(
    channel: aio_pika.abc.AbstractChannel, settings: Settings, submission_id: str
) -> dict[str, object]:
    queue = await channel.get_queue(
        queue_name(settings, subscription("ingest", SubmissionProcessed)), ensure=False
    )
    for _ in range(600):
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.1)
            continue
        body = json.loads(message.body)
        if body["submission_id"] == submission_id:
            return body  # type: ignore[no-any-return]
    raise AssertionError("the batch was never answered")


@contextlib.asynccontextmanager
async def catalogue_with_a_member(
    app_settings: Settings, settings: Settings
) -> AsyncIterator[tuple[RabbitBroker, aio_pika.abc.AbstractChannel]]:
    """The catalogue app on ``app_settings`` (lifespan running) with member ``vmu``
    registered; a broker to publish with and a channel to look at the queues."""
    app = create_app(app_settings)
    admin = {"Authorization": f"Bearer {settings.admin_key}"}
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
        yield broker, await connection.channel()


def batch(member: str) -> RecordsSubmitted:
    item = SubmittedItem(
        index=0,
        local_id="ts-1",
        record=RecordIn(local_id="ts-1", kind="publication", title="Tài liệu lúc kho vắng"),
    )
    return RecordsSubmitted(
        submission_id=uuid.uuid4().hex,
        member=member,
        batch_no=0,
        batch_count=1,
        submitted_at=datetime.now(UTC),
        items=[item],
    )


async def test_a_store_outage_dead_letters_no_batch_and_the_batch_is_stored_after(
    settings: Settings, mongo: AsyncMongoClient, secantus_port: int
) -> None:
    proxy = await CuttableProxy(upstream_port=secantus_port).start()
    behind = settings.model_copy(
        update={"mongo_url": SecretStr(f"mongodb://127.0.0.1:{proxy.port}/")}
    )
    event = batch("vmu")
    try:
        async with catalogue_with_a_member(behind, settings) as (broker, channel):
            await proxy.cut()
            await publish_event(broker, settings, event)
            # Long enough for every delivery the limit allows to have failed without the hold.
            await asyncio.sleep(SERVER_SELECTION_S * (DELIVERY_LIMIT + 1) + 2)
            await proxy.restore()
            answer = await processed(channel, settings, event.submission_id)
            dlq = dlq_name(settings, subscription("catalogue", RecordsSubmitted))
            assert await depth(channel, dlq) == 0
    finally:
        await proxy.cut()
    assert [o["outcome"] for o in answer["outcomes"]] == ["created"]  # type: ignore[index, union-attr]
    stored = await mongo[settings.stinet_db]["catalogue_records"].find_one({"_id": "vmu:ts-1"})
    assert stored is not None and stored["title"] == "Tài liệu lúc kho vắng"
