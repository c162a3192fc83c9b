"""Round trip: our harvester harvesting our own provider yields the same records.

The provider router is mounted over a ``catalogue_records`` collection and served over real
HTTP; the harvester (built as ingest builds it) harvests it into a fake ``submit``.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.catalogue.adapters.oai_store import MongoOaiRecords
from services.catalogue.bootstrap import oai_provider
from services.catalogue.oai.config import OaiSettings
from services.ingest.adapters.harvest_store import MongoHarvestStore
from services.ingest.bootstrap import build_harvest
from services.ingest.entrypoints import harvest as harvest_routes
from shared.config import Settings
from shared.events import Operation
from shared.http import install_error_handlers, install_ports
from shared.mongo import service_database
from shared.records import RecordIn
from tests.catalogue.oai.helpers import catalogue_doc, plain_app
from tests.ingest.harvest.helpers import FAST, FakeSubmit, as_ingest, serve_app

DOMAIN = "round-trip.stinet.vn"
FIELDS = (
    "kind", "title", "description", "creators", "subjects", "publisher", "language", "year",
    "date", "url", "identifiers", "access", "starts_at", "ends_at", "location",
)  # fmt: skip


def originals() -> list[tuple[str, RecordIn, str]]:
    kinds = ["database", "publication", "website", "service", "training"]
    out = []
    for n in range(23):
        date = dt.date(2010 + n % 10, 1 + n % 12, 1 + n % 27) if n % 3 == 0 else None
        record = RecordIn(
            local_id=f"RT/{n}",
            kind=kinds[n % 5],
            title=f"Cơ sở dữ liệu Thủy sản {n} — “Đồ Sơn” & <biển>",
            description=f"Mô tả {n}\nnhiều dòng" if n % 2 else None,
            creators=[f"Tác giả {n}", "Phạm Thị Đào"][: 1 + n % 2],
            subjects=["Thủy sản", "Biển Đông"][: n % 3],
            publisher="Viện Nghiên cứu Hải sản" if n % 4 else None,
            language=["vi", "en", "fr"][n % 3],
            year=date.year if date else (1990 + n if n % 2 else None),
            date=date,
            url=f"https://csdl.example.vn/r/{n}" if n % 5 else None,
            identifiers={"doi": f"10.7777/rt.{n}", "isbn": "978-604-77-0000-1", "issn": "1859-0000"}
            if n % 4 == 1
            else {},
            access=["open", "restricted", "onsite", None][n % 4],
            **(_training(n) if kinds[n % 5] == "training" else {}),
        )
        out.append(
            ("vimaru" if n % 2 else "hpu", record, "withdrawn" if n in (5, 17) else "active")
        )
    return out


def _training(n: int) -> dict[str, Any]:
    """When and where a training is: both ends, only its start, or only its place."""
    start = datetime(2026, 12, 1 + n % 20, 1, 30, tzinfo=UTC)
    end = start + timedelta(days=2, hours=8) if n % 3 else None
    where = f"Hội trường {n}, 484 Lạch Tray, Hải Phòng" if n != 19 else None
    return {"starts_at": start if n != 14 else None, "ends_at": end, "location": where}


def _fields(record: RecordIn) -> dict[str, Any]:
    data = record.model_dump()
    return {name: data[name] for name in FIELDS}


async def test_harvesting_our_own_provider_yields_the_same_records(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    settings = settings.model_copy(update={"harvest_allow_private_networks": True})
    db = service_database(mongo, settings)
    t0 = datetime.now(UTC) - timedelta(days=1)
    source = originals()
    await db["catalogue_records"].insert_many(
        [
            catalogue_doc(member, record, updated_at=t0 + timedelta(seconds=n), status=status)
            for n, (member, record, status) in enumerate(source)
        ]
    )
    oai = OaiSettings(repository_domain=DOMAIN, page_size=5)
    provider = oai_provider(settings, MongoOaiRecords(db), oai)
    submit = FakeSubmit()
    harvest = build_harvest(
        settings=settings,
        store=MongoHarvestStore(db),
        submit=submit,
        harvest_settings=FAST,
    )
    app = FastAPI()
    install_error_handlers(app)
    as_ingest(app, settings.admin_key, db)
    app.include_router(harvest_routes.router)
    install_ports(app, harvest.routes)
    admin = {"Authorization": f"Bearer {settings.admin_key}"}
    async with (
        serve_app(plain_app(provider)) as provider_url,
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://i") as api,
    ):
        created = await api.post(
            "/v1/harvest-sources",
            json={"member": "mirror", "base_url": f"{provider_url}/oai", "schedule": "manual"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        source_id = created.json()["id"]
        ran = await api.post(f"/v1/harvest-sources/{source_id}/run?wait=true", headers=admin)
        assert ran.json()["source"]["state"] == "ok", ran.text
        await harvest.stop()

    harvested = {item.local_id: item for item in submit.items}
    assert len(harvested) == len(source)
    for member, record, status in source:
        item = harvested[f"oai:{DOMAIN}:{member}:{record.local_id}"]
        if status == "withdrawn":
            assert item.op is Operation.WITHDRAW and item.record is None
            continue
        assert item.op is Operation.UPSERT
        assert _fields(item.record) == _fields(record), record.local_id
    run = ran.json()["source"]["last_run"]
    assert run["counts"]["skipped"] == 0 and run["counts"]["pages"] == 5
