"""An upgrade that changes the embedded index's schema: the service starts on an empty index
and fills it from the catalogue by itself, waiting for a catalogue that is not up yet."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2
import tantivy

from devstack.processes import free_port
from services.search.bootstrap import bootstrap, create_app
from shared.mongo import make_mongo_client
from tests.conftest import delete_namespace
from tests.search.corpus import make_record
from tests.search.service.conftest import FakeCatalogue, search_settings, serve_catalogue


def an_index_of_another_schema(data_dir: Path) -> None:
    root = data_dir / "search" / "records"
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title_of_an_older_release", stored=True)
    tantivy.Index(builder.build(), path=str(root / "index-old"))
    (root / "CURRENT").write_text("index-old")


async def test_an_index_of_another_schema_is_refilled_from_the_catalogue(
    mongo_url: str, tmp_path: Path
) -> None:
    (tmp_path / "search" / "records" / "index-old").mkdir(parents=True)
    an_index_of_another_schema(tmp_path)
    catalogue = FakeCatalogue(port=free_port())
    catalogue.records = [make_record("hp", f"r{n}", f"Cảng biển Hải Phòng {n}") for n in range(30)]
    # The catalogue's address: nobody answers there yet.
    settings = search_settings(mongo_url, tmp_path, catalogue.port)
    ports = bootstrap(settings)
    ports.rebuilds.refill_retry_seconds = 0.2
    app = create_app(settings, ports)
    transport = httpx2.ASGITransport(app=app)
    server = None
    try:
        async with (
            app.router.lifespan_context(app),
            httpx2.AsyncClient(transport=transport, base_url="http://search.test") as client,
        ):
            assert ports.index.needs_rebuild
            await asyncio.sleep(0.5)  # a rebuild or two fail: the catalogue is not up
            assert ports.rebuilds.progress.state == "failed"
            server = serve_catalogue(catalogue)
            for _ in range(100):
                if not ports.index.needs_rebuild:
                    break
                await asyncio.sleep(0.1)
            found = (await client.get("/v1/search", params={"q": "cang bien"})).json()
            assert found["total"] == 30
            assert not (tmp_path / "search" / "records" / "index-old").exists()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        await delete_namespace(settings)
        mongo = make_mongo_client(settings)
        await mongo.drop_database(settings.stinet_db)
        await mongo.close()
