"""A test double of a Meilisearch server: the few REST endpoints ``MeiliIndex`` calls, in memory,
served over real HTTP (uvicorn) so two adapter instances can share it like two replicas.

It is not our adapter and not a Meilisearch: no search, no ranking. What it keeps of the real
server is what the concurrency tests depend on: writes are *tasks*, enqueued at once and
processed one at a time in enqueue order by a background worker; an index is created by one
task only (a second creation fails with ``index_already_exists``); documents written to a
missing index create it, inferring the primary key from an attribute named like ``*id``
(failing, with nothing created, when there is none); ``/swap-indexes`` swaps atomically.

``POST /documents/fetch`` pages with ``offset``/``limit``, filters by ``attribute = "value"``
clauses only, and sorts by one attribute unless ``documents_sort`` is off (then it refuses
``sort`` as a Meilisearch older than 1.16 does). ``POST /search`` answers phrase queries only
(``"words"``): a document matches when a searched attribute holds the words, folded with
``fold_words`` as Meilisearch folds marks, in that order.

``POST /documents/edit`` runs only the adapter's own Rhai function (``VERSION_CAS_FUNCTION``),
reimplemented here; any other function is refused, so the Rhai text itself is checked only by
the contract suite against a real server (``MEILI_URL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from devstack.processes import free_port
from services.search.adapters.meili import SEARCHABLE, VERSION_CAS_FUNCTION
from services.search.domain import fold_words
from services.search.spelling import holds_phrase

KEY_IN = re.compile(r"^key IN \[(.*)\]$")
EQUALS = re.compile(r'^(\w+) = "(.*)"$')


def bad_request(message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": "bad_request", "type": "x"}, 400)


def matches(doc: dict[str, Any], clauses: list[str]) -> bool:
    """``attribute = "value"`` clauses, ANDed (all the adapter's reads of documents use)."""
    for clause in clauses:
        match = EQUALS.match(clause)
        assert match, f"the fake filters by equality only: {clause}"
        if str(doc.get(match.group(1))) != match.group(2):
            return False
    return True


def holds_folded(value: Any, words: list[str]) -> bool:
    texts = value if isinstance(value, list) else [value]
    return any(isinstance(t, str) and holds_phrase(fold_words(t), words) for t in texts)


def project(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    if not fields or fields == ["*"]:
        return doc
    return {f: doc[f] for f in fields if f in doc}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class TaskError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class FakeIndex:
    primary_key: str | None
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def touch(self) -> None:
        self.updated_at = _now()

    def describe(self, uid: str) -> dict[str, Any]:
        return {
            "uid": uid,
            "primaryKey": self.primary_key,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass
class FakeMeili:
    indexes: dict[str, FakeIndex] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    queue: asyncio.Queue[tuple[int, Any]] = field(default_factory=asyncio.Queue)
    edit_function_enabled: bool = True
    documents_sort: bool = True  # Meilisearch >= 1.16 sorts a documents fetch
    calls: list[str] = field(default_factory=list)  # "METHOD /path" of every request

    # -- tasks -----------------------------------------------------------------------------
    def enqueue(self, kind: str, uid: str | None, job: Any) -> JSONResponse:
        number = len(self.tasks)
        task = {
            "uid": number,
            "indexUid": uid,
            "status": "enqueued",
            "type": kind,
            "error": None,
            "enqueuedAt": _now(),
        }
        self.tasks.append(task)
        self.queue.put_nowait((number, job))
        return JSONResponse(
            {k: task[k] for k in ("indexUid", "status", "type", "enqueuedAt")}
            | {"taskUid": number},
            status_code=202,
        )

    async def work(self) -> None:
        """Process tasks one at a time, in enqueue order (as Meilisearch's scheduler does)."""
        while True:
            number, job = await self.queue.get()
            await asyncio.sleep(0)  # let requests interleave with processing
            task = self.tasks[number]
            try:
                job()
                task["status"] = "succeeded"
            except TaskError as exc:
                task["status"] = "failed"
                task["error"] = {"message": str(exc), "code": exc.code, "type": "x", "link": "x"}
            task["finishedAt"] = _now()

    def index(self, uid: str) -> FakeIndex:
        if uid not in self.indexes:
            raise TaskError("index_not_found", f"Index `{uid}` not found.")
        return self.indexes[uid]

    def index_for_documents(self, uid: str, docs: list[dict[str, Any]]) -> FakeIndex:
        """The index a document write goes to, created (with an inferred key) if missing."""
        if uid in self.indexes:
            return self.indexes[uid]
        candidates = sorted({k for d in docs for k in d if k.lower().endswith("id")})
        if len(candidates) != 1:
            raise TaskError("index_primary_key_no_candidate_found", "no primary key candidate")
        self.indexes[uid] = FakeIndex(primary_key=candidates[0])
        return self.indexes[uid]


def not_found(uid: str, what: str = "index") -> JSONResponse:
    return JSONResponse(
        {"message": f"{what} `{uid}` not found.", "code": f"{what}_not_found", "type": "x"},
        status_code=404,
    )


def create_app(fake: FakeMeili) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record_calls(request: Request, call_next: Any) -> Any:
        fake.calls.append(f"{request.method} {request.url.path}")
        return await call_next(request)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "available"}

    @app.get("/experimental-features")
    async def features() -> dict[str, bool]:
        return {"editDocumentsByFunction": fake.edit_function_enabled}

    @app.get("/tasks/{number}")
    async def task(number: int) -> dict[str, Any]:
        return fake.tasks[number]

    @app.get("/indexes")
    async def list_indexes(offset: int = 0, limit: int = 20) -> dict[str, Any]:
        uids = sorted(fake.indexes)
        page = [fake.indexes[u].describe(u) for u in uids[offset : offset + limit]]
        return {"results": page, "offset": offset, "limit": limit, "total": len(uids)}

    @app.post("/indexes")
    async def create_index(request: Request) -> JSONResponse:
        body = await request.json()
        uid = body["uid"]

        def job() -> None:
            if uid in fake.indexes:
                raise TaskError("index_already_exists", f"Index `{uid}` already exists.")
            fake.indexes[uid] = FakeIndex(primary_key=body.get("primaryKey"))

        return fake.enqueue("indexCreation", uid, job)

    @app.get("/indexes/{uid}")
    async def get_index(uid: str) -> JSONResponse:
        if uid not in fake.indexes:
            return not_found(uid)
        return JSONResponse(fake.indexes[uid].describe(uid))

    @app.delete("/indexes/{uid}")
    async def delete_index(uid: str) -> JSONResponse:
        def job() -> None:
            fake.index(uid)
            del fake.indexes[uid]

        return fake.enqueue("indexDeletion", uid, job)

    @app.patch("/indexes/{uid}/settings")
    async def settings(uid: str) -> JSONResponse:
        def job() -> None:
            fake.indexes.setdefault(uid, FakeIndex(primary_key=None)).touch()

        return fake.enqueue("settingsUpdate", uid, job)

    @app.get("/indexes/{uid}/stats")
    async def stats(uid: str) -> JSONResponse:
        if uid not in fake.indexes:
            return not_found(uid)
        count = len(fake.indexes[uid].docs)
        return JSONResponse(
            {"numberOfDocuments": count, "isIndexing": False, "fieldDistribution": {}}
        )

    def write(uid: str, docs: list[dict[str, Any]], *, replace: bool) -> None:
        index = fake.index_for_documents(uid, docs)
        key = index.primary_key or ""
        for doc in docs:
            old = {} if replace else index.docs.get(doc[key], {})
            index.docs[doc[key]] = old | doc
        index.touch()

    @app.post("/indexes/{uid}/documents")
    async def add_documents(uid: str, request: Request) -> JSONResponse:
        docs = await request.json()
        return fake.enqueue("documentAdditionOrUpdate", uid, lambda: write(uid, docs, replace=True))

    @app.put("/indexes/{uid}/documents")
    async def update_documents(uid: str, request: Request) -> JSONResponse:
        docs = await request.json()
        return fake.enqueue(
            "documentAdditionOrUpdate", uid, lambda: write(uid, docs, replace=False)
        )

    @app.post("/indexes/{uid}/documents/edit")
    async def edit_documents(uid: str, request: Request) -> JSONResponse:
        body = await request.json()
        if not fake.edit_function_enabled or body["function"] != VERSION_CAS_FUNCTION:
            return JSONResponse(
                {"message": "unsupported", "code": "feature_not_enabled", "type": "x"}, 400
            )
        match = KEY_IN.match(body["filter"])
        assert match, body["filter"]
        keys = [k.strip().strip('"') for k in match.group(1).split(",")]
        context = body["context"]["docs"]

        def job() -> None:
            index = fake.index(uid)
            for key in keys:
                doc, new = index.docs.get(key), context.get(key)
                if doc is None or new is None:
                    continue
                if "version" not in doc or doc["version"] <= new["version"]:
                    index.docs[key] = new
            index.touch()

        return fake.enqueue("documentEdition", uid, job)

    @app.post("/indexes/{uid}/documents/fetch")
    async def fetch(uid: str, request: Request) -> JSONResponse:
        body = await request.json()
        if uid not in fake.indexes:
            return not_found(uid)
        if "sort" in body and not fake.documents_sort:
            return bad_request("Unknown field `sort`: expected one of `offset`, `limit`, ...")
        docs = fake.indexes[uid].docs
        keys = body.get("ids") or list(docs)
        found = [docs[k] for k in keys if k in docs and matches(docs[k], body.get("filter") or [])]
        for order in reversed(body.get("sort") or []):
            attribute, direction = order.split(":")
            found.sort(key=lambda d: d[attribute], reverse=direction == "desc")
        offset, limit = body.get("offset", 0), body.get("limit", 20)
        page = [project(d, body.get("fields")) for d in found[offset : offset + limit]]
        return JSONResponse(
            {"results": page, "offset": offset, "limit": limit, "total": len(found)}
        )

    @app.post("/indexes/{uid}/search")
    async def search(uid: str, request: Request) -> JSONResponse:
        body = await request.json()
        if uid not in fake.indexes:
            return not_found(uid)
        q = body.get("q") or ""
        assert len(q) > 1 and q[0] == q[-1] == '"', f"the fake answers phrases only: {q!r}"
        words = fold_words(q[1:-1])
        attributes = body.get("attributesToSearchOn") or SEARCHABLE
        found = [
            d
            for d in fake.indexes[uid].docs.values()
            if matches(d, body.get("filter") or [])
            and any(holds_folded(d.get(a), words) for a in attributes)
        ]
        limit = body.get("limit", 20)
        hits = [project(d, body.get("attributesToRetrieve")) for d in found[:limit]]
        return JSONResponse(
            {
                "hits": hits,
                "query": q,
                "processingTimeMs": 0,
                "offset": 0,
                "limit": limit,
                "estimatedTotalHits": len(found),
            }
        )

    @app.get("/indexes/{uid}/documents/{key}")
    async def get_document(uid: str, key: str) -> JSONResponse:
        docs = fake.indexes[uid].docs if uid in fake.indexes else {}
        if key not in docs:
            return not_found(key, "document")
        return JSONResponse(docs[key])

    @app.post("/indexes/{uid}/documents/delete-batch")
    async def delete_batch(uid: str, request: Request) -> JSONResponse:
        keys = await request.json()

        def job() -> None:
            index = fake.index(uid)
            for key in keys:
                index.docs.pop(key, None)
            index.touch()

        return fake.enqueue("documentDeletion", uid, job)

    @app.post("/swap-indexes")
    async def swap(request: Request) -> JSONResponse:
        pairs = [p["indexes"] for p in await request.json()]

        def job() -> None:
            for a, b in pairs:
                first, second = fake.index(a), fake.index(b)
                fake.indexes[a], fake.indexes[b] = second, first

        return fake.enqueue("indexSwap", None, job)

    return app


@contextlib.asynccontextmanager
async def serve_fake_meili() -> AsyncIterator[tuple[str, FakeMeili]]:
    """Run the fake on a free 127.0.0.1 port in this event loop; yield its URL and state."""
    fake = FakeMeili()
    worker = asyncio.create_task(fake.work())
    port = free_port()
    config = uvicorn.Config(
        create_app(fake),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", fake
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
