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

import base64
from collections.abc import AsyncIterator, Sequence
from typing import Any

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError
from meilisearch_python_sdk.models.settings import (
    FilterableAttributes,
    MeilisearchSettings,
    MinWordSizeForTypos,
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
    HIT_FIELDS,
    Facets,
    Hit,
    LiveEntry,
    SearchQuery,
    SearchResult,
    SortOrder,
)
from services.search.spelling import Lexicon
from shared.config import Settings
from shared.records import Record, RecordStatus

PRIMARY_KEY = "key"
FACETS = ["kind", "member", "language", "year", "subject"]
FILTERABLE: list[str | FilterableAttributes] = [
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


def index_settings() -> MeilisearchSettings:
    """Searchable, filterable and sortable attributes, ranking rules, typos, synonyms."""
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


class MeiliIndex:
    """``SearchIndex`` on a Meilisearch server (``MEILI_URL``, scoped ``MEILI_KEY``)."""

    def __init__(
        self, *, url: str, api_key: str | None, uid: str = "records", timeout: int = 30
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.uid = uid
        self.timeout = timeout
        self._client: AsyncClient | None = None
        self._building = False

    @classmethod
    def from_settings(cls, settings: Settings) -> MeiliIndex:
        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        return cls(
            url=settings.meili_url or "", api_key=key, uid=f"{settings.stinet_namespace}-records"
        )

    @property
    def next_uid(self) -> str:
        return f"{self.uid}-next"

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise RuntimeError("the Meilisearch index is not open")
        return self._client

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        """Create the index if missing and apply its settings (idempotent)."""
        if self._client is None:
            self._client = AsyncClient(self.url, self.api_key, timeout=self.timeout)
        await self._ensure_index(self.uid)

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
        await self.client.wait_for_task(
            task_uid, timeout_in_ms=TASK_TIMEOUT_MS, raise_for_status=True
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def drop(self) -> None:
        """Delete the index and its rebuild twin (tests and decommissioning)."""
        for uid in (self.uid, self.next_uid):
            await self._delete_if_exists(uid)

    # -- writes ----------------------------------------------------------------------------
    async def upsert(self, records: list[Record]) -> None:
        """Add or replace records; an older version never replaces a newer one."""
        for uid in self._targets():
            await self._write(uid, records)

    def _targets(self) -> list[str]:
        return [self.uid, self.next_uid] if self._building else [self.uid]

    async def _write(self, uid: str, records: list[Record]) -> None:
        latest: dict[str, Record] = {}
        for record in records:
            if record.id not in latest or record.version >= latest[record.id].version:
                latest[record.id] = record
        if not latest:
            return
        indexed = await self._versions(uid, list(latest))
        documents = [to_document(r) for r in latest.values() if r.version >= indexed.get(r.id, 0)]
        if documents:
            task = await self.client.index(uid).add_documents(documents, PRIMARY_KEY)
            await self._wait(task.task_uid)

    async def _versions(self, uid: str, ids: list[str]) -> dict[str, int]:
        found = await self.client.index(uid).get_documents(
            ids=[document_key(i) for i in ids], fields=["id", "version"], limit=len(ids)
        )
        return {doc["id"]: int(doc["version"]) for doc in found.results}

    async def delete(self, ids: list[str]) -> None:
        """Remove records by id; unknown ids are ignored."""
        if not ids:
            return
        for uid in self._targets():
            task = await self.client.index(uid).delete_documents([document_key(i) for i in ids])
            await self._wait(task.task_uid)

    # -- rebuild (zero downtime: build beside, then swap) --------------------------------
    async def begin_rebuild(self) -> None:
        """Create an empty twin index with the same settings; live writes go to both."""
        if self._building:
            raise RuntimeError("a rebuild is already running")
        await self._delete_if_exists(self.next_uid)
        await self._ensure_index(self.next_uid)
        self._building = True

    async def add_to_rebuild(self, records: list[Record]) -> None:
        await self._write(self.next_uid, records)

    async def finish_rebuild(self) -> None:
        """Swap the twin in atomically (``POST /swap-indexes``) and delete the old contents."""
        task = await self.client.swap_indexes([(self.uid, self.next_uid)])
        await self._wait(task.task_uid)
        self._building = False
        await self._delete_if_exists(self.next_uid)

    async def abort_rebuild(self) -> None:
        self._building = False
        await self._delete_if_exists(self.next_uid)

    async def _delete_if_exists(self, uid: str) -> None:
        try:
            task = await self.client.index(uid).delete()
            await self._wait(task.task_uid)
        except MeilisearchApiError as exc:
            if exc.status_code != 404:
                raise

    # -- reads -----------------------------------------------------------------------------
    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query with its filters, facets, sort and page."""
        result = await self.client.index(self.uid).search(**search_params(query))
        parsed = parse_query(query.q)
        hits = [self._hit(h["record"], parsed) for h in result.hits]
        distribution = result.facet_distribution or {}
        facets = Facets(**{name: dict(distribution.get(name, {})) for name in FACETS})
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
        return Record.model_validate(doc["record"])

    async def count(self) -> int:
        stats = await self.client.index(self.uid).get_stats()
        return int(stats.number_of_documents)

    async def ping(self) -> bool:
        health = await self.client.health()
        return health.status == "available"

    # -- did you mean (Vocabulary) ---------------------------------------------------------
    # Meilisearch lists no terms of its index, so it offers no readings of its own (its
    # typo tolerance still finds what a typo'd query meant): an empty lexicon says so.
    async def lexicon(self) -> Lexicon:
        """Empty: Meilisearch has no term dictionary to read."""
        return Lexicon()

    async def known(self, words: Sequence[str]) -> set[str]:
        """Every word (nothing is ever corrected without a lexicon)."""
        return set(words)

    async def support(self, readings: Sequence[Sequence[str]]) -> list[int]:
        """Records whose title or subjects hold each reading as a phrase."""
        counts = []
        for words in readings:
            result = await self.client.index(self.uid).search(
                '"' + " ".join(words).replace('"', "") + '"',
                limit=0,
                filter=[*build_filter(SearchQuery())],
                attributes_to_search_on=["title", "subjects"],
            )
            counts.append(int(result.estimated_total_hits or result.total_hits or 0))
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
        """Live entries by ``newest`` ascending, ``batch`` documents per request."""
        read = 0
        while read < limit:
            found = await self.client.index(self.uid).get_documents(
                **live_page_params(offset=offset + read, limit=min(batch, limit - read))
            )
            if not found.results:
                return
            yield [
                LiveEntry(doc["id"], updated_from_newest(int(doc["newest"])))
                for doc in found.results
            ]
            read += len(found.results)


def live_page_params(*, offset: int, limit: int) -> dict[str, Any]:
    """Keyword arguments of ``AsyncIndex.get_documents`` for one batch of the sitemap."""
    return {
        "offset": offset,
        "limit": limit,
        "fields": ["id", "newest"],
        "filter": build_filter(SearchQuery()),
        "sort": "newest:asc",
    }
