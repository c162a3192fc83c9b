"""The embedded engine's files: an index written by an older schema does not stop the service."""

from __future__ import annotations

from pathlib import Path

import tantivy

from services.search.adapters.tantivy_index import TantivyIndex
from tests.search.corpus import make_record


async def test_an_index_with_another_schema_is_set_aside_for_a_fresh_one(tmp_path: Path) -> None:
    root = tmp_path / "search" / "records"
    old = root / "index-old"
    old.mkdir(parents=True)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else")
    tantivy.Index(builder.build(), path=str(old))
    (root / "CURRENT").write_text("index-old")
    index = TantivyIndex(tmp_path)
    await index.open()
    try:
        await index.upsert([make_record("m1", "1", "Vẫn tìm được")])
        assert await index.count() == 1
        assert (root / "CURRENT").read_text() != "index-old"
        assert old.exists()  # kept until a rebuild replaces it
        await index.begin_rebuild()
        await index.finish_rebuild()
        assert not old.exists()
        assert len(list(root.glob("index-*"))) == 1
    finally:
        await index.close()


async def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    first = TantivyIndex(tmp_path)
    await first.open()
    await first.upsert([make_record("m1", "1", "Bền vững")])
    await first.close()
    second = TantivyIndex(tmp_path)
    await second.open()
    try:
        record = await second.get("m1:1")
        assert record is not None and record.title == "Bền vững"
    finally:
        await second.close()
