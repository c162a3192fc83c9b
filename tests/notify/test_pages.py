"""Every HTML page of notify escapes what a visitor or a member's record put in it: a saved
search's words, a typed address, a member's name, a link's token and the query string."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import httpx2

from shared.config import Settings
from shared.events import Member, MemberChanged
from tests.notify.support import admin, eventually, publish, text_of
from tests.notify.test_subscriptions import Stack, link_in, stack

EVIL = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert("


def assert_escaped(response: httpx2.Response, *, shown: bool = True) -> None:
    """No visitor's ``<script>`` ran into the page; where it is shown, it is shown as text
    (the query string comes back percent-encoded in the language switch)."""
    assert "<script>alert(" not in response.text, response.text
    assert response.headers["content-type"].startswith("text/html")
    if shown:
        assert ESCAPED in response.text, response.text


async def test_the_subscription_pages_escape_the_search_the_address_and_the_query(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        evil = {"x": EVIL}  # a stray query parameter comes back in the language switch
        form = await s.notify.get("/theo-doi", params={"q": EVIL, "member": "vimn", **evil})
        assert form.status_code == 200
        assert_escaped(form)
        assert f'name="q" value="{EVIL}"' not in form.text

        fields = {"q": EVIL, "frequency": "daily", "lang": "vi"}
        typed = await s.notify.post(
            "/theo-doi", params=evil, data={**fields, "email": f'"><{EVIL}'}
        )
        assert typed.status_code == 422
        assert_escaped(typed)

        sent = await s.notify.post(
            "/theo-doi", params=evil, data={**fields, "email": "ban.doc@example.vn"}
        )
        assert sent.status_code == 202
        assert_escaped(sent, shown=False)

        (mail,) = s.mailbox.to("ban.doc@example.vn")
        confirm = link_in(text_of(mail), "/v1/subscriptions/confirm")
        token = httpx2.URL(confirm).params["token"]
        button = await s.notify.get("/v1/subscriptions/confirm", params={"token": token, **evil})
        assert button.status_code == 200
        assert_escaped(button, shown=False)

        confirmed = await s.notify.post(
            "/v1/subscriptions/confirm", params=evil, data={"token": token}
        )
        assert confirmed.status_code == 200 and "Đã xác nhận" in confirmed.text
        assert_escaped(confirmed)  # the saved search's words, in the thank-you
        await _unsubscribe_pages(s, confirmed.text)

        english = {"token": EVIL, "lang": "en"}
        forged_confirm = await s.notify.post(
            "/v1/subscriptions/confirm", params={"lang": "en", **evil}, data={"token": EVIL}
        )
        forged_leave = await s.notify.get("/v1/subscriptions/unsubscribe", params=english)
        for forged in (forged_confirm, forged_leave):
            assert forged.status_code == 400 and "Invalid link" in forged.text
            assert_escaped(forged, shown=False)


async def _unsubscribe_pages(s: Stack, confirmed: str) -> None:
    match = re.search(r'href="[^"]*(/v1/subscriptions/unsubscribe\?token=[^"]+)"', confirmed)
    assert match, confirmed
    token = httpx2.URL(match.group(1).replace("&amp;", "&")).params["token"]
    evil = {"x": EVIL}
    leave = await s.notify.get("/v1/subscriptions/unsubscribe", params={"token": token, **evil})
    assert leave.status_code == 200
    assert_escaped(leave, shown=False)
    left = await s.notify.post("/v1/subscriptions/unsubscribe", params={"token": token, **evil})
    assert left.status_code == 200 and "Đã huỷ" in left.text
    assert_escaped(left, shown=False)


async def test_the_attest_pages_escape_the_members_name_and_the_query(settings: Settings) -> None:
    name = f"Thư viện {EVIL}"
    joined = datetime.now(UTC) - timedelta(days=200)
    created = Member(code="xss", name=name, contact_email="xss@member.vn", joined_at=joined)
    async with stack(settings) as s:
        await publish(s.settings, MemberChanged(change="created", member=created))

        async def known() -> bool:
            return (await s.notify.get("/v1/freshness/xss")).status_code == 200

        await eventually(known)
        run = await s.notify.post("/v1/reminders/run", headers=admin(s.settings))
        assert run.status_code == 200, run.text
        (mail,) = s.mailbox.to("xss@member.vn")
        found = re.search(r"/v1/attest\?token=(\S+)", text_of(mail))
        assert found, text_of(mail)
        token = unquote(found.group(1))
        evil = {"x": EVIL}

        opened = await s.notify.get("/v1/attest", params={"token": token, **evil})
        assert opened.status_code == 200 and "<form" in opened.text
        assert_escaped(opened)
        assert "/v1/attest/seen" in opened.text  # the page's own script is still there

        done = await s.notify.post("/v1/attest", params=evil, data={"token": token})
        assert done.status_code == 200 and "Đã xác nhận" in done.text
        assert_escaped(done)

        again = await s.notify.post("/v1/attest", params=evil, data={"token": token})
        assert again.status_code == 410 and "đã được dùng" in again.text
        assert_escaped(again, shown=False)

        forged = await s.notify.get("/v1/attest", params={"token": EVIL, "lang": "en"})
        assert forged.status_code == 400 and "Invalid link" in forged.text
        assert_escaped(forged, shown=False)
