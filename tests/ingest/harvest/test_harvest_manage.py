"""Changing, pausing and removing harvest sources; bilingual run errors; store outage → 503."""

# The fixtures env and dspace (tests.ingest.harvest.test_harvest) are imported; start_ingest
# comes from tests/ingest/conftest.py.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.ingest.entrypoints.harvest import source_view
from services.ingest.harvest.domain import error_texts
from services.ingest.harvest.runner import Harvester
from services.ingest.ports import SameTarget
from shared.config import Settings
from tests.ingest.conftest import AppFactory
from tests.ingest.harvest.dspace import DSpace, Faults
from tests.ingest.harvest.test_harvest import Env, _env, _register, _run, dspace, env  # noqa: F401
from tests.ingest.proxy import CuttableProxy
from tests.sessions import session_for

SOURCES = "/v1/harvest-sources"


async def _patch(env: Env, source_id: str, body: dict[str, Any], **params: str) -> Any:
    return await env.api.patch(
        f"{SOURCES}/{source_id}", json=body, params=params, headers=env.admin
    )


async def test_patch_changes_schedule_name_and_target_and_the_cursor_starts_over(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    source = await _register(env, url)
    first = await _run(env, source["id"])
    assert first["state"] == "ok" and first["harvested_until"] is not None

    renamed = await _patch(env, source["id"], {"name": "Kho ĐH Hải Phòng", "schedule": "weekly"})
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert body["name"] == "Kho ĐH Hải Phòng" and body["schedule"] == "weekly"
    assert body["harvested_until"] == first["harvested_until"]  # same target: cursor kept
    finished = datetime.fromisoformat(first["last_run"]["finished_at"])
    assert datetime.fromisoformat(body["next_run_at"]) - finished == (
        datetime.fromisoformat("2024-01-08") - datetime.fromisoformat("2024-01-01")
    )

    moved = await _patch(env, source["id"], {"set": "col_123456789_2", "metadataPrefix": "marcxml"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["set"] == "col_123456789_2" and moved.json()["metadata_prefix"] == "marcxml"
    assert moved.json()["harvested_until"] is None  # a new target is harvested in full
    assert moved.json()["id"] == source["id"]

    server.requests.clear()
    again = await _run(env, source["id"])
    assert again["state"] == "ok", again
    [listing] = [r for r in server.requests if r.get("verb") == "ListRecords"][:1]
    assert listing["set"] == "col_123456789_2" and listing["metadataPrefix"] == "marcxml"
    assert "from" not in listing

    cleared = await _patch(env, source["id"], {"set": None, "schedule": "manual"})
    assert cleared.json()["set"] is None and cleared.json()["next_run_at"] is None


async def test_a_paused_source_is_not_harvested_until_enabled_again(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    source = await _register(env, url, schedule="every 6h")  # due at once
    paused = await _patch(env, source["id"], {"enabled": False})
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    assert await _tick(env) == []
    refused = await env.api.post(f"{SOURCES}/{source['id']}/run", headers=env.admin)
    assert refused.status_code == 409
    assert "tạm dừng" in refused.json()["error"]["message"]
    assert env.submit.calls == []

    resumed = await _patch(env, source["id"], {"enabled": True})
    assert resumed.json()["enabled"] is True
    started = await _tick(env)
    assert len(started) == 1
    for _ in range(200):
        detail = (await env.api.get(f"{SOURCES}/{source['id']}", headers=env.admin)).json()
        if detail["state"] == "ok":
            break
        await asyncio.sleep(0.05)
    assert detail["state"] == "ok" and env.submit.calls


async def _tick(env: Env) -> list[str]:
    """One step of the schedule loop (what ``start()`` repeats every ``tick_seconds``)."""
    return await _harvester_of(env).tick()


def _harvester_of(env: Env) -> Harvester:
    return env.component.harvester


async def test_bad_patches_are_refused_with_field_errors(
    settings: Settings, mongo: AsyncMongoClient, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    env = await _env(settings, mongo)
    strict = await _env(settings, mongo, private=False)  # same database, SSRF rule on
    try:
        source = await _register(env, url)
        cases: list[tuple[dict[str, Any], list[str]]] = [
            ({"member": "vmu"}, ["body", "member"]),
            ({"schedule": "every 1m"}, ["body", "schedule"]),
            ({"base_url": None}, ["body", "base_url"]),
            ({"metadataPrefix": "mods"}, ["body", "metadataPrefix"]),
            ({"enabled": "maybe"}, ["body", "enabled"]),
        ]
        for body, loc in cases:
            response = await _patch(env, source["id"], body)
            assert response.status_code == 422, body
            assert [d["loc"] for d in response.json()["error"]["details"]] == [loc], body
        empty = await _patch(env, source["id"], {})
        assert empty.status_code == 422
        for private in ("http://127.0.0.1:8080/oai", "http://10.0.0.1/oai"):
            response = await _patch(strict, source["id"], {"base_url": private})
            assert response.status_code == 422, private
            assert response.json()["error"]["details"][0]["loc"] == ["body", "base_url"]
        assert (await _patch(env, "nope", {"name": "x"})).status_code == 404
        unchanged = (await env.api.get(f"{SOURCES}/{source['id']}", headers=env.admin)).json()
        assert unchanged["base_url"] == url and unchanged["schedule"] == "manual"
    finally:
        await env.api.aclose()
        await strict.api.aclose()


async def test_a_patch_onto_another_sources_target_is_a_conflict(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    one = await _register(env, url)
    two = await _register(env, url, set="col_123456789_2")
    response = await _patch(env, two["id"], {"set": None})
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"id": one["id"]}
    moved = await _patch(env, one["id"], {"set": "com_123456789_1"})
    assert moved.status_code == 200
    again = await env.api.post(  # the old target is free again, the new one taken
        SOURCES,
        json={"member": "hpu", "base_url": url, "set": "com_123456789_1"},
        headers=env.admin,
    )
    assert again.status_code == 409 and again.json()["error"]["details"] == {"id": one["id"]}


async def test_changes_and_removal_wait_for_a_running_harvest_but_pausing_does_not(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.faults = Faults(slow_seconds=1.5)
    source = await _register(env, url)
    started = await env.api.post(f"{SOURCES}/{source['id']}/run", headers=env.admin)
    assert started.status_code == 202
    busy_patch = await _patch(env, source["id"], {"schedule": "daily"})
    busy_delete = await env.api.delete(f"{SOURCES}/{source['id']}", headers=env.admin)
    assert busy_patch.status_code == 409 and busy_delete.status_code == 409
    assert busy_delete.json()["error"]["details"]["running"] is True
    paused = await _patch(env, source["id"], {"enabled": False})
    assert paused.status_code == 200 and paused.json()["running"] is True
    await _harvester_of(env).wait(started.json()["run_id"])
    detail = (await env.api.get(f"{SOURCES}/{source['id']}", headers=env.admin)).json()
    assert detail["state"] == "ok" and detail["enabled"] is False and detail["schedule"] == "manual"


async def test_delete_removes_the_source_and_its_runs(env: Env, dspace: tuple[DSpace, str]) -> None:
    _, url = dspace
    source = await _register(env, url)
    await _run(env, source["id"])
    assert await env.db["ingest_harvest_runs"].count_documents({"source_id": source["id"]}) == 1
    deleted = await env.api.delete(f"{SOURCES}/{source['id']}", headers=env.admin)
    assert deleted.status_code == 204
    assert (await env.api.get(f"{SOURCES}/{source['id']}", headers=env.admin)).status_code == 404
    assert await env.db["ingest_harvest_runs"].count_documents({"source_id": source["id"]}) == 0
    assert (await env.api.delete(f"{SOURCES}/{source['id']}", headers=env.admin)).status_code == 404
    assert (await env.api.delete(f"{SOURCES}/x")).status_code == 401  # centre key only
    again = await _register(env, url)  # the same endpoint can be registered anew
    assert again["id"] == source["id"] and again["state"] == "idle"


async def test_run_errors_are_stored_in_vietnamese_and_english(
    env: Env, dspace: tuple[DSpace, str]
) -> None:
    server, url = dspace
    server.formats = ("oai_dc",)
    source = await _register(env, url, metadata_prefix="marc21")
    await _run(env, source["id"])
    stored = await env.db["ingest_harvest_sources"].find_one({"_id": source["id"]})
    assert stored["last_error"] == {
        "vi": "Kho không cung cấp định dạng marc21 (cannotDisseminateFormat): "
        "hãy chọn định dạng khác",
        "en": "cannotDisseminateFormat: the repository does not offer marc21",
    }
    run = await env.db["ingest_harvest_runs"].find_one({"source_id": source["id"]})
    assert run["error"] == stored["last_error"]
    english = await env.api.get(f"{SOURCES}/{source['id']}?lang=en", headers=env.admin)
    assert english.json()["last_error"].startswith("cannotDisseminateFormat: the repository")
    assert english.json()["runs"][0]["error"] == english.json()["last_error"]
    assert english.json()["last_run"]["error"] == english.json()["last_error"]
    vietnamese = await env.api.get(f"{SOURCES}/{source['id']}", headers=env.admin)
    assert vietnamese.json()["last_error"].startswith("Kho không cung cấp định dạng marc21")


def test_every_known_run_error_has_a_vietnamese_text() -> None:
    cases = {
        "timed out after 900 s": "Quá thời gian cho phép (900 giây)",
        "interrupted: the ingest service stopped": "Bị gián đoạn",
        "lease lost to another harvester; run stopped": "Một bản sao khác",
        "badResumptionToken: expired": "Kho trả lỗi OAI-PMH badResumptionToken: expired",
        "HTTP 404 from the repository": "Kho trả mã HTTP 404",
        "HTTP 503": "Kho tạm thời không phục vụ (HTTP 503)",
        "network error: ConnectError: refused": "Lỗi mạng khi gọi kho: ConnectError: refused",
        "malformed XML page: line 1": "Trang XML bị lỗi: line 1",
        "not an OAI-PMH response (root html)": "Địa chỉ không trả lời theo OAI-PMH",
        "response larger than the configured limit": "Trang trả về vượt quá giới hạn",
        "more than 5 redirects": "Quá 5 lần chuyển hướng",
        "host x.vn does not resolve (boom)": "Địa chỉ của kho không được phép",
        "internal error: ConnectionError: broker unavailable": "Lỗi nội bộ khi thu thập",
        "Identify response without an Identify element": "Lỗi khi thu thập: Identify",
    }
    for english, vietnamese in cases.items():
        texts = error_texts(english)
        assert texts["en"] == english
        assert texts["vi"].startswith(vietnamese), (english, texts["vi"])
    old = source_view({"_id": "s", "last_error": "HTTP 500", "state": "failed"})
    assert old["last_error"] == "HTTP 500" and old["last_error_text"] == {
        "vi": "HTTP 500",
        "en": "HTTP 500",
    }  # documents written before the texts were bilingual still show


async def test_the_wired_harvest_api_answers_503_with_retry_after_when_the_store_is_down(
    settings: Settings,
    start_ingest: AppFactory,
    secantus_port: int,
) -> None:
    store_proxy = await CuttableProxy(upstream_port=secantus_port).start()
    try:
        url = f"mongodb://127.0.0.1:{store_proxy.port}/?directConnection=true"
        proxied = Settings(**{**settings.model_dump(), "mongo_url": url})
        ingest = await start_ingest(proxied)
        assert (await ingest.client.get(SOURCES, headers=ingest.admin)).status_code == 200
        await store_proxy.cut()
        calls = [
            ingest.client.get(SOURCES, headers=ingest.admin),
            ingest.client.get(f"{SOURCES}/abc", headers=ingest.admin),
            ingest.client.patch(f"{SOURCES}/abc", json={"name": "x"}, headers=ingest.admin),
            ingest.client.delete(f"{SOURCES}/abc", headers=ingest.admin),
            ingest.client.post(f"{SOURCES}/abc/run", headers=ingest.admin),
        ]
        responses = await asyncio.gather(*calls)  # each waits out server selection (5 s)
    finally:
        await store_proxy.cut()
    for response in responses:
        assert response.status_code == 503, (response.request.url, response.text)
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "unavailable"
        assert "Kho dữ liệu tạm thời không sẵn sàng" in response.json()["error"]["message"]


async def test_the_store_refuses_two_sources_with_one_target_even_in_a_race(env: Env) -> None:
    store = _harvester_of(env).store
    await store.ensure_indexes()
    target = {"member": "hpu", "base_url": "http://a.vn/oai", "metadata_prefix": "oai_dc"}
    assert await store.create({"_id": "a", **target, "set_spec": None})
    assert await store.create({"_id": "b", **target, "set_spec": "s1"})
    assert not await store.create({"_id": "c", **target, "set_spec": None})
    with pytest.raises(SameTarget):
        await store.update_idle("b", {"set_spec": None}, datetime.now(UTC))


async def test_a_members_staff_read_their_own_sources_and_change_none(
    settings: Settings, env: Env, dspace: tuple[DSpace, str]
) -> None:
    _, url = dspace
    own = await _register(env, url)
    other = await _register(env, url, member="vmu")
    _, staff = session_for(settings, member="hpu")

    listed = await env.api.get(SOURCES, headers=staff)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["sources"]] == [own["id"]]
    assert (await env.api.get(f"{SOURCES}/{own['id']}", headers=staff)).status_code == 200
    assert (await env.api.get(f"{SOURCES}/{other['id']}", headers=staff)).status_code == 404
    assert (await env.api.get(SOURCES, params={"member": "vmu"}, headers=staff)).status_code == 403
    centre = await env.api.get(SOURCES, params={"member": "vmu"}, headers=env.admin)
    assert [s["id"] for s in centre.json()["sources"]] == [other["id"]]

    for method, path in (
        ("POST", f"{SOURCES}/{own['id']}/run"),
        ("PATCH", f"{SOURCES}/{own['id']}"),
        ("DELETE", f"{SOURCES}/{own['id']}"),
    ):
        refused = await env.api.request(method, path, json={"enabled": False}, headers=staff)
        assert refused.status_code == 403, (method, path, refused.text)
    assert (await env.api.get(SOURCES)).status_code == 401
