"""The daily run at a local time, under a lease: two replicas, one evaluation a day."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pymongo import AsyncMongoClient

from services.notify import handlers
from services.notify.adapters.mongo import MongoFreshnessStore, MongoReminderLog, MongoSchedule
from services.notify.adapters.smtp import SmtpMailer
from services.notify.adapters.webhook import HttpWebhookSender
from services.notify.bootstrap import create_app, notify_config
from services.notify.ports import NotifyPorts
from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.mongo import service_database
from shared.topology import RabbitPublisher, declare_topology, make_broker
from tests.notify.support import Mailbox, eventually, publish, running_app, smtp_server

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def wired(
    settings: Settings, mongo: AsyncMongoClient
) -> AsyncIterator[tuple[NotifyPorts, Settings, Mailbox]]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(
            update={"smtp_port": smtp.port, "centre_email": "tt@hp.vn", "notify_daily_at": "08:00"}
        )
        db = service_database(mongo, configured)
        broker = make_broker(configured)
        async with broker:
            await declare_topology(broker, configured)
            mailer, webhooks = SmtpMailer(configured), HttpWebhookSender()
            ports = NotifyPorts(
                store=MongoFreshnessStore(db),
                reminders=MongoReminderLog(db),
                schedule=MongoSchedule(db),
                mailer=mailer,
                webhooks=webhooks,
                publisher=RabbitPublisher(broker, configured),
            )
            yield ports, configured, mailbox
            await mailer.close()
            await webhooks.close()


async def sweep(ports: NotifyPorts, settings: Settings, owner: str, now: datetime) -> bool:
    return await handlers.sweep(
        owner=owner,
        store=ports.store,
        reminders=ports.reminders,
        schedule=ports.schedule,
        mailer=ports.mailer,
        webhooks=ports.webhooks,
        publisher=ports.publisher,
        config=notify_config(settings),
        now=now,
    )


async def test_daily_evaluation_runs_once_a_day_after_its_local_time(
    wired: tuple[NotifyPorts, Settings, Mailbox],
) -> None:
    ports, settings, mailbox = wired
    joined = datetime(2026, 5, 20, 9, 0, tzinfo=HANOI)
    await ports.store.apply_member(
        Member(
            code="dhhp", name="Đại học Hải Phòng", contact_email="lib@dhhp.vn", joined_at=joined
        ),
        seen_at=joined,
    )
    day = datetime(2026, 12, 1, 7, 59, tzinfo=HANOI)
    assert await sweep(ports, settings, "a", day) is False
    assert mailbox.messages == []

    at_eight = day.replace(hour=8, minute=1)
    ran = await asyncio.gather(
        sweep(ports, settings, "a", at_eight), sweep(ports, settings, "b", at_eight)
    )
    assert sorted(ran) == [False, True]  # two replicas: one evaluates
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["lib@dhhp.vn", "tt@hp.vn"]

    assert await sweep(ports, settings, "b", day.replace(hour=15)) is False
    next_day = at_eight.replace(day=2)
    assert await sweep(ports, settings, "b", next_day) is True
    assert len(mailbox.messages) == 2  # same stage, same week: nothing new to send


async def test_the_running_service_evaluates_by_itself_once_a_day(settings: Settings) -> None:
    mailbox = Mailbox()
    joined = datetime.now(UTC) - timedelta(days=200)
    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
    # Queued before the service starts, as after a restart.
    await publish(
        settings,
        MemberChanged(
            change="created",
            member=Member(
                code="tvhp", name="Thư viện Hải Phòng", contact_email="tv@hp.vn", joined_at=joined
            ),
        ),
    )
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(
            update={
                "smtp_port": smtp.port,
                "centre_email": "tt@hp.vn",
                "notify_daily_at": "00:00",
                "notify_sweep_seconds": 0.5,
            }
        )
        async with running_app(create_app(configured)):

            async def reminded() -> bool:
                return len(mailbox.to("tv@hp.vn")) == 1

            await eventually(reminded, within=15)
            await asyncio.sleep(1.5)  # three more ticks: the day's evaluation is done
    assert len(mailbox.to("tv@hp.vn")) == 1
    assert len(mailbox.to("tt@hp.vn")) == 1  # this week's digest
