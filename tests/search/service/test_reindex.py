"""Rebuilding from the catalogue: the old index serves until the new one is swapped in."""

from __future__ import annotations

import asyncio

from services.search.handlers import apply_record_changes
from shared.events import ChangeKind, RecordChange, RecordsChanged
from tests.search.corpus import make_record
from tests.search.service.conftest import FakeCatalogue, Service


async def test_reindex_reads_the_whole_catalogue_and_swaps(
    service: Service, catalogue: FakeCatalogue
) -> None:
    index = service.ports.index
    stale = make_record("zz", "stale", "Bản ghi không còn trong danh mục")
    await apply_record_changes(
        RecordsChanged(changes=[RecordChange(change=ChangeKind.CREATED, record=stale)]),
        index=index,
    )
    catalogue.records = [
        make_record("zz", f"r{n:04d}", f"Tài liệu tái lập số {n}") for n in range(1234)
    ]
    admin = {"Authorization": f"Bearer {service.settings.admin_key}"}
    started = await service.client.post("/v1/admin/reindex", headers=admin)
    assert started.status_code == 202, started.text
    for _ in range(400):
        progress = (await service.client.get("/v1/admin/reindex", headers=admin)).json()
        if progress["state"] != "running":
            break
        # The live index keeps answering during the rebuild.
        assert (await service.client.get("/v1/search", params={"q": "tai lieu"})).status_code == 200
        await asyncio.sleep(0.05)
    assert progress["state"] == "done", progress
    assert progress["indexed"] == 1234
    assert (await service.client.get("/v1/records/zz:stale")).status_code == 404
    body = (await service.client.get("/v1/search", params={"q": "tai lieu tai lap"})).json()
    assert body["total"] == 1234


async def test_a_second_rebuild_while_one_runs_is_refused(
    service: Service, catalogue: FakeCatalogue
) -> None:
    admin = {"Authorization": f"Bearer {service.settings.admin_key}"}
    catalogue.delay = 0.3  # each page takes a while: the first rebuild is still running
    try:
        first = await service.client.post("/v1/admin/reindex", headers=admin)
        second = await service.client.post("/v1/admin/reindex", headers=admin)
        assert first.status_code == 202
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "conflict"
    finally:
        catalogue.delay = 0.0
        for _ in range(400):
            progress = await service.client.get("/v1/admin/reindex", headers=admin)
            if progress.json()["state"] != "running":
                break
            await asyncio.sleep(0.05)
    assert progress.json()["state"] == "done"
