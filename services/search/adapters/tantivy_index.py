"""The embedded engine: a tantivy index on local disk (no server), behind ``SearchIndex``.

Text is folded in Python with ``shared.text.fold`` before tantivy sees it, so tone marks,
``đ`` and case never decide a match; an unfolded copy of title and subjects (``exact``)
lets a query typed with marks rank the exact forms first. The index lives in
``{data_dir}/search/{name}/index-<stamp>/``; the file ``CURRENT`` names the live one, so a
rebuild writes a new directory while the old one serves and then swaps the pointer.

Here: the engine (one directory, its writer and its per-commit caches) and ``TantivyIndex``.
What a record becomes is in ``tantivy_schema``; the queries, filters, ordering and facets
in ``tantivy_query``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import tantivy
from tantivy import Occur, Query

from services.search.adapters.lru import K, Lru, V
from services.search.adapters.tantivy_query import (
    ESTIMATE_FROM,
    Clauses,
    MatchCounts,
    SubjectCompletions,
    about,
    combine,
    count_matches,
    field_order,
    filter_clauses,
    is_known,
    known_words,
    live_query,
    match_facets,
    match_key,
    match_query,
    phrase_words,
    ranked_page,
    request_key,
    suggest_query,
)
from services.search.adapters.tantivy_schema import (
    SCHEMA,
    SHORT_PREFIX,
    short_prefixes,
    stored_field,
    to_document,
)
from services.search.domain import ParsedQuery, highlights, parse_query, updated_from_newest
from services.search.ports import HIT_FIELDS, Hit, LiveEntry, SearchQuery, SearchResult
from services.search.spelling import LEXICON_REFRESH_SECONDS, Lexicon
from shared.logging import get_logger
from shared.records import Record, RecordStatus

# The index, and the prefix terms' names that tests import from here (made in tantivy_schema).
__all__ = ["SHORT_PREFIX", "TantivyIndex", "short_prefixes"]

log = get_logger("search.tantivy")
WRITER_HEAP = 96_000_000
REBUILD_COMMIT_EVERY = 10_000
MAX_SUGGEST_SUBJECTS = 5000
FACET_CACHE_SIZE = 2048
RESULT_CACHE_SIZE = 512
SUGGEST_CACHE_SIZE = 2048
COMMIT_INTERVAL = 0.02  # seconds between group commits: bounds push -> searchable
# Searches scan large match sets in tantivy (no GIL) between short stretches of Python: one
# thread a core keeps the cores busy, and more only queue for the GIL at each hand-back
# (bench.search_syllables, 100k records: p95 60 -> 45 ms, p99 74 -> 53 ms against
# asyncio's default pool of cores + 4).
SEARCH_THREADS = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="search")


class _GroupFailed(Exception):
    """A record of one group of a group commit could not be made a document."""

    def __init__(self, group: int, error: Exception) -> None:
        super().__init__(group, error)
        self.group = group
        self.error = error


@dataclass
class _Engine:
    """One index directory with its writer."""

    path: Path
    index: tantivy.Index
    writer: tantivy.IndexWriter
    pending: int = 0
    generation: int = 0
    _subjects: SubjectCompletions | None = None
    # Answers since the last commit, exact because every commit empties them: the facets
    # and totals of a match set (like Elasticsearch's request cache), whole answers to a
    # request (page of hits, highlights, facets: like Solr's query result cache), and the
    # completions of the same keystrokes.
    facets: Lru[tuple[Any, ...], MatchCounts] = field(default_factory=lambda: Lru(FACET_CACHE_SIZE))
    results: Lru[tuple[Any, ...], SearchResult] = field(
        default_factory=lambda: Lru(RESULT_CACHE_SIZE)
    )
    suggestions: Lru[tuple[Any, ...], list[str]] = field(
        default_factory=lambda: Lru(SUGGEST_CACHE_SIZE)
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, cache: Lru[K, V], key: K, generation: int, value: V) -> None:
        """Keep ``value`` in one of the caches above unless a commit came after
        ``generation``: then it was computed on a reader older than the last commit."""
        with self._lock:
            if generation == self.generation:
                cache.put(key, value)

    @classmethod
    def open(cls, path: Path) -> _Engine:
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
        index.config_reader(reload_policy="Manual")
        return cls(path, index, index.writer(heap_size=WRITER_HEAP, num_threads=1))

    def versions(self, ids: list[str]) -> dict[str, int]:
        searcher = self.index.searcher()
        found = searcher.search(
            Query.term_set_query(SCHEMA, "id", ids), limit=len(ids), count=False
        )
        out: dict[str, int] = {}
        for _, address in found.hits:
            doc = searcher.doc(address)
            out[stored_field(doc, "id")] = int(stored_field(doc, "version"))
        return out

    def write(self, records: list[Record], *, commit: bool = True) -> None:
        """Replace documents, keeping a newer indexed version; commit and make visible.

        ``commit=False`` (rebuild batches) leaves them pending; a live write commits them
        first, so its version check sees everything written before it.
        """
        if commit and self.pending:
            self.commit()  # the version check below must see the pending rebuild batches
        try:
            changed = self._add_latest([records], {})
        except _GroupFailed as failure:
            raise failure.error from None
        if changed and commit:
            self.commit()
        elif changed:
            self.pending += changed

    def write_groups(self, groups: list[list[Record]]) -> list[Exception | None]:
        """Several writes in one commit (group commit); what failed, per group.

        A group whose record cannot be made a document fails alone: the others are written
        without it (after a rollback of what was added), so one poison message never takes
        healthy ones to the dead-letter queue with it.
        """
        if self.pending:
            self.commit()  # nothing uncommitted is left for a rollback to drop
        failed: dict[int, Exception] = {}
        while True:
            try:
                changed = self._add_latest(groups, failed)
                break
            except _GroupFailed as failure:
                failed[failure.group] = failure.error
                self.writer.rollback()
        if changed:
            self.commit()
        return [failed.get(number) for number in range(len(groups))]

    def _add_latest(self, groups: list[list[Record]], skipped: Mapping[int, Exception]) -> int:
        """Add the newest version of every record of the groups not ``skipped``, unless the
        index holds a newer one; how many were added (a later group wins a tie)."""
        latest: dict[str, tuple[Record, int]] = {}
        for number, records in enumerate(groups):
            if number in skipped:
                continue
            for record in records:
                current = latest.get(record.id)
                if current is None or record.version >= current[0].version:
                    latest[record.id] = (record, number)
        indexed = self.versions(list(latest))
        added = 0
        for record, number in latest.values():
            if record.version < indexed.get(record.id, 0):
                continue
            try:
                document = to_document(record)
            except Exception as exc:
                raise _GroupFailed(number, exc) from exc
            # Added as soon as built: tantivy's thread indexes it while the next is built.
            self.writer.delete_documents_by_term("id", record.id)
            self.writer.add_document(document)
            added += 1
        return added

    def delete(self, ids: list[str]) -> None:
        for record_id in ids:
            self.writer.delete_documents_by_term("id", record_id)
        self.commit()

    def commit(self) -> None:
        self.writer.commit()
        self.index.reload()
        self.pending = 0
        with self._lock:
            self.generation += 1
            for cache in (self.facets, self.results, self.suggestions):
                cache.clear()
            self._subjects = None

    def subjects(self, searcher: tantivy.Searcher) -> SubjectCompletions:
        """Subjects of active records for completion (built once per commit)."""
        if self._subjects is None:
            active = Query.term_query(SCHEMA, "status", RecordStatus.ACTIVE.value)
            agg = {"s": {"terms": {"field": "subject", "size": MAX_SUGGEST_SUBJECTS}}}
            buckets = searcher.aggregate(active, agg)["s"]["buckets"]
            self._subjects = SubjectCompletions([str(b["key"]) for b in buckets])
        return self._subjects

    def close(self) -> None:
        self.writer.wait_merging_threads()


class TantivyIndex:
    """``SearchIndex`` on tantivy, with zero-downtime rebuilds (new directory, then swap)."""

    def __init__(
        self,
        data_dir: Path,
        name: str = "records",
        *,
        lexicon_refresh: float = LEXICON_REFRESH_SECONDS,
        commit_interval: float = COMMIT_INTERVAL,
        estimate_from: int = ESTIMATE_FROM,
    ) -> None:
        self.root = Path(data_dir) / "search" / name
        self._engine: _Engine | None = None
        self._building: _Engine | None = None
        self._write_lock = asyncio.Lock()
        self._thread_lock = threading.Lock()
        self._lexicon_refresh = lexicon_refresh
        # (built at, engine, generation, words): rebuilt after a write, at most once a
        # ``lexicon_refresh``: reading every term of 100,000 titles takes a few hundred ms.
        self._lexicon: tuple[float, _Engine, int, Lexicon] | None = None
        # Writes waiting for the next group commit, each with what its caller awaits.
        self._queued: list[tuple[list[Record], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._commit_interval = commit_interval
        self._last_commit = 0.0
        self._estimate_from = estimate_from  # matches from which facets are estimated
        self._set_aside = False  # the stored index had another schema (``needs_rebuild``)

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the live index named by ``CURRENT`` (creating a first one)."""
        if self._engine is None:
            self._engine = await asyncio.to_thread(self._open_current)

    def _open_current(self) -> _Engine:
        self.root.mkdir(parents=True, exist_ok=True)
        pointer = self.root / "CURRENT"
        if not pointer.exists():
            self._write_pointer(self._new_directory_name())
        try:
            return _Engine.open(self.root / pointer.read_text().strip())
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
        # An index from an older version of this code: start empty beside it (the old
        # directory stays until a rebuild replaces the pointer) and say what to do.
        log.warning(
            "search_index_schema_changed",
            path=str(self.root),
            action="rebuilt from the catalogue when the service starts "
            "(or run: python -m services.search reindex)",
        )
        self._write_pointer(self._new_directory_name())
        self._set_aside = True
        return _Engine.open(self.root / pointer.read_text().strip())

    @property
    def needs_rebuild(self) -> bool:
        return self._set_aside

    def _new_directory_name(self) -> str:
        return f"index-{uuid.uuid4().hex[:12]}"

    def _write_pointer(self, name: str) -> None:
        temporary = self.root / "CURRENT.tmp"
        temporary.write_text(name)
        temporary.replace(self.root / "CURRENT")

    async def close(self) -> None:
        """Finish queued writes and merges, and release the writer lock."""
        if self._flusher is not None:
            await self._flusher
        async with self._write_lock:
            for engine in (self._building, self._engine):
                if engine is not None:
                    await asyncio.to_thread(engine.close)
            self._engine = self._building = None

    @property
    def engine(self) -> _Engine:
        if self._engine is None:
            raise RuntimeError("the search index is not open")
        return self._engine

    # -- writes ----------------------------------------------------------------------------
    async def upsert(self, records: list[Record]) -> None:
        """Add or replace records; an older version never replaces a newer one.

        Returns once the records are committed (searchable). Writes that arrive while a
        commit runs, or within ``commit_interval`` of the last one, share the next commit
        (group commit): a commit costs about 10 ms of CPU whatever it holds, so one per
        message would cap a stream of small messages at a hundred a second.
        """
        if not records:
            return
        committed = asyncio.get_running_loop().create_future()
        self._queued.append((records, committed))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_queued())
        await committed

    async def _flush_queued(self) -> None:
        """Commit the queued writes, a group at a time, until none is left."""
        while self._queued:
            await asyncio.sleep(self._last_commit + self._commit_interval - time.monotonic())
            group, self._queued = self._queued, []
            try:
                async with self._write_lock:
                    outcomes = await asyncio.to_thread(self._write_group, [r for r, _ in group])
            except Exception as exc:  # the commit itself failed: nothing of the group holds
                outcomes = [exc] * len(group)
            except BaseException:
                for _, committed in group:
                    committed.cancel()
                raise
            finally:
                self._last_commit = time.monotonic()
            for (_, committed), outcome in zip(group, outcomes, strict=True):
                if committed.done():  # its caller gave up (shutdown): nothing to tell
                    continue
                if outcome is None:
                    committed.set_result(None)
                else:
                    committed.set_exception(outcome)

    def _write_group(self, groups: list[list[Record]]) -> list[Exception | None]:
        """One commit of ``groups`` to the live index (and to the one being built)."""
        outcomes = self.engine.write_groups(groups)
        if self._building is not None:
            written = [g for g, outcome in zip(groups, outcomes, strict=True) if outcome is None]
            self._building.write_groups(written)
        return outcomes

    async def delete(self, ids: list[str]) -> None:
        """Remove records by id; unknown ids are ignored."""
        if not ids:
            return
        async with self._write_lock:
            for engine in self._targets():
                await asyncio.to_thread(engine.delete, ids)

    def _targets(self) -> list[_Engine]:
        return [e for e in (self.engine, self._building) if e is not None]

    # -- rebuild (zero downtime) ----------------------------------------------------------
    async def begin_rebuild(self) -> None:
        """Start an empty index beside the live one; live writes go to both from now on."""
        async with self._write_lock:
            if self._building is not None:
                raise RuntimeError("a rebuild is already running")
            path = self.root / self._new_directory_name()
            self._building = await asyncio.to_thread(_Engine.open, path)

    async def add_to_rebuild(self, records: list[Record]) -> None:
        """Write a batch of the full snapshot into the index being built."""
        async with self._write_lock:
            if self._building is None:
                raise RuntimeError("no rebuild is running")
            building = self._building
            await asyncio.to_thread(building.write, records, commit=False)
            if building.pending >= REBUILD_COMMIT_EVERY:
                await asyncio.to_thread(building.commit)

    async def finish_rebuild(self) -> None:
        """Make the new index the live one and drop the old directory."""
        async with self._write_lock:
            if self._building is None:
                raise RuntimeError("no rebuild is running")
            old, new = self.engine, self._building
            await asyncio.to_thread(new.commit)
            await asyncio.to_thread(self._write_pointer, new.path.name)
            self._engine, self._building = new, None
            self._set_aside = False
            await asyncio.to_thread(old.close)
            await asyncio.to_thread(self._remove_all_but, new.path)

    async def abort_rebuild(self) -> None:
        """Drop a half-built index; the live one never stopped serving."""
        async with self._write_lock:
            building, self._building = self._building, None
            if building is not None:
                await asyncio.to_thread(building.close)
                await asyncio.to_thread(shutil.rmtree, building.path, True)

    def _remove_all_but(self, keep: Path) -> None:
        """Drop every index directory but the live one (the old one, any set aside)."""
        for path in self.root.glob("index-*"):
            if path != keep:
                shutil.rmtree(path, ignore_errors=True)

    # -- reads -----------------------------------------------------------------------------
    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query with its filters, facets, sort and page."""
        # Even a cached answer is taken in the worker thread: answering it on the event loop
        # keeps that thread on the GIL, and the uncached requests' threads then queue for it
        # (measured: completions p95 20.7 ms on the loop, 11 ms in the thread).
        context = contextvars.copy_context()  # as asyncio.to_thread: the request's log ids
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(SEARCH_THREADS, context.run, self._search, query)

    def _search(self, query: SearchQuery) -> SearchResult:
        engine = self.engine
        generation = engine.generation
        request = request_key(query)
        result = engine.results.get(request)
        if result is None:
            result = self._answer(query, engine, generation)
            engine.remember(engine.results, request, generation, result)
        return result

    def _answer(self, query: SearchQuery, engine: _Engine, generation: int) -> SearchResult:
        parsed = parse_query(query.q)
        searcher = engine.index.searcher()
        filters = filter_clauses(query)
        known = known_words(searcher, parsed)
        key = match_key(parsed, query)
        counts = engine.facets.get(key)
        if counts is None:
            kinds = [k.value for k in query.kind]
            counts = match_facets(
                searcher, parsed, filters, known, kinds=kinds, estimate_from=self._estimate_from
            )
            engine.remember(engine.facets, key, generation, counts)
        require_all, facets = counts.require_all, counts.facets
        ordering = field_order(query, parsed)
        # Every document has exactly one kind: the kind counts add up to the total, so the
        # top-k search needs no full count and can skip what cannot reach the page.
        total = sum(facets.kind.values())
        if counts.estimated:  # a sum of rounded estimates: no more digits than they have
            total = about(total)
        offset = (query.page - 1) * query.per_page
        if not parsed.empty and not ordering:
            hits = ranked_page(
                searcher,
                parsed,
                filters,
                require_all=require_all,
                known=known,
                offset=offset,
                limit=query.per_page,
            )
        else:  # ordered by a field (nothing typed: newest first): no scores, so no boosts
            text: Clauses = []
            if not parsed.empty:
                text = [(Occur.Must, match_query(parsed, require_all=require_all, known=known))]
            hits = searcher.search(
                combine(text, filters), limit=query.per_page, offset=offset, count=False, **ordering
            ).hits
        typos = frozenset(w for w, held in known.items() if not held)
        page = [self._hit(searcher, score, address, parsed, typos) for score, address in hits]
        return SearchResult(total=total, hits=page, facets=facets, estimated=counts.estimated)

    def _hit(
        self,
        searcher: tantivy.Searcher,
        score: Any,
        address: Any,
        parsed: ParsedQuery,
        typo_words: frozenset[str],
    ) -> Hit:
        stored = orjson.loads(stored_field(searcher.doc(address), "doc"))
        fields = {name: stored[name] for name in HIT_FIELDS if name in stored}
        fields["highlight"] = highlights(
            parsed,
            stored["title"],
            stored.get("description"),
            stored.get("subjects", []),
            typo_words,
        )
        fields["score"] = float(score) if isinstance(score, float) else None
        return Hit.model_validate(fields)

    async def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles and subjects that start with, or contain, what the user has typed."""
        return await asyncio.to_thread(self._suggest, prefix, limit)  # see ``search``

    def _suggest(self, prefix: str, limit: int) -> list[str]:
        engine = self.engine
        generation = engine.generation
        found = engine.suggestions.get((prefix, limit))
        if found is None:
            found = self._complete(engine, prefix, limit)
            engine.remember(engine.suggestions, (prefix, limit), generation, found)
        return list(found)

    def _complete(self, engine: _Engine, prefix: str, limit: int) -> list[str]:
        parsed = parse_query(prefix)
        if parsed.empty:
            return []
        searcher = engine.index.searcher()
        out = dict.fromkeys(engine.subjects(searcher).complete(parsed, limit))
        query = combine([(Occur.Must, suggest_query(parsed))], filter_clauses(SearchQuery()))
        for _, address in searcher.search(query, limit=limit, count=False).hits:
            out.setdefault(orjson.loads(stored_field(searcher.doc(address), "doc"))["title"], None)
        return list(out)[:limit]

    # -- did you mean (Vocabulary) ---------------------------------------------------------
    async def lexicon(self) -> Lexicon:
        """The words of live titles and subjects as written, with how many records hold each."""
        engine, cached = self.engine, self._lexicon
        if cached is not None and cached[1] is engine:
            built_at, _, generation, words = cached
            fresh = generation == engine.generation
            if fresh or time.monotonic() - built_at < self._lexicon_refresh:
                return words
        return await asyncio.to_thread(self._build_lexicon, engine)

    def _build_lexicon(self, engine: _Engine) -> Lexicon:
        generation = engine.generation
        searcher = engine.index.searcher()
        terms = searcher.terms_with_prefix("exact", "", filter_query=live_query())
        words = Lexicon.build((str(term), int(count)) for term, count in terms if count > 0)
        self._lexicon = (time.monotonic(), engine, generation, words)
        return words

    async def known(self, words: Sequence[str]) -> set[str]:
        """The folded ``words`` some text field of the index holds."""
        if not words:
            return set()
        searcher = self.engine.index.searcher()
        return {word for word in words if is_known(searcher, word)}

    async def support(self, readings: Sequence[Sequence[str]]) -> list[int]:
        """Live records holding each reading's words, in that order, in a title or subject."""
        return await asyncio.to_thread(self._support, readings)

    def _support(self, readings: Sequence[Sequence[str]]) -> list[int]:
        searcher = self.engine.index.searcher()
        live = filter_clauses(SearchQuery())
        counts = []
        for words in readings:
            if len(words) == 1:
                text = Query.term_query(SCHEMA, "exact", words[0])
            else:
                text = Query.phrase_query(SCHEMA, "exact", phrase_words(words))
            counts.append(count_matches(searcher, combine([(Occur.Must, text)], live)))
        return counts

    async def get(self, record_id: str) -> Record | None:
        """One indexed record by id, or None."""
        return await asyncio.to_thread(self._get, record_id)

    def _get(self, record_id: str) -> Record | None:
        searcher = self.engine.index.searcher()
        found = searcher.search(Query.term_query(SCHEMA, "id", record_id), limit=1, count=False)
        if not found.hits:
            return None
        return Record.model_validate_json(stored_field(searcher.doc(found.hits[0][1]), "doc"))

    async def count(self) -> int:
        """Number of indexed documents (withdrawn included)."""
        return int(self.engine.index.searcher().num_docs)

    async def ping(self) -> bool:
        """True when the index is open."""
        return self._engine is not None

    @property
    def rebuilding(self) -> bool:
        return self._building is not None

    # -- the sitemap's listing (LiveRecords) -----------------------------------------------
    async def live_count(self) -> int:
        """How many records are live (not withdrawn)."""
        return await asyncio.to_thread(self._live_count)

    def _live_count(self) -> int:
        return count_matches(self.engine.index.searcher(), live_query())

    async def live_entries(
        self, *, offset: int, limit: int, batch: int = 1000
    ) -> AsyncIterator[list[LiveEntry]]:
        """Live entries by ``newest`` ascending, from one snapshot (the searcher held)."""
        if limit <= 0 or offset < 0:
            return
        searcher = self.engine.index.searcher()
        # Ordering by an integer column with an offset is cheap (50 ms for the last 50,000
        # of a million); by the text id it would take seconds, so ``newest`` it is.
        found = await asyncio.to_thread(
            searcher.search,
            live_query(),
            limit=limit,
            offset=offset,
            count=False,
            order_by_field="newest",
            order=tantivy.Order.Asc,
        )
        hits = found.hits
        for start in range(0, len(hits), batch):
            yield await asyncio.to_thread(_live_batch, searcher, hits[start : start + batch])


def _live_batch(searcher: tantivy.Searcher, hits: list[tuple[Any, Any]]) -> list[LiveEntry]:
    """Ids read from the stored documents; the last change decoded from the sort key."""
    return [
        LiveEntry(str(searcher.doc(address).get_first("id")), updated_from_newest(int(newest)))
        for newest, address in hits
    ]
