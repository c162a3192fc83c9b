"""The centre's weekly digest tells what people looked for (issue 17): last week's searches,
the top 5 queries and the top 5 that found nothing, read from search's ``/v1/analytics`` with
the centre's key. Real search and notify apps on one RabbitMQ namespace and SecantusDB, the
embedded engine, aiosmtpd for the mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
import pytest
from fastapi import FastAPI

from devstack.processes import free_port
from services.notify.adapters.search_analytics import SearchAnalyticsApi
from services.notify.bootstrap import bootstrap as notify_ports
from services.notify.bootstrap import create_app as create_notify
from services.notify.ports import AnalyticsUnavailable
from services.notify.searches import week_before
from services.search.bootstrap import bootstrap as search_ports
from services.search.bootstrap import create_app as create_search
from services.search.handlers import apply_record_changes
from shared.config import Settings
from shared.events import ChangeKind, RecordChange, RecordsChanged
from tests.notify.support import Mailbox, admin, running_app, smtp_server, text_of
from tests.search.corpus import make_record

CENTRE = "trungtam@test.vn"
PUBLIC = "https://tracuu.test.vn"
SEARCH = "http://search.test"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
RECORDS = [
    make_record("tsi", "nt-1", "Kỹ thuật nuôi tôm thẻ chân trắng"),
    make_record("tsi", "nt-2", "Nuôi tôm sú vùng ven biển"),
    make_record("vmu", "hh-1", "Giáo trình an toàn hàng hải"),
]
# query → how many times it is searched; the last two find nothing.
SEARCHES = {
    "nuôi tôm": 6,
    "Hàng hải": 5,
    "tôm sú": 4,
    "ven biển": 3,
    "chân trắng": 2,
    "an toàn": 1,
    "zzqqxx": 3,
    "máy bay phản lực": 2,
}


@dataclass
class Stack:
    settings: Settings
    search: httpx2.AsyncClient
    search_app: FastAPI | None
    notify: httpx2.AsyncClient
    mailbox: Mailbox

    async def digest(self, as_of: datetime) -> tuple[str, str]:
        response = await self.notify.post(
            "/v1/reminders/run", params={"as_of": as_of.isoformat()}, headers=admin(self.settings)
        )
        assert response.status_code == 200, response.text
        [mail] = [m for m in self.mailbox.to(CENTRE) if "weekly digest" in m["Subject"]]
        # The English part is plain 7-bit: its lines keep the wire's CRLF.
        return text_of(mail), text_of(mail, "en").replace("\r\n", "\n")


def configured(settings: Settings, smtp_port: int) -> Settings:
    update = {"smtp_port": smtp_port, "centre_email": CENTRE, "stinet_public_url": PUBLIC}
    return settings.model_copy(update=update)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        config = configured(settings, smtp.port)
        ports = search_ports(config)
        search_app = create_search(config, ports)
        async with running_app(search_app) as search:
            changes = [RecordChange(change=ChangeKind.CREATED, record=r) for r in RECORDS]
            await apply_record_changes(RecordsChanged(changes=changes), index=ports.index)
            transport = httpx2.ASGITransport(app=search_app)
            async with httpx2.AsyncClient(transport=transport) as to_search:
                analytics = SearchAnalyticsApi(SEARCH, to_search, config.admin_key or "")
                notify_app = create_notify(
                    config, notify_ports(config, analytics=analytics), run_schedule=False
                )
                async with running_app(notify_app) as notify:
                    yield Stack(config, search, search_app, notify, mailbox)


async def test_the_digest_tells_last_weeks_searches_top_queries_and_those_that_found_nothing(
    stack: Stack,
) -> None:
    for q, times in SEARCHES.items():
        for _ in range(times):
            response = await stack.search.get("/v1/search", params={"q": q})
            assert response.status_code == 200, response.text
            assert (response.json()["total"] == 0) == (q in ("zzqqxx", "máy bay phản lực"))

    as_of = datetime.now(UTC) + timedelta(days=1)  # "last week" then ends today
    vi, en = await stack.digest(as_of)

    first, last = week_before(as_of, HCM)
    period = f"{first:%d/%m/%Y}–{last:%d/%m/%Y}"
    assert f"Người dùng tìm gì ({period}): 26 lượt tìm, 5 lượt không có kết quả.\n" in vi
    top_vi = (
        "Tìm nhiều nhất:\n- nuoi tom: 6 lượt\n- hang hai: 5 lượt\n- tom su: 4 lượt\n"
        "- ven bien: 3 lượt\n- zzqqxx: 3 lượt\n"
    )
    assert top_vi in vi  # folded as search counts them; the sixth and later are not told
    assert "chan trang" not in vi and "an toan" not in vi
    assert "Tìm mà không có kết quả:\n- zzqqxx: 3 lượt\n- may bay phan luc: 2 lượt\n" in vi
    more = f"{PUBLIC}/console/centre/analytics?from={first.isoformat()}&to={last.isoformat()}"
    assert f"Xem thêm: {more}" in vi
    assert f"What people looked for ({period}): 26 searches, 5 with no results." in en
    assert "Top queries:\n- nuoi tom: 6 searches\n" in en
    assert "Queries with no results:\n- zzqqxx: 3 searches\n- may bay phan luc: 2 searches" in en
    assert f"More: {more}" in en


async def test_the_digest_says_search_did_not_answer_and_still_goes(settings: Settings) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        config = configured(settings, smtp.port)
        async with httpx2.AsyncClient(timeout=2.0) as http:
            nobody = SearchAnalyticsApi(f"http://127.0.0.1:{free_port()}", http, "k")
            app = create_notify(config, notify_ports(config, analytics=nobody), run_schedule=False)
            async with running_app(app) as notify:
                stack = Stack(config, http, None, notify, mailbox)
                vi, en = await stack.digest(datetime.now(UTC))
    assert "Người dùng tìm gì: chưa lấy được số liệu từ dịch vụ tra cứu." in vi
    assert "What people looked for: the search service did not answer." in en
    assert "Báo cáo tuần" in vi  # the rest of the digest is there


async def test_search_refusing_the_key_is_unavailable_not_an_empty_week(stack: Stack) -> None:
    assert stack.search_app is not None
    transport = httpx2.ASGITransport(app=stack.search_app)
    async with httpx2.AsyncClient(transport=transport) as http:
        with pytest.raises(AnalyticsUnavailable, match="401"):
            await SearchAnalyticsApi(SEARCH, http, "not-the-key").week(
                date(2026, 11, 23), date(2026, 11, 29)
            )


def test_a_monday_digest_tells_the_week_monday_to_sunday_before_it() -> None:
    monday_morning = datetime(2026, 11, 30, 8, 0, tzinfo=HCM)
    assert week_before(monday_morning, HCM) == (date(2026, 11, 23), date(2026, 11, 29))
    # 00:30 on Monday in Hai Phong is still Sunday in UTC: the local day counts.
    just_after_midnight = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)
    assert week_before(just_after_midnight, HCM) == (date(2026, 11, 23), date(2026, 11, 29))
