"""Helpers of the OAI tests: serve an ASGI app over real HTTP, fill the catalogue's collection."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from devstack.processes import free_port
from shared.records import Record, RecordIn


@contextlib.asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in this event loop; yield its URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def catalogue_doc(
    member: str,
    record: RecordIn,
    *,
    updated_at: datetime,
    status: str = "active",
    version: int = 1,
) -> dict[str, Any]:
    """A ``catalogue_records`` document as the catalogue stores it (agreed shape)."""
    full = Record(
        **record.model_dump(),
        id=f"{member}:{record.local_id}",
        member=member,
        version=version,
        status=status,
        created_at=updated_at,
        updated_at=updated_at,
        source="api",
        content_hash="h-" + record.local_id,
    )
    doc = full.model_dump(mode="python")
    if isinstance(doc.get("date"), dt.date):  # BSON has no date type: midnight UTC
        day = doc["date"]
        doc["date"] = datetime(day.year, day.month, day.day, tzinfo=UTC)
    doc["_id"] = doc.pop("id")
    return doc


def plain_app(router: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app
