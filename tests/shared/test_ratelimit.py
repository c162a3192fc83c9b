"""shared.ratelimit: windows counted in the store, so a service's replicas share one allowance."""

from __future__ import annotations

import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from shared.auth import (
    AnyCaller,
    Authenticator,
    FailedGuesses,
    MongoRevokedKeys,
    SessionSigner,
    install_authenticator,
)
from shared.config import Settings
from shared.errors import Refusal
from shared.http import install_error_handlers, install_error_responses
from shared.mongo import service_database
from shared.ratelimit import (
    Limit,
    MemoryWindows,
    MongoWindows,
    RateLimit,
    VisitorLimit,
    trusted_addresses,
)

START = 1_800_000_000.0  # a window boundary for every limit below (divisible by 3,600)


def test_limits_are_read_as_ingest_rate_limit_is_written() -> None:
    assert Limit.parse("300/minute") == Limit(300, 60)
    assert Limit.parse("10/second") == Limit(10, 1)
    assert Limit.parse("5 per 10 minutes") == Limit(5, 600)
    assert Limit(5, 60).window(START + 61) == (START + 60, START + 120)
    assert Limit(5, 60).retry_after(START + 59.5) == 1


async def test_two_replicas_on_one_store_share_one_allowance(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    db = service_database(mongo, settings)
    clock = [START + 10]
    replicas = [
        RateLimit("3/minute", MongoWindows(db, "ingest"), clock=lambda: clock[0]) for _ in range(2)
    ]
    await replicas[0].take("key-a")
    await replicas[1].take("key-a")
    await replicas[0].take("key-a")
    with pytest.raises(Refusal) as refused:
        await replicas[1].take("key-a")
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "50"
    assert "3" in refused.value.message_vi and "Retry in 50 seconds" in refused.value.message_en
    await replicas[1].take("key-b")  # another key has its own allowance

    clock[0] = START + 90  # half of the 4 hits (the refused one counts) still weigh
    await replicas[1].take("key-a")
    with pytest.raises(Refusal):
        await replicas[0].take("key-a")
    assert await db["ingest_rate_windows"].count_documents({}) == 3


async def test_a_burst_straddling_a_window_boundary_is_still_one_allowance() -> None:
    clock = [START + 59.9]
    limit = RateLimit("3/minute", MemoryWindows(), clock=lambda: clock[0])
    for _ in range(3):
        await limit.take("key-a")
    clock[0] = START + 60.1  # the next window has begun: the last one still weighs ~all
    with pytest.raises(Refusal):
        await limit.take("key-a")
    assert await limit.exceeded("key-a")
    clock[0] = START + 180
    assert not await limit.exceeded("key-a")


class CountedWindows(MemoryWindows):
    """The memory counter, telling how often a window's count was read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def count(self, key: str, limit: Limit, now: float) -> int:
        self.reads += 1
        return await super().count(key, limit, now)


async def test_an_ended_window_is_read_once_and_still_weighs() -> None:
    clock = [START + 30]
    windows = CountedWindows()
    limit = RateLimit("4/minute", windows, clock=lambda: clock[0])
    for _ in range(4):
        await limit.take("key-a")
    reads = windows.reads
    clock[0] = START + 75  # three quarters of the 4 hits weigh: 3 + this one = 4
    await limit.take("key-a")
    with pytest.raises(Refusal):
        await limit.take("key-a")
    await limit.take("key-b")
    assert windows.reads == reads + 2  # once for key-a's ended window, once for key-b's


async def test_ended_windows_are_deleted(settings: Settings, mongo: AsyncMongoClient) -> None:
    db = service_database(mongo, settings)
    windows = MongoWindows(db, "search")
    limit = Limit(10, 60)
    for key in ("a", "b"):
        await windows.hit(key, limit, START)  # the first hit prunes (nothing yet)
    await windows.hit("a", limit, START + 120)  # over a minute later: the ended ones go
    left = [doc["_id"] async for doc in db["search_rate_windows"].find({})]
    assert left == [f"a|60|{int(START + 120)}"]


async def test_an_unreachable_counter_lets_requests_through() -> None:
    unreachable = AsyncMongoClient(
        f"mongodb://127.0.0.1:{free_port()}/", serverSelectionTimeoutMS=200
    )
    try:
        limit = RateLimit("1/minute", MongoWindows(unreachable["x"], "ingest"))
        await limit.take("key-a")
        await limit.take("key-a")
        assert not await limit.exceeded("key-a")
    finally:
        await unreachable.close()


async def test_the_memory_counter_limits_one_process() -> None:
    clock = [START]
    limit = RateLimit(Limit(2, 1), MemoryWindows(), clock=lambda: clock[0])
    await limit.take("visitor")
    await limit.take("visitor")
    with pytest.raises(Refusal):
        await limit.take("visitor")
    clock[0] += 2
    await limit.take("visitor")


async def test_wrong_credentials_are_counted_across_replicas(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    db = service_database(mongo, settings)
    signer = SessionSigner(b"s" * 64)

    def replica() -> FastAPI:
        app = FastAPI()
        install_error_handlers(app)
        authenticator = Authenticator(
            root_key="root-key", signer=signer, revoked=MongoRevokedKeys(db, "notify")
        )
        install_authenticator(app, authenticator, FailedGuesses(4, MongoWindows(db, "notify")))

        @app.get("/mine")
        async def mine(caller: AnyCaller) -> dict[str, str]:
            return {"key_id": caller.key_id}

        return app

    def client(app: FastAPI) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=app, client=("10.0.0.9", 40000))
        return httpx2.AsyncClient(transport=transport, base_url="http://test")

    wrong = {"Authorization": "Bearer wrong-key"}
    async with client(replica()) as first, client(replica()) as second:
        for http in (first, second, first, second):
            assert (await http.get("/mine", headers=wrong)).status_code == 401
        for http in (first, second):
            refused = await http.get("/mine", headers={"Authorization": "Bearer root-key"})
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) >= 1


def visited_app(limit: str) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_error_responses(app, frozenset({429}))
    limiting = RateLimit(limit, MemoryWindows(), per=("cho mỗi địa chỉ", "per address"))
    unlimited = trusted_addresses("127.0.0.1, *")
    app.add_middleware(VisitorLimit, limit=limiting, unlimited=unlimited)

    @app.get("/v1/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


async def test_visitors_are_limited_per_address_and_the_machine_itself_is_not() -> None:
    app = visited_app("2/minute")

    def visitor(address: str) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=app, client=(address, 40000))
        return httpx2.AsyncClient(transport=transport, base_url="http://test")

    async with visitor("203.0.113.5") as flood, visitor("203.0.113.6") as other:
        for _ in range(2):
            assert (await flood.get("/v1/search?q=cảng")).status_code == 200
        refused = await flood.get("/v1/search?q=cảng", headers={"Accept-Language": "en"})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "per address" in refused.json()["error"]["message"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (await flood.get("/healthz")).status_code == 200  # probes are not counted
        assert (await other.get("/v1/search")).status_code == 200
    async with visitor("127.0.0.1") as local:  # not forwarded: the machine itself
        for _ in range(5):
            assert (await local.get("/v1/search")).status_code == 200

    declared = app.openapi()["paths"]["/v1/search"]["get"]["responses"]
    assert "429" in declared and "Retry-After" in declared["429"].get("headers", {})
