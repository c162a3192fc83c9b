"""The catalogue while the broker refuses what it publishes (real RabbitMQ): a queue bound to
``records.changed`` that takes nothing (``x-overflow: reject-publish``, as a queue whose node is
down nacks in a cluster) makes every announcement of a stored batch fail; the batch waits in
the process instead of spending deliveries, nothing is dead-lettered, and it is answered once
the broker takes the announcement."""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient

from shared.config import Settings
from shared.events import RecordsChanged, RecordsSubmitted
from shared.topology import dlq_name, publish_event, subscription
from tests.catalogue.test_store_outage import (
    DELIVERY_LIMIT,
    batch,
    catalogue_with_a_member,
    depth,
    processed,
)

HOLD_DELAYS_S = 0.5 + 1 + 2 + 4  # the hold's first back-offs: more tries than the limit


async def test_a_refused_announcement_dead_letters_no_batch_and_goes_out_after(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    event = batch("vmu")
    async with catalogue_with_a_member(settings, settings) as (broker, channel):
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
