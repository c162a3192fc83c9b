"""Use cases of the search service: keep the index in step with the catalogue, answer queries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from services.search import spelling
from services.search.analytics import normalised_query, search_id
from services.search.domain import fold_words
from services.search.ports import (
    MemberDirectory,
    RebuildableIndex,
    RecordSource,
    SearchAnalytics,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from shared.errors import Refusal
from shared.events import ChangeKind, MemberChanged, RecordsChanged
from shared.records import Record, RecordStatus, utcnow

log = structlog.get_logger("search")

REBUILD_BATCH = 500
REFILL_RETRY_SECONDS = 5.0  # between rebuilds of an emptied index while the catalogue is down


def _as_indexed(change_kind: ChangeKind, record: Record) -> Record:
    if change_kind is ChangeKind.WITHDRAWN and record.status is not RecordStatus.WITHDRAWN:
        return record.model_copy(update={"status": RecordStatus.WITHDRAWN})
    return record


async def apply_record_changes(event: RecordsChanged, *, index: SearchIndex) -> int:
    """Index a batch of changes in one write; withdrawn records are kept, marked withdrawn.

    Keeping withdrawn records (instead of deleting them) keeps their version, so a late,
    older ``created``/``updated`` cannot bring them back.
    """
    records = [_as_indexed(c.change, c.record) for c in event.changes]
    await index.upsert(records)
    log.info(
        "records_indexed",
        event_id=str(event.event_id),
        count=len(records),
        correlation_id=event.correlation_id,
    )
    return len(records)


async def apply_member_change(event: MemberChanged, *, members: MemberDirectory) -> None:
    """Keep the member's names for facet labels."""
    member = event.member
    await members.save(member.code, member.name, member.name_en, member.version)
    log.info("member_saved", member=member.code, version=member.version)


@dataclass
class RebuildProgress:
    """Where a rebuild stands (shown by the CLI and ``GET /v1/admin/reindex``)."""

    state: str = "idle"  # idle | running | done | failed
    indexed: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    listeners: list[Callable[[int], None]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "indexed": self.indexed,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
        }


async def rebuild_index(
    *,
    index: RebuildableIndex,
    source: RecordSource,
    progress: RebuildProgress | None = None,
    batch: int = REBUILD_BATCH,
) -> int:
    """Read every catalogue record into a new index, then swap it in (the old one serves)."""
    progress = progress or RebuildProgress()
    progress.state, progress.indexed, progress.error = "running", 0, None
    progress.started_at, progress.finished_at = utcnow(), None
    await index.begin_rebuild()
    try:
        after: str | None = None
        while True:
            page = await source.page(after=after, limit=batch)
            if page.records:
                await index.add_to_rebuild(page.records)
            progress.indexed += len(page.records)
            for listener in progress.listeners:
                listener(progress.indexed)
            if page.next is None or not page.records:
                break
            after = page.next
        await index.finish_rebuild()
    except BaseException as exc:
        await index.abort_rebuild()
        progress.state, progress.error = "failed", f"{type(exc).__name__}: {exc}"
        progress.finished_at = utcnow()
        log.error("rebuild_failed", error=progress.error, indexed=progress.indexed)
        raise
    progress.state, progress.finished_at = "done", utcnow()
    log.info("rebuild_done", indexed=progress.indexed)
    return progress.indexed


class Rebuilds:
    """At most one rebuild of ``index`` at a time, run in the background; where the last
    one stands (``progress``)."""

    def __init__(self, *, index: RebuildableIndex, source: RecordSource) -> None:
        self._index = index
        self._source = source
        self.progress = RebuildProgress()
        self._task: asyncio.Task[int] | None = None
        self._refilling: asyncio.Task[int] | None = None
        self.refill_retry_seconds = REFILL_RETRY_SECONDS

    async def start(self) -> RebuildProgress:
        """Start a rebuild unless one runs (409 if it does)."""
        if self._task is not None and not self._task.done():
            raise Refusal(409, "Đang tái lập chỉ mục", "A rebuild is already running")
        self.progress = RebuildProgress(state="running")
        self._task = asyncio.create_task(
            rebuild_index(index=self._index, source=self._source, progress=self.progress)
        )
        self._task.add_done_callback(_retrieve_exception)
        return self.progress

    def refill(self) -> None:
        """In the background, rebuild an index that was started empty for a new schema,
        retrying while the catalogue does not answer (it may be starting with us). Until
        the swap the empty index serves and takes live changes; ``stop`` ends it."""
        if self._index.needs_rebuild and self._refilling is None:
            self._refilling = asyncio.create_task(self._refill())
            self._refilling.add_done_callback(_retrieve_exception)

    async def _refill(self) -> int:
        while self._index.needs_rebuild:
            if self._task is None or self._task.done():
                await self.start()
            assert self._task is not None
            with contextlib.suppress(Exception):  # logged by rebuild_index, shown in progress
                await self._task
            if self._index.needs_rebuild:
                await asyncio.sleep(self.refill_retry_seconds)
        return self.progress.indexed

    async def stop(self) -> None:
        """Cancel a running rebuild (the live index keeps serving)."""
        for task in (self._refilling, self._task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


def _retrieve_exception(task: asyncio.Task[int]) -> None:
    # The failure is already logged and shown in the progress; this only marks it as seen.
    if not task.cancelled():
        task.exception()


# ---- what people look for, did you mean (issue 17) ---------------------------------------


def count_results_page(
    query: SearchQuery, result: SearchResult, *, analytics: SearchAnalytics
) -> str | None:
    """Count a page of results someone looked at: the search itself on its first page, the
    records shown on every page. Returns the search id result links carry (``?from=``)."""
    text = normalised_query(query.q)
    if not text:
        return None
    if query.page == 1:
        analytics.record_search(query.q, result.total)
    analytics.record_shown([hit.member for hit in result.hits])
    return search_id(text)


async def did_you_mean(q: str, total: int, *, index: SearchIndex) -> str | None:
    """The reading of ``q`` to offer, if any: its tone marks put back when it found few
    records, its typos corrected — from the index's own words."""
    words = fold_words(q)
    if not words or len(words) > spelling.MAX_WORDS:
        return None
    lexicon = await index.lexicon()
    if not len(lexicon):
        return None
    missing = [w for w in words if w not in lexicon.forms]
    known = await index.known(missing) if missing else set()
    found = spelling.choices(q, lexicon, known)
    candidates = spelling.readings(found, q, total) if found is not None else []
    if not candidates:
        return None
    return spelling.best(candidates, await index.support(candidates))
