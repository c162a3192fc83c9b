"""The Meilisearch adapter's requests and settings, checked against its documented REST API.

No Meilisearch server can run here (docs/operators/search.md §1), so a small fake answers the
documented endpoints (``/indexes``, ``/indexes/{uid}/settings``, ``/documents``,
``/documents/fetch``,
``/search``, ``/swap-indexes``, ``/tasks/{uid}``) through pytest-httpx2, and the tests
read what the adapter sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from services.search.adapters.meili import MeiliIndex, document_key, quote
from services.search.ports import FACET_LIMITS, SearchQuery
from tests.search.corpus import make_record

URL = "http://meili.test"
KEY = "scoped-search-key"
ENQUEUED = "2026-01-01T00:00:00Z"


@dataclass
class FakeMeili:
    """Answers like Meilisearch: tasks are enqueued, then reported succeeded (or failed)."""

    indexes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail_next_write: bool = False
    search_response: dict[str, Any] = field(default_factory=dict)

    def task(self, kind: str, uid: str | None, error: str | None = None) -> httpx.Response:
        number = len(self.tasks) + 1
        self.tasks[number] = {
            "uid": number,
            "indexUid": uid,
            "status": "failed" if error else "succeeded",
            "type": kind,
            "error": {"message": error, "code": "x", "type": "x", "link": "x"} if error else None,
            "enqueuedAt": ENQUEUED,
        }
        body = {
            "taskUid": number,
            "indexUid": uid,
            "status": "enqueued",
            "type": kind,
            "enqueuedAt": ENQUEUED,
        }
        return httpx.Response(202, json=body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append((request.method, path, body))
        parts = path.strip("/").split("/")
        if parts[0] == "tasks":
            return httpx.Response(200, json=self.tasks[int(parts[1])])
        if parts[0] == "health":
            return httpx.Response(200, json={"status": "available"})
        if parts[0] == "swap-indexes":
            a, b = body[0]["indexes"]
            self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
            return self.task("indexSwap", None)
        if path == "/indexes" and request.method == "POST":
            self.indexes[body["uid"]] = {}
            return self.task("indexCreation", body["uid"])
        if path == "/indexes":
            listed = [
                {"uid": u, "primaryKey": "key", "createdAt": ENQUEUED, "updatedAt": ENQUEUED}
                for u in self.indexes
            ]
            return httpx.Response(
                200, json={"results": listed, "offset": 0, "limit": 1000, "total": len(listed)}
            )
        uid = parts[1]
        if uid not in self.indexes:
            return httpx.Response(
                404,
                json={
                    "message": "Index not found",
                    "code": "index_not_found",
                    "type": "invalid_request",
                    "link": "x",
                },
            )
        docs = self.indexes[uid]
        rest = parts[2:]
        if not rest:
            if request.method == "DELETE":
                del self.indexes[uid]
                return self.task("indexDeletion", uid)
            return httpx.Response(
                200,
                json={
                    "uid": uid,
                    "primaryKey": "key",
                    "createdAt": ENQUEUED,
                    "updatedAt": ENQUEUED,
                },
            )
        if rest == ["settings"]:
            return self.task("settingsUpdate", uid)
        if rest == ["documents"] and request.method == "POST":
            if self.fail_next_write:
                self.fail_next_write = False
                return self.task("documentAdditionOrUpdate", uid, error="disk full")
            for doc in body:
                docs[doc["key"]] = doc
            return self.task("documentAdditionOrUpdate", uid)
        if rest == ["documents", "fetch"]:
            found = [{f: docs[k][f] for f in body["fields"]} for k in body["ids"] if k in docs]
            return httpx.Response(
                200,
                json={"results": found, "offset": 0, "limit": body["limit"], "total": len(found)},
            )
        if rest == ["documents", "delete-batch"]:
            for key in body:
                docs.pop(key, None)
            return self.task("documentDeletion", uid)
        if rest[0] == "documents" and len(rest) == 2:
            if rest[1] not in docs:
                return httpx.Response(
                    404,
                    json={
                        "message": "Document not found",
                        "code": "document_not_found",
                        "type": "invalid_request",
                        "link": "x",
                    },
                )
            return httpx.Response(200, json=docs[rest[1]])
        if rest == ["search"]:
            return httpx.Response(200, json=self.search_response)
        raise AssertionError(f"unexpected request {request.method} {path}")

    def sent(self, method: str, suffix: str) -> list[Any]:
        return [b for m, p, b in self.requests if m == method and p.endswith(suffix)]


@pytest.fixture
async def meili(httpx2_mock: Any) -> FakeMeili:
    fake = FakeMeili()
    httpx2_mock.route(host="meili.test").mock(side_effect=fake)
    return fake


@pytest.fixture
async def index(meili: FakeMeili) -> Any:
    # The read-then-write version check: the edit-function one is exercised over real HTTP
    # by test_meili_replicas.py.
    adapter = MeiliIndex(url=URL, api_key=KEY, uid="t-records", version_check="read")
    await adapter.open()
    yield adapter
    await adapter.close()


async def test_open_creates_the_index_and_applies_its_settings(
    meili: FakeMeili, index: MeiliIndex
) -> None:
    assert meili.sent("POST", "/indexes") == [{"uid": "t-records", "primaryKey": "key"}]
    (settings,) = meili.sent("PATCH", "/indexes/t-records/settings")
    assert settings["searchableAttributes"][:2] == ["title", "title_folded"]
    assert set(settings["filterableAttributes"]) == {
        "key",
        "status",
        "kind",
        "member",
        "language",
        "year",
        "subject",
        "created",
    }
    assert set(settings["sortableAttributes"]) == {"newest", "sort_title", "created"}
    assert settings["rankingRules"] == [
        "words",
        "typo",
        "proximity",
        "attribute",
        "sort",
        "exactness",
    ]
    assert settings["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert settings["synonyms"]["csdl"] == ["co so du lieu"]
    assert "csdl" in settings["synonyms"]["co so du lieu"]
    # Facets as the embedded engine lists them: by count, up to the longest facet's limit;
    # every page a query may ask for (1000 pages of 100) within reach.
    assert settings["faceting"] == {
        "maxValuesPerFacet": max(FACET_LIMITS.values()),
        "sortFacetValuesBy": {"*": "count"},
    }
    assert settings["pagination"] == {"maxTotalHits": 100_000}
    # Opening again changes nothing but the (idempotent) settings.
    await index.open()
    assert len(meili.sent("POST", "/indexes")) == 1


async def test_upsert_sends_one_batch_and_keeps_newer_versions(
    meili: FakeMeili, index: MeiliIndex
) -> None:
    await index.upsert([make_record("vmu", "1", "Đại học Hàng hải", version=2)])
    await index.upsert(
        [
            make_record("vmu", "1", "Bản cũ", version=1),  # older than indexed: dropped
            make_record("vmu", "2", "Cơ sở dữ liệu biển", version=1),
        ]
    )
    fetch = meili.sent("POST", "/documents/fetch")[-1]
    assert fetch["ids"] == [document_key("vmu:1"), document_key("vmu:2")]
    batches = meili.sent("POST", "/indexes/t-records/documents")
    assert [[d["id"] for d in batch] for batch in batches] == [["vmu:1"], ["vmu:2"]]
    doc = batches[1][0]
    assert doc["key"] == document_key("vmu:2") and doc["title_folded"] == "co so du lieu bien"
    assert doc["synonyms"] == "csdl" and doc["status"] == "active"
    record = await index.get("vmu:1")
    assert record is not None and record.title == "Đại học Hàng hải"
    assert await index.get("vmu:nothing") is None


async def test_a_failed_task_raises_so_the_message_is_retried(
    meili: FakeMeili, index: MeiliIndex
) -> None:
    meili.fail_next_write = True
    with pytest.raises(Exception, match=r"disk full|failed"):
        await index.upsert([make_record("vmu", "1", "Một")])


async def test_search_builds_escaped_allow_listed_filters_and_maps_the_answer(
    meili: FakeMeili, index: MeiliIndex
) -> None:
    stored = make_record("vmu", "1", "Đại học Hàng hải", year=2020).model_dump(mode="json")
    meili.search_response = {
        "hits": [{"record": stored}],
        "query": "dai hoc",
        "processingTimeMs": 1,
        "totalHits": 42,
        "totalPages": 3,
        "page": 2,
        "hitsPerPage": 20,
        "facetDistribution": {"kind": {"publication": 40, "database": 2}, "year": {"2020": 42}},
    }
    query = SearchQuery(
        q="dai hoc",
        member=['vmu" OR member = "hpu'],
        subject=["a\\b"],
        kind=["publication"],
        year_from=2000,
        year_to=2020,
        sort="title",
        page=2,
    )
    result = await index.search(query)
    (sent,) = meili.sent("POST", "/indexes/t-records/search")
    assert sent["q"] == "dai hoc"
    assert sent["filter"] == [
        'status = "active"',
        'kind IN ["publication"]',
        'member IN ["vmu\\" OR member = \\"hpu"]',
        'subject IN ["a\\\\b"]',
        "year >= 2000",
        "year <= 2020",
    ]
    assert sent["sort"] == ["sort_title:asc"]
    assert sent["page"] == 2 and sent["hitsPerPage"] == 20
    assert set(sent["facets"]) == {"kind", "member", "language", "year", "subject"}
    assert result.total == 42 and result.facets.kind == {"publication": 40, "database": 2}
    assert result.hits[0].id == "vmu:1"
    assert "<mark>Đại</mark>" in result.hits[0].highlight["title"]


async def test_search_cuts_each_facet_to_its_limit_most_frequent_first(
    meili: FakeMeili, index: MeiliIndex
) -> None:
    subjects = {f"Chủ đề {n:03d}": n for n in range(1, 201)}  # Meilisearch sends up to 200
    meili.search_response = {
        "hits": [],
        "query": "",
        "processingTimeMs": 1,
        "totalHits": 0,
        "totalPages": 0,
        "page": 1,
        "hitsPerPage": 20,
        "facetDistribution": {"subject": subjects, "year": {"2019": 5, "2024": 1, "2021": 9}},
    }
    result = await index.search(SearchQuery())
    assert list(result.facets.subject) == [f"Chủ đề {n:03d}" for n in range(200, 170, -1)]
    assert list(result.facets.year) == ["2024", "2021", "2019"]  # newest first, as filtered


def test_filter_values_are_quoted_and_escaped() -> None:
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\") == '"a\\\\"'
    assert quote(2020) == '"2020"'


async def test_rebuild_builds_a_twin_and_swaps_it_in(meili: FakeMeili, index: MeiliIndex) -> None:
    await index.upsert([make_record("vmu", "stale", "Cũ")])
    await index.begin_rebuild()
    (rebuild,) = [uid for uid in meili.indexes if uid.startswith("t-records_rebuild_")]
    await index.add_to_rebuild([make_record("vmu", "1", "Mới", version=1)])
    await index.upsert([make_record("vmu", "1", "Mới hơn", version=2)])  # live: both indexes
    await index.finish_rebuild()
    (swap,) = meili.sent("POST", "/swap-indexes")
    assert [pair["indexes"] for pair in swap] == [["t-records", rebuild]]
    assert rebuild not in meili.indexes
    assert set(meili.indexes["t-records"]) == {document_key("vmu:1")}
    record = await index.get("vmu:1")
    assert record is not None and record.version == 2
    assert await index.ping()
