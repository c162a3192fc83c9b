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
        guide = f"{settings.stinet_public_url.rstrip('/')}/huong-dan/"
        assert guide in body and "/docs/thanh-vien" not in body
        assert "/v1/attest?token=" in body
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
    assert len(set(mailbox.delivered_keys())) == len(mailbox.messages)
    assert (await notify.get("/v1/reminders")).status_code == 401

    audit = queue_name(settings, subscription("audit", ReminderSent))
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(audit, passive=True)
        assert queue.declaration_result.message_count == len(mailbox.messages)


def ago(**kw: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kw)


async def test_members_that_just_updated_or_are_suspended_get_nothing(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    long_ago = ago(days=200)
    suspended = member("paused", long_ago, status="suspended")
    await publish(
        settings,
        member("fresh", long_ago),
        member("stale", long_ago),
        suspended,
        member("newbie", ago(days=30)),
        changed(record("fresh", "csdl-1", ago(hours=1))),
        # A replay of an old version and a redelivery move nothing backwards.
        changed(record("fresh", "csdl-1", ago(days=300)), change="replayed"),
        changed(record("fresh", "csdl-1", ago(hours=1))),
    )
    await known(notify, "fresh", "stale", "paused", "newbie")

    async def fresh_counted() -> bool:
        item = (await notify.get("/v1/freshness/fresh")).json()
        return item["state"] == "ok"

    await eventually(fresh_counted)
    await run(notify, settings, datetime.now(UTC))
    recipients = sorted({str(m["To"]) for m in mailbox.messages})
    assert recipients == ["stale@member.vn", CENTRE]
    body = (await notify.get("/v1/freshness")).json()
    assert body["counts"] == {"ok": 2, "due_soon": 0, "overdue": 1, "escalated": 0}
    assert "paused" not in {m["code"] for m in body["members"]}
    fresh = (await notify.get("/v1/freshness/fresh")).json()
    assert datetime.fromisoformat(fresh["last_update_at"]) > ago(hours=2)


async def test_a_recorded_reminder_is_dropped_if_the_member_updates_before_it_goes_out(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    await publish(settings, member("late", ago(days=200)))
    await known(notify, "late")
    mailbox.refuse_next = 1000  # the mail server refuses everything for now
    first = await run(notify, settings, datetime.now(UTC))
    assert first["dispatch"]["retry"] >= 1
    await publish(settings, changed(record("late", "web", datetime.now(UTC))))

    async def updated() -> bool:
        return (await notify.get("/v1/freshness/late")).json()["state"] == "ok"

    await eventually(updated)
    mailbox.refuse_next = 0
    await run(notify, settings, datetime.now(UTC))
    assert mailbox.to("late@member.vn") == []
    log = (
        await notify.get("/v1/reminders", params={"member": "late"}, headers=admin(settings))
    ).json()
    assert [r["status"] for r in log["reminders"]] == ["superseded"]


async def test_attestation_link_counts_as_an_update_and_is_counted_for_the_centre(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    await publish(settings, member("hpu", ago(days=200), name="Trường Đại học Hải Phòng"))
    await known(notify, "hpu")
    await run(notify, settings, datetime.now(UTC))
    (mail,) = mailbox.to("hpu@member.vn")
    link = next(w for w in text_of(mail).split() if "/v1/attest?token=" in w)
    path = link.removeprefix("http://127.0.0.1:8003")
    token = path.split("token=", 1)[1]

    page = await notify.get(path)
    assert page.status_code == 200
    assert "Trường Đại học Hải Phòng" in page.text and "<form" in page.text
    log = (await notify.get("/v1/reminders", headers=admin(settings))).json()
    assert log["counts"]["opened"] == 0  # a mail scanner's fetch is not a person opening it
    assert "/v1/attest/seen" in page.text  # the page's beacon, sent when a browser shows it
    from urllib.parse import unquote

    seen = await notify.post("/v1/attest/seen", data={"token": unquote(token)})
    assert seen.status_code == 204
    log = (await notify.get("/v1/reminders", headers=admin(settings))).json()
    assert log["counts"]["opened"] == 1 and log["counts"]["attested"] == 0
    assert (await notify.get("/v1/freshness/hpu")).json()["state"] == "overdue"

    done = await notify.post("/v1/attest", data={"token": unquote(token)})
    assert done.status_code == 200 and "Đã xác nhận" in done.text
    log = (await notify.get("/v1/reminders", headers=admin(settings))).json()
    assert log["counts"]["attested"] == 1
    again = await notify.post("/v1/attest", data={"token": unquote(token)})
    assert again.status_code == 410 and "đã được dùng" in again.text  # a link confirms once
    reopened = await notify.get(path)
    assert reopened.status_code == 410 and "<form" not in reopened.text
    audit = (await notify.get("/v1/audit", headers=admin(settings))).json()
    attested = [e for e in audit["entries"] if e["action"] == "attested"]
    assert [(e["actor_key_id"], e["member"]) for e in attested] == [("attest-link", "hpu")]
    assert (await notify.get("/v1/freshness/hpu")).json()["state"] == "ok"
    await run(notify, settings, datetime.now(UTC))
    assert len(mailbox.to("hpu@member.vn")) == 1

    tampered = await notify.get("/v1/attest", params={"token": unquote(token)[:-3] + "AAA"})
    assert tampered.status_code == 400 and "không hợp lệ" in tampered.text
    english = await notify.get("/v1/attest", params={"token": "x.y", "lang": "en"})
    assert "Invalid link" in english.text
    forged_seen = await notify.post("/v1/attest/seen", data={"token": "x.y"})
    assert forged_seen.status_code == 400


async def test_yearly_training_duty_is_tracked_and_reminded(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    await publish(
        settings,
        member("trained", ago(days=500)),
        member("untrained", ago(days=500)),
        changed(
            record("trained", "t1", ago(days=10), kind="training", starts_at=ago(days=60)),
            record("untrained", "t0", ago(days=10), kind="training", starts_at=ago(days=400)),
        ),
    )
    await known(notify, "trained", "untrained")

    async def counted() -> bool:
        item = (await notify.get("/v1/freshness/untrained")).json()
        return item["last_training_at"] is not None

    await eventually(counted)
    trained = (await notify.get("/v1/freshness/trained")).json()
    assert trained["training_met"] is True
    assert (await notify.get("/v1/freshness/untrained")).json()["training_met"] is False
    await run(notify, settings, datetime.now(UTC))
    assert mailbox.to("trained@member.vn") == []
    (mail,) = mailbox.to("untrained@member.vn")
    assert "đào tạo" in str(mail["Subject"])
    assert "12 tháng" in text_of(mail)


async def test_what_if_run_reports_without_sending_and_bad_input_is_a_clear_4xx(
    settings: Settings, notify: httpx2.AsyncClient, mailbox: Mailbox
) -> None:
    await publish(settings, member("whatif", ago(days=10)))
    await known(notify, "whatif")
    future = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    response = await notify.post(
        "/v1/reminders/run", params={"as_of": future, "dry_run": True}, headers=admin(settings)
    )
    body = response.json()
    assert body["counts"]["overdue"] == 1 and body["dispatch"] is None
    assert any(k.startswith("whatif/") for k in body["would_send"])
    assert mailbox.messages == []
    log = (await notify.get("/v1/reminders", headers=admin(settings))).json()
    assert log["reminders"] == []

    bad = await notify.post(
        "/v1/reminders/run", params={"as_of": "next tuesday"}, headers=admin(settings)
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == ["query", "as_of"]
    assert (await notify.post("/v1/reminders/run")).status_code == 401
    wrong = await notify.get("/v1/reminders", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthenticated"
    limit = await notify.get("/v1/reminders", params={"limit": 0}, headers=admin(settings))
    assert limit.status_code == 422
    missing = await notify.get("/v1/freshness/nobody", params={"lang": "en"})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "No such member"
    state = await notify.get("/v1/freshness", params={"state": "sleeping"})
    assert state.status_code == 422
    far = await notify.get("/v1/freshness", params={"as_of": "0001-01-01T00:00:00"})
    assert far.status_code == 422 and far.json()["error"]["details"][0]["loc"][-1] == "as_of"
    local = await notify.get("/v1/freshness", params={"as_of": "2026-12-01T08:00:00"})
    assert local.json()["as_of"].startswith("2026-12-01T08:00:00+07:00")
    no_token = await notify.post("/v1/attest", data={})
    assert no_token.status_code == 422 and no_token.json()["error"]["code"] == "validation_error"
