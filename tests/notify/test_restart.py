"""A notify process killed in the middle of a run: the next one sends what was not sent,
and nothing twice (real processes, SIGKILL, a mail server that hangs on one message)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from pymongo import AsyncMongoClient

from devstack.processes import ManagedProcess, free_port, http_ok, service_process
from shared.config import Settings
from tests.notify.support import Mailbox, admin, eventually, publish, smtp_server
from tests.notify.test_reminders import CENTRE, ago, member

pytestmark = pytest.mark.e2e
LOGS = Path(__file__).parents[1] / "artifacts"


def notify_env(settings: Settings, *, smtp_port: int, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGO_URL": settings.mongo_uri,
        "STINET_NAMESPACE": settings.stinet_namespace,
        "STINET_DB": settings.stinet_db,
        "STINET_ADMIN_KEY": settings.admin_key or "",
        "STINET_DATA_DIR": str(settings.stinet_data_dir),
        "NOTIFY_PORT": str(port),
        "SMTP_PORT": str(smtp_port),
        "CENTRE_EMAIL": CENTRE,
        "NOTIFY_LEASE_SECONDS": "2",
        "NOTIFY_SWEEP_SECONDS": "3600",
    }


@contextlib.contextmanager
def notify_process(
    settings: Settings, smtp_port: int, name: str
) -> Iterator[tuple[ManagedProcess, str]]:
    port = free_port()
    env = notify_env(settings, smtp_port=smtp_port, port=port)
    process = service_process(
        "notify", env, LOGS / f"notify-{settings.stinet_namespace}-{name}.log"
    )
    process.start()
    try:
        base = f"http://127.0.0.1:{port}"
        process.wait_until(lambda: http_ok(f"{base}/readyz"), timeout=60)
        yield process, base
    finally:
        process.stop()


async def test_restart_in_the_middle_of_a_run_neither_loses_nor_duplicates(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    mailbox = Mailbox()
    codes = [f"r{i}" for i in range(8)]
    with smtp_server(mailbox) as smtp:
        with notify_process(settings, smtp.port, "first") as (first, base):
            await publish(settings, *(member(c, ago(days=200)) for c in codes))
            async with httpx2.AsyncClient(base_url=base, timeout=30) as client:

                async def all_known() -> bool:
                    body = (await client.get("/v1/freshness")).json()
                    return {m["code"] for m in body["members"]} >= set(codes)

                await eventually(all_known, within=20)
                mailbox.hang_at = mailbox.received + 3
                run = asyncio.create_task(client.post("/v1/reminders/run", headers=admin(settings)))
                await asyncio.to_thread(mailbox.hanging.wait, 30)
                assert mailbox.hanging.is_set()
                first.kill()  # SIGKILL while a send is in flight: no clean-up runs
                with contextlib.suppress(httpx2.HTTPError):
                    await run
        mailbox.release.set()
        hung = mailbox.hung_key
        assert hung is not None and hung not in mailbox.delivered_keys()
        at_crash = {
            doc["_id"]: doc["status"]
            async for doc in mongo[settings.stinet_db]["notify_reminders"].find({})
        }
        assert at_crash[hung] == "sending"

        with notify_process(settings, smtp.port, "second") as (_, base):
            async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
                await asyncio.sleep(2.5)  # the dead process's lease runs out
                response = await client.post(
                    "/v1/reminders/run",
                    params={"as_of": datetime.now(UTC).isoformat()},
                    headers=admin(settings),
                )
                assert response.status_code == 200, response.text
                log = (
                    await client.get(
                        "/v1/reminders", params={"limit": 1000}, headers=admin(settings)
                    )
                ).json()
    keys = mailbox.delivered_keys()
    assert keys.count(hung) == 1, "the reminder in flight at the crash was lost"
    for key, status in at_crash.items():
        if status == "sent":
            assert keys.count(key) == 1, f"{key} was marked sent, yet went out again"
        else:
            # Claimed but not marked when the process died: sent again by the next process.
            # Only a send the server had accepted in the instant before the kill can repeat.
            assert 1 <= keys.count(key) <= 2, key
    duplicated = {k for k in keys if keys.count(k) > 1}
    assert duplicated <= {k for k, s in at_crash.items() if s == "sending"} - {hung}
    recorded = {r["key"] for r in log["reminders"]}
    assert {r["status"] for r in log["reminders"]} == {"sent"}
    assert set(keys) == recorded
    assert {f"{c}@member.vn" for c in codes} <= {str(m["To"]) for m in mailbox.messages}
