"""Members are told, not only shown (issue 13): the six-month reminder carries the member's
quality score and top problems, the centre's digest the network's quality line, and a
finished import with problems earns one report mail. Real catalogue and notify apps on one
RabbitMQ namespace and SecantusDB, aiosmtpd for the mail."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from dateutil.relativedelta import relativedelta

from devstack.processes import free_port
from services.catalogue.bootstrap import create_app as create_catalogue
from services.notify.adapters.catalogue import CatalogueQuality
from services.notify.bootstrap import bootstrap as notify_ports
from services.notify.bootstrap import create_app as create_notify
from shared.config import Settings
from shared.events import (
    Member,
    MemberChanged,
    RecordsSubmitted,
    SubmissionCompleted,
    SubmittedItem,
)
from shared.records import RecordIn, Source
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
PUBLIC = "https://tracuu.test.vn"
CATALOGUE = "http://catalogue.test"


@dataclass
class Stack:
    settings: Settings
    catalogue: httpx2.AsyncClient
    notify: httpx2.AsyncClient
    mailbox: Mailbox

    async def member(self, code: str, **fields: Any) -> None:
        body = {
            "code": code,
            "name": f"Thư viện {code}",
            "type": "library",
            "contact_email": f"{code}@member.vn",
            "joined_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        response = await self.catalogue.post("/v1/members", json=body, headers=admin(self.settings))
        assert response.status_code == 200, response.text

    async def records(self, code: str, *records: dict[str, Any]) -> None:
        """Submit as ingest would, and wait until the catalogue's inbox counts them."""
        items = [
            SubmittedItem(index=i, local_id=r["local_id"], record=RecordIn(**r))
            for i, r in enumerate(records)
        ]
        event = RecordsSubmitted(
            submission_id=uuid.uuid4().hex, member=code, batch_no=0, batch_count=1, items=items
        )
        await publish(self.settings, event)
        last = records[-1]

        async def stored() -> bool:
            page = await self.catalogue.get(f"/v1/records/{code}:{last['local_id']}")
            return page.status_code == 200 and all(
                page.json().get(name) == last.get(name) for name in ("title", "description")
            )

        await eventually(stored)

    async def inbox(self, code: str) -> dict[str, Any]:
        response = await self.catalogue.get(
            f"/v1/members/{code}/quality", headers=admin(self.settings)
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def run(self, as_of: datetime) -> dict[str, Any]:
        response = await self.notify.post(
            "/v1/reminders/run", params={"as_of": as_of.isoformat()}, headers=admin(self.settings)
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def known(self, *codes: str) -> None:
        async def check() -> bool:
            body = (await self.notify.get("/v1/freshness")).json()
            return set(codes) <= {m["code"] for m in body["members"]}

        await eventually(check)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(
            update={
                "smtp_port": smtp.port,
                "centre_email": CENTRE,
                "stinet_public_url": PUBLIC,
                "linkcheck_enabled": False,
            }
        )
        catalogue_app = create_catalogue(configured)
        async with running_app(catalogue_app) as catalogue:
            transport = httpx2.ASGITransport(app=catalogue_app)
            async with httpx2.AsyncClient(transport=transport) as to_catalogue:
                quality = CatalogueQuality(CATALOGUE, to_catalogue, configured.admin_key or "")
                notify_app = create_notify(
                    configured, notify_ports(configured, quality=quality), run_schedule=False
                )
                async with running_app(notify_app) as notify:
                    yield Stack(configured, catalogue, notify, mailbox)


def book(local_id: str, **fields: Any) -> dict[str, Any]:
    return {"local_id": local_id, "kind": "publication", "title": f"Sách {local_id}", **fields}


def due_day() -> datetime:
    """A day into the update due for a member whose last update is now."""
    return datetime.now(UTC) + relativedelta(months=6) + timedelta(hours=2)


async def test_the_six_month_reminder_tells_the_score_and_top_three_problems_with_a_link(
    stack: Stack,
) -> None:
    await stack.member("tvhp")
    await stack.records(
        "tvhp",
        book("b1", language="vi", year=2020),
        book("b2", language="vi"),
        book("b3", language="vi", subjects=["Biển"], identifiers={"isbn": "978-0-306-40615-8"}),
    )
    inbox = await stack.inbox("tvhp")
    assert inbox["counts"] == {
        "invalid_isbn": 1,
        "missing_description": 3,
        "missing_subjects": 2,
        "missing_year": 2,
    }
    await stack.known("tvhp")

    await stack.run(due_day())
    [mail] = [m for m in stack.mailbox.to("tvhp@member.vn") if "update due today" in m["Subject"]]
    vi, en = text_of(mail), text_of(mail, "en")
    assert f"Điểm chất lượng dữ liệu: {inbox['score']}/100 (3 biểu ghi)" in vi
    top_vi = (
        "- thiếu mô tả: 3 biểu ghi\n- thiếu chủ đề: 2 biểu ghi\n- thiếu năm hoặc ngày: 2 biểu ghi"
    )
    assert top_vi in vi
    assert "ISBN" not in vi  # the fourth problem is not among the top three
    link = f"{PUBLIC}/console/member/quality?member=tvhp"
    assert link in vi and link in en
    assert f"Data quality score: {inbox['score']}/100 (3 records)" in en
    assert "- no description: 3 records" in en


async def test_the_weekly_digest_tells_the_network_score_members_below_60_and_the_change(
    stack: Stack,
) -> None:
    await stack.member("good")
    await stack.member("poor")
    full = {"language": "vi", "year": 2021, "subjects": ["Biển"], "description": "Mô tả"}
    await stack.records("good", book("g1", **full))
    # 100 − 15 (description) − 10 (year) − 10 (subjects) − 15 (ISBN) = 50: below 60
    await stack.records(
        "poor", book("p1", language="vi", identifiers={"isbn": "978-0-306-40615-8"})
    )
    before = (await stack.catalogue.get("/v1/quality", headers=admin(stack.settings))).json()
    await stack.known("good", "poor")

    first = datetime.now(UTC) + timedelta(days=1)
    await stack.run(first)
    [week1] = [m for m in stack.mailbox.to(CENTRE) if "weekly digest" in m["Subject"]]
    score1 = before["network"]["score"]
    assert f"Chất lượng dữ liệu toàn mạng lưới: {score1}/100; 1/2 thành viên dưới 60 điểm\n" in (
        text_of(week1)
    )
    assert f"Network data quality: {score1}/100; 1 of 2 members below 60" in text_of(week1, "en")

    await stack.records("poor", book("p1", **full))  # fixed: now 100
    after = (await stack.catalogue.get("/v1/quality", headers=admin(stack.settings))).json()
    score2 = after["network"]["score"]
    assert score2 > score1
    await stack.run(first + timedelta(days=7))
    week2 = [m for m in stack.mailbox.to(CENTRE) if "weekly digest" in m["Subject"]][-1]
    assert (
        f"toàn mạng lưới: {score2}/100 (+{score2 - score1} so với tuần trước); "
        "0/2 thành viên dưới 60 điểm (−1 so với tuần trước)"
    ) in text_of(week2)
    assert f"(+{score2 - score1} since last week)" in text_of(week2, "en")


async def test_a_reminder_goes_out_without_scores_when_the_catalogue_does_not_answer(
    settings: Settings,
) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(update={"smtp_port": smtp.port, "centre_email": CENTRE})
        async with httpx2.AsyncClient(timeout=2.0) as http:
            nobody = CatalogueQuality(f"http://127.0.0.1:{free_port()}", http, "k")
            app = create_notify(
                configured, notify_ports(configured, quality=nobody), run_schedule=False
            )
            async with running_app(app) as notify:
                joined = datetime.now(UTC) - timedelta(days=200)
                member = Member(
                    code="vmu", name="ĐH Hàng hải", contact_email="vmu@member.vn", joined_at=joined
                )
                await publish(configured, MemberChanged(change="created", member=member))

                async def known() -> bool:
                    return (await notify.get("/v1/freshness/vmu")).status_code == 200

                await eventually(known)
                response = await notify.post("/v1/reminders/run", headers=admin(configured))
                assert response.status_code == 200, response.text
    [mail] = mailbox.to("vmu@member.vn")
    assert "quá hạn" in text_of(mail) and "Điểm chất lượng" not in text_of(mail)
    [digest] = mailbox.to(CENTRE)
    assert "chưa lấy được số liệu" in text_of(digest)


def completed(code: str, **counts: Any) -> SubmissionCompleted:
    fields = {"total": 10, "stored": 8, "warned": 3, "rejected": 2, "source": Source.CSV}
    return SubmissionCompleted(
        submission_id=uuid.uuid4().hex,
        member=code,
        file_format="csv",
        submitted_at=datetime.now(UTC),
        **{**fields, **counts},
    )


async def test_a_finished_import_with_problems_earns_one_report_unless_turned_off(
    stack: Stack,
) -> None:
    await stack.member("tvhp")
    await stack.member("quiet", import_reports=False)
    profile = await stack.catalogue.get("/v1/members/quiet", headers=admin(stack.settings))
    assert profile.json()["import_reports"] is False
    await stack.known("tvhp", "quiet")

    done = completed("tvhp")
    # Turned off, clean, a one-record push, a harvest: no report for any of them.
    await publish(
        stack.settings,
        completed("quiet"),
        completed("tvhp", warned=0, rejected=0, stored=10),
        completed("tvhp", source=Source.API, total=1, stored=0, warned=0, rejected=1),
        completed("tvhp", source=Source.OAI),
        done,
        done,  # delivered twice: still one mail
    )

    async def one_report() -> bool:
        return len(stack.mailbox.to("tvhp@member.vn")) >= 1

    await eventually(one_report)
    log = await stack.notify.get(
        "/v1/reminders", params={"stage": "import_report"}, headers=admin(stack.settings)
    )
    assert [r["member"] for r in log.json()["reminders"]] == ["tvhp"]
    [mail] = stack.mailbox.to("tvhp@member.vn")
    assert "8 đã lưu, 3 có cảnh báo, 2 bị từ chối" in mail["Subject"]
    vi = text_of(mail)
    assert "Lần nhập tệp CSV (10 dòng)" in vi
    report = f"{PUBLIC}/console/member/submissions/{done.submission_id}?member=tvhp"
    assert report in vi and report in text_of(mail, "en")
    assert f"{PUBLIC}/console/member/quality?member=tvhp" in vi
    assert stack.mailbox.to("quiet@member.vn") == []
