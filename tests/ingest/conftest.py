"""Ingest over HTTP (ASGI) against the real RabbitMQ namespace and SecantusDB of each test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from devstack.processes import free_port, port_answers, secantus_process
from services.ingest.bootstrap import create_app
from shared.config import Settings
from shared.events import (
    ItemOutcome,
    Member,
    MemberChanged,
    RecordsSubmitted,
    SubmissionProcessed,
)
from shared.mongo import service_database
from shared.topology import make_broker, publish_event, queue_name, subscription
from tests.conftest import ARTIFACTS


@dataclass
class Ingest:
    """A running ingest app, a client for it, and helpers that speak to the real broker."""

    app: FastAPI
    client: httpx2.AsyncClient
    settings: Settings
    mongo: AsyncMongoClient

    @property
    def db(self) -> AsyncDatabase:
        return service_database(self.mongo, self.settings)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.admin_key}"}

    async def publish(self, event: Any) -> None:
        broker = make_broker(self.settings)
        async with broker:
            await publish_event(broker, self.settings, event)

    async def register(self, code: str, *, change: str = "created", version: int = 1) -> None:
        """Announce a member as the catalogue would, and wait until ingest knows it."""
        member = Member(code=code, name=f"Thành viên {code}", version=version)
        await self.publish(MemberChanged(change=change, member=member))  # type: ignore[arg-type]
        expected = "suspended" if change == "suspended" else "active"
        for _ in range(100):
            doc = await self.db["ingest_members"].find_one({"_id": code})
            if doc and doc["status"] == expected and doc["version"] == version:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"ingest never learnt member {code} ({change})")

    async def key_for(self, code: str) -> dict[str, str]:
        await self.register(code)
        response = await self.client.post(f"/v1/members/{code}/keys", headers=self.admin)
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['key']}"}

    async def submitted(self, *, expect: int, within: float = 5.0) -> list[RecordsSubmitted]:
        """Take ``expect`` messages from the catalogue's queue (what catalogue would receive)."""
        return await take_submitted(self.settings, expect=expect, within=within)

    async def queue_depth(self) -> int:
        name = queue_name(self.settings, subscription("catalogue", RecordsSubmitted))
        connection = await aio_pika.connect(self.settings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return int(queue.declaration_result.message_count or 0)

    async def process(self, event: RecordsSubmitted, outcome: str = "created") -> None:
        """Answer one batch as the catalogue would."""
        await self.publish(
            SubmissionProcessed(
                submission_id=event.submission_id,
                member=event.member,
                batch_no=event.batch_no,
                outcomes=[
                    ItemOutcome(index=i.index, local_id=i.local_id, outcome=outcome, version=1)  # type: ignore[arg-type]
                    for i in event.items
                ],
            )
        )


async def take_submitted(
    settings: Settings, *, expect: int, within: float = 5.0
) -> list[RecordsSubmitted]:
    """Take up to ``expect`` ``records.submitted`` messages from the catalogue's queue."""
    name = queue_name(settings, subscription("catalogue", RecordsSubmitted))
    events: list[RecordsSubmitted] = []
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        deadline = asyncio.get_running_loop().time() + within
        while len(events) < expect and asyncio.get_running_loop().time() < deadline:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            events.append(RecordsSubmitted.model_validate(json.loads(message.body)))
            await message.ack()
    return events


AppFactory = Callable[..., Awaitable[Ingest]]
FAILPOINT_APP = "ingest-failpoint-test"


@pytest.fixture(scope="session")
def failpoint_store_port() -> Iterator[int]:
    """A SecantusDB of its own with mongod's test commands on (``configureFailPoint``): a test
    makes the server answer as it does in a race that one client cannot provoke. The shared
    server keeps them off, as production does."""
    port = free_port()
    process = secantus_process(
        port=port, storage=":memory:", log_path=ARTIFACTS / f"secantus-failpoints-{port}.log"
    )
    process.argv.append("--enable-test-commands")
    process.start()
    try:
        process.wait_until(lambda: port_answers(port), timeout=60)
        yield port
    finally:
        process.stop()


@pytest.fixture
async def failpoint_db(failpoint_store_port: int) -> AsyncIterator[AsyncDatabase]:
    """A database on that server, through a client whose app name failpoints can target."""
    client: AsyncMongoClient = AsyncMongoClient(
        f"mongodb://127.0.0.1:{failpoint_store_port}/?directConnection=true",
        appname=FAILPOINT_APP,
        tz_aware=True,
    )
    yield client["ingest_failpoints"]
    await client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    await client.drop_database("ingest_failpoints")
    await client.close()


@pytest.fixture
async def failpoint_ingest(
    settings: Settings, failpoint_store_port: int, start_ingest: AppFactory
) -> AsyncIterator[Ingest]:
    """Ingest on that server; the test's own client (``Ingest.mongo``) is not the service's,
    so failpoints aimed at the service (app name ``stinet``) leave the test's reads alone."""
    url = f"mongodb://127.0.0.1:{failpoint_store_port}/?directConnection=true"
    # A fresh Settings: model_copy would carry the cached ``mongo_uri`` along.
    used = Settings(**{**settings.model_dump(), "mongo_url": url})
    ingest = await start_ingest(used)
    client: AsyncMongoClient = AsyncMongoClient(url, appname=FAILPOINT_APP, tz_aware=True)
    ingest.mongo = client
    yield ingest
    await client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    await client.drop_database(used.stinet_db)
    await client.close()


async def fail_next(db: AsyncDatabase, command: str, code: int) -> None:
    """The server answers the next ``command`` of this client with error ``code``."""
    await db.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": [command], "errorCode": code, "appName": FAILPOINT_APP},
        }
    )


@pytest.fixture
async def start_ingest(settings: Settings, mongo: AsyncMongoClient) -> AsyncIterator[AppFactory]:
    """Start ingest apps (lifespan run for real) and stop them after the test."""
    stack: list[tuple[Any, httpx2.AsyncClient]] = []

    async def start(app_settings: Settings | None = None, **kwargs: Any) -> Ingest:
        used = app_settings or settings
        app = create_app(used, **kwargs)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://ingest", timeout=60
        )
        stack.append((lifespan, client))
        return Ingest(app=app, client=client, settings=used, mongo=mongo)

    yield start
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def ingest(start_ingest: AppFactory) -> Ingest:
    return await start_ingest()


def record(local_id: str, **fields: Any) -> dict[str, Any]:
    return {"local_id": local_id, "kind": "publication", "title": f"Tài liệu {local_id}", **fields}
