"""``records.changed`` and ``member.changed`` through the real RabbitMQ into the live index."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from shared.events import ChangeKind, Member, MemberChanged, RecordChange, RecordsChanged
from shared.records import Record, RecordStatus
from shared.topology import publish_event
from tests.search.corpus import make_record
from tests.search.service.conftest import Service


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy (or fail after ``within`` s)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def publish(service: Service, *changes: tuple[ChangeKind, Record]) -> None:
    event = RecordsChanged(changes=[RecordChange(change=c, record=r) for c, r in changes])
    await publish_event(service.broker, service.settings, event)


async def hit_ids(service: Service, q: str, **params: Any) -> list[str]:
    response = await service.client.get("/v1/search", params={"q": q, **params})
    return [h["id"] for h in response.json()["hits"]]


async def indexed_version(service: Service, record_id: str) -> int | None:
    response = await service.client.get(f"/v1/records/{record_id}")
    return response.json()["version"] if response.status_code == 200 else None


async def test_created_records_become_searchable(service: Service) -> None:
    record = make_record("qn", "c1", "Bản đồ số vịnh Lan Hạ", kind="database", year=2025)
    await publish(service, (ChangeKind.CREATED, record))
    assert "qn:c1" in await eventually(lambda: hit_ids(service, "ban do so vinh lan ha"))


async def test_withdrawn_records_leave_the_results_and_late_updates_do_not_revive_them(
    service: Service,
) -> None:
    v1 = make_record("qn", "w1", "Kỷ yếu hội thảo đảo Cát Bà", version=1)
    await publish(service, (ChangeKind.CREATED, v1))
    await eventually(lambda: hit_ids(service, "dao cat ba"))
    withdrawn = make_record("qn", "w1", v1.title, version=2, status=RecordStatus.WITHDRAWN)
    await publish(service, (ChangeKind.WITHDRAWN, withdrawn))
    await eventually(lambda: _absent(service, "dao cat ba", "qn:w1"))
    # A redelivered, older "created" arrives after the withdrawal: nothing changes.
    await publish(service, (ChangeKind.CREATED, v1))
    marker = make_record("qn", "w1-marker", "Đánh dấu thứ tự sự kiện")
    await publish(service, (ChangeKind.CREATED, marker))
    await eventually(lambda: hit_ids(service, "danh dau thu tu su kien"))
    assert "qn:w1" not in await hit_ids(service, "dao cat ba")
    assert await indexed_version(service, "qn:w1") == 2


async def _absent(service: Service, q: str, record_id: str) -> bool:
    return record_id not in await hit_ids(service, q)


async def test_out_of_order_versions_keep_the_newest(service: Service) -> None:
    newer = make_record("qn", "o1", "Tạp chí Thủy sản (bản mới)", version=3)
    older = make_record("qn", "o1", "Tạp chí Thủy sản (bản cũ)", version=2)
    await publish(service, (ChangeKind.UPDATED, newer))
    await eventually(lambda: indexed_version(service, "qn:o1"))
    await publish(service, (ChangeKind.UPDATED, older))
    marker = make_record("qn", "o1-marker", "Đánh dấu thứ hai")
    await publish(service, (ChangeKind.CREATED, marker))
    await eventually(lambda: hit_ids(service, "danh dau thu hai"))
    response = await service.client.get("/v1/records/qn:o1")
    assert response.json()["title"] == "Tạp chí Thủy sản (bản mới)"


async def test_linked_changes_update_holdings_without_a_new_version(service: Service) -> None:
    record = make_record("qn", "l1", "Từ điển Hàng hải Anh – Việt", version=1)
    await publish(service, (ChangeKind.CREATED, record))
    await eventually(lambda: indexed_version(service, "qn:l1"))
    linked = record.model_copy(update={"also_held_by": ["hpl:b-17", "vmu:x-2"]})
    await publish(service, (ChangeKind.LINKED, linked))

    async def holders() -> list[str]:
        response = await service.client.get("/v1/records/qn:l1")
        return response.json()["also_held_by"]

    assert await eventually(holders) == ["hpl:b-17", "vmu:x-2"]


async def test_member_names_label_the_member_facet(service: Service) -> None:
    await publish(
        service, (ChangeKind.CREATED, make_record("qnlib", "m1", "Sách địa chí Quảng Ninh"))
    )
    member = Member(code="qnlib", name="Thư viện tỉnh Quảng Ninh", name_en="Quang Ninh Library")
    await publish_event(
        service.broker, service.settings, MemberChanged(change="created", member=member)
    )

    async def labels() -> dict[str, Any]:
        response = await service.client.get("/v1/search", params={"q": "dia chi quang ninh"})
        return response.json()["member_names"]

    names = await eventually(labels, within=20)
    assert names["qnlib"]["name"] == "Thư viện tỉnh Quảng Ninh"
