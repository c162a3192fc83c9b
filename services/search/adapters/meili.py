"""``SearchIndex`` on Meilisearch (production): settings applied at start, batched writes that
wait on their tasks, zero-downtime rebuilds by index swap, filters from an allow-list with
quoted, escaped values. Use a scoped key (search + documents + settings + tasks on the
service's indexes), never the master key.

Meilisearch folds case and most marks itself; we also index folded copies
(``shared.text.fold``) so ``đ``→``d`` and every tone mark match whatever its tokenizer
does, and keep the original fields first in ``searchableAttributes`` so a query typed with
marks ranks the exact forms first (``exactness``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError
from meilisearch_python_sdk.index import AsyncIndex
from meilisearch_python_sdk.models.documents import DocumentsInfo
from meilisearch_python_sdk.models.settings import (
    Faceting,
    FilterableAttributes,
    MeilisearchSettings,
    MinWordSizeForTypos,
    Pagination,
    TypoTolerance,
)

from services.search.domain import (
    MIN_TYPO_ONE,
    MIN_TYPO_TWO,
    SYNONYMS,
    collation_key,
    completes,
    created_key,
    fold_words,
    highlights,
    instant_key,
    newest_key,
    parse_query,
    searchable_text,
    synonym_text,
    updated_from_newest,
)
from services.search.ports import (
    FACET_LIMITS,
    HIT_FIELDS,
    MAX_PAGE,
    MAX_PER_PAGE,
    Facets,
    Hit,
    LiveEntry,
    SearchQuery,
    SearchResult,
    SortOrder,
)
from services.search.spelling import (
    LEXICON_REFRESH_SECONDS,
    Lexicon,
    VocabularyTally,
    holds_reading,
)
from shared.config import Settings
from shared.logging import get_logger
from shared.records import Record, RecordStatus

log = get_logger("search.meili")

PRIMARY_KEY = "key"
FACETS = list(FACET_LIMITS)
FILTERABLE: list[str | FilterableAttributes] = [
    PRIMARY_KEY,  # the version check edits documents by key
    "status",
    "kind",
    "member",
    "language",
    "year",
    "subject",
    "created",
]
SORTABLE = ["newest", "sort_title", "created"]
SEARCHABLE = [
    "title",
    "title_folded",
    "subjects",
    "creators",
    "text_folded",
    "synonyms",
    "description",
    "publisher",
]
RANKING_RULES = ["words", "typo", "proximity", "attribute", "sort", "exactness"]
TASK_TIMEOUT_MS = 120_000
MAX_INDEXES = 1000
REBUILD_LEASE_SECONDS = 900
# A document key no record can have: base64 without padding is never 4n+1 characters long.
REBUILD_LEASE_KEY = "rebuild-lease"
# Task errors meaning "the index is gone": a rebuild index deleted between listing and writing.
VANISHED_CODES = frozenset({"index_not_found", "index_primary_key_no_candidate_found"})
# Run by ``POST /indexes/{uid}/documents/edit`` (Rhai): replace a document by the one sent in
# ``context.docs`` unless the stored one is newer. A document that only has its key (just
# created by the "ensure" step) takes the new one.
# Did you mean: the vocabulary is read from live titles and subjects, a page at a time.
LEXICON_BATCH = 1000
MAX_LEXICON_FETCHES = 2000  # 2,000,000 documents at most per build
LEXICON_FIRST_WAIT_SECONDS = 2.0  # the first request waits this long for the first build
LEXICON_FIELDS = ["title", "subjects"]
PHRASE_FIELDS = ["title", "title_folded", "subjects"]
SUPPORT_SAMPLE = 100  # hits whose titles are read to check a reading's marks
VERSION_CAS_FUNCTION = (
    "let new = context.docs[doc.key]; "
    'if type_of(new) == "map" && (!("version" in doc) || doc.version <= new.version) '
    "{ doc = new; }"
)


def index_settings() -> MeilisearchSettings:
    """Searchable, filterable and sortable attributes, ranking rules, typos, synonyms,
    facet and pagination limits."""
    synonyms: dict[str, list[str]] = {}
    for abbreviation, phrases in SYNONYMS.items():
        synonyms[abbreviation] = list(phrases)
        for phrase in phrases:
            synonyms.setdefault(phrase, []).append(abbreviation)
    return MeilisearchSettings(
        searchable_attributes=SEARCHABLE,
        filterable_attributes=FILTERABLE,
        sortable_attributes=SORTABLE,
        displayed_attributes=["*"],
        ranking_rules=RANKING_RULES,
        typo_tolerance=TypoTolerance(
            enabled=True,
            min_word_size_for_typos=MinWordSizeForTypos(
                one_typo=MIN_TYPO_ONE, two_typos=MIN_TYPO_TWO
            ),
        ),
        synonyms=synonyms,
        # As the embedded engine counts them: by count, as many as the longest facet lists
        # (each is cut to its own limit by ``Facets.from_counts``); every page reachable.
        faceting=Faceting(
            max_values_per_facet=max(FACET_LIMITS.values()),
            sort_facet_values_by={"*": "count"},
        ),
        pagination=Pagination(max_total_hits=MAX_PAGE * MAX_PER_PAGE),
    )


def document_key(record_id: str) -> str:
    """Meilisearch ids allow only ``[A-Za-z0-9_-]``: record ids (``member:local``) are encoded."""
    return base64.urlsafe_b64encode(record_id.encode()).decode().rstrip("=")


def to_document(record: Record) -> dict[str, Any]:
    """One record as a Meilisearch document: the record, folded copies, facets, sort keys."""
    body = record.model_dump(mode="json", exclude_none=True)
    text = searchable_text(record)
    title_folded = " ".join(fold_words(record.title))
    return {
        PRIMARY_KEY: document_key(record.id),
        "id": record.id,
        "version": record.version,
        "status": record.status.value,
        "kind": record.kind.value,
        "member": record.member,
        "language": record.language.lower(),
        "year": record.year,
        "subject": list(dict.fromkeys(record.subjects)),
        "title": record.title,
        "title_folded": title_folded,
        "subjects": record.subjects,
        "creators": record.creators,
        "description": record.description,
        "publisher": record.publisher,
        "text_folded": " ".join(fold_words(text)),
        "synonyms": synonym_text(
            f"{title_folded} {' '.join(fold_words(' '.join(record.subjects)))}"
        ),
        "newest": newest_key(record),
        "created": created_key(record),
        "sort_title": collation_key(record.title),
        "record": body,
    }


def quote(value: str | int) -> str:
    """A filter value as a double-quoted string with ``\\`` and ``"`` escaped."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def build_filter(query: SearchQuery) -> list[str]:
    """Filter clauses (ANDed) over allow-listed attributes; every value quoted and escaped."""
    clauses: list[str] = []
    if not query.include_withdrawn:
        clauses.append(f"status = {quote(RecordStatus.ACTIVE.value)}")
    for attribute, values in (
        ("kind", [k.value for k in query.kind]),
        ("member", query.member),
        ("subject", query.subject),
        ("language", [v.lower() for v in query.language]),
    ):
        if attribute not in FILTERABLE:  # the allow-list: never an attribute from input
            raise ValueError(attribute)
        if values:
            clauses.append(f"{attribute} IN [{', '.join(quote(v) for v in values)}]")
    if query.year_from is not None:
        clauses.append(f"year >= {int(query.year_from)}")
    if query.year_to is not None:
        clauses.append(f"year <= {int(query.year_to)}")
    if query.created_since is not None:
        clauses.append(f"created >= {instant_key(query.created_since)}")
    if query.created_before is not None:
        clauses.append(f"created < {instant_key(query.created_before)}")
    return clauses


def build_sort(query: SearchQuery) -> list[str] | None:
    if query.sort is SortOrder.NEWEST or (
        query.sort is SortOrder.RELEVANCE and not query.q.strip()
    ):
        return ["newest:desc"]
    if query.sort is SortOrder.TITLE:
        return ["sort_title:asc"]
    if query.sort is SortOrder.CREATED:
        return ["created:desc"]
    return None


def search_params(query: SearchQuery) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.search`` for a query (exhaustive page numbering)."""
    return {
        "query": query.q,
        "filter": build_filter(query),
        "facets": FACETS,
        "sort": build_sort(query),
        "page": query.page,
        "hits_per_page": query.per_page,
        "attributes_to_retrieve": ["record"],
        "matching_strategy": "all",
    }


class MeiliTaskFailed(RuntimeError):
    """A Meilisearch task ended ``failed``; ``code`` is Meilisearch's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"Meilisearch task failed ({code}): {message}")
        self.code = code


class RebuildRunning(RuntimeError):
    """Another replica holds the rebuild lease of this index."""


class RebuildLost(RuntimeError):
    """This rebuild's index or lease is gone (taken over as stale): it must not swap."""


class KeyedLocks:
    """One asyncio lock per key, kept only while someone holds or waits for it.

    A batch takes all its keys in sorted order, so two batches sharing keys never deadlock.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, keys: Iterable[str]) -> AsyncIterator[None]:
        ordered = sorted(set(keys))
        for key in ordered:
            self._users[key] = self._users.get(key, 0) + 1
        held: list[asyncio.Lock] = []
        try:
            for key in ordered:
                lock = self._locks.setdefault(key, asyncio.Lock())
                await lock.acquire()
                held.append(lock)
            yield
        finally:
            for lock in held:
                lock.release()
            for key in ordered:
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key], self._locks[key]


def newest_per_id(records: list[Record]) -> dict[str, Record]:
    """The newest version of each id in a batch (the last one on a tie)."""
    latest: dict[str, Record] = {}
    for record in records:
        if record.id not in latest or record.version >= latest[record.id].version:
            latest[record.id] = record
    return latest


def key_filter(keys: Iterable[str]) -> str:
    return f"{PRIMARY_KEY} IN [{', '.join(quote(k) for k in keys)}]"


def _ms(instant: datetime) -> int:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return int(instant.timestamp() * 1000)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _vanished(exc: MeiliTaskFailed | MeilisearchApiError) -> bool:
    """Did a write fail only because its index is gone (deleted, and not re-created)?"""
    if isinstance(exc, MeilisearchApiError):
        return exc.status_code == 404
    return exc.code in VANISHED_CODES


class MeiliIndex:
    """``SearchIndex`` on a Meilisearch server (``MEILI_URL``, scoped ``MEILI_KEY``).

    Safe with any number of search replicas on one index:

    * **Versions**: writes of one id are serialised in this process (``KeyedLocks``), and
      Meilisearch itself keeps the newer version: each batch is two tasks, "make sure the
      document exists" (a partial update with only its key: a no-op for an existing one) and
      ``VERSION_CAS_FUNCTION`` (``POST /documents/edit``), which replaces a document only when
      the stored version is not newer. Tasks run one at a time, so replicas cannot interleave
      inside that check. Without the ``editDocumentsByFunction`` feature (Meilisearch ≥ 1.10,
      experimental) the adapter falls back to read-then-write under the per-id lock, which
      is safe within one replica only, and logs a warning at start.
    * **Rebuilds**: a rebuild is an index ``{uid}_rebuild_{token}`` in Meilisearch's index
      list, which every replica reads before each write and writes to (first, then the live
      index). Its owner keeps a lease document in it (``REBUILD_LEASE_KEY``: owner and
      expiry, renewed as batches go in); of two rebuilds the older index wins and the younger
      deletes only itself; an index whose lease expired is deleted by the next rebuild. Only
      the owner swaps.
    """

    def __init__(
        self,
        *,
        url: str,
        api_key: str | None,
        uid: str = "records",
        timeout: int = 30,
        version_check: Literal["auto", "function", "read"] = "auto",
        lease_seconds: int = REBUILD_LEASE_SECONDS,
        poll_ms: int = 50,
        lexicon_refresh: float = LEXICON_REFRESH_SECONDS,
        lexicon_batch: int = LEXICON_BATCH,
        lexicon_max_fetches: int = MAX_LEXICON_FETCHES,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.uid = uid
        self.timeout = timeout
        self.version_check = version_check
        self.lease_ms = lease_seconds * 1000
        self.poll_ms = poll_ms
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._client: AsyncClient | None = None
        self._compare_and_set = version_check == "function"
        self._locks = KeyedLocks()
        self._rebuild: str | None = None  # the uid of the rebuild this instance owns
        self._lease_renewed_ms = 0
        self.lexicon_refresh = lexicon_refresh
        self.lexicon_batch = lexicon_batch
        self.lexicon_max_fetches = lexicon_max_fetches
        self._lexicon = Lexicon()
        self._lexicon_stamp: str | None = None  # the index's updatedAt it was built from
        self._lexicon_due = 0.0  # monotonic time of the next check
        self._lexicon_wait_until = 0.0  # requests wait for the first build until then
        self._lexicon_task: asyncio.Task[None] | None = None
        self._documents_sort = True  # False once the server refused ``sort`` (< 1.16)

    @classmethod
    def from_settings(cls, settings: Settings) -> MeiliIndex:
        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        return cls(
            url=settings.meili_url or "", api_key=key, uid=f"{settings.stinet_namespace}-records"
        )

    @property
    def rebuild_prefix(self) -> str:
        return f"{self.uid}_rebuild_"

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise RuntimeError("the Meilisearch index is not open")
        return self._client

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        """Create the index if missing, apply its settings, pick the version check."""
        if self._client is None:
            self._client = AsyncClient(self.url, self.api_key, timeout=self.timeout)
        await self._ensure_index(self.uid)
        if self.version_check == "auto":
            self._compare_and_set = await self._edit_function_enabled()
        if not self._compare_and_set:
            log.warning(
                "meili_version_check_in_process_only",
                index=self.uid,
                hint="enable the experimental feature editDocumentsByFunction (Meilisearch "
                ">= 1.10) so an older version can never overwrite a newer one across replicas",
            )

    async def _edit_function_enabled(self) -> bool:
        try:
            features = await self.client.get_experimental_features()
        except MeilisearchApiError:
            return False
        return bool(features.get("editDocumentsByFunction"))

    async def _ensure_index(self, uid: str) -> None:
        try:
            await self.client.get_index(uid)
        except MeilisearchApiError as exc:
            if exc.status_code != 404:
                raise
            await self.client.create_index(uid, PRIMARY_KEY, timeout_in_ms=TASK_TIMEOUT_MS)
        task_info = await self.client.index(uid).update_settings(index_settings())
        await self._wait(task_info.task_uid)

    async def _wait(self, task_uid: int) -> None:
        task = await self.client.wait_for_task(
            task_uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=self.poll_ms
        )
        if task.status != "succeeded":
            error = task.error or {}
            raise MeiliTaskFailed(str(error.get("code", task.status)), str(error.get("message")))

    async def close(self) -> None:
        task, self._lexicon_task = self._lexicon_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def drop(self) -> None:
        """Delete the index and every rebuild of it (tests and decommissioning)."""
        for index in await self._rebuilds():
            await self._delete_if_exists(index.uid)
        await self._delete_if_exists(self.uid)

    # -- writes ----------------------------------------------------------------------------
    async def upsert(self, records: list[Record]) -> None:
        """Add or replace records; an older version never replaces a newer one."""
        latest = newest_per_id(records)
        if not latest:
            return
        async with self._locks.hold(latest):
            for uid in await self._targets():
                await self._write(uid, list(latest.values()))

    async def _targets(self) -> list[str]:
        """Every running rebuild, then the live index: a swap between the writes loses nothing."""
        rebuilds = [i.uid for i in await self._rebuilds() if i.primary_key == PRIMARY_KEY]
        return [*rebuilds, self.uid]

    async def _rebuilds(self) -> list[AsyncIndex]:
        found = await self.client.get_indexes(limit=MAX_INDEXES) or []
        return [index for index in found if index.uid.startswith(self.rebuild_prefix)]

    async def _write(self, uid: str, records: list[Record]) -> None:
        """Write to one index; a rebuild index that vanished meanwhile is skipped."""
        try:
            if self._compare_and_set:
                await self._write_compare_and_set(uid, records)
            else:
                await self._write_after_read(uid, records)
        except (MeiliTaskFailed, MeilisearchApiError) as exc:
            if uid == self.uid or not _vanished(exc):
                raise
            log.info("meili_rebuild_index_gone", index=uid)

    async def _write_compare_and_set(self, uid: str, records: list[Record]) -> None:
        documents = {document_key(r.id): to_document(r) for r in records}
        index = self.client.index(uid)
        # Without a primaryKey parameter: written to an index that was just deleted, these
        # documents (no attribute named like "id") cannot re-create it.
        ensure = await index.update_documents([{PRIMARY_KEY: k} for k in documents])
        edit = await index.edit_documents(
            VERSION_CAS_FUNCTION, context={"docs": documents}, filter=key_filter(documents)
        )
        await self._wait(ensure.task_uid)
        await self._wait(edit.task_uid)

    async def _write_after_read(self, uid: str, records: list[Record]) -> None:
        indexed = await self._versions(uid, [r.id for r in records])
        documents = [to_document(r) for r in records if r.version >= indexed.get(r.id, 0)]
        if documents:
            task = await self.client.index(uid).add_documents(documents)
            await self._wait(task.task_uid)

    async def _versions(self, uid: str, ids: list[str]) -> dict[str, int]:
        found = await self.client.index(uid).get_documents(
            ids=[document_key(i) for i in ids], fields=["id", "version"], limit=len(ids)
        )
        return {doc["id"]: int(doc["version"]) for doc in found.results if "version" in doc}

    async def delete(self, ids: list[str]) -> None:
        """Remove records by id; unknown ids are ignored."""
        if not ids:
            return
        keys = [document_key(i) for i in ids]
        async with self._locks.hold(ids):
            for uid in await self._targets():
                try:
                    task = await self.client.index(uid).delete_documents(keys)
                    await self._wait(task.task_uid)
                except (MeiliTaskFailed, MeilisearchApiError) as exc:
                    if uid == self.uid or not _vanished(exc):
                        raise

    # -- rebuild (zero downtime: build beside, then swap) --------------------------------
    @property
    def needs_rebuild(self) -> bool:
        return False  # its documents outlive our schema; a new shape is the operator's reindex

    async def begin_rebuild(self) -> None:
        """Create a rebuild index with a lease; every replica's writes now go to it too."""
        if self._rebuild is not None:
            raise RebuildRunning("a rebuild is already running in this process")
        mine = f"{self.rebuild_prefix}{uuid.uuid4().hex[:16]}"
        await self._ensure_index(mine)
        try:
            await self._renew_lease(mine)
            await self._claim(mine)
        except BaseException:
            await self._delete_if_exists(mine)
            raise
        self._rebuild = mine
        log.info("meili_rebuild_started", index=mine, owner=self.owner)

    async def _claim(self, mine: str) -> None:
        """Keep ``mine`` only if it is the oldest rebuild whose lease holds; drop stale ones."""
        rebuilds = await self._rebuilds()
        me = next((i for i in rebuilds if i.uid == mine), None)
        if me is None or me.created_at is None:
            raise RebuildLost(mine)
        for other in rebuilds:
            if other.uid == mine:
                continue
            if other.primary_key != PRIMARY_KEY or await self._lease_expired(other):
                log.warning("meili_stale_rebuild_deleted", index=other.uid)
                await self._delete_if_exists(other.uid)
            elif (other.created_at or me.created_at, other.uid) < (me.created_at, mine):
                raise RebuildRunning(f"a rebuild is already running ({other.uid})")

    async def _lease_expired(self, index: AsyncIndex) -> bool:
        lease = await self._lease(index.uid)
        if lease is not None:
            return int(lease["expires_at"]) < _now_ms()
        created = _ms(index.created_at) if index.created_at else 0
        return created + self.lease_ms < _now_ms()  # created, lease never written: a crash

    async def _lease(self, uid: str) -> dict[str, Any] | None:
        try:
            return dict(await self.client.index(uid).get_document(REBUILD_LEASE_KEY))
        except MeilisearchApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    async def _renew_lease(self, uid: str) -> None:
        now = _now_ms()
        lease = {
            PRIMARY_KEY: REBUILD_LEASE_KEY,
            "owner": self.owner,
            "expires_at": now + self.lease_ms,
        }
        task = await self.client.index(uid).add_documents([lease])
        await self._wait(task.task_uid)
        self._lease_renewed_ms = now

    def _owned(self) -> str:
        if self._rebuild is None:
            raise RuntimeError("no rebuild is running")
        return self._rebuild

    async def add_to_rebuild(self, records: list[Record]) -> None:
        """Write a snapshot batch into this rebuild (same version rule); renew the lease."""
        mine = self._owned()
        latest = newest_per_id(records)
        async with self._locks.hold(latest):
            await self._write(mine, list(latest.values()))
        if _now_ms() - self._lease_renewed_ms > self.lease_ms // 3:
            await self._renew_lease(mine)

    async def finish_rebuild(self) -> None:
        """Swap the rebuild in (``POST /swap-indexes``) if its lease is still ours; drop the old."""
        mine = self._owned()
        lease = await self._lease(mine)
        if lease is None or lease.get("owner") != self.owner:
            raise RebuildLost(f"the rebuild index {mine} or its lease is gone")
        removal = await self.client.index(mine).delete_documents([REBUILD_LEASE_KEY])
        await self._wait(removal.task_uid)
        task = await self.client.swap_indexes([(self.uid, mine)])
        await self._wait(task.task_uid)
        self._rebuild = None
        await self._delete_if_exists(mine)
        log.info("meili_rebuild_swapped", index=self.uid, owner=self.owner)

    async def abort_rebuild(self) -> None:
        """Drop this process's rebuild index (never another replica's)."""
        mine, self._rebuild = self._rebuild, None
        if mine is not None:
            await self._delete_if_exists(mine)

    async def _delete_if_exists(self, uid: str) -> None:
        try:
            task = await self.client.index(uid).delete()
            await self._wait(task.task_uid)
        except (MeiliTaskFailed, MeilisearchApiError) as exc:
            if not _vanished(exc):
                raise

    # -- reads -----------------------------------------------------------------------------
    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query with its filters, facets, sort and page."""
        result = await self.client.index(self.uid).search(**search_params(query))
        parsed = parse_query(query.q)
        # A document with only its key exists for a moment between a write's two tasks.
        hits = [self._hit(h["record"], parsed) for h in result.hits if "record" in h]
        distribution = result.facet_distribution or {}
        facets = Facets.from_counts(distribution)
        return SearchResult(total=result.total_hits or 0, hits=hits, facets=facets)

    @staticmethod
    def _hit(stored: dict[str, Any], parsed: Any) -> Hit:
        fields = {name: stored[name] for name in HIT_FIELDS if name in stored}
        fields["highlight"] = highlights(
            parsed, stored["title"], stored.get("description"), stored.get("subjects", [])
        )
        return Hit.model_validate(fields)

    async def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles and subjects completing what the user has typed."""
        parsed = parse_query(prefix)
        if parsed.empty:
            return []
        result = await self.client.index(self.uid).search(
            prefix,
            limit=limit * 2,
            filter=[*build_filter(SearchQuery())],
            attributes_to_retrieve=["title", "subjects"],
        )
        out: dict[str, None] = {}
        for hit in result.hits:
            for candidate in (hit["title"], *hit.get("subjects", [])):
                if completes(candidate, parsed.words, parsed.last_is_prefix):
                    out.setdefault(candidate, None)
        return list(out)[:limit]

    async def get(self, record_id: str) -> Record | None:
        """One indexed record by id, or None."""
        try:
            doc = await self.client.index(self.uid).get_document(
                document_key(record_id), fields=["record"]
            )
        except MeilisearchApiError as exc:
            if exc.status_code == 404:
                return None
            raise
        if "record" not in doc:  # only its key so far: the write is under way
            return None
        return Record.model_validate(doc["record"])

    async def count(self) -> int:
        stats = await self.client.index(self.uid).get_stats()
        return int(stats.number_of_documents)

    async def ping(self) -> bool:
        health = await self.client.health()
        return health.status == "available"

    # -- did you mean (Vocabulary) ---------------------------------------------------------
    # Meilisearch lists no terms of its index: the words are tallied from the documents
    # themselves (``POST /documents/fetch``, title and subjects of live records), rebuilt in
    # the background when the index's ``updatedAt`` moved, at most once a ``lexicon_refresh``.
    async def lexicon(self) -> Lexicon:
        """The words of live titles and subjects as written, with how many records hold
        each; stale while a refresh runs; the very first request waits at most
        ``LEXICON_FIRST_WAIT_SECONDS`` for the first build (empty until it is done)."""
        now = time.monotonic()
        if self._lexicon_task is None and now >= self._lexicon_due:
            if not self._lexicon_due:  # the very first build: its first requests may wait
                self._lexicon_wait_until = now + LEXICON_FIRST_WAIT_SECONDS
            self._lexicon_due = now + self.lexicon_refresh
            self._lexicon_task = asyncio.create_task(self._refresh_lexicon())
        task, wait = self._lexicon_task, self._lexicon_wait_until - now
        if task is not None and self._lexicon_stamp is None and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), wait)
        return self._lexicon

    async def _refresh_lexicon(self) -> None:
        try:
            stamp = await self._index_stamp()
            if stamp != self._lexicon_stamp:
                tally = await self._tally_live_words()
                self._lexicon = await asyncio.to_thread(tally.lexicon)
                self._lexicon_stamp = stamp
                log.info(
                    "meili_lexicon_built",
                    index=self.uid,
                    records=tally.records,
                    words=len(self._lexicon),
                    truncated=tally.truncated,
                )
        except Exception as exc:  # a background refresh: logged, tried again when next due
            log.warning("meili_lexicon_failed", index=self.uid, error=str(exc))
        finally:
            self._lexicon_task = None

    async def _index_stamp(self) -> str:
        """The index's ``updatedAt``: it moves with every write, settings and swaps."""
        index = await self.client.get_index(self.uid)
        return str(index.updated_at)

    async def _tally_live_words(self) -> VocabularyTally:
        """Page through live documents' titles and subjects (bounded in requests and words)."""
        tally = VocabularyTally()
        index = self.client.index(self.uid)
        offset = 0
        for _ in range(self.lexicon_max_fetches):
            found = await index.get_documents(
                **lexicon_page_params(offset=offset, limit=self.lexicon_batch)
            )
            # In a thread: a page of 1,000 takes ~20-30 ms of tokenizing, too long for the loop.
            await asyncio.to_thread(_tally_page, tally, found.results)
            offset += len(found.results)
            if not found.results or offset >= found.total:
                return tally
        tally.truncated = True  # more live documents than ``lexicon_max_fetches`` pages
        return tally

    async def known(self, words: Sequence[str]) -> set[str]:
        """The folded ``words`` some searchable field holds as a word (a one-word phrase:
        Meilisearch matches a phrase without typos or prefixes)."""
        index = self.client.index(self.uid)
        found = await asyncio.gather(*(index.search(**known_params(w)) for w in words))
        return {w for w, result in zip(words, found, strict=True) if _total(result) > 0}

    async def support(self, readings: Sequence[Sequence[str]]) -> list[int]:
        """Live records whose title or one subject holds each reading's words, as written,
        in that order.

        Meilisearch folds marks, so "nuôi tôm" and "nuôi tóm" find the same records: one
        phrase search per folded reading reads the titles of its first ``SUPPORT_SAMPLE``
        hits, and each reading counts the hits that hold it with its marks. Exact up to
        ``SUPPORT_SAMPLE`` hits; beyond, the share of the sample scaled to the total (the
        readings of one folded phrase share one sample, so they are compared fairly).
        """
        groups: dict[tuple[str, ...], list[int]] = {}
        for position, words in enumerate(readings):
            groups.setdefault(tuple(fold_words(" ".join(words))), []).append(position)
        index = self.client.index(self.uid)
        found = await asyncio.gather(*(index.search(**support_params(f)) for f in groups))
        counts = [0] * len(readings)
        for positions, result in zip(groups.values(), found, strict=True):
            hits = [h for h in result.hits if "title" in h]
            for position in positions:
                counts[position] = verified_support(readings[position], hits, _total(result))
        return counts

    # -- the sitemap's listing (LiveRecords) -----------------------------------------------
    async def live_count(self) -> int:
        """How many records are live (not withdrawn)."""
        live: list[str | list[str]] = [*build_filter(SearchQuery())]
        found = await self.client.index(self.uid).get_documents(limit=1, fields=["id"], filter=live)
        return int(found.total)

    async def live_entries(
        self, *, offset: int, limit: int, batch: int = 1000
    ) -> AsyncIterator[list[LiveEntry]]:
        """Live entries by ``newest`` ascending (the engine's own order on a Meilisearch
        older than 1.16, which cannot sort a documents fetch), ``batch`` per request."""
        read = 0
        while read < limit:
            found = await self._live_page(offset + read, min(batch, limit - read))
            if not found.results:
                return
            yield [
                LiveEntry(doc["id"], updated_from_newest(int(doc["newest"])))
                for doc in found.results
            ]
            read += len(found.results)

    async def _live_page(self, offset: int, limit: int) -> DocumentsInfo:
        index = self.client.index(self.uid)
        sort = self._documents_sort
        try:
            return await index.get_documents(
                **live_page_params(offset=offset, limit=limit, sort=sort)
            )
        except MeilisearchApiError as exc:
            if not sort or not _sort_refused(exc):
                raise
        self._documents_sort = False
        log.warning(
            "meili_documents_sort_unsupported",
            index=self.uid,
            hint="Meilisearch >= 1.16 sorts document fetches; until then the sitemap lists "
            "records in the engine's own order (stable while the index does not change)",
        )
        return await index.get_documents(**live_page_params(offset=offset, limit=limit, sort=False))


def live_page_params(*, offset: int, limit: int, sort: bool = True) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.get_documents`` for one batch of the sitemap."""
    params: dict[str, Any] = {
        "offset": offset,
        "limit": limit,
        "fields": ["id", "newest"],
        "filter": build_filter(SearchQuery()),
    }
    if sort:
        params["sort"] = "newest:asc"
    return params


def _sort_refused(exc: MeilisearchApiError) -> bool:
    """A Meilisearch older than 1.16 refuses ``sort`` in a documents fetch (unknown field)."""
    return exc.status_code == 400 and "sort" in exc.message.lower()


def lexicon_page_params(*, offset: int, limit: int) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.get_documents`` for one page of the vocabulary."""
    return {
        "offset": offset,
        "limit": limit,
        "fields": LEXICON_FIELDS,
        "filter": build_filter(SearchQuery()),
    }


def phrase(words: Sequence[str]) -> str:
    """Words as one Meilisearch phrase query (its own quotes dropped)."""
    return '"' + " ".join(words).replace('"', "") + '"'


def known_params(word: str) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.search``: does any record hold ``word``? (a count)"""
    return {"query": phrase([word]), "limit": 0, "matching_strategy": "all"}


def support_params(folded: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.search`` for the live records holding a phrase
    in a title or subject, with the titles and subjects of the first ``SUPPORT_SAMPLE``."""
    return {
        "query": phrase(folded),
        "limit": SUPPORT_SAMPLE,
        "filter": build_filter(SearchQuery()),
        "attributes_to_search_on": PHRASE_FIELDS,
        "attributes_to_retrieve": LEXICON_FIELDS,
        "matching_strategy": "all",
    }


def verified_support(reading: Sequence[str], hits: Sequence[dict[str, Any]], total: int) -> int:
    """How many records hold ``reading`` as written: counted in ``hits`` (a sample of the
    ``total`` records matching its folded phrase), scaled to ``total`` when it is larger."""
    held = sum(1 for h in hits if holds_reading(str(h["title"]), h.get("subjects", []), reading))
    if not hits or total <= len(hits):
        return held
    return round(held * total / len(hits))


def _tally_page(tally: VocabularyTally, documents: Sequence[dict[str, Any]]) -> None:
    for doc in documents:
        tally.add(str(doc.get("title", "")), [str(s) for s in doc.get("subjects", [])])


def _total(result: Any) -> int:
    return int(result.estimated_total_hits or result.total_hits or 0)
