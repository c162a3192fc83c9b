"""Quality scores of records and members (DESIGN §10). No I/O, no framework.

The rules, written for members in ``docs/thanh-vien/chat-luong.md``: a record starts at 100
and loses the points of each of its problems (at least 0); a member's score is the mean of
its active records' scores, rounded; a member without records has no score (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.records import Problem
from shared.validation import ProblemCode

# Completeness (missing_*) and problems; a code not listed costs DEFAULT_PENALTY.
PENALTIES: dict[str, int] = {
    ProblemCode.MISSING_DESCRIPTION: 15,
    ProblemCode.MISSING_YEAR: 10,
    ProblemCode.MISSING_SUBJECTS: 10,
    ProblemCode.MISSING_LANGUAGE: 5,
    ProblemCode.INVALID_ISBN: 15,
    ProblemCode.INVALID_ISSN: 15,
    ProblemCode.INVALID_DOI: 15,
    ProblemCode.INVALID_IDENTIFIER: 10,
    ProblemCode.INVALID_URL: 15,
    ProblemCode.BROKEN_LINK: 20,
    ProblemCode.INVALID_LANGUAGE: 5,
    ProblemCode.FUTURE_YEAR: 10,
    ProblemCode.YEAR_MISMATCH: 5,
    ProblemCode.TITLE_ALL_CAPS: 5,
    ProblemCode.DUPLICATE_CANDIDATE: 5,
}
DEFAULT_PENALTY = 5


def record_score(codes: Iterable[str]) -> int:
    """100 less the points of every problem, never below 0."""
    lost = sum(PENALTIES.get(code, DEFAULT_PENALTY) for code in codes)
    return max(0, 100 - lost)


Row = tuple[str, tuple[str, ...]]  # (record id, its problem codes), as the store indexes it


@dataclass
class MemberQuality:
    """A member's score, record count and problem counts per code."""

    member: str
    records: int = 0
    flagged: int = 0
    points: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, codes: tuple[str, ...]) -> None:
        self.records += 1
        self.flagged += bool(codes)
        self.points += record_score(codes)
        for code in codes:
            self.counts[code] = self.counts.get(code, 0) + 1

    @property
    def score(self) -> int | None:
        return round(self.points / self.records) if self.records else None

    def as_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "score": self.score,
            "records": self.records,
            "records_with_problems": self.flagged,
            "counts": dict(sorted(self.counts.items())),
        }


def with_broken_links(rows: list[Row], problems_of: dict[str, Problem]) -> list[Row]:
    """``rows`` with ``broken_link`` added to each record whose ``url`` the link checker
    found broken (``problems_of``: record id → that problem)."""
    if not problems_of:
        return rows
    return [
        (rid, (*codes, ProblemCode.BROKEN_LINK.value)) if rid in problems_of else (rid, codes)
        for rid, codes in rows
    ]


def page_of(rows: Iterable[Row], offset: int, limit: int) -> tuple[int, list[tuple[str, slice]]]:
    """All problems counted, and which of each record's problems fall in the page."""
    total, wanted = 0, []
    for rid, codes in rows:
        start, stop = max(offset - total, 0), min(offset + limit - total, len(codes))
        if start < stop:
            wanted.append((rid, slice(start, stop)))
        total += len(codes)
    return total, wanted


def problem_items(wanted: list[tuple[str, slice]], problems: dict[str, list[Problem]]) -> list:
    """The page's problems with their record id, read from the stored records."""
    return [
        {"record_id": rid, **problem.model_dump()}
        for rid, part in wanted
        for problem in problems.get(rid, [])[part]
    ]


def worst_first(members: Iterable[MemberQuality]) -> list[MemberQuality]:
    """Lowest score first; members without records (no score) last; then by code."""
    return sorted(members, key=lambda m: (m.score is None, m.score or 0, m.member))
