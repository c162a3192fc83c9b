"""The embedded engine: a tantivy index on local disk (no server), behind ``SearchIndex``.

Text is folded in Python with ``shared.text.fold`` before tantivy sees it, so tone marks,
``đ`` and case never decide a match; an unfolded copy of title and subjects (``exact``)
lets a query typed with marks rank the exact forms first. The index lives in
``{data_dir}/search/{name}/index-<stamp>/``; the file ``CURRENT`` names the live one, so a
rebuild writes a new directory while the old one serves and then swaps the pointer.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import itertools
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import tantivy
from tantivy import Occur, Query

from services.search.domain import (
    ParsedQuery,
    collation_key,
    created_key,
    fold_words,
    highlights,
    instant_key,
    newest_key,
    parse_query,
    searchable_text,
    synonym_text,
    title_subject_words,
    typo_budget,
    updated_from_newest,
)
from services.search.ports import (
    FACET_LIMITS,
    HIT_FIELDS,
    Facets,
    Hit,
    LiveEntry,
    SearchQuery,
    SearchResult,
    SortOrder,
)
from services.search.spelling import LEXICON_REFRESH_SECONDS, Lexicon
from shared.logging import get_logger
from shared.records import Record, RecordStatus

log = get_logger("search.tantivy")
WRITER_HEAP = 96_000_000
REBUILD_COMMIT_EVERY = 10_000
MAX_SUGGEST_SUBJECTS = 5000
FACET_CACHE_SIZE = 2048
RESULT_CACHE_SIZE = 512
SUGGEST_CACHE_SIZE = 2048
COMPLETE_WORD_LETTERS = 5
SHORT_PREFIX = 4
COMMIT_INTERVAL = 0.02  # seconds between group commits: bounds push -> searchable


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    builder.add_bytes_field("doc", stored=True)
    builder.add_integer_field("version", stored=True, fast=True)
    for name in ("title_f", "body_f", "syn_f", "exact", "names_f"):
        builder.add_text_field(name, tokenizer_name="default")
    # Short prefixes of every word, as terms: "h", "ha", "hai" for "hai". A short prefix
    # typed as you type then costs one term lookup instead of a union over every word that
    # starts with it (Meilisearch keeps prefix postings for the same reason).
    builder.add_text_field("prefix_f", tokenizer_name="default", index_option="basic")
    for name in ("kind", "member", "language", "status", "subject", "sort_title"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("newest", fast=True)
    builder.add_integer_field("created", fast=True)  # created_at in ms: feeds and digests
    return builder.build()


SCHEMA = _schema()


def to_document(record: Record) -> tantivy.Document:
    """One record as a tantivy document (folded text, facets, sort keys, the stored record)."""
    title_f = " ".join(fold_words(record.title))
    body_f = " ".join(fold_words(searchable_text(record)))
    doc = tantivy.Document()
    doc.add_text("id", record.id)
    doc.add_bytes("doc", record.model_dump_json(exclude_none=True).encode())
    doc.add_integer("version", record.version)
    doc.add_text("title_f", title_f)
    doc.add_text("body_f", body_f)
    doc.add_text("names_f", " ".join(fold_words(" ; ".join(record.creators))))
    doc.add_text("prefix_f", short_prefixes(f"{title_f} {body_f}"))
    doc.add_text(
        "syn_f", synonym_text(f"{title_f} {' '.join(fold_words(' '.join(record.subjects)))}")
    )
    doc.add_text("exact", " ".join(title_subject_words(record.title, record.subjects)))
    doc.add_text("kind", record.kind.value)
    doc.add_text("member", record.member)
    doc.add_text("language", record.language.lower())
    doc.add_text("status", record.status.value)
    for subject in dict.fromkeys(record.subjects):
        doc.add_text("subject", subject)
    doc.add_text("sort_title", collation_key(record.title))
    if record.year is not None:
        doc.add_integer("year", record.year)
    doc.add_integer("newest", newest_key(record))
    doc.add_integer("created", created_key(record))
    return doc


def short_prefixes(folded: str) -> str:
    """Every distinct prefix of up to ``SHORT_PREFIX`` letters of every word (unordered).

    Each word's prefixes are remembered (a collection repeats the same syllables).
    """
    known = _WORD_PREFIXES.get
    found = [known(word) or _word_prefixes(word) for word in set(folded.split())]
    return " ".join(set().union(*found))


def _word_prefixes(word: str) -> frozenset[str]:
    if len(_WORD_PREFIXES) >= PREFIX_CACHE_SIZE:
        _WORD_PREFIXES.clear()
    # A slice past the word's end is the word itself, already met as a shorter prefix.
    found = _WORD_PREFIXES[word] = frozenset(word[:n] for n in _PREFIX_LENGTHS)
    return found


PREFIX_CACHE_SIZE = 200_000
_PREFIX_LENGTHS = range(1, SHORT_PREFIX + 1)
_WORD_PREFIXES: dict[str, frozenset[str]] = {}


def _term(field: str, value: Any, boost: float) -> Query:
    return Query.boost_query(Query.term_query(SCHEMA, field, value), boost)


Clauses = list[tuple[Occur, Query]]


def _known(searcher: tantivy.Searcher | None, word: str) -> bool:
    """Is ``word`` a term of the index? Typo expansion is for words that are not."""
    if searcher is None:
        return False
    return searcher.doc_freq("title_f", word) > 0 or searcher.doc_freq("body_f", word) > 0


def known_words(searcher: tantivy.Searcher | None, parsed: ParsedQuery) -> dict[str, bool]:
    """Which query words the index contains as typed (looked up once per request)."""
    return {word: _known(searcher, word) for word in parsed.words}


def _still_typing(word: str, known: bool, last: int) -> bool:
    """Should the last word match as a prefix? Not a lone letter after other words, and not
    a long word the index knows: a Vietnamese syllable of 5+ letters is complete."""
    if len(word) < 2 and last > 0:
        return False
    return not (known and len(word) >= COMPLETE_WORD_LETTERS)


def _word_query(word: str, *, prefix: bool, known: bool = False) -> Query:
    """Where one folded word may match: title, other fields, abbreviations; prefix; typos.

    Typos are tolerated only for a word the index does not contain as typed: a word that
    exists is what the user meant, and expanding it to every neighbour costs time and
    precision.
    """
    options = [_term("title_f", word, 3.0), _term("body_f", word, 1.0), _term("syn_f", word, 1.0)]
    if prefix and len(word) <= SHORT_PREFIX:
        options.append(_term("prefix_f", word, 0.5))
    elif prefix:
        for field, boost in (("title_f", 1.5), ("body_f", 0.5)):
            fuzzy = Query.fuzzy_term_query(SCHEMA, field, word, 0, True, True)
            options.append(Query.boost_query(fuzzy, boost))
    budget = 0 if known else typo_budget(word)
    if budget:
        for field, boost in (("title_f", 1.0), ("body_f", 0.3)):
            fuzzy = Query.fuzzy_term_query(SCHEMA, field, word, budget, True, prefix)
            options.append(Query.boost_query(fuzzy, boost))
    return Query.boolean_query([(Occur.Should, q) for q in options])


def _phrase(words: Sequence[str]) -> list[str | tuple[int, str]]:
    """Words of a phrase query as tantivy takes them (a word, or an offset and a word)."""
    return list(words)


def _field(doc: tantivy.Document, name: str) -> Any:
    """A stored field of an indexed document (each has them all: absent means corrupt)."""
    value = doc.get_first(name)
    if value is None:
        raise KeyError(f"indexed document without {name!r}")
    return value


def _boosts(parsed: ParsedQuery) -> list[Query]:
    """Phrase/proximity and exact-marks boosts: they order results, never filter them."""
    boosts: list[Query] = []
    if len(parsed.words) >= 2:
        words = _phrase(parsed.words)
        boosts.append(Query.boost_query(Query.phrase_query(SCHEMA, "title_f", words), 8.0))
        # A person's name is a phrase too ("Nguyễn Thị Thu Hằng"); creators are short, so
        # this is cheap, unlike proximity over whole descriptions.
        boosts.append(Query.boost_query(Query.phrase_query(SCHEMA, "names_f", words), 8.0))
    if parsed.marked and parsed.exact:
        for word in parsed.exact:
            boosts.append(_term("exact", word, 2.0))
        if len(parsed.exact) >= 2:
            phrase = Query.phrase_query(SCHEMA, "exact", list(parsed.exact))
            boosts.append(Query.boost_query(phrase, 4.0))
    return boosts


def text_clauses(
    parsed: ParsedQuery, *, require_all: bool = True, known: Mapping[str, bool] | None = None
) -> Clauses:
    """Every word must match (or any, as a fallback), with the ranking boosts as options."""
    core = match_query(parsed, require_all=require_all, known=known)
    return [(Occur.Must, core), *[(Occur.Should, b) for b in _boosts(parsed)]]


def match_query(
    parsed: ParsedQuery, *, require_all: bool = True, known: Mapping[str, bool] | None = None
) -> Query:
    """Which documents match (no ranking boosts): what facets and totals count."""
    known = known or {}
    last = len(parsed.words) - 1
    words = []
    for i, w in enumerate(parsed.words):
        is_known = known.get(w, False)
        still_typing = _still_typing(w, is_known, last)
        words.append(
            _word_query(
                w, prefix=i == last and parsed.last_is_prefix and still_typing, known=is_known
            )
        )
    occur = Occur.Must if require_all else Occur.Should
    return Query.boolean_query([(occur, q) for q in words])


def suggest_query(parsed: ParsedQuery) -> Query:
    """As-you-type in titles: the words in order, the last one as a prefix; no typos.

    Titles only, and a phrase: cheap enough to answer every keystroke.
    """
    words = list(parsed.words)
    if not parsed.last_is_prefix:
        return (
            Query.phrase_query(SCHEMA, "title_f", _phrase(words))
            if len(words) > 1
            else Query.term_query(SCHEMA, "title_f", words[0])
        )
    if len(words) == 1:
        return Query.fuzzy_term_query(SCHEMA, "title_f", words[0], 0, True, True)
    return Query.phrase_prefix_query(SCHEMA, "title_f", _phrase(words))


def filter_clauses(query: SearchQuery) -> Clauses:
    """Filters as exact term sets and a range: user values are data, never query syntax.

    "Active only" is "not withdrawn" (the two statuses): excluding the few withdrawn records
    costs less than intersecting every match with the posting list of all active ones.
    """
    clauses: Clauses = []
    if not query.include_withdrawn:
        withdrawn = Query.term_query(SCHEMA, "status", RecordStatus.WITHDRAWN.value)
        clauses.append((Occur.MustNot, withdrawn))
    for field, values in (
        ("kind", [k.value for k in query.kind]),
        ("member", query.member),
        ("subject", query.subject),
        ("language", [v.lower() for v in query.language]),
    ):
        if values:
            clauses.append((Occur.Must, _unscored(Query.term_set_query(SCHEMA, field, values))))
    if query.year_from is not None or query.year_to is not None:
        year = Query.range_query(
            SCHEMA, "year", tantivy.FieldType.Integer, query.year_from, query.year_to
        )
        clauses.append((Occur.Must, _unscored(year)))
    if query.created_since is not None or query.created_before is not None:
        created = Query.range_query(
            SCHEMA,
            "created",
            tantivy.FieldType.Integer,
            instant_key(query.created_since) if query.created_since else None,
            instant_key(query.created_before) if query.created_before else None,
            include_upper=query.created_before is None,
        )
        clauses.append((Occur.Must, _unscored(created)))
    return clauses


def _unscored(query: Query) -> Query:
    """A filter: it selects, it never changes a score."""
    return Query.const_score_query(query, 0.0)


def _combine(*parts: Clauses) -> Query:
    """One flat boolean query of text and filter clauses (all documents when there are none)."""
    clauses = [clause for part in parts for clause in part]
    if not any(occur is Occur.Must for occur, _ in clauses):
        clauses.insert(0, (Occur.Must, Query.all_query()))  # exclusions alone match nothing
    if len(clauses) == 1:
        return clauses[0][1]
    return Query.boolean_query(clauses)


def _request_key(query: SearchQuery) -> tuple[Any, ...]:
    """Everything that decides an answer: the text as typed, filters, sort and page."""
    return (query.q, *_filter_key(query), query.sort, query.page, query.per_page)


def _match_key(parsed: ParsedQuery, query: SearchQuery) -> tuple[Any, ...]:
    """What decides the match set (not sort, page or marks): the facet cache key."""
    return (parsed.words, parsed.last_is_prefix, *_filter_key(query))


def _filter_key(query: SearchQuery) -> tuple[Any, ...]:
    return (
        tuple(sorted(query.kind)),
        tuple(sorted(query.member)),
        tuple(sorted(query.subject)),
        tuple(sorted(query.language)),
        query.year_from,
        query.year_to,
        query.include_withdrawn,
        query.created_since,
        query.created_before,
    )


def _ordering(query: SearchQuery, parsed: ParsedQuery) -> dict[str, Any]:
    """The field results are ordered by, if not relevance (nothing typed: newest first)."""
    if query.sort is SortOrder.NEWEST or (query.sort is SortOrder.RELEVANCE and parsed.empty):
        return {"order_by_field": "newest", "order": tantivy.Order.Desc}
    if query.sort is SortOrder.TITLE:
        return {"order_by_field": "sort_title", "order": tantivy.Order.Asc}
    if query.sort is SortOrder.CREATED:
        return {"order_by_field": "created", "order": tantivy.Order.Desc}
    return {}


def _facets(searcher: tantivy.Searcher, query: Query, *, cheap_match: bool) -> Facets:
    """Counts of the whole match set (one terms aggregation per facet).

    Subjects (several per record) are a multi-valued column that an aggregation reads record
    by record (about 40 ns a record: 4 ms for 100,000 matches). When the match set is cheap
    to find again (nothing typed, or one word), they are counted from their posting lists
    against it instead: 0.2 ms whatever the number of matches, plus one more match pass.
    """
    columns = dict(FACET_LIMITS)
    if cheap_match:
        del columns["subject"]
    aggs = {name: {"terms": {"field": name, "size": size}} for name, size in columns.items()}
    result = searcher.aggregate(query, aggs)
    values: dict[str, dict[str, int]] = {}
    for name in columns:
        buckets = result.get(name, {}).get("buckets", [])
        values[name] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
    if cheap_match:
        subjects = searcher.terms_with_prefix(
            "subject", "", filter_query=query, limit=FACET_LIMITS["subject"]
        )
        values["subject"] = {term: count for term, count in subjects if count > 0}
    return Facets.from_counts(values)


class SubjectCompletions:
    """Subjects (most used first) with a small inverted index of their folded words."""

    def __init__(self, subjects: list[str]) -> None:
        self.subjects = subjects
        self.postings: dict[str, set[int]] = {}
        for position, subject in enumerate(subjects):
            for token in fold_words(subject):
                self.postings.setdefault(token, set()).add(position)
        self.tokens = sorted(self.postings)

    def _with(self, word: str, prefix: bool) -> set[int]:
        if not prefix:
            return self.postings.get(word, set())
        start = bisect.bisect_left(self.tokens, word)
        found: set[int] = set()
        for token in itertools.islice(self.tokens, start, None):
            if not token.startswith(word):
                break
            found |= self.postings[token]
        return found

    def complete(self, parsed: ParsedQuery, limit: int) -> list[str]:
        """Subjects holding every typed word (the last one as a prefix), most used first."""
        last = len(parsed.words) - 1
        matches: set[int] | None = None
        for index, word in enumerate(parsed.words):
            found = self._with(word, index == last and parsed.last_is_prefix)
            matches = found if matches is None else matches & found
            if not matches:
                return []
        return [self.subjects[i] for i in sorted(matches or ())[:limit]]


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
    _facets: OrderedDict[tuple[Any, ...], tuple[bool, Facets]] = dataclasses.field(
        default_factory=OrderedDict
    )
    _results: OrderedDict[tuple[Any, ...], SearchResult] = dataclasses.field(
        default_factory=OrderedDict
    )
    _suggestions: OrderedDict[tuple[Any, ...], list[str]] = dataclasses.field(
        default_factory=OrderedDict
    )
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def cached_facets(self, key: tuple[Any, ...]) -> tuple[bool, Facets] | None:
        """Facets of a match set seen since the last commit (like Elasticsearch's request
        cache: exact, because any write empties it)."""
        return self._cached(self._facets, key)

    def remember_facets(
        self, key: tuple[Any, ...], generation: int, value: tuple[bool, Facets]
    ) -> None:
        self._remember(self._facets, FACET_CACHE_SIZE, key, generation, value)

    def cached_result(self, key: tuple[Any, ...]) -> SearchResult | None:
        """A whole answer (page of hits, highlights, facets) to the same request since the
        last commit (like Solr's query result cache: exact, because any write empties it)."""
        return self._cached(self._results, key)

    def remember_result(self, key: tuple[Any, ...], generation: int, value: SearchResult) -> None:
        self._remember(self._results, RESULT_CACHE_SIZE, key, generation, value)

    def cached_suggestions(self, key: tuple[Any, ...]) -> list[str] | None:
        """Completions of the same keystrokes since the last commit."""
        return self._cached(self._suggestions, key)

    def remember_suggestions(self, key: tuple[Any, ...], generation: int, value: list[str]) -> None:
        self._remember(self._suggestions, SUGGEST_CACHE_SIZE, key, generation, value)

    def _cached(self, cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...]) -> Any:
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found

    def _remember(
        self,
        cache: OrderedDict[tuple[Any, ...], Any],
        size: int,
        key: tuple[Any, ...],
        generation: int,
        value: Any,
    ) -> None:
        with self._lock:
            if generation != self.generation or size <= 0:
                return  # computed on a reader older than the last commit
            cache[key] = value
            while len(cache) > size:
                cache.popitem(last=False)

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
            out[_field(doc, "id")] = int(_field(doc, "version"))
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
            self._facets.clear()
            self._results.clear()
            self._suggestions.clear()
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
        log.error(
            "search_index_schema_changed",
            path=str(self.root),
            action="run: python -m services.search reindex",
        )
        self._write_pointer(self._new_directory_name())
        return _Engine.open(self.root / pointer.read_text().strip())

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
        return await asyncio.to_thread(self._search, query)

    def _search(self, query: SearchQuery) -> SearchResult:
        engine = self.engine
        generation = engine.generation
        request = _request_key(query)
        result = engine.cached_result(request)
        if result is None:
            result = self._answer(query, engine, generation)
            engine.remember_result(request, generation, result)
        return result

    def _answer(self, query: SearchQuery, engine: _Engine, generation: int) -> SearchResult:
        parsed = parse_query(query.q)
        searcher = engine.index.searcher()
        filters = filter_clauses(query)
        known = known_words(searcher, parsed)
        key = _match_key(parsed, query)
        cached = engine.cached_facets(key)
        if cached is not None:
            require_all, facets = cached
        else:
            require_all, facets = self._match_facets(searcher, parsed, filters, known)
            engine.remember_facets(key, generation, (require_all, facets))
        ordering = _ordering(query, parsed)
        text: Clauses = []
        if not parsed.empty and ordering:  # ordered by a field: no scores, so no boosts
            text = [(Occur.Must, match_query(parsed, require_all=require_all, known=known))]
        elif not parsed.empty:
            text = text_clauses(parsed, require_all=require_all, known=known)
        # Every document has exactly one kind: the kind counts add up to the total, so the
        # top-k search needs no full count and can skip what cannot reach the page.
        total = sum(facets.kind.values())
        offset = (query.page - 1) * query.per_page
        found = searcher.search(
            _combine(text, filters), limit=query.per_page, offset=offset, count=False, **ordering
        )
        typos = frozenset(w for w, is_known in known.items() if not is_known)
        hits = [self._hit(searcher, score, address, parsed, typos) for score, address in found.hits]
        return SearchResult(total=total, hits=hits, facets=facets)

    def _match_facets(
        self,
        searcher: tantivy.Searcher,
        parsed: ParsedQuery,
        filters: Clauses,
        known: Mapping[str, bool],
    ) -> tuple[bool, Facets]:
        """Facets of every word's matches, or of any word's when nothing has them all."""
        matching: Clauses = []
        if not parsed.empty:
            matching = [(Occur.Must, match_query(parsed, known=known))]
        cheap = len(parsed.words) <= 1
        facets = _facets(searcher, _combine(matching, filters), cheap_match=cheap)
        if not facets.kind and len(parsed.words) > 1:
            matching = [(Occur.Must, match_query(parsed, require_all=False, known=known))]
            return False, _facets(searcher, _combine(matching, filters), cheap_match=False)
        return True, facets

    def _hit(
        self,
        searcher: tantivy.Searcher,
        score: Any,
        address: Any,
        parsed: ParsedQuery,
        typo_words: frozenset[str],
    ) -> Hit:
        stored = orjson.loads(_field(searcher.doc(address), "doc"))
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
        found = engine.cached_suggestions((prefix, limit))
        if found is None:
            found = self._complete(engine, prefix, limit)
            engine.remember_suggestions((prefix, limit), generation, found)
        return list(found)

    def _complete(self, engine: _Engine, prefix: str, limit: int) -> list[str]:
        parsed = parse_query(prefix)
        if parsed.empty:
            return []
        searcher = engine.index.searcher()
        out = dict.fromkeys(engine.subjects(searcher).complete(parsed, limit))
        query = _combine([(Occur.Must, suggest_query(parsed))], filter_clauses(SearchQuery()))
        for _, address in searcher.search(query, limit=limit, count=False).hits:
            out.setdefault(orjson.loads(_field(searcher.doc(address), "doc"))["title"], None)
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
        terms = searcher.terms_with_prefix("exact", "", filter_query=_live_query())
        words = Lexicon.build((str(term), int(count)) for term, count in terms if count > 0)
        self._lexicon = (time.monotonic(), engine, generation, words)
        return words

    async def known(self, words: Sequence[str]) -> set[str]:
        """The folded ``words`` some text field of the index holds."""
        if not words:
            return set()
        searcher = self.engine.index.searcher()
        return {word for word in words if _known(searcher, word)}

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
                text = Query.phrase_query(SCHEMA, "exact", _phrase(words))
            found = searcher.search(_combine([(Occur.Must, text)], live), limit=1, count=True)
            counts.append(int(found.count or 0))  # type: ignore[attr-defined]
        return counts

    async def get(self, record_id: str) -> Record | None:
        """One indexed record by id, or None."""
        return await asyncio.to_thread(self._get, record_id)

    def _get(self, record_id: str) -> Record | None:
        searcher = self.engine.index.searcher()
        found = searcher.search(Query.term_query(SCHEMA, "id", record_id), limit=1, count=False)
        if not found.hits:
            return None
        return Record.model_validate_json(_field(searcher.doc(found.hits[0][1]), "doc"))

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
        searcher = self.engine.index.searcher()
        found = searcher.search(_live_query(), limit=1, count=True)
        return int(found.count or 0)  # type: ignore[attr-defined]  # not in tantivy's stub

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
            _live_query(),
            limit=limit,
            offset=offset,
            count=False,
            order_by_field="newest",
            order=tantivy.Order.Asc,
        )
        hits = found.hits
        for start in range(0, len(hits), batch):
            yield await asyncio.to_thread(_live_batch, searcher, hits[start : start + batch])


def _live_query() -> Query:
    return _combine([], filter_clauses(SearchQuery()))


def _live_batch(searcher: tantivy.Searcher, hits: list[tuple[Any, Any]]) -> list[LiveEntry]:
    """Ids read from the stored documents; the last change decoded from the sort key."""
    return [
        LiveEntry(str(searcher.doc(address).get_first("id")), updated_from_newest(int(newest)))
        for newest, address in hits
    ]
