"""The fake Meilisearch server (fake_server.py) the adapter's tests talk to over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.search.meili.fake_server import FakeMeili, serve_fake_meili


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, FakeMeili]]:
    async with serve_fake_meili() as served:
        yield served
