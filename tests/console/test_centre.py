"""The centre at the console: register a member, issue its staff a key, revoke it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.console.conftest import Console, issue_key
from tests.e2e.conftest import E2E, member_code, poll

pytestmark = pytest.mark.e2e

NAME = "Trung tâm Y tế Thử nghiệm Kiến An"
HOLDER = "Vũ Thị Khoá — Phòng Thông tin"


def accept_confirm(browser: Console) -> None:
    alert = browser.until(lambda: browser.driver.switch_to.alert, "the confirmation")
    alert.accept()


def test_centre_registers_a_member_issues_a_key_once_and_revoking_it_ends_its_session(
    browser: Console, api: E2E
) -> None:
    centre = issue_key(api, label="Phạm Văn Trung — Trung tâm", role="centre")
    code = member_code("yt")
    browser.sign_in(centre)
    assert browser.driver.current_url.endswith("/console/centre")
    browser.shot("centre-freshness")

    browser.link("Thành viên")
    browser.link("Đăng ký thành viên")
    browser.fill("code", code)
    browser.fill("name", NAME)
    browser.choose("type", "hospital")
    browser.fill("contact_email", "không-phải-thư")
    browser.press("Đăng ký thành viên")
    # The API's field-level detail lands beside the field and in the summary at the top.
    browser.until(lambda: browser.driver.find_elements("css selector", ".error-summary"), "errors")
    assert browser.driver.find_element("id", "e-contact_email").is_displayed()
    assert browser.field("contact_email").get_attribute("aria-invalid") == "true"
    summary_link = browser.driver.find_element("css selector", ".error-summary a")
    assert summary_link.get_attribute("href").endswith("#f-contact_email")
    browser.shot("centre-member-error")
    browser.fill("contact_email", "thongtin@ytkienan.example.vn")
    browser.choose("import_reports", "false")  # the member asked for no import report mails
    browser.press("Đăng ký thành viên")
    browser.until(lambda: "saved=1" in browser.driver.current_url, "the member's page")
    assert browser.heading() == NAME
    profile = api.http.get(f"{api.s.url('catalogue')}/v1/members/{code}", headers=api.admin)
    assert profile.json()["import_reports"] is False
    assert browser.field("import_reports").get_attribute("value") == "false"
    browser.link("Xem như thành viên")
    assert browser.heading() == NAME
    assert f"đang làm việc thay thành viên {code}" in browser.driver.page_source
    browser.driver.back()
    browser.ready()
    assert browser.heading() == NAME

    browser.link("Khoá truy cập của thành viên này")
    assert browser.field("member").get_attribute("value") == code
    browser.fill("label", HOLDER)
    browser.press("Cấp khoá mới")
    shown = browser.until(
        lambda: browser.driver.find_element("id", "issued-key").get_attribute("value"), "the key"
    )
    assert browser.button("Sao chép").is_displayed()
    browser.shot("centre-key-issued")
    browser.wait_text(HOLDER)

    session = api.http.post(f"{api.s.url('ingest')}/v1/sessions", json={"key": shown})
    assert session.status_code == 201, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    current = f"{api.s.url('ingest')}/v1/sessions/current"
    assert api.http.get(current, headers=bearer).status_code == 200

    # Shown once: the list and a second visit never show the key again.
    browser.open(f"/console/centre/keys?member={code}")
    assert shown not in browser.driver.page_source
    row = next(
        r
        for r in browser.driver.find_elements("css selector", "#keys tbody tr")
        if HOLDER in r.text
    )
    row.find_element("css selector", "button").click()
    accept_confirm(browser)
    browser.wait_text(f"Đã thu hồi khoá của “{HOLDER}”.")
    browser.shot("centre-key-revoked")

    def ended() -> bool:
        answer = api.http.get(current, headers=bearer)
        return answer.status_code == 401 and answer.json()["error"]["code"] == "session_revoked"

    poll(ended, timeout=60, what="the revoked key's session to end")
    login = api.http.post(f"{api.s.url('ingest')}/v1/sessions", json={"key": shown})
    assert login.status_code == 401

    # Suspend the member, then open it again.
    browser.open(f"/console/centre/members/{code}")
    browser.press("Tạm ngừng thành viên")
    accept_confirm(browser)
    browser.until(lambda: browser.button("Mở lại thành viên"), "the suspended member")
    assert "Tạm ngừng" in browser.driver.find_element("css selector", ".state-line").text
    browser.press("Mở lại thành viên")
    browser.until(lambda: browser.button("Tạm ngừng thành viên"), "the active member again")
    assert api.http.get(f"{api.s.url('catalogue')}/v1/members/{code}").json()["status"] == "active"


def test_centre_sorts_and_filters_the_board_previews_a_later_day_and_reads_the_charts(
    browser: Console, api: E2E
) -> None:
    code = member_code("hp")
    api.create_member(code, "Thư viện Quận Thử nghiệm", type="library")
    key = issue_key(api, label="Ngô Thị Dữ Liệu", role="member", member=code)
    api.wait_done(
        key,
        api.push(
            key, [{"local_id": "a1", "kind": "service", "title": "Dịch vụ cung cấp tài liệu"}]
        )["submission_id"],
    )
    centre = issue_key(api, label="Phạm Văn Trung — Trung tâm", role="centre")
    browser.sign_in(centre)

    browser.link("Hạn cập nhật")
    assert "sort=due" in browser.driver.current_url
    browser.fill("as_of", "")
    browser.field("as_of").send_keys("01012028")
    browser.press("Xem thử")
    browser.until(lambda: "as_of=2028-01-01" in browser.driver.current_url, "the board as of 2028")
    browser.wait_text("Kết quả xem thử")
    assert code in browser.text()  # the would-send list names the member's reminder
    board = browser.driver.find_element("id", "board").text
    assert "Thư viện Quận Thử nghiệm" in board and "Quá hạn lâu" in board
    browser.shot("centre-whatif")
    browser.driver.find_element("css selector", ".state-counts a[href*='state=ok']").click()
    browser.ready()
    assert "Thư viện Quận Thử nghiệm" not in browser.driver.find_element("id", "main").text

    browser.link("Thống kê")
    chart = browser.driver.find_element("id", "chart-member")
    assert chart.get_attribute("role") == "img"
    table = browser.driver.find_element("id", "by-member-table").text
    assert "Thư viện Quận Thử nghiệm" in table
    months = browser.driver.find_elements("css selector", "#changes-table tbody tr")
    assert len(months) == 12  # the last twelve months, this one last
    this_month = months[-1].find_elements("css selector", "th, td")
    assert this_month[0].text == datetime.now(UTC).strftime("%Y-%m")
    assert int(this_month[1].text.replace(".", "")) > 0  # this test's additions
    browser.shot("centre-stats")


def test_centre_adds_a_harvest_source_runs_it_and_pauses_it(browser: Console, api: E2E) -> None:
    source = member_code("os")
    api.create_member(source, "Kho số Thử nghiệm", type="library")
    key = issue_key(api, label="Người đẩy", role="member", member=source)
    record = {"local_id": "o1", "kind": "publication", "title": "Kỷ yếu hội thảo biển đảo"}
    api.wait_done(key, api.push(key, [record])["submission_id"])
    target = member_code("hv")
    api.create_member(target, "Thư viện Thu thập Thử nghiệm", type="library")
    centre = issue_key(api, label="Phạm Văn Trung — Trung tâm", role="centre")
    browser.sign_in(centre)

    browser.link("Nguồn thu thập")
    browser.choose("member", target)
    browser.fill("base_url", "ftp://kho.example.vn/oai")
    browser.press("Thêm nguồn thu thập")
    browser.until(lambda: browser.driver.find_elements("css selector", ".error-summary"), "errors")
    assert browser.driver.find_element("id", "e-base_url").is_displayed()
    browser.fill("base_url", f"{api.s.url('catalogue')}/oai")
    browser.fill("name", "Kho số thử")
    browser.fill("set", f"member:{source}")
    browser.fill("schedule", "manual")
    browser.press("Thêm nguồn thu thập")
    browser.wait_text("Kho số thử")
    browser.press("Thu thập ngay")

    def harvested() -> bool:
        time.sleep(0.5)  # a reload a second is what a person would do, not ten
        browser.open("/console/centre/harvest")
        row = browser.driver.find_element("css selector", "#sources tbody tr").text
        return "Thành công" in row

    browser.until(harvested, "the run to succeed", timeout=90)
    browser.press("Tạm dừng")
    browser.until(lambda: "Tạm dừng" in browser.text() and browser.button("Chạy lại"), "paused")
    assert not browser.button("Thu thập ngay").is_enabled()
    browser.shot("centre-harvest")
