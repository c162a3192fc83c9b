"""Round trip through the real services: ingest's harvester harvests the catalogue's ``/oai``.

The catalogue and ingest run as real processes (``python -m services.<name>``) on the
machine's RabbitMQ and the session's SecantusDB. A member pushes records through ingest;
the catalogue stores them and serves them over OAI-PMH; a harvest source of member
``mirror`` pointed at that endpoint (set ``member:<code>``) brings them back through
ingest → ``records.submitted`` → catalogue, where they must equal the originals.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from pymongo import MongoClient

from devstack.processes import ManagedProcess, free_port, http_ok, service_process
from shared.config import Settings
from tests.conftest import AMQP_URL, ARTIFACTS, delete_namespace, unique_namespace

DOMAIN = "rt-services.stinet.vn"
FIELDS = (
    "kind", "title", "description", "creators", "subjects", "publisher", "language", "year",
    "date", "url", "identifiers",
)  # fmt: skip


class Stack:
    def __init__(self, mongo_url: str, data_dir: Path) -> None:
        namespace = unique_namespace("oai")
        self.settings = Settings(
            amqp_url=AMQP_URL, mongo_url=mongo_url, stinet_namespace=namespace,
            stinet_db=namespace.replace("-", "_"),
        )  # fmt: skip
        self.admin = {"Authorization": f"Bearer admin-{uuid.uuid4().hex}"}
        self.ports = {"catalogue": free_port(), "ingest": free_port()}
        self.env = {
            **os.environ,
            "AMQP_URL": AMQP_URL,
            "MONGO_URL": mongo_url,
            "STINET_NAMESPACE": namespace,
            "STINET_DB": self.settings.stinet_db,
            "STINET_ADMIN_KEY": self.admin["Authorization"][7:],
            "STINET_KEY_PEPPER": "pepper-" + uuid.uuid4().hex,
            "STINET_DATA_DIR": str(data_dir),
            "CATALOGUE_PORT": str(self.ports["catalogue"]),
            "INGEST_PORT": str(self.ports["ingest"]),
            "CATALOGUE_URL": self.url("catalogue"),
            "HARVEST_ALLOW_PRIVATE_NETWORKS": "1",  # the catalogue listens on 127.0.0.1
            "OAI_REPOSITORY_DOMAIN": DOMAIN,
            "OAI_PAGE_SIZE": "4",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[ManagedProcess] = []
        self.http = httpx2.Client(timeout=30)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> None:
        for name in ("catalogue", "ingest"):
            log = ARTIFACTS / f"oai-{name}-{self.ports[name]}.log"
            self.processes.append(service_process(name, self.env, log).start())
        for process, name in zip(self.processes, ("catalogue", "ingest"), strict=True):
            process.wait_until(lambda n=name: http_ok(f"{self.url(n)}/readyz"), timeout=90)

    def stop(self) -> None:
        self.http.close()
        for process in self.processes:
            process.stop(30)

    def tails(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(40)}" for p in self.processes)


def poll(check: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def stack(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    value = Stack(mongo_url, tmp_path_factory.mktemp("oai-stack"))
    try:
        value.start()
    except Exception as exc:
        value.stop()
        pytest.fail(f"catalogue/ingest did not start: {exc}\n{value.tails()}")
    yield value
    value.stop()
    asyncio.run(delete_namespace(value.settings))
    with MongoClient(mongo_url) as client:
        client.drop_database(value.settings.stinet_db)


def _records(member: str) -> list[dict[str, Any]]:
    kinds = ["database", "publication", "website", "service", "training"]
    return [
        {
            "local_id": f"RT-{n}",
            "kind": kinds[n % 5],
            "title": f"Cơ sở dữ liệu Cảng biển Hải Phòng {n} ({member})",
            "description": "Số liệu tàu cập cảng" if n % 2 else None,
            "creators": ["Lê Văn Cường"] if n % 3 else [],
            "subjects": ["Hàng hải", "Cảng biển"],
            "publisher": "Cảng vụ Hải Phòng",
            "language": "vi" if n % 2 else "en",
            "year": 2015 + n,
            "url": f"https://cang.example.vn/du-lieu/{n}",
            "identifiers": {"issn": "1859-123X"} if n == 2 else {},
        }
        for n in range(9)
    ]


def _member(stack: Stack, code: str) -> str:
    """Create the member at the catalogue; return a key once ingest knows it."""
    created = stack.http.post(
        f"{stack.url('catalogue')}/v1/members",
        json={"code": code, "name": f"Thành viên {code}", "type": "university"},
        headers=stack.admin,
    )
    assert created.status_code in (200, 201), created.text

    def issue() -> httpx2.Response | None:
        response = stack.http.post(
            f"{stack.url('ingest')}/v1/members/{code}/keys", json={}, headers=stack.admin
        )
        return None if response.status_code == 404 else response

    response = poll(issue, timeout=30, what=f"ingest to know member {code}")
    assert response.status_code in (200, 201), response.text
    return response.json()["key"]


def _record(stack: Stack, record_id: str) -> dict[str, Any] | None:
    response = stack.http.get(f"{stack.url('catalogue')}/v1/records/{quote(record_id, safe=':')}")
    return response.json() if response.status_code == 200 else None


def test_the_harvester_brings_back_what_the_provider_serves(stack: Stack) -> None:
    member = f"h{uuid.uuid4().hex[:6]}"
    key = _member(stack, member)
    _member(stack, "mirror")
    originals = _records(member)
    pushed = stack.http.post(
        f"{stack.url('ingest')}/v1/records",
        json={"records": originals},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert pushed.status_code == 202, pushed.text
    for record in originals:
        poll(lambda r=record: _record(stack, f"{member}:{r['local_id']}"), timeout=60, what="push")
    withdrawn = stack.http.delete(
        f"{stack.url('ingest')}/v1/records/RT-4", headers={"Authorization": f"Bearer {key}"}
    )
    assert withdrawn.status_code == 202, withdrawn.text
    poll(
        lambda: (_record(stack, f"{member}:RT-4") or {}).get("status") == "withdrawn",
        timeout=60,
        what="the withdrawal",
    )

    source = stack.http.post(
        f"{stack.url('ingest')}/v1/harvest-sources",
        json={
            "member": "mirror",
            "base_url": f"{stack.url('catalogue')}/oai",
            "set": f"member:{member}",
            "schedule": "manual",
        },
        headers=stack.admin,
    )
    assert source.status_code == 201, source.text
    run = stack.http.post(
        f"{stack.url('ingest')}/v1/harvest-sources/{source.json()['id']}/run?wait=true",
        headers=stack.admin,
    )
    assert run.status_code == 202, run.text
    state = run.json()["source"]
    assert state["state"] == "ok", state
    assert state["last_run"]["counts"]["upserts"] == len(originals) - 1
    assert state["last_run"]["counts"]["withdrawals"] == 1

    for record in originals:
        oai_id = f"oai:{DOMAIN}:{member}:{record['local_id']}"
        if record["local_id"] == "RT-4":
            continue
        copy = poll(
            lambda i=oai_id: _record(stack, f"mirror:{i}"), timeout=60, what=f"mirror of {oai_id}"
        )
        original = _record(stack, f"{member}:{record['local_id']}")
        assert copy["source"] == "oai" and copy["member"] == "mirror"
        for name in FIELDS:
            assert copy.get(name) == original.get(name), (name, copy, original)
