"""The search port: what the search service needs from a full-text engine.

Two adapters implement it: the embedded engine (no server) and Meilisearch. One contract
test suite (``tests/search/contract``) runs against every adapter that can run here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.search.analytics import AnalyticsReport
from services.search.spelling import Lexicon
from shared.records import Kind, Record

MAX_PER_PAGE = 100
MAX_PAGE = 1000


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    TITLE = "title"
    CREATED = "created"  # most recently added to the network first (feeds, digests)


class SearchQuery(BaseModel):
    """A validated query. Filter values are plain data: adapters quote or whitelist them."""

    model_config = ConfigDict(frozen=True)

    q: str = Field(default="", max_length=500)
    kind: list[Kind] = Field(default_factory=list)
    member: list[str] = Field(default_factory=list)
    subject: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    year_from: int | None = Field(default=None, ge=0, le=9999)
    year_to: int | None = Field(default=None, ge=0, le=9999)
    include_withdrawn: bool = False
    # Added to the network (``created_at``) at or after ``created_since``, before
    # ``created_before``: what a saved search's digest asks for (notify).
    created_since: AwareDatetime | None = None
    created_before: AwareDatetime | None = None
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)


class Hit(BaseModel):
    id: str
    title: str
    kind: Kind
    member: str
    year: int | None = None
    url: str | None = None
    description: str | None = None
    creators: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    also_held_by: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    highlight: dict[str, str] = Field(default_factory=dict)
    score: float | None = None


# The stored record fields a hit carries (the rest of ``Hit`` is computed per query).
HIT_FIELDS: tuple[str, ...] = tuple(
    name for name in Hit.model_fields if name not in ("highlight", "score")
)


# How many values each facet lists, most frequent first (both engines): every kind, member
# and year a page can offer, the common languages and subjects.
FACET_LIMITS: dict[str, int] = {
    "kind": 10,
    "member": 100,
    "language": 30,
    "year": 200,
    "subject": 30,
}


class Facets(BaseModel):
    kind: dict[str, int] = Field(default_factory=dict)
    member: dict[str, int] = Field(default_factory=dict)
    year: dict[str, int] = Field(default_factory=dict)
    language: dict[str, int] = Field(default_factory=dict)
    subject: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_counts(cls, counts: Mapping[str, Mapping[str, int]]) -> Facets:
        """The ``FACET_LIMITS`` most frequent values of each facet, by count (then value);
        years then newest first, as the filter lists them."""
        values: dict[str, dict[str, int]] = {}
        for name, limit in FACET_LIMITS.items():
            found = sorted(counts.get(name, {}).items(), key=lambda item: (-item[1], item[0]))
            values[name] = dict(found[:limit])
        values["year"] = dict(sorted(values["year"].items(), reverse=True))
        return cls(**values)


class SearchResult(BaseModel):
    total: int
    hits: list[Hit]
    facets: Facets
    # The total and facet counts are estimates (a sample of a large match set, rounded).
    estimated: bool = False


class SearchIndex(Protocol):
    """A full-text index of catalogue records.

    Contract (every adapter, checked by the shared contract suite):

    * ``upsert`` replaces documents by ``Record.id``; applying the same record twice, or an
      older ``version`` after a newer one, leaves the newer one in place.
    * Withdrawn records are not returned unless ``include_withdrawn``.
    * Matching folds tone marks and ``đ``→``d`` on both sides; a query typed with marks
      ranks exact forms first; words match by prefix (as you type) and with typos
      (1 for 5+ letters, 2 for 9+).
    * Facet counts describe the whole result set, not the page.
    * Writes are visible to ``search`` once the awaited call returns.
    """

    async def open(self) -> None:
        """Create or open the index and apply its settings (idempotent)."""

    async def close(self) -> None:
        """Release resources; further calls are errors."""

    async def upsert(self, records: list[Record]) -> None:
        """Add or replace records (a batch of at most 500)."""

    async def delete(self, ids: list[str]) -> None:
        """Remove records by id; unknown ids are ignored."""

    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query with its filters, facets, sort and page."""

    async def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions (titles and subjects) for what the user has typed so far."""

    async def get(self, record_id: str) -> Record | None:
        """One indexed record by id, or None."""

    async def count(self) -> int:
        """Number of indexed documents (withdrawn included)."""

    async def ping(self) -> bool:
        """True when the engine answers."""

    # Did you mean (issue 17): what ``services.search.spelling`` reads from the index.
    async def lexicon(self) -> Lexicon:
        """The words of live titles and subjects as written (lower-cased, marks kept) with
        how many records hold each; may lag the latest writes by a minute
        (``spelling.LEXICON_REFRESH_SECONDS``); empty until an engine that cannot list its
        terms (Meilisearch) has tallied them from its documents."""

    async def known(self, words: Sequence[str]) -> set[str]:
        """Which of the folded ``words`` some text field of the index holds."""

    async def support(self, readings: Sequence[Sequence[str]]) -> list[int]:
        """For each reading (words as written), how many live records hold its words in
        that order in a title or subject."""


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """A live (not withdrawn) record as the sitemap lists it: its id and its last change."""

    id: str
    updated_at: datetime


class LiveRecords(Protocol):
    """Every live record of the index, in pages, for ``/sitemap.xml``.

    Contract (both adapters): withdrawn records are never listed; the order is by
    ``newest_key`` ascending (year, then last change; on a Meilisearch older than 1.16,
    which cannot sort a documents fetch, the engine's own order), so ``offset`` addresses
    the same records while the index does not change; one call reads one snapshot, in batches,
    so a page of 50,000 never sits in memory as records.
    """

    async def live_count(self) -> int:
        """How many records are live (what the sitemap index divides into pages)."""

    def live_entries(
        self, *, offset: int, limit: int, batch: int = 1000
    ) -> AsyncIterator[list[LiveEntry]]:
        """At most ``limit`` live entries from position ``offset``, ``batch`` at a time."""


class RebuildableIndex(SearchIndex, LiveRecords, Protocol):
    """An index that can be rebuilt from scratch while the live one keeps serving.

    Between ``begin_rebuild`` and ``finish_rebuild`` every ``upsert``/``delete`` goes to
    both the live index and the new one (with the same version rule), so nothing that
    changes during a rebuild is lost; ``finish_rebuild`` swaps the new one in atomically.
    """

    @property
    def needs_rebuild(self) -> bool:
        """The live index was started empty because the stored one no longer fits this
        code (a new schema): only a rebuild from the catalogue fills it again."""

    async def begin_rebuild(self) -> None:
        """Create an empty index beside the live one."""

    async def add_to_rebuild(self, records: list[Record]) -> None:
        """Write a batch of the full snapshot into the new index."""

    async def finish_rebuild(self) -> None:
        """Make the new index the live one; drop the old."""

    async def abort_rebuild(self) -> None:
        """Drop the half-built index; the live one is untouched."""


class RecordPage(BaseModel):
    """One keyset page of the catalogue: ``next`` is the id to continue after, or None."""

    records: list[Record]
    next: str | None = None


class RecordSource(Protocol):
    """Where a rebuild reads every record from (the catalogue's ``GET /v1/records``)."""

    async def page(self, *, after: str | None, limit: int) -> RecordPage:
        """Records after ``after`` (by id), at most ``limit``."""


class MemberDirectory(Protocol):
    """Member names for facet labels, kept from ``member.changed`` (``search_members``)."""

    async def save(self, code: str, name: str, name_en: str | None, version: int) -> None:
        """Store a member's names unless a newer version is already stored."""

    async def names(self) -> dict[str, dict[str, str]]:
        """``{code: {"name": ..., "name_en": ...}}`` for every known member."""


SOURCES = ("portal", "record", "embed", "widget")  # where a page view comes from
MAX_DAYS = 366  # the longest searches-per-day series


class VisitStats(BaseModel):
    online: int
    today: int
    total: int


class DaySearches(BaseModel):
    date: str
    searches: int


class VisitCounter(Protocol):
    """Page views and searches of the public pages (``search_visits_*``).

    ``record`` and ``record_search`` cost the request no I/O: counts are buffered and written
    by a loop that runs between ``start`` and ``stop`` (which writes what is left).
    """

    def record(self, raw_identity: str, source: str) -> None:
        """Count one page view from ``source`` (one of ``SOURCES``) by one visitor."""

    def record_search(self) -> None:
        """Count one search that had words."""

    async def stats(self) -> VisitStats:
        """Online now (seen in 5 minutes), today's and all views, buffered ones included."""

    async def searches_per_day(self, days: int) -> list[DaySearches]:
        """Searches on each of the last ``days`` local days, today last."""

    async def start(self) -> None:
        """Start writing buffered counts in the background."""

    async def stop(self) -> None:
        """Stop the background writes and write what is left."""


class SearchAnalytics(Protocol):
    """What people look for (``search_analytics_*``): normalised queries and counts per day.

    Contract: ``record_search`` and ``record_open`` cost the request no I/O (counts are
    buffered and written in bulk between ``start`` and ``stop``); nothing about the person
    who searched is ever stored (no address, no cookie); ``report`` includes what is still
    buffered; counts older than the retention are deleted.
    """

    def record_search(self, q: str, total: int) -> str | None:
        """Count one new search of ``q`` (its first page) that found ``total`` records; its
        search id, or None when ``q`` has no words (not counted)."""

    def record_shown(self, members: Sequence[str]) -> None:
        """Count records shown in a page of results: one entry (a member code) per hit."""

    def record_open(self, search: str, member: str) -> None:
        """Count one record of ``member`` opened from a page of results of search ``search``."""

    async def report(self, first: date, last: date, *, limit: int) -> AnalyticsReport:
        """The counts of the local days ``first`` to ``last`` (both included)."""

    async def start(self) -> None:
        """Start writing buffered counts in the background."""

    async def stop(self) -> None:
        """Stop the background writes and write what is left."""
