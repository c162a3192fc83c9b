"""Fixtures shared by every test: real RabbitMQ namespaces and a real SecantusDB server."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from devstack.processes import ManagedProcess, free_port, port_answers, secantus_process
from shared.config import Settings
from shared.mongo import make_mongo_client
from shared.topology import delete_topology

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
ARTIFACTS = Path(__file__).parent / "artifacts"


def unique_namespace(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def running_secantus(log_prefix: str = "secantus") -> Iterator[int]:
    """A SecantusDB server on a free port (in-memory storage), stopped on leaving; its port."""
    port = free_port()
    process = secantus_process(
        port=port, storage=":memory:", log_path=ARTIFACTS / f"{log_prefix}-{port}.log"
    ).start()
    try:
        process.wait_until(lambda: port_answers(port), timeout=60)
        yield port
    finally:
        process.stop()


@pytest.fixture(scope="session")
def secantus_port() -> Iterator[int]:
    """One SecantusDB server for the whole session."""
    with running_secantus() as port:
        yield port


@pytest.fixture(scope="session")
def mongo_url(secantus_port: int) -> str:
    return f"mongodb://127.0.0.1:{secantus_port}/"


delete_namespace = delete_topology


@pytest.fixture
async def settings(mongo_url: str, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings with a namespace and database of the test's own; cleaned up after it."""
    namespace = unique_namespace()
    value = Settings(
        amqp_url=AMQP_URL,
        mongo_url=mongo_url,
        mongo_embedded=True,  # SecantusDB: the shape make run uses (both shapes: test_mongo_store)
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=tmp_path / "data",
        stinet_admin_key="test-admin-key-" + uuid.uuid4().hex,
        stinet_key_pepper="test-pepper",
        stinet_delivery_limit=3,
        meili_url=None,
    )
    yield value
    await delete_namespace(value)


@pytest.fixture
async def mongo(settings: Settings) -> AsyncIterator[AsyncMongoClient]:
    client = make_mongo_client(settings)
    yield client
    await client.drop_database(settings.stinet_db)
    await client.close()


__all__ = ["ManagedProcess", "unique_namespace"]
