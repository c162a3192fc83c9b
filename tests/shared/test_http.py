"""The HTTP plumbing every service shares: request ids, metrics, the error envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx2
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from shared.http import (
    ApiError,
    install_error_handlers,
    install_ports,
    install_request_context,
    port,
    ports_of,
)


def plumbed_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_request_context(app, "plumbing-test")

    @app.get("/echo/{word}")
    async def echo(word: str, request: Request) -> dict[str, str]:
        return {"word": word, "request_id": request.state.request_id}

    @app.get("/page")
    async def page(limit: int) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/from-store")
    async def from_store() -> dict[str, int]:
        # A real driver call to a port nothing listens on: the outage every service can meet.
        mongo = AsyncMongoClient(
            f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
            serverSelectionTimeoutMS=200,
        )
        try:
            return {"count": await mongo.stinet.records.count_documents({})}
        finally:
            await mongo.close()

    @app.get("/refuse")
    async def refuse() -> None:
        raise ApiError(409, "Xung đột", "Conflict", details=[{"loc": ["x"], "msg": "taken"}])

    return app


def client() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=plumbed_app()), base_url="http://test"
    )


def requests_counted(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "stinet_http_requests_total",
        {"service": "plumbing-test", "method": "GET", "route": route, "status": status},
    )
    return value or 0.0


async def test_a_callers_request_id_reaches_the_handler_and_comes_back() -> None:
    async with client() as http:
        response = await http.get("/echo/a", headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    assert response.json()["request_id"] == "req-42"


async def test_an_unprintable_request_id_is_replaced() -> None:
    async with client() as http:
        response = await http.get("/echo/a", headers={"X-Request-ID": "x" * 300})
    assert response.headers["X-Request-ID"] != "x" * 300
    assert len(response.headers["X-Request-ID"]) == 32


async def test_requests_are_counted_by_route_template_and_status() -> None:
    before_ok = requests_counted("/echo/{word}", "200")
    before_refused = requests_counted("/refuse", "409")
    async with client() as http:
        await http.get("/echo/one")
        await http.get("/echo/two")
        await http.get("/refuse")
    assert requests_counted("/echo/{word}", "200") == before_ok + 2
    assert requests_counted("/refuse", "409") == before_refused + 1


async def test_errors_use_the_envelope_in_the_callers_language() -> None:
    async with client() as http:
        vietnamese = await http.get("/refuse")
        english = await http.get("/refuse?lang=en")
    assert vietnamese.status_code == 409
    assert vietnamese.json() == {
        "error": {
            "code": "conflict",
            "message": "Xung đột",
            "details": [{"loc": ["x"], "msg": "taken"}],
        }
    }
    assert english.json()["error"]["message"] == "Conflict"


async def test_a_field_error_reads_vietnamese_first_and_english_on_request() -> None:
    async with client() as http:
        missing = await http.get("/page")
        typed = await http.get("/page", params={"limit": "many"})
        english = await http.get("/page", params={"lang": "en"})
    assert missing.status_code == typed.status_code == english.status_code == 422
    [detail] = missing.json()["error"]["details"]
    assert detail["loc"] == ["query", "limit"]
    assert detail["msg"] == "Thiếu trường bắt buộc / Field required"
    assert typed.json()["error"]["details"][0]["msg"].startswith("Phải là số nguyên / ")
    assert english.json()["error"]["details"][0]["msg"] == "Field required"


async def test_a_store_that_does_not_answer_is_a_503_to_retry_not_a_500() -> None:
    async with client() as http:
        response = await http.get("/from-store")
        english = await http.get("/from-store", params={"lang": "en"})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert "Kho dữ liệu tạm thời không sẵn sàng" in response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert english.json()["error"]["message"].startswith("The store is temporarily unavailable")


async def get_json(app: FastAPI, path: str) -> object:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
        return (await http.get(path)).json()


@dataclass(frozen=True)
class Greeting:
    word: str


@dataclass(frozen=True)
class Count:
    n: int


async def test_routes_receive_the_ports_installed_on_their_app_one_per_type() -> None:
    router = APIRouter()

    @router.get("/hello")
    async def hello(
        greeting: Annotated[Greeting, Depends(ports_of(Greeting))],
        n: Annotated[int, Depends(port(Count, lambda count: count.n))],
    ) -> dict[str, object]:
        return {"word": greeting.word, "n": n}

    first, second = FastAPI(), FastAPI()
    for app in (first, second):
        app.include_router(router)
    install_ports(first, Greeting("xin chào"), Count(1))
    install_ports(second, Greeting("hello"))
    install_ports(second, Count(2))  # a second call adds, it does not replace the first

    assert await get_json(first, "/hello") == {"word": "xin chào", "n": 1}
    assert await get_json(second, "/hello") == {"word": "hello", "n": 2}


async def test_a_route_whose_ports_were_never_installed_names_what_is_missing() -> None:
    app = FastAPI()

    @app.get("/needs")
    async def needs(count: Annotated[Count, Depends(ports_of(Count))]) -> int:
        return count.n

    install_ports(app, Greeting("only this"))
    with pytest.raises(RuntimeError, match=r"install_ports\(app, Count"):
        await get_json(app, "/needs")
