"""The walking skeleton end to end: real processes, real RabbitMQ, real SecantusDB.

A member is registered, gets a key, pushes records, and anyone finds them with a query
typed without tone marks. Each service stops cleanly on SIGTERM, and a message in flight
when a consumer stops is not lost.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import E2E, RunningStack, member_code, poll

pytestmark = pytest.mark.e2e


def vmu_records() -> list[dict[str, Any]]:
    return [
        {
            "local_id": "csdl-luan-an",
            "kind": "database",
            "title": "Cơ sở dữ liệu luận án Trường Đại học Hàng hải Việt Nam",
            "description": "Toàn văn luận án tiến sĩ ngành khoa học hàng hải từ năm 2005.",
            "subjects": ["hàng hải", "luận án"],
            "url": "https://vimaru.edu.vn/csdl/luan-an",
            "access": "restricted",
        },
        {
            "local_id": "ap-dieu-dong",
            "kind": "publication",
            "title": "Giáo trình Điều động tàu biển",
            "creators": ["Phạm Xuân Dương"],
            "year": 2018,
            "identifiers": {"isbn": "978-604-937-117-2"},
        },
        {
            "local_id": "dt-stcw-2026",
            "kind": "training",
            "title": "Khoá huấn luyện an toàn cơ bản cho thuyền viên",
            "year": 2026,
            "starts_at": "2026-06-13T08:00:00+07:00",
            "ends_at": "2026-06-15T17:00:00+07:00",
            "location": "Trường Đại học Hàng hải Việt Nam",
        },
    ]


def test_member_pushes_records_and_anyone_finds_them_without_tone_marks(
    stack: RunningStack, e2e: E2E
) -> None:
    code = member_code("vmu")
    e2e.create_member(code, "Trường Đại học Hàng hải Việt Nam", name_en="Vietnam Maritime U.")
    key = e2e.issue_key(code)

    accepted = e2e.push(key, vmu_records())
    assert accepted["accepted"] == 3 and accepted["rejected"] == []
    e2e.wait_done(key, accepted["submission_id"])

    found = e2e.wait_search_total(1, q="dai hoc hang hai", member=code)
    ids = [hit["id"] for hit in found["hits"]]
    assert f"{code}:csdl-luan-an" in ids
    assert found["hits"][0]["title"] == "Cơ sở dữ liệu luận án Trường Đại học Hàng hải Việt Nam"
    assert found["facets"]["member"].get(code) == found["total"]

    training = e2e.search(q="huan luyen thuyen vien", member=code, kind="training")
    assert [hit["id"] for hit in training["hits"]] == [f"{code}:dt-stcw-2026"]

    stored = e2e.http.get(f"{stack.url('catalogue')}/v1/records/{code}:ap-dieu-dong")
    assert stored.status_code == 200, stored.text
    assert stored.json()["version"] == 1


def test_pushing_the_same_records_again_changes_no_version(stack: RunningStack, e2e: E2E) -> None:
    code = member_code("dhhp")
    e2e.create_member(code, "Trường Đại học Hải Phòng")
    key = e2e.issue_key(code)
    e2e.wait_done(key, e2e.push(key, vmu_records())["submission_id"])

    again = e2e.wait_done(key, e2e.push(key, vmu_records())["submission_id"])

    outcomes = again.get("outcomes", again.get("items", []))
    assert outcomes and {o["outcome"] for o in outcomes} == {"unchanged"}
    stored = e2e.http.get(f"{stack.url('catalogue')}/v1/records/{code}:csdl-luan-an").json()
    assert stored["version"] == 1


def test_notify_tracks_the_freshness_of_a_member_that_pushed(stack: RunningStack, e2e: E2E) -> None:
    code = member_code("hpmu")
    e2e.create_member(code, "Trường Đại học Y Dược Hải Phòng")
    key = e2e.issue_key(code)
    e2e.wait_done(key, e2e.push(key, vmu_records()[:1])["submission_id"])

    def fresh() -> dict[str, Any] | None:
        body = e2e.http.get(f"{stack.url('notify')}/v1/freshness").json()
        items = body.get("members", body) if isinstance(body, dict) else body
        row = next((m for m in items if m.get("code", m.get("member")) == code), None)
        return row if row and row.get("last_update_at") else None

    row = poll(fresh, timeout=30, what=f"notify to see {code}'s update")
    assert row["state"] == "ok"


def records_batch(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "local_id": f"{prefix}-{i:05d}",
            "kind": "publication",
            "title": f"Nghiên cứu nguồn lợi hải sản ven bờ Hải Phòng, báo cáo số {i}",
            "year": 2000 + i % 25,
        }
        for i in range(count)
    ]


def assert_stopped_cleanly(stack: RunningStack, name: str) -> None:
    code = stack.stack.stop_service(name)
    assert code == 0, f"{name} exited with {code}"
    log = stack.stack.log_path(name).read_text(errors="replace")
    assert "service_stopped" in log, f"{name}'s log does not say it stopped"


def restart(stack: RunningStack, name: str) -> None:
    stack.stack.start_service(name)
    stack.stack.wait_ready(name, timeout=90)


def test_sigterm_mid_batch_loses_nothing_and_every_service_stops_cleanly(
    stack: RunningStack, e2e: E2E
) -> None:
    code = member_code("rimf")
    e2e.create_member(code, "Viện Nghiên cứu Hải sản", type="institute")
    key = e2e.issue_key(code)

    # The catalogue is stopped (SIGTERM) as soon as it has reported the first batch of two
    # 5,000-record submissions (20 batches of 500): the batches in hand finish, the rest wait
    # in its queue, and everything is processed after the restart. (With one submission of
    # 10 batches, the catalogue sometimes finished them all between that report and the stop.)
    first, second = (e2e.push(key, records_batch(5000, part)) for part in ("a", "c"))
    member_auth = {"Authorization": f"Bearer {key}"}

    def state(submission: dict[str, Any]) -> str:
        url = f"{stack.url('ingest')}/v1/submissions/{submission['submission_id']}"
        return str(e2e.http.get(url, headers=member_auth).json()["state"])

    poll(lambda: state(first) != "queued", timeout=60, what="the catalogue's first batch")
    assert_stopped_cleanly(stack, "catalogue")
    assert state(second) != "done"  # stopped mid-work: batches wait in its queue
    restart(stack, "catalogue")
    for submission in (first, second):
        e2e.wait_done(key, submission["submission_id"], timeout=120)
    e2e.wait_search_total(10_000, member=code, timeout=120)

    # With search stopped, changes wait durably in its queue and arrive after the restart.
    assert_stopped_cleanly(stack, "search")
    e2e.wait_done(key, e2e.push(key, records_batch(200, "b"))["submission_id"])
    restart(stack, "search")
    e2e.wait_search_total(10_200, member=code, timeout=120)

    for name in ("ingest", "notify"):
        assert_stopped_cleanly(stack, name)
        restart(stack, name)
    found = e2e.search(q="nguon loi hai san", member=code, per_page=1)
    assert found["total"] == 10_200
