"""The catalogue service in-process for its tests: real RabbitMQ, real SecantusDB, its HTTP
API through ASGI, and the queues of its consumers read back."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from services.catalogue.bootstrap import create_app
from shared.config import Settings
from shared.events import (
    RecordsChanged,
    RecordsSubmitted,
    SubmissionProcessed,
    SubmittedItem,
)
from shared.mongo import make_mongo_client
from shared.records import RecordIn
from shared.topology import make_broker, publish_event, queue_name, subscription
from tests.conftest import AMQP_URL, delete_namespace, unique_namespace

TIMEOUT = 20.0


class Outbox:
    """Reads the queues of the catalogue's consumers, keeping every message it has seen."""

    def __init__(self, channel: aio_pika.abc.AbstractChannel, settings: Settings) -> None:
        self.channel = channel
        self.settings = settings
        self.seen: dict[str, list[dict[str, Any]]] = {}

    async def wait_for(
        self, service: str, event: type, match: Callable[[dict[str, Any]], bool], count: int = 1
    ) -> list[dict[str, Any]]:
        name = queue_name(self.settings, subscription(service, event))
        queue = await self.channel.get_queue(name, ensure=False)
        seen = self.seen.setdefault(name, [])
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                seen.append(json.loads(message.body))
                continue
            found = [m for m in seen if match(m)]
            if len(found) >= count or asyncio.get_running_loop().time() > deadline:
                assert len(found) >= count, f"{count} message(s) expected on {name}: {found}"
                return found
            await asyncio.sleep(0.05)


class Catalogue:
    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, outbox: Outbox, broker: Any
    ) -> None:
        self.http = http
        self.settings = settings
        self.outbox = outbox
        self.broker = broker
        self.admin = {"Authorization": f"Bearer {settings.admin_key}"}

    async def add_member(self, code: str, **fields: Any) -> dict[str, Any]:
        body = {"code": code, "name": f"Thành viên {code}", "type": "library", **fields}
        response = await self.http.post("/v1/members", json=body, headers=self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    async def submit(
        self, member: str, *items: SubmittedItem, sid: str | None = None, at: datetime | None = None
    ) -> RecordsSubmitted:
        event = RecordsSubmitted(
            submission_id=sid or uuid.uuid4().hex,
            member=member,
            batch_no=0,
            batch_count=1,
            submitted_at=at or datetime.now(UTC),
            items=list(items),
        )
        await publish_event(self.broker, self.settings, event)
        return event

    async def outcome(self, event: RecordsSubmitted, count: int = 1) -> list[dict[str, Any]]:
        found = await self.outbox.wait_for(
            "ingest",
            SubmissionProcessed,
            lambda m: m["submission_id"] == event.submission_id,
            count,
        )
        return found[count - 1]["outcomes"]

    async def changes_of(self, rid: str, count: int = 1) -> list[dict[str, Any]]:
        messages = await self.outbox.wait_for(
            "search",
            RecordsChanged,
            lambda m: any(c["record"]["id"] == rid for c in m["changes"]),
            count,
        )
        return [c for m in messages for c in m["changes"] if c["record"]["id"] == rid]


def upsert(local_id: str, index: int = 0, **fields: Any) -> SubmittedItem:
    data = {"local_id": local_id, "kind": "publication", "title": f"Tài liệu {local_id}", **fields}
    return SubmittedItem(index=index, local_id=local_id, record=RecordIn(**data))


def code() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
async def service_settings(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    namespace = unique_namespace("cat")
    settings = Settings(
        amqp_url=AMQP_URL,
        mongo_url=mongo_url,
        mongo_embedded=True,  # the shape make run uses
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=tmp_path_factory.mktemp("catalogue"),
        stinet_admin_key="test-admin-" + uuid.uuid4().hex,
        stinet_delivery_limit=3,
    )
    yield settings
    await delete_namespace(settings)
    client = make_mongo_client(settings)
    await client.drop_database(settings.stinet_db)
    await client.close()


@pytest.fixture(scope="module")
async def catalogue(service_settings: Settings) -> AsyncIterator[Catalogue]:
    app = create_app(service_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        connection = await aio_pika.connect(AMQP_URL)
        broker = make_broker(service_settings)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://catalogue") as http,
            connection,
            broker,
        ):
            outbox = Outbox(await connection.channel(), service_settings)
            yield Catalogue(http, service_settings, outbox, broker)


@pytest.fixture(scope="module")
async def db(service_settings: Settings) -> AsyncIterator[Any]:
    client: AsyncMongoClient = make_mongo_client(service_settings)
    yield client[service_settings.stinet_db]
    await client.close()
