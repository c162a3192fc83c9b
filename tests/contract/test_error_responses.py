"""The shared mechanism: each route's OpenAPI declares the errors it can answer, with the
envelope as their schema, and a 405 names every method the path answers."""

from __future__ import annotations

from typing import Annotated, Any

import httpx2
from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from shared.http import install_error_handlers, install_error_responses

ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
bearer = HTTPBearer(auto_error=False)


class Thing(BaseModel):
    name: str


def app_with_routes() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_error_responses(app)

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {}

    @app.get("/things/{name}")
    async def read(name: str) -> dict[str, str]:
        return {"name": name}

    @app.delete("/things/{name}", responses={409: {"description": "in use"}})
    async def delete(
        name: str, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> None:
        return None

    @app.post("/things", status_code=201)
    async def create(thing: Thing) -> Thing:
        return thing

    return app


def declared(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    return app.openapi()["paths"][path][method]["responses"]


def test_what_a_route_is_says_which_errors_it_declares() -> None:
    app = app_with_routes()
    assert set(declared(app, "get", "/open")) == {"200", "503"}
    assert set(declared(app, "get", "/things/{name}")) == {"200", "404", "422", "503"}
    assert set(declared(app, "delete", "/things/{name}")) == {
        "200", "401", "403", "404", "409", "422", "429", "503"
    }  # fmt: skip
    assert set(declared(app, "post", "/things")) == {"201", "400", "413", "415", "422", "503"}


def test_every_declared_error_has_the_envelope_as_its_schema() -> None:
    app = app_with_routes()
    schema = app.openapi()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == ENVELOPE, (status, response)
    assert declared(app, "delete", "/things/{name}")["409"]["description"] == "in use"
    assert "Retry-After" in declared(app, "get", "/open")["503"]["headers"]
    components = schema["components"]["schemas"]
    assert components["ErrorEnvelope"]["required"] == ["error"]
    assert "HTTPValidationError" not in components


async def test_a_405_names_every_method_of_the_path() -> None:
    transport = httpx2.ASGITransport(app=app_with_routes())
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.put("/things/x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET"
    assert response.json()["error"]["code"] == "method_not_allowed"
