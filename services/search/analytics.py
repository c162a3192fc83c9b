"""What people look for (issue 17): the rules of the search analytics, no I/O.

A search is kept as its normalised text (folded: no case, no tone marks, one space between
words) and counts per local day; nothing identifies who searched. A result link carries the
search's id (``?from=``), a short hash of that text, so opening a record from a page of
results counts for the query and for the record's member without a cookie.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, Field

from shared.text import clean_text, fold

MAX_QUERY_CHARS = 200  # longer queries are kept cut: the report lists words, not essays
SEARCH_ID_CHARS = 16
DEFAULT_RETENTION_DAYS = 396  # 13 months
MAX_REPORT_DAYS = 400
_SEARCH_ID = re.compile(rf"^[0-9a-f]{{{SEARCH_ID_CHARS}}}$")


def normalised_query(q: str) -> str:
    """The text a search is counted under: ``"  Nuôi  TÔM "`` → ``"nuoi tom"``."""
    return " ".join(fold(clean_text(q)).split())[:MAX_QUERY_CHARS].strip()


def search_id(normalised: str) -> str:
    """The id carried in result links: the same for every search of the same text."""
    return hashlib.sha256(normalised.encode()).hexdigest()[:SEARCH_ID_CHARS]


def valid_search_id(value: str | None) -> bool:
    return value is not None and bool(_SEARCH_ID.match(value))


def retention_cutoff(today: date, retention_days: int) -> str:
    """The first local day still kept (ISO): older counts are deleted."""
    return (today - timedelta(days=retention_days - 1)).isoformat()


class QueryCount(BaseModel):
    query: str
    searches: int
    zero: int = Field(description="searches that found nothing / không có kết quả")
    opened: int = Field(description="results opened from the page / kết quả được mở")


class DayCount(BaseModel):
    date: str
    searches: int
    zero: int
    opened: int


class MemberCount(BaseModel):
    member: str
    shown: int = Field(description="records shown in pages of results / lần hiện trong kết quả")
    opened: int = Field(description="records opened from a page of results / lần được mở")


class Totals(BaseModel):
    searches: int
    zero: int
    opened: int
    queries: int = Field(description="distinct normalised queries / số câu tìm khác nhau")


class AnalyticsReport(BaseModel):
    """``GET /v1/analytics``: what people looked for between two local days."""

    first: str = Field(serialization_alias="from")
    last: str = Field(serialization_alias="to")
    totals: Totals
    top_queries: list[QueryCount]
    zero_result_queries: list[QueryCount]
    unopened_queries: list[QueryCount]
    days: list[DayCount]
    members: list[MemberCount]


@dataclass(frozen=True, slots=True)
class QueryRow:
    """One query's counts summed over the period (as the store adds them up)."""

    query: str
    searches: int
    zero: int
    opened: int

    def view(self) -> QueryCount:
        return QueryCount(
            query=self.query, searches=self.searches, zero=self.zero, opened=self.opened
        )


def every_day(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def build_report(
    *,
    first: date,
    last: date,
    queries: Iterable[QueryRow],
    days: dict[str, DayCount],
    members: Iterable[MemberCount],
    limit: int,
) -> AnalyticsReport:
    """Rank the period's queries: most searched, found nothing, found something nobody opened."""
    rows = list(queries)
    by_searches = sorted(rows, key=lambda r: (-r.searches, r.query))
    zero = [r for r in by_searches if r.zero > 0]
    zero.sort(key=lambda r: (-r.zero, r.query))
    unopened = [r for r in by_searches if r.searches > r.zero and r.opened == 0]
    empty = DayCount(date="", searches=0, zero=0, opened=0)
    series = [days.get(d) or empty.model_copy(update={"date": d}) for d in every_day(first, last)]
    return AnalyticsReport(
        first=first.isoformat(),
        last=last.isoformat(),
        totals=Totals(
            searches=sum(d.searches for d in series),
            zero=sum(d.zero for d in series),
            opened=sum(d.opened for d in series),
            queries=len(rows),
        ),
        top_queries=[r.view() for r in by_searches[:limit]],
        zero_result_queries=[r.view() for r in zero[:limit]],
        unopened_queries=[r.view() for r in unopened[:limit]],
        days=series,
        members=sorted(members, key=lambda m: (-m.shown, -m.opened, m.member)),
    )
