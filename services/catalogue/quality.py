"""Quality scores of records and members (docs/thanh-vien/chat-luong.md). No I/O, no framework.

The rules, written for members in ``docs/thanh-vien/chat-luong.md``: a record starts at 100
and loses the points of each of its problems (at least 0); a member's score is the mean of
its active records' scores, rounded; a member without records has no score (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.catalogue.domain import Link
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


def with_found(rows: list[Row], found: dict[str, list[Problem]]) -> list[Row]:
    """``rows`` with the codes of problems found outside the record itself added (a broken
    ``url`` from the link checker, an undecided duplicate pair): record id → its problems."""
    if not found:
        return rows
    return [
        (rid, (*codes, *(p.code for p in found[rid]))) if rid in found else (rid, codes)
        for rid, codes in rows
    ]


def duplicate_problem(rid: str, links: list[Link]) -> Problem:
    """One ``duplicate_candidate`` per record, however many undecided pairs it is in: the
    other records and why they look alike (shared ISBN, DOI, URL, title+author+year)."""
    others = sorted(link.other(rid) for link in links)
    why = sorted({reason for link in links for reason in link.reasons})
    vi = ", ".join(REASONS_VI.get(r, r) for r in why)
    en = ", ".join(REASONS_EN.get(r, r) for r in why)
    more_vi = f" và {len(others) - 1} biểu ghi khác" if len(others) > 1 else ""
    more_en = f" and {len(others) - 1} more" if len(others) > 1 else ""
    return Problem(
        code=ProblemCode.DUPLICATE_CANDIDATE,
        loc=["id"],
        msg=(
            f"Có thể trùng với {others[0]}{more_vi} (cùng {vi}); Trung tâm sẽ xem xét / "
            f"possibly the same work as {others[0]}{more_en} (same {en}); the centre reviews it"
        ),
    )


REASONS_VI = {
    "isbn": "ISBN",
    "issn": "ISSN",
    "doi": "DOI",
    "url": "đường dẫn",
    "work": "nhan đề, tác giả và năm",
}
REASONS_EN = {
    "isbn": "ISBN",
    "issn": "ISSN",
    "doi": "DOI",
    "url": "URL",
    "work": "title, author and year",
}


def candidates_by_record(member: str, links: Iterable[Link]) -> dict[str, list[Link]]:
    """The member's records in undecided duplicate pairs, each with its pairs."""
    mine: dict[str, list[Link]] = {}
    for link in links:
        for rid in (link.a, link.b):
            if rid.startswith(f"{member}:"):
                mine.setdefault(rid, []).append(link)
    return mine


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
