"""Time to send 1,000 reminders to a local aiosmtpd: python -m bench.notify_send."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from aiosmtpd.controller import Controller

from bench.notify_support import secantus, seed_members
from devstack.processes import free_port
from services.notify import handlers
from services.notify.adapters.mongo import MongoFreshnessStore, MongoReminderLog
from services.notify.adapters.smtp import SmtpMailer
from services.notify.adapters.webhook import HttpWebhookSender
from services.notify.bootstrap import notify_config
from services.notify.ports import OutgoingMail, ReminderEntry
from shared.mongo import make_mongo_client, service_database

REMINDERS = 1_000


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received += 1
        return "250 OK"


def entries(now: datetime) -> list[ReminderEntry]:
    return [
        ReminderEntry(
            key=f"m{i:05d}/2026-11-20/overdue-1/email",
            member=f"m{i:05d}",
            cycle="2026-11-20",
            stage="overdue-1",
            kind="overdue",
            channel="email",
            recipient=f"m{i:05d}@member.vn",
            subject="[STINET] Quá hạn cập nhật thông tin 7 ngày — update overdue",
            text_vi="Kính gửi Đơn vị thành viên,\n\nThông tin đã quá hạn cập nhật 7 ngày.\n" * 5,
            text_en="Dear member,\n\nYour information is 7 days overdue for update.\n" * 5,
            as_of=now,
            created_at=now,
            next_attempt_at=now,
        )
        for i in range(REMINDERS)
    ]


async def main() -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        async with secantus() as base:
            settings = base.model_copy(update={"smtp_port": controller.port})
            await seed_members(settings, REMINDERS)
            client = make_mongo_client(settings)
            db = service_database(client, settings)
            store, log = MongoFreshnessStore(db), MongoReminderLog(db)
            await log.ensure_indexes()
            config = notify_config(settings)
            mailer, webhooks = SmtpMailer(settings), HttpWebhookSender()

            now = datetime.now(UTC)
            mails = [
                OutgoingMail(e.recipient, e.subject, e.text_vi, e.text_en, f"<{i}@b>", e.key)
                for i, e in enumerate(entries(now))
            ]
            started = time.perf_counter()
            for start in range(0, REMINDERS, 4):
                await asyncio.gather(*(mailer.send(m) for m in mails[start : start + 4]))
            smtp_only = time.perf_counter() - started

            await log.record(entries(now))
            # Every entry's cycle must still be current, or dispatch would supersede it.
            members = {m.code: m for m in await store.all_members()}
            cycles = {e.key: e for e in entries(now)}
            for key, entry in cycles.items():
                member = members[entry.member]
                due = handlers.domain.due_at(member)
                assert due is not None
                cycle = handlers.domain.cycle_id(due, config.tz)
                await db["notify_reminders"].update_one({"_id": key}, {"$set": {"cycle": cycle}})
            before = counter.received
            started = time.perf_counter()
            report = await handlers.dispatch(
                store=store, reminders=log, mailer=mailer, webhooks=webhooks, config=config
            )
            full = time.perf_counter() - started
            await mailer.close()
            await webhooks.close()
            await client.close()
    finally:
        controller.stop()
    assert report.sent == REMINDERS == counter.received - before, report
    print(
        f"SMTP only, {REMINDERS} mails, 4 pooled connections: {smtp_only:.2f} s "
        f"({REMINDERS / smtp_only:.0f}/s)"
    )
    print(
        f"exactly-once dispatch of {REMINDERS} reminders (claim → current? → send → mark): "
        f"{full:.2f} s ({REMINDERS / full:.0f}/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
