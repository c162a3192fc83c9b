"""The centre's page of what people look for (issue 17): a few searches and one result opened
through the public API, then the page shows them; the period is kept in the URL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.console.conftest import Console, issue_key
from tests.e2e.conftest import E2E, member_code

pytestmark = pytest.mark.e2e

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
RECORDS = [
    {"local_id": "s-1", "kind": "publication", "title": "Sứa biển vùng Cát Bà"},
    {"local_id": "s-2", "kind": "database", "title": "Cơ sở dữ liệu sứa biển Hạ Long"},
]


def rows(browser: Console, table: str) -> dict[str, list[str]]:
    """A table's rows by their first cell."""
    found = {}
    for row in browser.driver.find_elements("css selector", f"#{table} tbody tr"):
        cells = [c.text for c in row.find_elements("css selector", "td")]
        found[cells[0]] = cells[1:]
    return found


def set_period(browser: Console, first: str, last: str) -> None:
    """Date inputs take their value as the browser shows it: set it as the page reads it."""
    browser.driver.execute_script(
        "document.getElementById('f-from').value = arguments[0];"
        "document.getElementById('f-to').value = arguments[1];",
        first,
        last,
    )


def test_the_centre_sees_top_zero_result_and_unopened_queries_and_each_member(
    browser: Console, api: E2E
) -> None:
    code = member_code("sb")
    api.create_member(code, "Viện Nghiên cứu Sứa biển", type="institute")
    key = issue_key(api, label="Cán bộ Sứa", role="member", member=code)
    api.wait_done(key, api.push(key, RECORDS)["submission_id"])
    api.wait_search_total(2, member=code)  # no query text: not counted as a search
    found = [api.search(q="sứa biển") for _ in range(3)]
    assert found[0]["total"] == 2
    for _ in range(2):
        assert api.search(q="qqzzkkww")["total"] == 0
    assert api.search(q="Hạ Long sứa")["total"] >= 1  # found, never opened
    hit = found[0]["hits"][0]
    opened = api.http.get(
        f"{api.s.url('search')}/records/{hit['id']}", params={"from": found[0]["search_id"]}
    )
    assert opened.status_code == 200

    browser.sign_in(issue_key(api, label="Phạm Văn Trung — Trung tâm", role="centre"))
    browser.link("Người dùng tìm gì")
    assert browser.heading() == "Người dùng tìm gì"
    assert browser.until(lambda: rows(browser, "top-queries").get("sua bien"), "the top row") == [
        "3", "0", "1"
    ]  # fmt: skip
    assert rows(browser, "zero-queries")["qqzzkkww"] == ["2", "2"]
    unopened = rows(browser, "unopened-queries")
    assert "ha long sua" in unopened and "sua bien" not in unopened
    member = rows(browser, "member-counts")[f"Viện Nghiên cứu Sứa biển ({code})"]
    assert int(member[0]) >= 3 * 2 + 1 and member[1] == "1"  # shown, opened
    assert browser.driver.find_elements("id", "chart-analytics-days")
    today = datetime.now(HCM).strftime("%d/%m/%Y")
    assert int(rows(browser, "analytics-days-table")[today][0]) >= 6
    browser.shot("centre-analytics")

    # A past period, kept in the URL; the back button brings the default period back.
    set_period(browser, "2025-01-01", "2025-01-31")
    browser.press("Xem")
    browser.until(lambda: "from=2025-01-01&to=2025-01-31" in browser.driver.current_url, "URL")
    browser.ready()
    assert "Từ 01/01/2025 đến 31/01/2025: 0 lượt tìm" in browser.text()
    assert "sua bien" not in browser.text()
    browser.driver.back()
    browser.until(lambda: "from=" not in browser.driver.current_url, "the URL before")
    browser.ready()
    assert rows(browser, "top-queries")["sua bien"][0] == "3"

    # A period backwards is stopped in the form; one too long is refused by the API, by field.
    set_period(browser, "2026-02-01", "2026-01-01")
    browser.press("Xem")
    summary = browser.until(
        lambda: browser.driver.find_element("css selector", ".error-summary"), "the summary"
    )
    assert "Ngày bắt đầu phải trước ngày kết thúc" in summary.text
    assert browser.field("from").get_attribute("aria-invalid") == "true"
    browser.open("/console/centre/analytics?from=2024-01-01&to=2026-01-01")
    summary = browser.until(
        lambda: browser.driver.find_element("css selector", ".error-summary"), "the summary"
    )
    assert "400" in summary.text and browser.field("to").get_attribute("aria-invalid") == "true"

    browser.open("/console/centre/analytics")
    browser.driver.find_element("id", "lang-switch").click()
    browser.ready()
    assert browser.heading() == "What people look for"
    assert rows(browser, "top-queries")["sua bien"][0] == "3"
