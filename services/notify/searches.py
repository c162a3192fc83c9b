"""What people looked for last week, as the centre's digest tells it (issue 17): no I/O.

Search counts the searches (``GET {search}/v1/analytics``); notify only reads the report
(``SearchAnalyticsSource``) and words its top queries and zero-result queries in the digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK_DAYS = 7
TOP_QUERIES = 5  # rows per list in the digest; the console shows more


@dataclass(frozen=True)
class QueryCount:
    """One normalised query (folded, no tone marks) and how often it was searched."""

    query: str
    count: int


@dataclass(frozen=True)
class SearchWeek:
    """The digest's searches paragraph: the period, its totals, the two short lists."""

    first: date
    last: date
    searches: int
    zero: int
    top: list[QueryCount] = field(default_factory=list)
    zero_queries: list[QueryCount] = field(default_factory=list)


def week_before(as_of: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The seven whole local days before ``as_of``'s day: a Monday digest tells Mon–Sun."""
    last = as_of.astimezone(tz).date() - timedelta(days=1)
    return last - timedelta(days=WEEK_DAYS - 1), last
