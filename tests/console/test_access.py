"""Keyboard only through sign-in, axe-core on the main pages, both languages, desktop and phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.conftest import Console, issue_key
from tests.e2e.conftest import E2E, member_code

pytestmark = pytest.mark.e2e

RECORDS = [
    {
        "local_id": "db-1",
        "kind": "database",
        "title": "Cơ sở dữ liệu luận văn thạc sĩ Hàng hải",
        "description": "Toàn văn luận văn thạc sĩ của trường từ năm 2005",
        "subjects": ["Hàng hải", "Luận văn"],
        "year": 2024,
        "url": "https://thuvien.example.vn/luan-van",
    },
    {
        "local_id": "tr-1",
        "kind": "training",
        "title": "Tập huấn khai thác cơ sở dữ liệu khoa học",
        "starts_at": "2026-05-12T08:00:00+07:00",
        "ends_at": "2026-05-12T11:30:00+07:00",
        "location": "Hội trường A, 484 Lạch Tray",
    },
]


def focused(browser: Console) -> dict[str, Any]:
    return browser.driver.execute_script(
        "const el = document.activeElement; const style = getComputedStyle(el);"
        "return {id: el.id, tag: el.tagName.toLowerCase(), text: el.textContent.trim(),"
        " outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};"
    )


def tab(browser: Console, times: int = 1) -> dict[str, Any]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(times):
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
    return focused(browser)


def back_tab(browser: Console) -> dict[str, Any]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(browser.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB)
    chain.key_up(Keys.SHIFT).perform()
    return focused(browser)


def test_sign_in_by_keyboard_only_with_the_error_summary_and_visible_focus(
    browser: Console, api: E2E
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    code = member_code("kb")
    api.create_member(code, "Viện Thử nghiệm Bàn phím", type="institute")
    key = issue_key(api, label="Trần Văn Phím", role="member", member=code)
    browser.open("/console/sign-in")

    first = tab(browser)
    assert first["text"] == "Bỏ qua, đến nội dung chính"
    assert first["outline"] == "solid" and first["width"] >= 2, first
    stops = [tab(browser) for _ in range(3)]
    assert [s["id"] for s in stops[1:]] == ["lang-switch", "f-key"], stops
    # Submitting empty: the summary takes the focus and links to the field.
    ActionChains(browser.driver).send_keys(Keys.ENTER).perform()
    browser.until(lambda: focused(browser)["text"].startswith("Có vấn đề"), "the error summary")
    summary = browser.driver.find_element("css selector", ".error-summary")
    assert "Nhập khoá truy cập" in summary.text
    assert browser.field("key").get_attribute("aria-invalid") == "true"
    assert browser.driver.find_element("id", "e-key").text == "Nhập khoá truy cập"
    browser.shot("sign-in-error")
    link = tab(browser)
    assert link["tag"] == "a" and link["text"] == "Nhập khoá truy cập"
    ActionChains(browser.driver).send_keys(Keys.ENTER).perform()
    assert focused(browser)["id"] == "f-key"
    ActionChains(browser.driver).send_keys(key, Keys.ENTER).perform()
    browser.until(lambda: browser.driver.find_elements("id", "sign-out"), "the who-am-I bar")
    assert browser.heading() == "Viện Thử nghiệm Bàn phím"
    # The new page's heading has the focus; the navigation and sign-out are just before it.
    assert focused(browser)["tag"] == "h1"
    stops = [back_tab(browser)["text"] for _ in range(8)]
    assert stops[:7] == [
        "Thu thập OAI", "Chất lượng", "Lần gửi", "Bản ghi", "Nhập tệp", "Tổng quan", "Đăng xuất"
    ]  # fmt: skip


MEMBER_PAGES = [
    ("/console/member", "member-overview"),
    ("/console/member/import", "member-import"),
    ("/console/member/records", "member-records"),
    ("/console/member/records/db-1", "member-record"),
    ("/console/member/records/tr-1/edit", "member-record-edit"),
    ("/console/member/records/new", "member-record-new"),
    ("/console/member/submissions", "member-submissions"),
]
CENTRE_PAGES = [
    ("/console/centre", "centre-freshness"),
    ("/console/centre/members", "centre-members"),
    ("/console/centre/members/new", "centre-member-new"),
    ("/console/centre/keys", "centre-keys"),
    ("/console/centre/reminders", "centre-reminders"),
    ("/console/centre/stats", "centre-stats"),
    ("/console/centre/analytics", "centre-analytics"),
    ("/console/centre/harvest", "centre-harvest"),
    ("/console/centre/audit", "centre-audit"),
]


def check_pages(browser: Console, pages: list[tuple[str, str]]) -> dict[str, Any]:
    found = {}
    for path, name in pages:
        browser.open(path)
        assert browser.driver.find_elements("css selector", "main h1"), path
        violations = browser.axe()
        if violations:
            found[path] = violations
        browser.shot(name)
    return found


def switch_language(browser: Console) -> None:
    browser.driver.find_element("id", "lang-switch").click()
    browser.ready()


def test_main_pages_have_no_serious_accessibility_violations_in_both_languages_and_sizes(
    browser: Console, api: E2E
) -> None:
    code = member_code("ax")
    api.create_member(code, "Trường Đại học Thử nghiệm Truy cập", type="university")
    key = issue_key(api, label="Lê Thị Truy Cập — Thư viện", role="member", member=code)
    api.wait_done(key, api.push(key, RECORDS)["submission_id"])
    centre = issue_key(api, label="Phạm Văn Trung — Trung tâm", role="centre")

    problems: dict[str, Any] = {}
    browser.sign_in(key)
    problems |= check_pages(browser, MEMBER_PAGES)
    switch_language(browser)
    assert browser.driver.find_element("id", "lang-switch").text == "Tiếng Việt"
    problems |= check_pages(browser, MEMBER_PAGES[:3])
    browser.resize("phone")
    problems |= check_pages(browser, MEMBER_PAGES[:4])
    switch_language(browser)
    problems |= check_pages(browser, MEMBER_PAGES[:4])

    browser.resize("desktop")
    browser.driver.find_element("id", "sign-out").click()
    browser.ready()
    assert "Bạn đã đăng xuất." in browser.text()
    assert browser.session_storage() == {}
    problems |= check_pages(browser, [("/console/sign-in", "sign-in")])
    browser.sign_in(centre)
    problems |= check_pages(browser, CENTRE_PAGES)
    browser.resize("phone")
    problems |= check_pages(browser, CENTRE_PAGES[:3])
    switch_language(browser)
    problems |= check_pages(browser, [*CENTRE_PAGES[:2], ("/console/sign-in", "sign-in")])
    assert problems == {}


def test_a_member_sees_only_its_own_pages_whatever_the_address_says(
    browser: Console, api: E2E
) -> None:
    mine, other = member_code("mi"), member_code("ot")
    api.create_member(mine, "Đơn vị Của Tôi", type="agency")
    api.create_member(other, "Đơn vị Người Khác", type="agency")
    key = issue_key(api, label="Người Tò Mò", role="member", member=mine)
    browser.sign_in(key)
    for path in ("/console/centre", "/console/centre/keys", "/console/centre/audit"):
        browser.open(path)
        assert browser.heading() == "Không có quyền xem trang này", path
    browser.open(f"/console/member?member={other}")
    assert browser.heading() == "Đơn vị Của Tôi"
    browser.open(f"/console/member/submissions?member={other}")
    assert browser.heading() == "Các lần gửi dữ liệu"
    assert "Không có quyền" not in browser.text()
