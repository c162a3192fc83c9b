"""Helpers of the harvest tests: serve an ASGI app over real HTTP, a fake ``Submit``, auth."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from devstack.processes import free_port
from services.ingest.harvest.config import HarvestSettings
from shared.audit import MongoAuditLog, install_audit
from shared.auth import Authenticator, MongoRevokedKeys, SessionSigner, install_authenticator
from shared.events import SubmittedItem
from shared.records import Source


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


def centre_only(
    app: FastAPI, root_key: str | None, db: AsyncDatabase, signer: SessionSigner | None = None
) -> None:
    """The authenticator ingest's bootstrap would install: the root key (and sessions)."""
    authenticator = Authenticator(
        root_key=root_key,
        signer=signer or SessionSigner(secrets.token_bytes(32)),
        revoked=MongoRevokedKeys(db, "ingest"),
    )
    install_authenticator(app, authenticator)


FAST = HarvestSettings(
    backoff_seconds=0.05,
    max_wait_seconds=2,
    attempts=4,
    tick_seconds=0.2,
    request_timeout_seconds=5,
    lease_seconds=30,
)


@dataclass
class FakeSubmit:
    """Records every call; can be told to fail (as a broker outage would)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    async def __call__(
        self,
        *,
        member: str,
        items: list[SubmittedItem],
        source: Source,
        correlation_id: str | None = None,
    ) -> str:
        if self.fail:
            raise ConnectionError("broker unavailable")
        self.calls.append(
            {"member": member, "items": items, "source": source, "correlation_id": correlation_id}
        )
        return f"sub-{len(self.calls)}"

    @property
    def items(self) -> list[SubmittedItem]:
        return [item for call in self.calls for item in call["items"]]


def as_ingest(
    app: FastAPI, root_key: str | None, db: AsyncDatabase, signer: SessionSigner | None = None
) -> None:
    """What ingest's bootstrap installs for the harvest routes: who calls (the root key and
    sessions signed by ``signer``) and the audit log they record into."""
    centre_only(app, root_key, db, signer)
    install_audit(app, MongoAuditLog(db, "ingest"), "ingest")
