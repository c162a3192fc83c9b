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


def record_score(problems: Iterable[Problem]) -> int:
    """100 less the points of every problem, never below 0."""
    lost = sum(PENALTIES.get(p.code, DEFAULT_PENALTY) for p in problems)
    return max(0, 100 - lost)


@dataclass(frozen=True)
class RecordProblems:
    """One active record's problems, as the store reads them."""

    record_id: str
    member: str
    problems: list[Problem]


@dataclass
class MemberQuality:
    """A member's score, record count and problem counts per code."""

    member: str
    records: int = 0
    flagged: int = 0
    points: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, row: RecordProblems) -> None:
        self.records += 1
        self.flagged += bool(row.problems)
        self.points += record_score(row.problems)
        for problem in row.problems:
            self.counts[problem.code] = self.counts.get(problem.code, 0) + 1

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


@dataclass
class ProblemPage:
    """One page of a member's problems, in record-id order, while counting them all."""

    offset: int
    limit: int
    total: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: RecordProblems) -> None:
        for problem in row.problems:
            if self.offset <= self.total < self.offset + self.limit:
                self.items.append({"record_id": row.record_id, **problem.model_dump()})
            self.total += 1


def worst_first(members: Iterable[MemberQuality]) -> list[MemberQuality]:
    """Lowest score first; members without records (no score) last; then by code."""
    return sorted(members, key=lambda m: (m.score is None, m.score or 0, m.member))
