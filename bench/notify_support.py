"""Shared set-up of the notify benches: a throw-away SecantusDB and 10,000 members."""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devstack.processes import free_port, port_answers, secantus_process
from services.notify.adapters.mongo import MongoFreshnessStore
from services.notify.ports import MemberUpdate
from shared.config import Settings
from shared.events import Member
from shared.mongo import make_mongo_client, service_database

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def secantus() -> AsyncIterator[Settings]:
    """Settings pointing at a fresh in-memory SecantusDB, stopped afterwards."""
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    process = secantus_process(port=port, storage=":memory:", log_path=logs / "secantus.log")
    process.start()
    try:
        await asyncio.to_thread(process.wait_until, lambda: port_answers(port), 60)
        yield Settings(
            mongo_url=f"mongodb://127.0.0.1:{port}/",
            stinet_db="notify_bench",
            stinet_data_dir=logs,
            stinet_admin_key="bench-admin-key",
        )
    finally:
        process.stop()


async def seed_members(settings: Settings, count: int, *, seed: int = 7) -> None:
    """``count`` members whose last updates spread over the past nine months."""
    rng = random.Random(seed)
    client = make_mongo_client(settings)
    store = MongoFreshnessStore(service_database(client, settings))
    joined = NOW - timedelta(days=400)
    members = [
        Member(
            code=f"m{i:05d}",
            name=f"Đơn vị thành viên {i}",
            contact_email=f"m{i:05d}@member.vn",
            joined_at=joined,
        )
        for i in range(count)
    ]
    # Set-up shortcut: one bulk insert in the store's document shape (a member.changed per
    # member would take minutes on SecantusDB and is not what is measured here).
    docs = [
        {
            "_id": m.code,
            "name": m.name,
            "contact_email": m.contact_email,
            "joined_at": m.joined_at,
            "status": "active",
            "cycle_months": 6,
            "version": 1,
            "profile": True,
            "first_seen_at": joined,
        }
        for m in members
    ]
    await service_database(client, settings)["notify_members"].insert_many(docs)
    updates = [
        MemberUpdate(
            member=m.code,
            last_update_at=NOW - timedelta(days=rng.uniform(0, 270)),
            last_training_at=NOW - timedelta(days=rng.uniform(0, 500)),
        )
        for m in members
    ]
    for start in range(0, count, 1000):
        await store.apply_updates(updates[start : start + 1000], seen_at=joined)
    await client.close()
