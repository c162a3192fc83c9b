"""``GET /v1/analytics``: what people look for, for the centre (issue 17)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from services.search.analytics import MAX_REPORT_DAYS, AnalyticsReport
from services.search.domain import LOCAL_TZ
from services.search.entrypoints.dependencies import Analytics
from shared.auth import CentreCaller
from shared.http import ApiError, error_responses

DEFAULT_DAYS = 30
MAX_LIMIT = 100
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    """A day as YYYY-MM-DD only: pydantic's lax mode would read "0" as a Unix timestamp."""
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("expected a day such as 2026-12-02")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]

First = Annotated[
    Day | None,
    Query(
        alias="from",
        description="ngày đầu (theo giờ Hải Phòng) / first local day, YYYY-MM-DD",
    ),
]
Last = Annotated[
    Day | None,
    Query(
        alias="to",
        description="ngày cuối, tính cả ngày đó / last local day, included",
    ),
]


def period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days asked for: the last 30 by default; 422 when backwards or too long."""
    last = last or (today if first is None else min(today, first + timedelta(DEFAULT_DAYS - 1)))
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise _invalid("from", "from is after to")
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise _invalid("to", f"at most {MAX_REPORT_DAYS} days")
    return first, last


def _invalid(field: str, msg: str) -> ApiError:
    return ApiError(
        422,
        "Khoảng thời gian không hợp lệ",
        "Invalid period",
        code="validation_error",
        details=[{"loc": ["query", field], "msg": msg, "type": "range"}],
    )


# The centre's report of searches: top, zero-result and unopened queries, per day and
# per member.
router = APIRouter(prefix="/v1", tags=["stats"])


@router.get(
    "/analytics",
    response_model=AnalyticsReport,
    response_model_by_alias=True,
    responses=error_responses(401, 403, 422, 503),
)
async def analytics(
    _caller: CentreCaller,
    ports: Analytics,
    first: First = None,
    last: Last = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="số câu mỗi danh sách / rows per list")
    ] = 20,
) -> Any:
    """What people looked for between two local days (the last 30 by default): top
    queries, queries with no results, queries whose results nobody opened, searches
    per day, and each member's records shown and opened. Centre only."""
    start, end = period(first, last, ports.clock().astimezone(LOCAL_TZ).date())
    report = await ports.analytics.report(start, end, limit=limit)
    return JSONResponse(
        report.model_dump(mode="json", by_alias=True), headers={"Cache-Control": "no-store"}
    )
