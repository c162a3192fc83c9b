"""The link checker inside the running catalogue: started by its lifespan, it checks a
member's website and a submitted record's URL on change, and says so in /metrics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from services.catalogue.adapters.linkcheck_store import LINKS, USES
from services.catalogue.bootstrap import create_app
from shared.config import Settings
from shared.events import RecordsSubmitted, SubmittedItem
from shared.mongo import service_database
from shared.records import RecordIn
from shared.topology import make_broker, publish_event
from tests.catalogue.linkserver import LinkServer, answer

TIMEOUT = 20.0


@pytest.fixture
async def server() -> AsyncIterator[LinkServer]:
    value = await LinkServer(["127.0.0.1", "127.0.0.2"], free_port()).start()
    value.routes["/gone"] = answer(410)
    yield value
    await value.stop()


async def eventually(probe: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        if value := await probe():
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_the_catalogue_checks_a_new_website_and_record_url_and_reports_them(
    settings: Settings, mongo: AsyncMongoClient, server: LinkServer
) -> None:
    fast = settings.model_copy(
        update={
            "linkcheck_allow_private_networks": True,
            "linkcheck_sweep_seconds": 0.2,
            "linkcheck_retry_hours": 0.0001,
        }
    )
    links = service_database(mongo, fast)[LINKS]
    website, page = server.url("127.0.0.1", "/gone"), server.url("127.0.0.2", "/ok")
    app = create_app(fast)
    admin = {"Authorization": f"Bearer {fast.admin_key}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as http,
        make_broker(fast) as broker,
    ):
        member = {"code": "vmu", "name": "ĐH Hàng hải", "type": "university", "website": website}
        assert (await http.post("/v1/members", json=member, headers=admin)).status_code == 200
        dead_page = server.url("127.0.0.2", "/gone")
        items = [
            SubmittedItem(
                index=0,
                local_id="p1",
                record=RecordIn(local_id="p1", kind="website", title="Cổng thông tin", url=page),
            ),
            SubmittedItem(
                index=1,
                local_id="p2",
                record=RecordIn(local_id="p2", kind="website", title="Trang cũ", url=dead_page),
            ),
        ]
        event = RecordsSubmitted(
            submission_id=uuid.uuid4().hex,
            member="vmu",
            batch_no=0,
            batch_count=1,
            submitted_at=datetime.now(UTC),
            items=items,
        )
        await publish_event(broker, fast, event)

        async def state_of(url: str, wanted: str) -> Any:
            return await links.find_one({"_id": url, "state": wanted})

        gone = await eventually(lambda: state_of(website, "broken"), "the website to be broken")
        ok = await eventually(lambda: state_of(page, "ok"), "the record's URL to be checked")
        await eventually(lambda: state_of(dead_page, "broken"), "the dead record URL")
        metrics = (await http.get("/metrics")).text
        inbox = (await http.get("/v1/members/vmu/quality", headers=admin)).json()
    # The quality inbox tells the member: its website first, then the record whose url is dead.
    broken = [p for p in inbox["problems"] if p["code"] == "broken_link"]
    assert [(p["record_id"], p["loc"]) for p in broken] == [
        (None, ["website"]),
        ("vmu:p2", ["url"]),
    ]
    assert inbox["counts"]["broken_link"] == 2 and "Liên kết hỏng" in broken[0]["msg"]
    assert (gone["failures"], gone["last_error"], ok["last_status"]) == (2, "HTTP 410", 200)
    uses = service_database(mongo, fast)[USES]
    assert {doc["_id"]: doc["url"] async for doc in uses.find({})} == {
        "website:vmu": website,
        "record:vmu:p1": page,
        "record:vmu:p2": dead_page,
    }
    assert 'stinet_linkcheck_checks_total{result="failed"}' in metrics
    assert "stinet_linkcheck_broken " in metrics
