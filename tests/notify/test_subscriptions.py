"""Following a search by e-mail, end to end: the real search service (RabbitMQ, SecantusDB,
the embedded engine) answers notify's ``/v1/search`` calls; mail goes to aiosmtpd."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx2
import pytest
from pymongo.asynchronous.collection import AsyncCollection

from services.notify.adapters.search_api import HttpSearchApi
from services.notify.bootstrap import SUBSCRIPTION_MAIL
from services.notify.bootstrap import bootstrap as notify_ports
from services.notify.bootstrap import create_app as create_notify
from services.search.bootstrap import create_app as create_search
from shared.config import Settings
from shared.events import ChangeKind, RecordChange, RecordsChanged
from shared.records import Record
from tests.notify.support import Mailbox, admin, eventually, publish, smtp_server, text_of

READER, CONTROL = "ban.doc@example.vn", "doi.chung@example.vn"
SEARCH = {"q": "nuôi tôm", "kind": ["publication"]}


def record(local_id: str, title: str, created_at: datetime, **fields: object) -> Record:
    return Record(
        id=f"vimn:{local_id}",
        member="vimn",
        local_id=local_id,
        kind=fields.pop("kind", "publication"),
        title=title,
        version=fields.pop("version", 1),
        created_at=created_at,
        updated_at=fields.pop("updated_at", created_at),
        content_hash=f"h-{local_id}-{title}",
        **fields,
    )


@dataclass
class Stack:
    notify: httpx2.AsyncClient
    search: httpx2.AsyncClient
    mailbox: Mailbox
    settings: Settings
    outbox: AsyncCollection[dict[str, Any]]  # the saved searches' mails, as stored

    async def add(self, *records: Record) -> None:
        """Publish ``records.changed`` and wait until search finds every record."""
        changes = [RecordChange(change=ChangeKind.CREATED, record=r) for r in records]
        await publish(self.settings, RecordsChanged(changes=changes))
        for r in records:

            async def indexed(r: Record = r) -> bool:
                found = await self.search.get(f"/v1/records/{r.id}")
                return found.status_code == 200 and found.json()["version"] == r.version

            await eventually(indexed)

    async def run(self, as_of: datetime) -> dict[str, int]:
        response = await self.notify.post(
            "/v1/subscriptions/run",
            params={"as_of": as_of.isoformat()},
            headers=admin(self.settings),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def subscribe_and_confirm(self, email: str, **body: object) -> None:
        before = len(self.mailbox.to(email))
        response = await self.notify.post(
            "/v1/subscriptions", json={"email": email, **SEARCH, "frequency": "daily", **body}
        )
        assert response.status_code == 202, response.text
        (mail,) = self.mailbox.to(email)[before:]
        link = link_in(text_of(mail), "/v1/subscriptions/confirm")
        page = await self.notify.get(link)  # opening the link confirms nothing yet
        assert page.status_code == 200 and 'method="post"' in page.text
        token = httpx2.URL(link).params["token"]
        done = await self.notify.post("/v1/subscriptions/confirm", data={"token": token})
        assert done.status_code == 200 and "Đã xác nhận" in done.text


def link_in(text: str, path: str) -> str:
    match = re.search(rf"https?://\S+{re.escape(path)}\?token=\S+", text)
    assert match, text
    return match.group(0)


@contextlib.asynccontextmanager
async def stack(settings: Settings, **overrides: object) -> AsyncIterator[Stack]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        configured = settings.model_copy(
            update={
                "smtp_port": smtp.port,
                "stinet_public_url": "https://tracuu.example.vn",
                **overrides,
            }
        )
        search_app = create_search(configured)
        transport = httpx2.ASGITransport(app=search_app)
        search_api = HttpSearchApi("http://search.test", transport=transport)
        ports = notify_ports(configured, search_api=search_api)
        notify_app = create_notify(configured, ports, run_schedule=False)
        async with (
            search_app.router.lifespan_context(search_app),
            notify_app.router.lifespan_context(notify_app),
            httpx2.AsyncClient(transport=transport, base_url="http://search.test") as search,
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=notify_app), base_url="http://notify.test"
            ) as notify,
        ):
            yield Stack(notify, search, mailbox, configured, ports.db[SUBSCRIPTION_MAIL])


def digests(mailbox: Mailbox, email: str) -> list[EmailMessage]:
    return [m for m in mailbox.to(email) if "List-Unsubscribe" in m]


async def test_subscribe_confirm_digest_of_only_new_records_then_unsubscribe(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        old = record("old", "Nuôi tôm thẻ chân trắng (cũ)", datetime.now(UTC) - timedelta(days=3))
        await s.add(old)
        await s.subscribe_and_confirm(READER)
        await s.subscribe_and_confirm(CONTROL)
        assert digests(s.mailbox, READER) == []  # confirmations only, so far

        now = datetime.now(UTC)
        new = record("new", "Kỹ thuật nuôi tôm sú", now)
        other_kind = record("db", "CSDL nuôi tôm", now, kind="database")
        elsewhere = record("cang", "Cảng biển Hải Phòng", now)
        await s.add(new, other_kind, elsewhere)

        report = await s.run(now + timedelta(days=2))
        assert report["recorded"] == 2 and report["sent"] == 2
        (digest,) = digests(s.mailbox, READER)
        body = text_of(digest)
        assert (
            "Kỹ thuật nuôi tôm sú" in body and "https://tracuu.example.vn/records/vimn:new" in body
        )
        assert "(cũ)" not in body and "CSDL" not in body and "Cảng" not in body
        assert "1 tài nguyên mới" in str(digest["Subject"])
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = str(digest["List-Unsubscribe"]).strip("<>")
        assert unsubscribe == link_in(body, "/v1/subscriptions/unsubscribe")

        # A change to a record already sent is not new: the next period sends nothing.
        await s.add(new.model_copy(update={"version": 2, "title": "Kỹ thuật nuôi tôm sú (sửa)"}))
        quiet = await s.run(now + timedelta(days=4))
        assert quiet["sent"] == 0 and quiet["empty"] >= 1
        assert len(digests(s.mailbox, READER)) == 1
        assert len(digests(s.mailbox, CONTROL)) == 1

        # One click from the mail client (RFC 8058): no session, no cookie.
        one_click = await s.notify.post(
            unsubscribe,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert one_click.status_code == 200 and "Đã huỷ" in one_click.text
        again = await s.notify.post(unsubscribe, content=b"List-Unsubscribe=One-Click")
        assert again.status_code == 200  # a second click changes nothing, fails nothing

        later = record("later", "Nuôi tôm hùm lồng", now + timedelta(days=10))
        await s.add(later)
        await s.run(now + timedelta(days=16))
        assert len(digests(s.mailbox, READER)) == 1  # unsubscribed: nothing more
        # Its mails (confirmation, digest) went with it: the address is nowhere in the outbox.
        kept = await s.outbox.count_documents({"recipient": READER})
        assert kept == 0 and await s.outbox.count_documents({"recipient": CONTROL}) >= 3
        (_, control_second) = digests(s.mailbox, CONTROL)
        assert "Nuôi tôm hùm lồng" in text_of(control_second)  # it would have been sent


async def test_the_subscribe_page_posts_the_search_and_shows_errors_beside_fields(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        page = await s.notify.get(
            "/theo-doi", params={"q": "nuôi tôm", "member": "vimn", "page": "2"}
        )
        assert page.status_code == 200
        assert '<input type="hidden" name="q" value="nuôi tôm">' in page.text
        assert '<input type="hidden" name="member" value="vimn">' in page.text

        form = {"q": "nuôi tôm", "member": "vimn", "lang": "vi", "frequency": "weekly"}
        bad = await s.notify.post("/theo-doi", data={**form, "email": "not-an-address"})
        assert bad.status_code == 422
        assert 'href="#email"' in bad.text and 'id="email-error"' in bad.text
        assert 'value="not-an-address"' in bad.text  # what was typed stays in the field

        good = await s.notify.post("/theo-doi", data={**form, "email": "Ban.Doc@Example.VN"})
        assert good.status_code == 202 and "Đã gửi thư xác nhận" in good.text
        (mail,) = s.mailbox.to("ban.doc@example.vn")
        assert "mỗi tuần" in text_of(mail) and "vimn" in text_of(mail)

        english = await s.notify.get("/theo-doi", params={"q": "tom", "lang": "en"})
        assert "Follow a search" in english.text and "Tiếng Việt" in english.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ban.doc@", "frequency": "daily"}, "email"),
        ({"email": "ban.doc@example.vn", "frequency": "monthly"}, "frequency"),
        ({"email": "ban.doc@example.vn", "kind": ["ufo"]}, "kind"),
        ({"email": "ban.doc@example.vn", "member": ["NOT A CODE"]}, "member"),
        ({"email": "ban.doc@example.vn", "secret": "x"}, "secret"),
    ],
)
async def test_bad_requests_answer_422_with_the_field(
    settings: Settings, body: dict[str, object], field: str
) -> None:
    async with stack(settings) as s:
        response = await s.notify.post("/v1/subscriptions", json={"q": "tom", **body})
        assert response.status_code == 422, response.text
        locs = [d["loc"] for d in response.json()["error"]["details"]]
        assert any(loc[:2] == ["body", field] for loc in locs), locs
        assert s.mailbox.messages == []


async def test_requests_are_rate_limited_per_address_and_links_are_checked(
    settings: Settings,
) -> None:
    async with stack(settings, notify_subscribe_limit="2/hour") as s:
        for q in ("tom", "cua"):
            ok = await s.notify.post("/v1/subscriptions", json={"email": READER, "q": q})
            assert ok.status_code == 202
        refused = await s.notify.post("/v1/subscriptions", json={"email": READER, "q": "ca"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        other = await s.notify.post("/v1/subscriptions", json={"email": CONTROL, "q": "ca"})
        assert other.status_code == 202
        assert len(s.mailbox.to(READER)) == 2

        link = link_in(text_of(s.mailbox.to(READER)[0]), "/v1/subscriptions/confirm")
        token = httpx2.URL(link).params["token"]
        forged = await s.notify.post(
            "/v1/subscriptions/confirm", data={"token": token[:-3] + "AAA"}
        )
        assert forged.status_code == 400
        # The link itself says so before the button: no confirm form for a forged token.
        opened = await s.notify.get(
            "/v1/subscriptions/confirm", params={"token": token[:-3] + "AAA"}
        )
        assert opened.status_code == 400 and 'name="token"' not in opened.text
        assert (await s.notify.get("/v1/subscriptions/confirm", params={"token": token})).is_success
        # An unsubscribe token is not a confirmation token (one key per purpose).
        wrong = await s.notify.post("/v1/subscriptions/unsubscribe", params={"token": token})
        assert wrong.status_code == 400
