"""The reminder outbox against SecantusDB: recorded once, claimed by one owner, leases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from services.notify.adapters.mongo import MongoReminderLog
from services.notify.handlers import updates_from_changes
from services.notify.ports import ReminderEntry
from shared.config import Settings
from shared.events import RecordChange, RecordsChanged
from shared.mongo import make_mongo_client, service_database
from tests.notify.test_reminders import record

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def entry(key: str) -> ReminderEntry:
    return ReminderEntry(
        key=key,
        member=key.split("/")[0],
        cycle="2026-11-20",
        stage="due",
        kind="due",
        channel="email",
        recipient="a@b.vn",
        subject="s",
        text_vi="v",
        text_en="e",
        as_of=NOW,
        created_at=NOW,
        next_attempt_at=NOW,
    )


async def test_a_key_is_recorded_once_even_by_two_processes_at_once(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    other = make_mongo_client(settings)
    one = MongoReminderLog(service_database(mongo, settings))
    two = MongoReminderLog(service_database(other, settings))
    keys = [f"m{i}/2026-11-20/due/email" for i in range(30)]
    counts = await asyncio.gather(
        one.record([entry(k) for k in keys]), two.record([entry(k) for k in keys])
    )
    await other.close()
    assert sum(counts) == 30
    assert await one.existing([*keys, "nobody/x/due/email"]) == set(keys)
    assert await one.record([entry(keys[0])]) == 0


async def test_a_claim_belongs_to_one_owner_until_its_lease_runs_out(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    log = MongoReminderLog(service_database(mongo, settings))
    await log.record([entry("m1/2026-11-20/due/email")])
    now = datetime.now(UTC)
    claim = {"now": now, "lease_seconds": 60, "started": now, "eager": False, "limit": 10}
    first = await log.claim(owner="a", **claim)
    assert [e.key for e in first] == ["m1/2026-11-20/due/email"]
    assert first[0].attempts == 1
    assert await log.claim(owner="b", **claim) == []  # leased to a

    later = now + timedelta(seconds=61)  # a's lease has run out: b may take it over
    taken = await log.claim(
        owner="b", now=later, lease_seconds=60, started=later, eager=False, limit=10
    )
    assert [e.attempts for e in taken] == [2]
    assert not await log.renew(taken[0].key, owner="a", until=later)  # a must not send now
    assert not await log.mark_sent(taken[0].key, owner="a", at=later)
    assert await log.mark_sent(taken[0].key, owner="b", at=later)
    (sent,) = await log.entries(member="m1", status=None, stage=None, limit=5)
    assert sent.status == "sent"
    assert await log.claim(owner="c", **(claim | {"eager": True})) == []


def test_every_change_kind_counts_through_a_max_and_training_is_dated_by_its_start() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    event = RecordsChanged(
        changes=[
            RecordChange(change="replayed", record=record("vmu", "a", t0)),
            RecordChange(change="linked", record=record("vmu", "b", t0 + timedelta(days=2))),
            RecordChange(change="updated", record=record("vmu", "c", t0 + timedelta(days=1))),
            RecordChange(
                change="created",
                record=record("hpu", "t", t0, kind="training", starts_at=t0 - timedelta(days=30)),
            ),
        ]
    )
    updates = {u.member: u for u in updates_from_changes(event)}
    assert updates["vmu"].last_update_at == t0 + timedelta(days=2)
    assert updates["vmu"].last_training_at is None
    assert updates["hpu"].last_training_at == t0 - timedelta(days=30)
