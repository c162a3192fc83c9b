"""The centre's oversight pages: duplicates side by side, the merged audit log, queue depths,
searches per day."""

from __future__ import annotations

import pytest

from tests.console.conftest import Console, issue_key
from tests.e2e.conftest import E2E, member_code

pytestmark = pytest.mark.e2e

CENTRE = "Phạm Văn Trung — Trung tâm"


def test_centre_confirms_a_duplicate_and_reads_who_did_it_in_the_audit_log(
    browser: Console, api: E2E
) -> None:
    first, second = member_code("d1"), member_code("d2")
    api.create_member(first, "Thư viện Trùng Một", type="library")
    api.create_member(second, "Thư viện Trùng Hai", type="library")
    for code, title, doi in (
        (first, "Hải dương học nhiệt đới", "10.5555/trung.2024"),
        (second, "Hải dương học nhiệt đới (bản in)", "10.5555/TRUNG.2024"),
    ):
        key = issue_key(api, label=f"Cán bộ {code}", role="member", member=code)
        record = {"local_id": "x", "kind": "publication", "title": title,
                  "identifiers": {"doi": doi}}  # fmt: skip
        api.wait_done(key, api.push(key, [record])["submission_id"])
    api.search(q="hai duong hoc")  # one search today, for the chart
    centre = issue_key(api, label=CENTRE, role="centre")
    browser.sign_in(centre)

    browser.open(f"/console/centre/duplicates?member={first}")
    pair = browser.driver.find_element("css selector", ".pair")
    assert "Hải dương học nhiệt đới" in pair.text and "(bản in)" in pair.text
    browser.shot("centre-duplicates")
    browser.press("Đúng là trùng")
    browser.wait_text("Không còn cặp nào cần xem.")

    browser.link("Nhật ký")
    browser.choose("member", first)
    browser.choose("action", "duplicate.confirmed")
    browser.press("Lọc")
    browser.until(lambda: "action=duplicate.confirmed" in browser.driver.current_url, "filter")
    browser.ready()
    rows = browser.driver.find_elements("css selector", "#audit tbody tr")
    assert len(rows) == 1 and CENTRE in rows[0].text and "catalogue" in rows[0].text
    browser.shot("centre-audit")

    browser.link("Hàng đợi")
    queues = browser.driver.find_element("id", "queues").text
    assert "records-submitted" in queues
    browser.shot("centre-queues")

    browser.link("Thống kê")
    assert browser.driver.find_elements("id", "chart-searches")
    browser.shot("centre-stats")
