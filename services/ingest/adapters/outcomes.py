"""Per-record outcomes of a submission, as ingest stores them in SecantusDB.

Two collections, read together by ``index``:

- ``ingest_outcome_batches``: one document a processed batch, its outcomes one compressed
  JSON blob beside what paging needs without decoding it (smallest and largest ``index``,
  how many outcomes, how many of each kind and how many warned);
- ``ingest_outcomes``: one row a receive-time rejection (they carry the file's ``row``),
  and every outcome of submissions stored before the batch documents.

A row and a batch entry never share an index: a rejected record is in no batch.
"""

from __future__ import annotations

import zlib
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import Binary
from pydantic import TypeAdapter
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.ingest.domain import WARNED
from shared.events import ItemOutcome

OUTCOMES = "ingest_outcomes"
OUTCOME_BATCHES = "ingest_outcome_batches"

_OUTCOMES: TypeAdapter[list[ItemOutcome]] = TypeAdapter(list[ItemOutcome])
_HIDDEN = {"_id": 0, "submission_id": 0, "expires_at": 0}
_SUMMARY = {"first_index": 1, "last_index": 1, "count": 1, "counts": 1}  # all but the blob


def tally(outcomes: Sequence[ItemOutcome]) -> dict[str, int]:
    """How many outcomes of each kind, and how many warned (``WARNED``); no zero counts."""
    counts: Counter[str] = Counter(o.outcome.value for o in outcomes)
    counts[WARNED] = sum(1 for o in outcomes if o.warnings)
    return {kind: n for kind, n in counts.items() if n}


def batch_document(
    submission_id: str,
    batch_no: int,
    outcomes: Sequence[ItemOutcome],
    counts: dict[str, int],
    keep_until: datetime,
) -> dict[str, Any]:
    """One processed batch's outcomes (at least one) as one document of the batch collection."""
    blob = _OUTCOMES.dump_json(list(outcomes), exclude_none=True)
    return {
        "_id": f"{submission_id}:b{batch_no}",
        "submission_id": submission_id,
        "batch_no": batch_no,
        "first_index": min(o.index for o in outcomes),
        "last_index": max(o.index for o in outcomes),
        "count": len(outcomes),
        "counts": counts,
        "outcomes": Binary(zlib.compress(blob, 1)),
        "expires_at": keep_until,
    }


@dataclass(frozen=True)
class OutcomeFilter:
    """The outcomes a page lists: of one kind (``outcome``), only warned ones, or all."""

    outcome: str | None = None
    warned: bool = False

    def row_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {"outcome": self.outcome} if self.outcome else {}
        if self.warned:
            query["warnings.0"] = {"$exists": True}
        return query

    def matches(self, outcome: ItemOutcome) -> bool:
        kind = not self.outcome or outcome.outcome.value == self.outcome
        return kind and (not self.warned or bool(outcome.warnings))

    def known_count(self, summary: dict[str, Any]) -> int | None:
        """How many of a batch's outcomes match, or None if only decoding tells (kind and
        warned both asked and both present: the counts do not say how many are both)."""
        counts: dict[str, int] = summary.get("counts", {})
        asked = [counts.get(self.outcome, 0)] if self.outcome else []
        if self.warned:
            asked.append(counts.get(WARNED, 0))
        if not asked:
            return int(summary["count"])
        return min(asked) if len(asked) == 1 or min(asked) == 0 else None


@dataclass
class _Window:
    """Batch documents whose index ranges overlap, read as one (batches from one submission
    do not overlap; the window keeps the merge right if some ever did)."""

    first: int
    last: int
    ids: list[str]
    matching: int | None

    def join(self, other: _Window) -> None:
        self.last = max(self.last, other.last)
        self.ids += other.ids
        if self.matching is None or other.matching is None:
            self.matching = None
        else:
            self.matching += other.matching


class OutcomePages:
    """Pages of a submission's outcomes over rows and batch documents, in ``index`` order.

    A batch the filter finds nothing in is not read; one that lies wholly before the page is
    counted off the offset by its summary; only the batches the page shows are decoded.
    """

    def __init__(self, rows: AsyncCollection, batches: AsyncCollection) -> None:
        self.rows = rows
        self.batches = batches

    async def page(
        self, submission_id: str, wanted: OutcomeFilter, *, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        # No row past the first offset + limit matching ones can be on the page.
        rows = await (
            self.rows.find({"submission_id": submission_id, **wanted.row_query()}, _HIDDEN)
            .sort("index", ASCENDING)
            .to_list(offset + limit)
        )
        windows = await self._windows(submission_id, wanted)
        return await self._merge(deque(rows), windows, wanted, offset, limit)

    async def _windows(self, submission_id: str, wanted: OutcomeFilter) -> list[_Window]:
        cursor = self.batches.find({"submission_id": submission_id}, _SUMMARY).sort(
            "first_index", ASCENDING
        )
        windows: list[_Window] = []
        async for summary in cursor:
            matching = wanted.known_count(summary)
            if matching == 0:
                continue
            first, last = summary["first_index"], summary["last_index"]
            window = _Window(first, last, [summary["_id"]], matching)
            if windows and window.first <= windows[-1].last:
                windows[-1].join(window)
            else:
                windows.append(window)
        return windows

    async def _merge(
        self,
        rows: deque[dict[str, Any]],
        windows: list[_Window],
        wanted: OutcomeFilter,
        offset: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        page: list[dict[str, Any]] = []
        skip = offset
        for window in windows:
            skip = _emit(_pop_through(rows, window.first - 1), skip, page, limit)
            if len(page) == limit:
                return page
            inside = _pop_through(rows, window.last)
            if window.matching is not None and skip >= window.matching + len(inside):
                skip -= window.matching + len(inside)
                continue
            entries = inside + await self._decoded(window, wanted)
            skip = _emit(sorted(entries, key=lambda o: o["index"]), skip, page, limit)
            if len(page) == limit:
                return page
        _emit(list(rows), skip, page, limit)
        return page

    async def _decoded(self, window: _Window, wanted: OutcomeFilter) -> list[dict[str, Any]]:
        found: list[ItemOutcome] = []
        async for doc in self.batches.find({"_id": {"$in": window.ids}}, {"outcomes": 1}):
            found += _OUTCOMES.validate_json(zlib.decompress(doc["outcomes"]))
        chosen = [o for o in found if wanted.matches(o)]
        return list(_OUTCOMES.dump_python(chosen, mode="json", exclude_none=True))


def _pop_through(rows: deque[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    """The rows (in index order) up to index ``last``, taken off the front."""
    taken: list[dict[str, Any]] = []
    while rows and rows[0]["index"] <= last:
        taken.append(rows.popleft())
    return taken


def _emit(items: list[dict[str, Any]], skip: int, page: list[dict[str, Any]], limit: int) -> int:
    """Drop up to ``skip`` items, add the rest to ``page`` up to ``limit``; the skip left."""
    dropped = min(skip, len(items))
    page += items[dropped : dropped + limit - len(page)]
    return skip - dropped
