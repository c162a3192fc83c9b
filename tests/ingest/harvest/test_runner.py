"""The harvest use case through its ports: a fake ``OaiRepositories`` (what a member's
repository answers) and the real ``MongoHarvestStore`` on SecantusDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from pymongo import AsyncMongoClient

from services.ingest.adapters.harvest_store import MongoHarvestStore
from services.ingest.harvest.domain import HarvestedRecord, Page
from services.ingest.harvest.runner import Harvester
from shared.config import Settings
from shared.events import Operation
from shared.mongo import service_database
from tests.ingest.harvest.helpers import FAST, FakeSubmit

DC = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/">{}</oai_dc:dc>'
)


def _record(identifier: str, title: str | None, *, deleted: bool = False) -> HarvestedRecord:
    body = f"<dc:title>{title}</dc:title>" if title else "<dc:creator>Ai đó</dc:creator>"
    metadata = None if deleted else etree.fromstring(DC.format(body))
    return HarvestedRecord(identifier, "2026-01-02", deleted=deleted, metadata=metadata)


@dataclass
class FakeRepository:
    pages: list[Page]
    prefixes: list[str]
    attempts: Callable[[], Awaitable[None]] | None

    async def identify(self) -> dict[str, str]:
        if self.attempts is not None:
            await self.attempts()
        return {
            "repositoryName": "Kho thử",
            "granularity": "YYYY-MM-DD",
            "deletedRecord": "persistent",
            "earliestDatestamp": "2020-01-01",
            "responseDate": "2026-01-03T00:00:00Z",
        }

    async def metadata_prefixes(self) -> list[str]:
        return self.prefixes

    async def list_records(self, params: dict[str, str]) -> AsyncIterator[Page]:
        for page in self.pages:
            yield page


@dataclass
class FakeRepositories:
    """Every base URL answers the same pages; remembers what was opened and closed."""

    pages: list[Page] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=lambda: ["oai_dc"])
    opened: list[str] = field(default_factory=list)
    closed: int = 0

    def open(
        self, base_url: str, *, before_attempt: Callable[[], Awaitable[None]] | None = None
    ) -> FakeRepository:
        self.opened.append(base_url)
        return FakeRepository(self.pages, self.prefixes, before_attempt)

    async def close(self) -> None:
        self.closed += 1


def _source(source_id: str) -> dict[str, Any]:
    return {
        "_id": source_id,
        "member": "hpu",
        "base_url": "https://kho.example.vn/oai",
        "metadata_prefix": "oai_dc",
        "set_spec": None,
        "schedule": "manual",
        "state": "idle",
        "harvested_until": None,
        "lease_owner": None,
        "lease_until": None,
        "current_run_id": None,
        "enabled": True,
    }


async def _harvested(
    settings: Settings, mongo: AsyncMongoClient, repositories: FakeRepositories
) -> tuple[FakeSubmit, dict[str, Any]]:
    store = MongoHarvestStore(service_database(mongo, settings))
    await store.ensure_indexes()
    await store.create(_source("src-1"))
    submit = FakeSubmit()
    harvester = Harvester(store=store, repositories=repositories, submit=submit, config=FAST)
    run_id = await harvester.launch("src-1")
    assert run_id is not None
    await harvester.wait(run_id)
    await harvester.stop()
    source = await store.get("src-1")
    assert source is not None
    return submit, source


async def test_a_run_submits_upserts_and_withdrawals_and_reports_what_does_not_map(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    pages = [
        Page(records=[_record("oai:kho:1", "Tạp chí Hàng hải"), _record("oai:kho:2", None)]),
        Page(records=[_record("oai:kho:3", None, deleted=True)], problems=[("#1", "no header")]),
    ]
    repositories = FakeRepositories(pages=pages)
    submit, source = await _harvested(settings, mongo, repositories)
    assert repositories.opened == ["https://kho.example.vn/oai"]
    assert [(i.op, i.local_id) for i in submit.items] == [
        (Operation.UPSERT, "oai:kho:1"),
        (Operation.WITHDRAW, "oai:kho:3"),
    ]
    assert {call["correlation_id"] for call in submit.calls} == {source["last_run"]["run_id"]}
    assert source["state"] == "ok"
    assert source["last_run"]["counts"] == {
        "pages": 2, "records": 4, "upserts": 1, "withdrawals": 1, "skipped": 2, "submissions": 2,
    }  # fmt: skip
    assert source["harvested_until"] == datetime(2026, 1, 3, tzinfo=UTC)  # its responseDate
    assert repositories.closed == 1  # stop() closes the repositories' connections


async def test_a_repository_without_the_format_fails_the_run_in_both_languages(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    repositories = FakeRepositories(pages=[Page(records=[_record("oai:kho:1", "T")])])
    repositories.prefixes = ["marc21"]
    submit, source = await _harvested(settings, mongo, repositories)
    assert submit.calls == []
    assert source["state"] == "failed"
    assert source["last_error"]["en"].startswith("cannotDisseminateFormat")
    assert "oai_dc" in source["last_error"]["vi"]
    assert source["harvested_until"] is None
    assert source["last_run"]["finished_at"] <= datetime.now(UTC)
