"""Sessions at the console: an expired one returns to sign-in and the form keeps its values;
a revoked key's session stops working; a suspended member's session ends; sign-out forgets the
token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Caller, session_signer
from tests.console.conftest import Console, issue_key
from tests.console.test_access import switch_language
from tests.e2e.conftest import E2E, RunningStack, member_code, poll

pytestmark = pytest.mark.e2e

RECORD = {"local_id": "ph-1", "kind": "publication", "title": "Tạp chí Khoa học Hàng hải số 80"}


def expired_token(stack: RunningStack, *, member: str, label: str) -> str:
    """A session token signed with the stack's own secret, whose time has passed."""
    signer = session_signer(
        stack.settings.model_copy(update={"stinet_data_dir": stack.stack.data_dir})
    )
    caller = Caller(key_id="k-expired", label=label, role="member", member=member, via="session")
    token, _ = signer.issue(caller, now=datetime.now(UTC) - timedelta(hours=9))
    return token


def test_an_expired_session_returns_to_sign_in_and_the_form_keeps_its_values(
    browser: Console, api: E2E, console_stack: RunningStack
) -> None:
    code = member_code("ex")
    api.create_member(code, "Bệnh viện Thử nghiệm Hết hạn", type="hospital")
    key = issue_key(api, label="Đỗ Thị Hạn", role="member", member=code)
    api.wait_done(key, api.push(key, [RECORD])["submission_id"])

    browser.sign_in(key)
    browser.open("/console/member/records/ph-1/edit")
    browser.fill("title", "Tạp chí Khoa học Hàng hải số 81")
    browser.fill("description", "Số chuyên đề về an toàn hàng hải")
    stale = expired_token(console_stack, member=code, label="Đỗ Thị Hạn")
    browser.driver.execute_script("sessionStorage.setItem('stinet.token', arguments[0])", stale)
    browser.press("Lưu")

    browser.until(lambda: "/console/sign-in" in browser.driver.current_url, "the sign-in page")
    browser.ready()
    assert "Phiên làm việc đã hết hạn" in browser.text()
    assert "stinet.token" not in browser.session_storage()
    browser.shot("session-expired")
    browser.fill("key", key)
    browser.press("Đăng nhập")
    browser.until(lambda: browser.driver.current_url.endswith("/ph-1/edit"), "the form again")
    browser.ready()
    assert browser.field("title").get_attribute("value") == "Tạp chí Khoa học Hàng hải số 81"
    assert browser.field("description").get_attribute("value") == "Số chuyên đề về an toàn hàng hải"
    assert "Đã khôi phục nội dung" in browser.text()
    browser.press("Lưu")
    browser.until(lambda: "saved=1" in browser.driver.current_url, "the saved record")
    assert browser.heading() == "Tạp chí Khoa học Hàng hải số 81"
    assert not [k for k in browser.session_storage() if k.startswith("stinet.draft")]


def test_a_member_suspended_while_its_staff_work_ends_their_session_and_keeps_the_form(
    browser: Console, api: E2E
) -> None:
    code = member_code("su")
    api.create_member(code, "Viện Thử nghiệm Tạm ngừng", type="institute")
    key = issue_key(api, label="Lê Văn Ngừng", role="member", member=code)
    api.wait_done(key, api.push(key, [RECORD])["submission_id"])

    browser.sign_in(key)
    browser.open("/console/member/records/ph-1/edit")
    browser.fill("title", "Tạp chí Khoa học Hàng hải số 82")
    members = f"{api.s.url('catalogue')}/v1/members/{code}"
    assert api.http.delete(members, headers=api.admin).status_code == 200
    session = browser.session_storage()["stinet.token"]
    submissions = f"{api.s.url('ingest')}/v1/submissions"

    def refused() -> bool:
        answer = api.http.get(submissions, headers={"Authorization": f"Bearer {session}"})
        return answer.status_code == 403 and answer.json()["error"]["code"] == "member_suspended"

    poll(refused, timeout=60, what="the suspended member's session to be refused")
    browser.press("Lưu")

    browser.until(lambda: "/console/sign-in" in browser.driver.current_url, "the sign-in page")
    browser.ready()
    assert "reason=suspended" in browser.driver.current_url
    assert "đang bị Trung tâm tạm ngừng" in browser.text()
    assert "stinet.token" not in browser.session_storage()
    drafts = [k for k in browser.session_storage() if k.startswith("stinet.draft")]
    assert drafts  # what was typed waits for the member to be reopened
    assert not browser.axe()
    browser.shot("session-member-suspended")
    switch_language(browser)
    assert "Your member has been suspended by the centre" in browser.text()
    browser.resize("phone")
    browser.shot("session-member-suspended")


def test_opening_the_console_with_an_expired_session_asks_to_sign_in_again(
    browser: Console, api: E2E, console_stack: RunningStack
) -> None:
    code = member_code("ex")
    api.create_member(code, "Viện Thử nghiệm Mở lại", type="institute")
    browser.open("/console/sign-in")
    stale = expired_token(console_stack, member=code, label="Ai đó")
    browser.driver.execute_script("sessionStorage.setItem('stinet.token', arguments[0])", stale)
    browser.open("/console/member/records")
    browser.until(lambda: "/console/sign-in" in browser.driver.current_url, "the sign-in page")
    assert "reason=expired" in browser.driver.current_url
    assert "next=%2Fconsole%2Fmember%2Frecords" in browser.driver.current_url


def test_a_draft_is_never_given_to_another_members_staff_signing_in_on_the_same_tab(
    browser: Console, api: E2E, console_stack: RunningStack
) -> None:
    first, second = member_code("da"), member_code("db")
    api.create_member(first, "Đơn vị Thứ nhất", type="agency")
    api.create_member(second, "Đơn vị Thứ hai", type="agency")
    key_a = issue_key(api, label="Người A", role="member", member=first)
    key_b = issue_key(api, label="Người B", role="member", member=second)
    api.wait_done(key_a, api.push(key_a, [RECORD])["submission_id"])
    theirs = {**RECORD, "title": "Bản ghi của đơn vị thứ hai"}
    api.wait_done(key_b, api.push(key_b, [theirs])["submission_id"])

    browser.sign_in(key_a)
    browser.open("/console/member/records/ph-1/edit")
    browser.fill("title", "Bản nháp bí mật của đơn vị thứ nhất")
    stale = expired_token(console_stack, member=first, label="Người A")
    browser.driver.execute_script("sessionStorage.setItem('stinet.token', arguments[0])", stale)
    browser.press("Lưu")
    browser.until(lambda: "/console/sign-in" in browser.driver.current_url, "the sign-in page")
    browser.ready()
    browser.fill("key", key_b)
    browser.press("Đăng nhập")
    browser.until(lambda: browser.driver.current_url.endswith("/ph-1/edit"), "the same address")
    browser.ready()
    assert browser.field("title").get_attribute("value") == "Bản ghi của đơn vị thứ hai"
    assert "Bản nháp bí mật" not in browser.driver.page_source


def test_signing_out_forgets_the_token_and_the_drafts(browser: Console, api: E2E) -> None:
    code = member_code("so")
    api.create_member(code, "Đơn vị Đăng xuất", type="agency")
    key = issue_key(api, label="Người Đăng Xuất", role="member", member=code)
    browser.sign_in(key)
    browser.driver.execute_script(
        "sessionStorage.setItem('stinet.draft:/console/member/records/new#record-form', '{}')"
    )
    browser.driver.find_element("id", "sign-out").click()
    browser.ready()
    assert "Bạn đã đăng xuất." in browser.text()
    assert browser.session_storage() == {}
    browser.open("/console/member")
    assert "/console/sign-in" in browser.driver.current_url
