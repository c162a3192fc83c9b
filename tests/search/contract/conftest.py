"""The adapters under contract: tantivy always, Meilisearch when ``MEILI_URL`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from services.search.adapters.tantivy_index import TantivyIndex
from services.search.ports import RebuildableIndex
from tests.search.corpus import CORPUS

MEILI_URL = os.environ.get("MEILI_URL")
MEILI_SKIP = (
    "MEILI_URL is not set: no Meilisearch server on this machine, so the contract suite runs "
    "against the embedded engine only (the Meilisearch adapter's requests are unit-tested)"
)

IndexFactory = Callable[[], Awaitable[RebuildableIndex]]


def _meili(name: str) -> RebuildableIndex:
    from services.search.adapters.meili import MeiliIndex

    return MeiliIndex(
        url=MEILI_URL or "", api_key=os.environ.get("MEILI_KEY"), uid=f"contract-{name}"
    )


@pytest.fixture(
    scope="module",
    params=[
        "tantivy",
        pytest.param("meili", marks=pytest.mark.skipif(not MEILI_URL, reason=MEILI_SKIP)),
    ],
)
async def make_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[IndexFactory]:
    """Opens fresh, empty indexes of one adapter; all are closed (and dropped) afterwards."""
    opened: list[RebuildableIndex] = []

    async def factory() -> RebuildableIndex:
        name = uuid.uuid4().hex[:10]
        if request.param == "tantivy":
            index: RebuildableIndex = TantivyIndex(Path(tmp_path_factory.mktemp("idx")), name)
        else:
            index = _meili(name)
        await index.open()
        opened.append(index)
        return index

    yield factory
    for index in opened:
        drop = getattr(index, "drop", None)
        if drop is not None:
            await drop()
        await index.close()


@pytest.fixture(scope="module")
async def corpus_index(make_index: IndexFactory) -> RebuildableIndex:
    """One index holding the shared corpus, for read-only tests."""
    index = await make_index()
    await index.upsert(CORPUS)
    return index
