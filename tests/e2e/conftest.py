"""The running system for end-to-end tests: the four services as real processes.

``stack`` (session scope) starts them with the same code as ``make run``
(:class:`devstack.stack.LocalStack`) on free ports, with a namespace and database of their
own, against the machine's RabbitMQ and the session's SecantusDB (mail goes to the stack's
local catcher). ``e2e`` wraps the HTTP
calls a test needs (create a member, issue a key, push, wait, search). On a failure the
services' log tails are printed.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pymongo import MongoClient

from devstack.demo.loader import extract_key, rejected_outcomes, submission_state
from devstack.processes import free_port
from devstack.stack import LocalStack
from shared.config import Settings
from tests.conftest import AMQP_URL, delete_namespace, running_secantus, unique_namespace

# Variables of the developer's shell that must not leak into the test stack.
_ISOLATE = (
    "MEILI_URL",
    "MEILI_KEY",
    "STINET_PUBLIC_URL",
    "NOTIFY_PUBLIC_URL",
    "INGEST_PUBLIC_URL",
    "CATALOGUE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
)

POLL = 0.2


@dataclass
class RunningStack:
    """What a test needs to talk to the running system."""

    stack: LocalStack
    settings: Settings

    @property
    def urls(self) -> dict[str, str]:
        return self.stack.urls

    @property
    def admin_key(self) -> str:
        return self.stack.admin_key

    @property
    def namespace(self) -> str:
        return self.settings.stinet_namespace

    def url(self, service: str) -> str:
        return self.stack.url(service)


def stack_settings(mongo_url: str, data_dir: Path) -> Settings:
    namespace = unique_namespace("e2e")
    return Settings(
        amqp_url=AMQP_URL,
        mongo_url=mongo_url,
        # SecantusDB, as make run: the embedded shape (the MongoDB shape: test_mongo_store,
        # tests/catalogue/oai/test_round_trip_services.py)
        mongo_embedded=True,
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=data_dir,
        stinet_admin_key="e2e-admin-" + uuid.uuid4().hex,
        stinet_key_pepper="e2e-pepper-" + uuid.uuid4().hex,
        stinet_delivery_limit=5,
        ingest_port=free_port(),
        catalogue_port=free_port(),
        search_port=free_port(),
        notify_port=free_port(),
    )


@pytest.fixture(scope="session")
def stack_mongo_url() -> Iterator[str]:
    """A SecantusDB of the stack's own: the session's one holds what every other test of
    the worker wrote, and under that heap it was seen to take 40 s for a 500-record write
    (the SIGTERM walking-skeleton test then timed out; alone it takes 17 s)."""
    with running_secantus("secantus-stack") as port:
        yield f"mongodb://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def stack(stack_mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The four services as real processes (started once per session), on their own store."""
    mongo_url = stack_mongo_url
    settings = stack_settings(mongo_url, tmp_path_factory.mktemp("e2e-data"))
    env = {k: v for k, v in os.environ.items() if k not in _ISOLATE}
    local = LocalStack(settings, env=env)
    try:
        local.start(timeout=120)
    except Exception as exc:
        pytest.fail(f"the stack did not start: {exc}\n{local.tails(80)}")
    running = RunningStack(local, settings)
    try:
        yield running
    finally:
        local.stop()
        asyncio.run(delete_namespace(settings))
        with MongoClient(mongo_url) as client:
            client.drop_database(settings.stinet_db)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the services' log tails to a failing end-to-end test."""
    report = yield
    if report.failed and "stack" in getattr(item, "funcargs", {}):
        running: RunningStack = item.funcargs["stack"]
        report.sections.append(("service logs", running.stack.tails(60)))
    return report


def poll(check: Any, *, timeout: float, what: str) -> Any:
    """Call ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(POLL)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class E2E:
    """HTTP calls against the running stack, as the centre and members make them."""

    def __init__(self, running: RunningStack) -> None:
        self.s = running
        # 60 s: SecantusDB (one Python process for the whole stack) was seen to stall all its
        # clients for over 20 s on a loaded machine while the catalogue wrote a batch.
        self.http = httpx2.Client(timeout=60.0)
        self.admin = {"Authorization": f"Bearer {running.admin_key}"}

    def close(self) -> None:
        self.http.close()

    def create_member(self, code: str, name: str, **fields: Any) -> dict[str, Any]:
        body = {"code": code, "name": name, "type": "university", **fields}
        response = self.http.post(
            f"{self.s.url('catalogue')}/v1/members", json=body, headers=self.admin
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def issue_key(self, code: str, *, timeout: float = 30.0) -> str:
        """Issue a member key, waiting while ingest has not yet heard of the member."""
        url = f"{self.s.url('ingest')}/v1/members/{code}/keys"

        def attempt() -> httpx2.Response | None:
            response = self.http.post(url, headers=self.admin, json={})
            if response.status_code == 404:
                return None
            return response

        response = poll(attempt, timeout=timeout, what=f"ingest to know member {code}")
        assert response.status_code in (200, 201), response.text
        return extract_key(response.json())

    def push(self, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.http.post(
            f"{self.s.url('ingest')}/v1/records",
            json={"records": records},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 202, response.text
        return response.json()

    def wait_done(
        self,
        key: str,
        submission_id: str,
        *,
        timeout: float = 60.0,
        allow_rejected: bool = False,
    ) -> dict[str, Any]:
        url = f"{self.s.url('ingest')}/v1/submissions/{submission_id}"

        def done() -> dict[str, Any] | None:
            response = self.http.get(url, headers={"Authorization": f"Bearer {key}"})
            if response.status_code != 200:
                return None
            body = response.json()
            return body if submission_state(body) == "done" else None

        body = poll(done, timeout=timeout, what=f"submission {submission_id} to be done")
        assert allow_rejected or not rejected_outcomes(body), rejected_outcomes(body)[:3]
        return body

    def search(self, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"{self.s.url('search')}/v1/search", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_search_total(self, expected: int, *, timeout: float = 60.0, **params: Any) -> Any:
        return poll(
            lambda: (r := self.search(**params))["total"] >= expected and r,
            timeout=timeout,
            what=f"search {params} to find {expected} records",
        )


@pytest.fixture
def e2e(stack: RunningStack) -> Iterator[E2E]:
    client = E2E(stack)
    yield client
    client.close()


def member_code(prefix: str = "m") -> str:
    """A member code of its own for one test (the stack is shared by the session)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"
