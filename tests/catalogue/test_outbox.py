"""The members' outbox against the real broker, cut by a proxy: a change stored while the
broker is away is announced once it is back (docs/operators/reliability.md)."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import httpx
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from services.catalogue.bootstrap import create_app
from shared.config import Settings
from shared.events import MemberChanged
from shared.topology import queue_name, subscription
from tests.ingest.proxy import CuttableProxy


async def member_changes(settings: Settings, code: str) -> list[dict[str, object]]:
    """Every ``member.changed`` of ``code`` waiting in ingest's queue, within 20 s."""
    name = queue_name(settings, subscription("ingest", MemberChanged))
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    found: list[dict[str, object]] = []
    async with connection:
        queue = await (await connection.channel()).get_queue(name, ensure=False)
        for _ in range(200):
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                if found:
                    return found
                await asyncio.sleep(0.1)
                continue
            event = json.loads(message.body)
            if event["member"]["code"] == code:
                found.append(event)
    return found


async def test_a_member_saved_while_the_broker_is_cut_is_announced_when_it_is_back(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    proxy = await CuttableProxy().start()
    behind = settings.model_copy(
        update={"amqp_url": SecretStr(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")}
    )
    app = create_app(behind)
    admin = {"Authorization": f"Bearer {settings.admin_key}"}
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://catalogue"
            ) as http,
        ):
            await proxy.cut()
            body = {"code": "vimaru-lib", "name": "Thư viện Đại học Hàng hải"}
            saved = await http.post("/v1/members", json=body, headers=admin)
            assert saved.status_code == 200, saved.text
            assert saved.json()["change"] == "created"
            retried = await http.post("/v1/members", json=body, headers=admin)
            assert retried.json()["change"] is None  # nothing changed: only the outbox knows
            await proxy.restore()
            events = await member_changes(settings, "vimaru-lib")
    finally:
        await proxy.cut()
    assert [(e["change"], e["member"]["version"]) for e in events] == [("created", 1)]  # type: ignore[index]
