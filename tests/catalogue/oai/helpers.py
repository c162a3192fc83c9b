"""Helpers of the OAI-PMH provider tests: the catalogue's stored records, a bare app."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from services.catalogue.entrypoints import oai
from services.catalogue.entrypoints.dependencies import OaiPorts
from services.catalogue.oai.provider import OaiProvider
from shared.http import install_ports
from shared.records import Record, RecordIn


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
    if isinstance(doc.get("date"), dt.date):  # as the catalogue stores it: BSON has no date
        doc["date"] = doc["date"].isoformat()
    doc["_id"] = doc.pop("id")
    return doc


def plain_app(provider: OaiProvider) -> FastAPI:
    """The OAI-PMH router alone in a bare app, over ``provider``."""
    app = FastAPI()
    app.include_router(oai.router)
    install_ports(app, OaiPorts(provider=provider))
    return app
