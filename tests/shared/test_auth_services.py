"""Sessions across the four services (docs/operators/README.md §11): revocation reaches every
service, the centre's routes refuse a member's session (every route the OpenAPI marks as the
centre's), CORS admits
the console's origin only."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.catalogue.bootstrap import create_app as catalogue_app
from services.ingest.bootstrap import create_app as ingest_app
from services.notify.bootstrap import create_app as notify_app
from services.search.bootstrap import create_app as search_app
from shared.auth import CENTRE_SCHEME
from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.mongo import service_database
from shared.records import utcnow
from shared.topology import make_broker, publish_event

SERVICES: dict[str, Callable[..., FastAPI]] = {
    "ingest": ingest_app,
    "catalogue": catalogue_app,
    "notify": notify_app,
    "search": search_app,
}
CONSOLE = "http://127.0.0.1:8000"  # the origin of the default STINET_PUBLIC_URL
STRANGER = "https://evil.example"


@dataclass
class Stack:
    settings: Settings
    mongo: AsyncMongoClient
    apps: dict[str, FastAPI]
    clients: dict[str, httpx2.AsyncClient]

    @property
    def root(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.admin_key}"}

    async def register(self, code: str) -> None:
        """Announce a member as the catalogue does; wait until ingest knows it."""
        async with make_broker(self.settings) as broker:
            member = Member(code=code, name=f"Thành viên {code}")
            await publish_event(
                broker, self.settings, MemberChanged(change="created", member=member)
            )
        db = service_database(self.mongo, self.settings)
        await until(lambda: db["ingest_members"].find_one({"_id": code}), what=f"member {code}")

    async def key(self, **body: Any) -> dict[str, Any]:
        response = await self.clients["ingest"].post("/v1/keys", json=body, headers=self.root)
        assert response.status_code == 201, response.text
        return response.json()

    async def session(self, token: str) -> dict[str, str]:
        response = await self.clients["ingest"].post("/v1/sessions", json={"key": token})
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


async def until(check: Callable[[], Any], *, what: str, within: float = 30.0) -> Any:
    """Wait for an asynchronous effect (a consumed event); fail with ``what`` if it never comes."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def stack(settings: Settings, mongo: AsyncMongoClient) -> AsyncIterator[Stack]:
    apps = {name: make(settings) for name, make in SERVICES.items()}
    lifespans = [app.router.lifespan_context(app) for app in apps.values()]
    for lifespan in lifespans:
        await lifespan.__aenter__()
    clients = {
        name: httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=f"http://{name}", timeout=60
        )
        for name, app in apps.items()
    }
    try:
        yield Stack(settings, mongo, apps, clients)
    finally:
        for client in clients.values():
            await client.aclose()
        for lifespan in reversed(lifespans):
            await lifespan.__aexit__(None, None, None)


def centre_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route whose OpenAPI names the centre's security scheme."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            schemes = {name for entry in operation.get("security", []) for name in entry}
            if CENTRE_SCHEME in schemes:
                routes.append((method.upper(), path))
    return routes


def filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "vmu", path)


async def test_every_centre_route_of_every_service_refuses_a_member(stack: Stack) -> None:
    await stack.register("vmu")
    key = await stack.key(label="Nguyễn Văn A", role="member", member="vmu")
    member_session = await stack.session(key["token"])
    member_key = {"Authorization": f"Bearer {key['token']}"}
    found: set[tuple[str, str, str]] = set()
    for name, app in stack.apps.items():
        client = stack.clients[name]
        for method, path in centre_routes(app):
            found.add((name, method, path))
            credentials = [member_session] + ([member_key] if name == "ingest" else [])
            for headers in credentials:
                refused = await client.request(method, filled(path), headers=headers)
                assert refused.status_code == 403, (name, method, path, refused.text)
                assert refused.json()["error"]["code"] == "forbidden"
            anonymous = await client.request(method, filled(path))
            assert anonymous.status_code == 401, (name, method, path, anonymous.text)
            assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    # The enumeration is not empty by accident: it holds what docs/operators/README.md §12 calls
    # centre only.
    assert {
        ("ingest", "POST", "/v1/keys"),
        ("ingest", "DELETE", "/v1/members/{code}/keys/{key_id}"),
        ("ingest", "POST", "/v1/harvest-sources"),
        ("catalogue", "POST", "/v1/members"),
        ("catalogue", "DELETE", "/v1/members/{code}"),
        ("notify", "POST", "/v1/reminders/run"),
        ("search", "POST", "/v1/admin/reindex"),
    } <= found


async def test_a_centre_session_and_the_root_key_work_at_every_service(stack: Stack) -> None:
    centre = await stack.session((await stack.key(label="Trần Thị B", role="centre"))["token"])
    for headers in (centre, stack.root):
        reminders = await stack.clients["notify"].get("/v1/reminders", headers=headers)
        assert reminders.status_code == 200, reminders.text
        progress = await stack.clients["search"].get("/v1/admin/reindex", headers=headers)
        assert progress.status_code == 200, progress.text
    member = {"code": "vmu", "name": "Trường Đại học Hàng hải Việt Nam", "type": "university"}
    registered = await stack.clients["catalogue"].post("/v1/members", json=member, headers=centre)
    assert registered.status_code in (200, 201), registered.text


async def test_a_revoked_keys_session_ends_at_every_service(stack: Stack) -> None:
    key = await stack.key(label="Trần Thị B", role="centre")
    centre = await stack.session(key["token"])
    checks = {
        "catalogue": ("POST", "/v1/members", {"code": "vmu", "name": "VMU", "type": "university"}),
        "notify": ("GET", "/v1/reminders", None),
        "search": ("GET", "/v1/admin/reindex", None),
    }
    for name, (method, path, body) in checks.items():
        before = await stack.clients[name].request(method, path, json=body, headers=centre)
        assert before.status_code in (200, 201), (name, before.text)

    revoked = await stack.clients["ingest"].delete(f"/v1/keys/{key['key_id']}", headers=stack.root)
    assert revoked.status_code == 204
    db = service_database(stack.mongo, stack.settings)
    for name, (method, path, body) in checks.items():

        async def refused(
            name: str = name, method: str = method, path: str = path, body: Any = body
        ) -> bool:
            response = await stack.clients[name].request(method, path, json=body, headers=centre)
            return response.status_code == 401

        await until(refused, what=f"{name} to refuse the revoked key's session")
        after = await stack.clients[name].request(method, path, json=body, headers=centre)
        assert after.json()["error"]["code"] == "session_revoked"
        assert await db[f"{name}_revoked_keys"].find_one({"_id": key["key_id"]})
    announced = await db["ingest_keys"].find_one({"_id": key["key_id"]})
    assert "unannounced" not in announced


async def test_a_revocation_left_unannounced_is_relayed(stack: Stack) -> None:
    """A process that stopped between the revocation and its publish: the relay announces it."""
    key = await stack.key(label="Trần Thị B", role="centre")
    centre = await stack.session(key["token"])
    db = service_database(stack.mongo, stack.settings)
    await db["ingest_keys"].update_one(
        {"_id": key["key_id"]}, {"$set": {"revoked_at": utcnow(), "unannounced": True}}
    )

    async def notify_refuses() -> bool:
        response = await stack.clients["notify"].get("/v1/reminders", headers=centre)
        return response.status_code == 401

    await until(notify_refuses, what="notify to learn the relayed revocation")
    assert await db["catalogue_revoked_keys"].find_one({"_id": key["key_id"]})


@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_console_origin_may_call_with_a_session_and_no_other_may(
    stack: Stack, service: str
) -> None:
    client = stack.clients[service]
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
    }
    allowed = await client.options("/v1/anything", headers={"Origin": CONSOLE, **ask})
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in allowed.headers

    refused = await client.options("/v1/anything", headers={"Origin": STRANGER, **ask})
    assert refused.status_code == 400
    allow_origin = refused.headers.get("Access-Control-Allow-Origin")
    if service == "search":  # the widget's public GETs: any origin, but never credentials
        assert allow_origin == "*"
        assert "authorization" not in refused.headers["Access-Control-Allow-Headers"].lower()
    else:
        assert allow_origin is None

    answered = await client.get("/healthz", headers={"Origin": CONSOLE})
    assert answered.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "retry-after" in answered.headers["Access-Control-Expose-Headers"].lower()
    strange = await client.get("/healthz", headers={"Origin": STRANGER})
    expected = "*" if service == "search" else None  # search: the widget's public GETs
    assert strange.headers.get("Access-Control-Allow-Origin") == expected


async def test_a_suspended_members_sessions_end_at_every_service_and_come_back(
    stack: Stack,
) -> None:
    member = {"code": "hpu", "name": "Trường Đại học Hải Phòng", "type": "university"}
    registered = await stack.clients["catalogue"].post(
        "/v1/members", json=member, headers=stack.root
    )
    assert registered.status_code in (200, 201), registered.text
    db = service_database(stack.mongo, stack.settings)
    await until(lambda: db["ingest_members"].find_one({"_id": "hpu"}), what="ingest to learn hpu")
    await until(lambda: db["notify_members"].find_one({"_id": "hpu"}), what="notify to learn hpu")
    key = await stack.key(label="Lê Văn C", role="member", member="hpu")
    staff = await stack.session(key["token"])
    checks = {
        "ingest": ("GET", "/v1/submissions"),
        "catalogue": ("GET", "/v1/members/hpu/quality"),
        "notify": ("POST", "/v1/members/hpu/attest"),
    }

    async def answers(name: str) -> httpx2.Response:
        method, path = checks[name]
        return await stack.clients[name].request(method, path, headers=staff)

    for name in checks:
        assert (await answers(name)).status_code == 200, (name, (await answers(name)).text)

    suspended = await stack.clients["catalogue"].delete("/v1/members/hpu", headers=stack.root)
    assert suspended.status_code == 200, suspended.text
    for name in checks:

        async def refused(name: str = name) -> bool:
            response = await answers(name)
            return response.status_code == 403 and (
                response.json()["error"]["code"] == "member_suspended"
            )

        await until(refused, what=f"{name} to refuse the suspended member's session")

    active = {**member, "status": "active"}
    restored = await stack.clients["catalogue"].post("/v1/members", json=active, headers=stack.root)
    assert restored.status_code == 200, restored.text
    for name in checks:

        async def served(name: str = name) -> bool:
            return (await answers(name)).status_code == 200

        await until(served, what=f"{name} to serve the member's staff again")
