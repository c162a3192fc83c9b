"""Notify end to end in-process: real RabbitMQ, SecantusDB, aiosmtpd; time moved by as_of."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aio_pika
import httpx2
import pytest
from dateutil.relativedelta import relativedelta

from services.notify.bootstrap import create_app
from shared.config import Settings
from shared.events import Member, MemberChanged, RecordChange, RecordsChanged, ReminderSent
from shared.records import Record
from shared.topology import queue_name, subscription
from tests.notify.support import (
    Mailbox,
    admin,
    eventually,
    publish,
    running_app,
    smtp_server,
    text_of,
)

CENTRE = "trungtam@test.vn"


def member(code: str, joined_at: datetime, **extra: object) -> MemberChanged:
    return MemberChanged(
        change="created",
        member=Member(
            code=code,
            name=extra.pop("name", f"Đơn vị {code}"),  # type: ignore[arg-type]
            contact_email=extra.pop("contact_email", f"{code}@member.vn"),  # type: ignore[arg-type]
            joined_at=joined_at,
            **extra,  # type: ignore[arg-type]
        ),
    )


def record(code: str, local_id: str, updated_at: datetime, **extra: object) -> Record:
    return Record(
        id=f"{code}:{local_id}",
        member=code,
        local_id=local_id,
        kind=extra.pop("kind", "database"),  # type: ignore[arg-type]
        title="Cơ sở dữ liệu luận văn",
        version=1,
        created_at=updated_at,
        updated_at=updated_at,
        content_hash="h",
        **extra,  # type: ignore[arg-type]
    )


def changed(*records: Record, change: str = "updated") -> RecordsChanged:
    return RecordsChanged(changes=[RecordChange(change=change, record=r) for r in records])


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
async def notify(settings: Settings, mailbox: Mailbox) -> AsyncIterator[httpx2.AsyncClient]:
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(update={"smtp_port": smtp.port, "centre_email": CENTRE})
        async with running_app(create_app(configured, run_schedule=False)) as client:
            yield client


async def known(client: httpx2.AsyncClient, *codes: str) -> None:
    async def check() -> bool:
        body = (await client.get("/v1/freshness", params={"include_suspended": True})).json()
        return set(codes) <= {m["code"] for m in body["members"]}

    await eventually(check)


async def run(client: httpx2.AsyncClient, settings: Settings, as_of: datetime) -> dict:
    response = await client.post(
        "/v1/reminders/run", params={"as_of": as_of.isoformat()}, headers=admin(settings)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_stage_goes_out_once_as_the_clock_moves(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    joined = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    due = joined + relativedelta(months=6)
    await publish(settings, member("vmu", joined, name="Trường Đại học Hàng hải Việt Nam"))
    await known(notify, "vmu")

    steps = [
        (due - timedelta(days=20), "ok", None),
        (due - timedelta(days=10), "due_soon", "Sắp đến hạn"),
        (due + timedelta(hours=1), "overdue", "Đến hạn"),
        (due + timedelta(days=8), "overdue", "Quá hạn cập nhật thông tin 8 ngày"),
        (due + timedelta(days=15), "overdue", "Quá hạn cập nhật thông tin 15 ngày"),
        (due + timedelta(days=31), "escalated", "Quá hạn cập nhật thông tin 31 ngày"),
    ]
    sent_to_member = 0
    for as_of, state, subject in steps:
        report = await run(notify, settings, as_of)
        fresh = (await notify.get("/v1/freshness/vmu", params={"as_of": as_of.isoformat()})).json()
        assert fresh["state"] == state
        mails = mailbox.to("vmu@member.vn")
        if subject is None:
            assert len(mails) == sent_to_member
            continue
        sent_to_member += 1
        assert len(mails) == sent_to_member, report
        assert subject in str(mails[-1]["Subject"])
        body = text_of(mails[-1])
        assert "Trường Đại học Hàng hải Việt Nam" in body
        assert "/docs/thanh-vien" in body and "/v1/attest?token=" in body
        assert "Dear" in text_of(mails[-1], "en")
        # Running again at the same instant sends nothing twice.
        await run(notify, settings, as_of)
        assert len(mailbox.to("vmu@member.vn")) == sent_to_member

    # Weekly overdue reminders are capped: weeks 1-4 only, then the centre takes over.
    await run(notify, settings, due + timedelta(days=60))
    assert len(mailbox.to("vmu@member.vn")) == sent_to_member
    centre = [str(m["Subject"]) for m in mailbox.to(CENTRE)]
    assert sum("escalation" in s for s in centre) == 1
    digests = [m for m in mailbox.to(CENTRE) if "weekly digest" in str(m["Subject"])]
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    as_ofs = [as_of for as_of, _, _ in steps] + [due + timedelta(days=60)]
    weeks = {a.astimezone(hanoi).isocalendar()[:2] for a in as_ofs}
    assert len(digests) == len(weeks)  # one per ISO week the runs fell in
    assert "vmu" in text_of(digests[-1])

    log = (await notify.get("/v1/reminders", headers=admin(settings))).json()
    assert log["counts"]["sent"] == len(mailbox.messages)
    assert len(set(mailbox.keys())) == len(mailbox.messages)
    assert (await notify.get("/v1/reminders")).status_code == 401

    audit = queue_name(settings, subscription("audit", ReminderSent))
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(audit, passive=True)
        assert queue.declaration_result.message_count == len(mailbox.messages)
