"""A member's staff at the console: sign in, import a file, read its report, edit a record."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import Console, issue_key
from tests.e2e.conftest import E2E, member_code

pytestmark = pytest.mark.e2e

GOOD_TITLE = "Giáo trình máy tàu thuỷ"
NEW_TITLE = "Giáo trình máy tàu thuỷ (tái bản)"
# Row 2: stored, with a warning (the ISBN's check digit is wrong: 2, not 0).
# Row 3: rejected (no title).
CSV = (
    "Mã biểu ghi,Loại,Nhan đề,Mô tả,Chủ đề,Ngôn ngữ,Năm,ISBN\r\n"
    f"TV-1,ấn phẩm,{GOOD_TITLE},Giáo trình cho sinh viên ngành máy tàu,Máy tàu,vi,2020,"
    "978-604-0-00000-0\r\n"
    "TV-2,ấn phẩm,,Một dòng thiếu nhan đề,Máy tàu,vi,2021,\r\n"
)


def report_rows(browser: Console) -> list[list[str]]:
    table = browser.driver.find_element("css selector", "#report table")
    return [
        [cell.text for cell in row.find_elements("tag name", "td")]
        for row in table.find_elements("css selector", "tbody tr")
    ]


def test_member_imports_a_file_reads_the_row_report_and_edits_a_record(
    browser: Console, api: E2E, tmp_path: Path
) -> None:
    code = member_code("tv")
    api.create_member(code, "Thư viện Thử nghiệm Hải Phòng", type="library")
    key = issue_key(api, label="Nguyễn Thị Thư — Thư viện", role="member", member=code)

    browser.sign_in(key)
    assert browser.heading() == "Thư viện Thử nghiệm Hải Phòng"
    assert (
        "Nguyễn Thị Thư — Thư viện" in browser.driver.find_element("css selector", ".whoami").text
    )
    assert list(browser.session_storage()) == ["stinet.token"]
    browser.shot("member-overview")

    browser.link("Nhập tệp")
    assert browser.driver.current_url.endswith("/console/member/import")
    upload = tmp_path / "bieu-ghi.csv"
    upload.write_text(CSV, encoding="utf-8")
    browser.field("file").send_keys(str(upload))
    browser.shot("member-import")
    browser.press("Tải lên và nhập")
    browser.until(
        lambda: "/console/member/submissions/" in browser.driver.current_url, "the report page"
    )
    browser.wait_text("Đã xử lý xong.")
    rows = report_rows(browser)
    assert [r[:4] for r in rows] == [
        ["2", "TV-1", "ISBN", "Cảnh báo — đã nhận"],
        ["3", "TV-2", "Nhan đề", "Lỗi — không nhận"],
    ], rows
    assert all(r[4] for r in rows), "every line carries its message"
    browser.shot("member-import-report")

    # The quality inbox, where the six-month reminder and the import report link to.
    browser.link("Chất lượng")
    assert browser.heading() == "Hộp thư chất lượng"
    assert browser.driver.current_url.endswith("/console/member/quality")
    assert "85/100" in browser.driver.find_element("id", "quality-score").text  # 100 − 15
    counts = browser.driver.find_element("id", "quality-counts").text
    assert "ISBN không hợp lệ" in counts and "invalid_isbn" in counts
    assert "TV-1" in browser.driver.find_element("id", "quality-problems").text
    browser.shot("member-quality")

    browser.link("Bản ghi")
    browser.wait_text(GOOD_TITLE)
    assert "Một dòng thiếu nhan đề" not in browser.text()
    browser.shot("member-records")
    browser.link(GOOD_TITLE)
    assert browser.heading() == GOOD_TITLE
    assert "Phiên bản 1" in browser.text()

    kept = browser.driver.find_element("id", "invalid-identifiers").text
    assert "978-604-0-00000-0" in kept  # the wrong ISBN is shown as kept, not hidden

    browser.link("Sửa")
    assert browser.field("isbn").get_attribute("value") == "978-604-0-00000-0"
    assert "không hợp lệ" in browser.driver.find_element("id", "h-isbn").text
    browser.fill("title", NEW_TITLE)
    browser.shot("member-record-edit")
    browser.press("Lưu")
    browser.until(lambda: "saved=1" in browser.driver.current_url, "the saved record page")
    assert browser.heading() == NEW_TITLE
    assert "Phiên bản 2" in browser.text()
    # Editing the title lost nothing the member sent: the wrong ISBN is still kept as sent.
    kept = browser.driver.find_element("id", "invalid-identifiers").text
    assert "978-604-0-00000-0" in kept
    history = browser.driver.find_element("id", "history").text
    assert "Cập nhật" in history and "Nhan đề" in history
    browser.shot("member-record-saved")

    # The back button goes back through the app's pages (History API).
    browser.driver.back()
    browser.ready()
    assert browser.driver.current_url.endswith("/edit")


def test_member_adds_a_record_fixes_what_the_api_refuses_then_withdraws_and_restores_it(
    browser: Console, api: E2E
) -> None:
    code = member_code("vn")
    api.create_member(code, "Viện Thử nghiệm Hải dương học", type="institute")
    key = issue_key(api, label="Hoàng Văn Biển", role="member", member=code)
    browser.sign_in(key)

    browser.open("/console/member/records/new")
    browser.fill("local_id", "CSDL-01")
    browser.choose("kind", "database")
    browser.fill("title", "Cơ sở dữ liệu sinh vật biển vịnh Bắc Bộ")
    browser.fill("year", "hai nghìn")
    browser.press("Lưu")
    # The API's refusal is shown at the field: the summary links to it, the message beside it.
    browser.until(lambda: browser.driver.find_elements("css selector", ".error-summary"), "errors")
    assert browser.driver.find_element("id", "e-year").is_displayed()
    assert browser.field("year").get_attribute("aria-invalid") == "true"
    link = browser.driver.find_element("css selector", ".error-summary a")
    assert link.get_attribute("href").endswith("#f-year")
    browser.shot("member-record-error")
    browser.fill("year", "2019")
    browser.press("Lưu")
    browser.until(lambda: "saved=1" in browser.driver.current_url, "the new record")
    assert browser.heading() == "Cơ sở dữ liệu sinh vật biển vịnh Bắc Bộ"
    assert "Phiên bản 1" in browser.text()

    browser.press("Rút bản ghi")
    browser.until(lambda: browser.driver.switch_to.alert, "the confirmation").accept()
    browser.until(lambda: browser.button("Khôi phục bản ghi"), "the withdrawn record")
    assert "Đã rút" in browser.text()
    browser.press("Khôi phục bản ghi")
    browser.until(lambda: browser.button("Rút bản ghi"), "the restored record")
    assert "Đang hiển thị" in browser.text()
    history = browser.driver.find_element("id", "history").text
    assert "Rút" in history and "Khôi phục" in history
    browser.shot("member-record-restored")
