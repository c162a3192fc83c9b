"""Notify audits reminder runs and attestations; a member's staff attest from the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx2
import pytest

from services.notify.bootstrap import create_app
from shared.config import Settings
from tests.notify.support import admin, publish, running_app
from tests.notify.test_reminders import ago, known, member
from tests.sessions import entries, session_for


@pytest.fixture
async def notify(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    async with running_app(create_app(settings, run_schedule=False)) as client:
        yield client


async def test_a_members_staff_attest_in_a_session_and_it_is_recorded(
    settings: Settings, notify: httpx2.AsyncClient
) -> None:
    await publish(settings, member("hpu", ago(days=200)), member("vmu", ago(days=10)))
    await known(notify, "hpu", "vmu")
    assert (await notify.get("/v1/freshness/hpu")).json()["state"] == "overdue"
    staff, session = session_for(settings, member="hpu", label="Lê Văn C — thư viện")

    attested = await notify.post("/v1/members/hpu/attest", headers=session)
    assert attested.status_code == 200, attested.text
    assert attested.json()["state"] == "ok" and attested.json()["code"] == "hpu"
    assert (await notify.get("/v1/freshness/hpu")).json()["state"] == "ok"

    _, other = session_for(settings, member="vmu")
    refused = await notify.post("/v1/members/hpu/attest", headers=other)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert (await notify.post("/v1/members/hpu/attest")).status_code == 401
    unknown = await notify.post("/v1/members/nobody/attest", headers=admin(settings))
    assert unknown.status_code == 404
    invalid = await notify.post("/v1/members/NOT_A_CODE/attest", headers=admin(settings))
    assert invalid.status_code == 422

    run = await notify.post(
        "/v1/reminders/run",
        params={"as_of": datetime.now(UTC).isoformat()},
        headers=admin(settings),
    )
    assert run.status_code == 200
    dry = await notify.post("/v1/reminders/run", params={"dry_run": True}, headers=admin(settings))
    assert dry.status_code == 200  # a what-if changes nothing: not recorded

    audit = (await notify.get("/v1/audit", headers=admin(settings))).json()
    assert entries(audit) == [("reminders.run", "root", None), ("attested", staff.key_id, "hpu")]
    assert audit["entries"][1]["actor_label"] == "Lê Văn C — thư viện"
    only = await notify.get("/v1/audit", params={"action": "attested"}, headers=admin(settings))
    assert only.json()["total"] == 1
    assert (await notify.get("/v1/audit", headers=session)).status_code == 403
