"""``python -m services.search reindex`` with no service running: rebuilds on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from devstack.processes import free_port
from services.search.__main__ import reindex
from services.search.adapters.tantivy_index import TantivyIndex
from shared.config import Settings
from tests.search.corpus import make_record
from tests.search.service.conftest import FakeCatalogue


def test_reindex_offline_reads_the_catalogue_into_the_data_dir(
    catalogue: FakeCatalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue.records = [make_record("cli", f"r{n}", f"Ấn phẩm dòng lệnh {n}") for n in range(700)]
    settings = Settings(
        stinet_data_dir=tmp_path,
        search_port=free_port(),  # nothing listens: the command works on disk itself
        catalogue_url=f"http://127.0.0.1:{catalogue.port}",
        meili_url=None,
    )
    assert reindex(settings) == 0
    out = capsys.readouterr().out
    assert "700" in out

    async def count() -> int:
        index = TantivyIndex(tmp_path)
        await index.open()
        try:
            return await index.count()
        finally:
            await index.close()

    assert asyncio.run(count()) == 700
