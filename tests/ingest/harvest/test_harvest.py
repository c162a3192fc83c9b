"""The harvester against a local DSpace-shaped OAI-PMH endpoint over real HTTP.

Sources and runs live in a real SecantusDB; ``submit`` is a fake that records what it was
given (ingest's real submit publishes ``records.submitted``; it is wired by ingest).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from services.ingest.adapters.harvest_store import MongoHarvestStore
from services.ingest.adapters.oai_client import harvest_transport
from services.ingest.bootstrap import HarvestComponent, build_harvest
from services.ingest.entrypoints import harvest as harvest_routes
from services.ingest.harvest.config import HarvestSettings
from shared.auth import session_signer
from shared.config import Settings
from shared.events import Operation
from shared.http import install_error_handlers, install_ports
from shared.mongo import service_database
from shared.netguard import RefusedUrl, retry_after_seconds
from shared.records import Source
from tests.ingest.harvest.dspace import HOST, DSpace, Faults, Item, now_stamp
from tests.ingest.harvest.helpers import FAST, FakeSubmit, as_ingest, serve_app


@dataclass
class Env:
    api: httpx2.AsyncClient
    submit: FakeSubmit
    component: HarvestComponent
    admin: dict[str, str]
    db: Any


def _items(count: int, start: int = 1) -> list[Item]:
    return [Item(n=n, datestamp=f"2024-01-{n:02d}T10:00:00Z") for n in range(start, start + count)]


@pytest.fixture
async def dspace() -> AsyncIterator[tuple[DSpace, str]]:
    server = DSpace(items=_items(8))
    server.items[4].deleted = True  # n=5 withdrawn
    server.items[6].title = None  # n=7 has no title: reported and skipped
    server.items[1].dc_type = "Dataset"
    server.items[2].language = "eng"
    server.items[2].extra_identifiers = ["https://doi.org/10.1234/hpu.3", "ISSN 1859-3461"]
    async with serve_app(server.app()) as url:
        yield server, f"{url}/server/oai/request"


async def _env(
    settings: Settings,
    mongo: AsyncMongoClient,
    *,
    config: HarvestSettings = FAST,
    private: bool = True,
) -> Env:
    settings = settings.model_copy(update={"harvest_allow_private_networks": private})
    db = service_database(mongo, settings)
    submit = FakeSubmit()
    component = build_harvest(
        settings=settings,
        store=MongoHarvestStore(db),
        submit=submit,
        harvest_settings=config,
    )
    app = FastAPI()
    install_error_handlers(app)
    as_ingest(app, settings.admin_key, db, session_signer(settings))
    app.include_router(harvest_routes.router)
    install_ports(app, component.routes)
    api = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://ingest")
    return Env(api, submit, component, {"Authorization": f"Bearer {settings.admin_key}"}, db)


@pytest.fixture
async def env(settings: Settings, mongo: AsyncMongoClient) -> AsyncIterator[Env]:
    value = await _env(settings, mongo)
    yield value
    await value.component.stop()
    await value.api.aclose()


async def _register(env: Env, base_url: str, **extra: Any) -> dict[str, Any]:
    body = {"member": "hpu", "base_url": base_url, "schedule": "manual", **extra}
    response = await env.api.post("/v1/harvest-sources", json=body, headers=env.admin)
    assert response.status_code == 201, response.text
    return response.json()


async def _run(env: Env, source_id: str) -> dict[str, Any]:
    response = await env.api.post(
        f"/v1/harvest-sources/{source_id}/run", params={"wait": "true"}, headers=env.admin
    )
    assert response.status_code == 202, response.text
    detail = await env.api.get(f"/v1/harvest-sources/{source_id}", headers=env.admin)
    return detail.json()


async def test_the_centre_key_is_required(env: Env) -> None:
    response = await env.api.get("/v1/harvest-sources")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_a_full_harvest_maps_pages_withdraws_deletions_and_skips_bad_records(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.faults = Faults(unavailable={1: 1}, broken={2: 1}, retry_after="1")
    source = await _register(env, url)
    assert source["state"] == "idle" and source["metadata_prefix"] == "oai_dc"

    detail = await _run(env, source["id"])

    assert detail["state"] == "ok", detail
    assert detail["last_error"] is None
    run = detail["runs"][0]
    assert run["state"] == "succeeded"
    assert run["counts"] == {
        "pages": 3, "records": 8, "upserts": 6, "withdrawals": 1, "skipped": 1, "submissions": 3,
    }  # fmt: skip
    assert run["problems"][0]["identifier"] == f"oai:{HOST}:123456789/7"
    assert run["problems"][0]["errors"][0]["loc"] == ["title"]
    verbs = [r.get("verb") for r in server.requests]
    assert verbs[:2] == ["Identify", "ListMetadataFormats"]
    tokens = [r.get("resumptionToken") for r in server.requests if r.get("resumptionToken")]
    assert tokens == ["oai_dc////3", "oai_dc////3", "oai_dc////6", "oai_dc////6"]  # 503, broken
    assert "from" not in server.requests[2]  # the first run is a full harvest

    # Every page went whole into one submission; ids follow the OAI identifier.
    assert [len(c["items"]) for c in env.submit.calls] == [3, 3, 1]
    assert all(c["member"] == "hpu" and c["source"] is Source.OAI for c in env.submit.calls)
    by_id = {item.local_id: item for item in env.submit.items}
    withdrawn = by_id[f"oai:{HOST}:123456789/5"]
    assert withdrawn.op is Operation.WITHDRAW and withdrawn.record is None
    first = by_id[f"oai:{HOST}:123456789/1"].record
    assert first.title == "Nghiên cứu số 1"
    assert first.kind == "publication" and first.year == 2019 and first.language == "vi"
    assert first.url == f"http://{HOST}/handle/123456789/1"
    assert first.creators == ["Nguyễn Văn An"] and first.publisher == "Trường Đại học Hải Phòng"
    assert by_id[f"oai:{HOST}:123456789/2"].record.kind == "database"
    third = by_id[f"oai:{HOST}:123456789/3"].record
    assert third.language == "en"
    assert third.identifiers == {"doi": "10.1234/hpu.3", "issn": "1859-3461"}
    assert [i.index for i in env.submit.calls[0]["items"]] == [0, 1, 2]


async def test_the_next_run_is_incremental_from_the_last_successful_datestamp(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    source = await _register(env, url)
    first = await _run(env, source["id"])
    assert first["state"] == "ok"
    harvested_until = first["harvested_until"]
    assert harvested_until is not None
    server.items.append(Item(n=40, datestamp=now_stamp()))  # changed after the first run
    before = len(env.submit.calls)
    server.requests.clear()

    second = await _run(env, source["id"])

    listing = next(r for r in server.requests if r.get("verb") == "ListRecords")
    overlap = timedelta(seconds=FAST.from_overlap_seconds)  # late commits are not missed
    expected_from = (datetime.fromisoformat(harvested_until) - overlap).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert listing["from"] == expected_from
    new = [i.local_id for c in env.submit.calls[before:] for i in c["items"]]
    assert new == [f"oai:{HOST}:123456789/40"]
    assert second["runs"][0]["from"] == expected_from
    assert second["totals"]["upserts"] == 7


async def test_an_error_page_fails_the_run_and_stays_shown_until_a_later_success(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.faults = Faults(oai_error={2: "badResumptionToken"})
    source = await _register(env, url)

    failed = await _run(env, source["id"])

    assert failed["state"] == "failed"
    assert failed["last_error"].startswith("Kho trả lỗi OAI-PMH badResumptionToken")
    assert failed["last_error_text"]["en"].startswith("badResumptionToken")
    assert failed["runs"][0]["error_text"] == failed["last_error_text"]
    assert failed["harvested_until"] is None  # the cursor does not move
    assert failed["runs"][0]["counts"]["pages"] == 2  # whole pages only, none half-applied
    assert [len(c["items"]) for c in env.submit.calls] == [3, 3]
    listed = (await env.api.get("/v1/harvest-sources", headers=env.admin)).json()["sources"]
    assert listed[0]["last_error"] == failed["last_error"]

    server.faults = Faults()
    healed = await _run(env, source["id"])
    assert healed["state"] == "ok" and healed["last_error"] is None
    assert healed["harvested_until"] is not None
    assert [r["state"] for r in healed["runs"]] == ["succeeded", "failed"]


async def test_a_broker_outage_fails_the_run_without_moving_the_cursor(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    source = await _register(env, url)
    env.submit.fail = True
    failed = await _run(env, source["id"])
    assert failed["state"] == "failed" and "broker unavailable" in failed["last_error"]
    assert failed["harvested_until"] is None


async def test_marcxml_is_harvested_where_offered(env: Env, dspace: tuple[DSpace, str]) -> None:
    _, url = dspace
    source = await _register(env, url, metadata_prefix="marcxml")
    detail = await _run(env, source["id"])
    assert detail["state"] == "ok", detail
    record = next(i.record for i in env.submit.items if i.local_id.endswith("/1"))
    assert record.title == "Nghiên cứu số 1 giáo trình"
    assert record.creators == ["Nguyễn Văn An"]
    assert record.publisher == "NXB Hàng hải"
    assert record.year == 2019 and record.language == "vi"
    assert record.identifiers == {"isbn": "9786040000017"}
    assert record.url == f"http://{HOST}/handle/123456789/1"


async def test_a_format_the_repository_does_not_offer_fails_clearly(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.formats = ("oai_dc",)
    source = await _register(env, url, metadata_prefix="marc21")
    detail = await _run(env, source["id"])
    assert detail["state"] == "failed"
    assert "cannotDisseminateFormat" in detail["last_error"]


async def test_a_run_that_exceeds_its_timeout_fails_and_frees_the_source(
    settings: Settings, mongo: AsyncMongoClient, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.faults = Faults(slow_seconds=3)
    # The second call must find the first run still holding the lease: on a loaded machine the
    # first call's own writes (the run, its audit entry) can take a good part of a second.
    env = await _env(settings, mongo, config=FAST.model_copy(update={"run_timeout_seconds": 1.5}))
    try:
        source = await _register(env, url)
        response = await env.api.post(f"/v1/harvest-sources/{source['id']}/run", headers=env.admin)
        assert response.status_code == 202
        busy = await env.api.post(f"/v1/harvest-sources/{source['id']}/run", headers=env.admin)
        assert busy.status_code == 409  # the lease: one run of a source at a time
        for _ in range(100):
            detail = (
                await env.api.get(f"/v1/harvest-sources/{source['id']}", headers=env.admin)
            ).json()
            if not detail["running"]:
                break
            await asyncio.sleep(0.05)
        assert detail["state"] == "failed"
        assert detail["last_error"].startswith("Quá thời gian cho phép")
        assert detail["last_error_text"]["en"].startswith("timed out")
        assert detail["runs"][0]["state"] == "failed"
    finally:
        await env.component.stop()
        await env.api.aclose()


async def test_a_run_whose_process_died_is_marked_failed(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    source = await _register(env, url)
    past = datetime.now(UTC) - timedelta(minutes=5)
    await env.db["ingest_harvest_sources"].update_one(
        {"_id": source["id"]},
        {
            "$set": {
                "state": "running",
                "lease_owner": "dead",
                "lease_until": past,
                "current_run_id": "r-dead",
            }
        },
    )
    await env.db["ingest_harvest_runs"].insert_one(
        {"_id": "r-dead", "source_id": source["id"], "member": "hpu", "state": "running",
         "started_at": past, "lease_until": past, "counts": {}, "problems": []}
    )  # fmt: skip
    detail = (await env.api.get(f"/v1/harvest-sources/{source['id']}", headers=env.admin)).json()
    assert detail["state"] == "failed" and not detail["running"]
    assert "ngừng báo cáo" in detail["last_error"]
    assert "stopped reporting" in detail["last_error_text"]["en"]
    assert detail["runs"][0]["state"] == "failed"
    again = await _run(env, source["id"])  # the lease is free again
    assert again["state"] == "ok" and again["last_error"] is None


async def test_the_schedule_loop_harvests_due_sources(env: Env, dspace: tuple[DSpace, str]) -> None:
    _, url = dspace
    source = await _register(env, url, schedule="every 6h")
    assert source["next_run_at"] is not None
    await env.component.start()
    for _ in range(200):
        detail = (
            await env.api.get(f"/v1/harvest-sources/{source['id']}", headers=env.admin)
        ).json()
        if detail["state"] == "ok":
            break
        await asyncio.sleep(0.05)
    assert detail["state"] == "ok", detail
    next_at = datetime.fromisoformat(detail["next_run_at"])
    assert next_at - datetime.fromisoformat(detail["last_success_at"]) == timedelta(hours=6)


async def test_private_and_loopback_urls_are_refused_by_default(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    env = await _env(settings, mongo, private=False)
    try:
        for url in (
            "http://127.0.0.1:8080/oai",
            "http://localhost/oai",
            "http://10.1.2.3/oai",
            "http://169.254.169.254/latest",
            "http://[::1]/oai",
        ):
            response = await env.api.post(
                "/v1/harvest-sources", json={"member": "hpu", "base_url": url}, headers=env.admin
            )
            assert response.status_code == 422, url
            assert response.json()["error"]["details"][0]["loc"] == ["body", "base_url"]
    finally:
        await env.api.aclose()


async def test_bad_sources_are_refused_with_field_errors(env: Env) -> None:
    bad = {
        "member": "Not A Code",
        "base_url": "ftp://example.org/oai",
        "metadata_prefix": "mods",
        "schedule": "every 1m",
        "surprise": 1,
    }
    response = await env.api.post("/v1/harvest-sources", json=bad, headers=env.admin)
    assert response.status_code == 422
    locs = {tuple(d["loc"]) for d in response.json()["error"]["details"]}
    assert {("body", "member"), ("body", "base_url"), ("body", "metadata_prefix")} <= locs
    assert {("body", "schedule"), ("body", "surprise")} <= locs
    missing = await env.api.post("/v1/harvest-sources/nope/run", headers=env.admin)
    assert missing.status_code == 404


async def test_the_same_source_cannot_be_registered_twice(env: Env) -> None:
    body = {"member": "hpu", "base_url": "http://127.0.0.1:9/oai"}
    first = await env.api.post("/v1/harvest-sources", json=body, headers=env.admin)
    again = await env.api.post("/v1/harvest-sources", json=body, headers=env.admin)
    assert (first.status_code, again.status_code) == (201, 409)


async def test_network_errors_are_retried_then_fail_the_run(env: Env) -> None:
    port = free_port()  # nobody listens there
    source = await _register(env, f"http://127.0.0.1:{port}/oai")
    detail = await _run(env, source["id"])
    assert detail["state"] == "failed"
    assert detail["last_error"].startswith("Lỗi mạng khi gọi kho")
    assert detail["last_error_text"]["en"].startswith("network error")


async def test_two_replicas_never_harvest_the_same_source_at_once(
    settings: Settings, mongo: AsyncMongoClient, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.faults = Faults(slow_seconds=0.5)
    slow = FAST.model_copy(update={"tick_seconds": 0.05})
    first = await _env(settings, mongo, config=slow)
    second = await _env(settings, mongo, config=slow)  # same database: another ingest replica
    try:
        source = await _register(first, url, schedule="every 6h")
        await first.component.start()
        await second.component.start()
        for _ in range(200):
            detail = (
                await first.api.get(f"/v1/harvest-sources/{source['id']}", headers=first.admin)
            ).json()
            if detail["state"] == "ok":
                break
            await asyncio.sleep(0.05)
        assert detail["state"] == "ok", detail
        assert len(detail["runs"]) == 1
        assert len(first.submit.calls) + len(second.submit.calls) == 3  # one harvest, 3 pages
    finally:
        for env in (first, second):
            await env.component.stop()
            await env.api.aclose()


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds(later) or 0) <= 31
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


async def test_the_harvesters_connections_go_only_to_public_addresses() -> None:
    """The guard holds at the connection, not only in the check before a request: the
    address a host resolves to when the socket opens is the one checked (no DNS rebinding
    between the two). A local server stands in for a host that turned private."""
    app = FastAPI()

    @app.get("/oai")
    async def oai() -> dict[str, str]:
        return {"ok": "yes"}

    async with serve_app(app) as url:
        for host in ("127.0.0.1", "localhost"):
            target = url.replace("127.0.0.1", host) + "/oai"
            guarded = httpx2.AsyncClient(transport=harvest_transport(allow_private=False))
            async with guarded:
                with pytest.raises(RefusedUrl):
                    await guarded.get(target)
        allowed = httpx2.AsyncClient(transport=harvest_transport(allow_private=True))
        async with allowed:
            assert (await allowed.get(f"{url}/oai")).json() == {"ok": "yes"}
