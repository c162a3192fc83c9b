"""``SearchAnalyticsSource`` over search's public ``GET /v1/analytics`` (issue 17), with the
centre's key: the week's totals, top queries and zero-result queries for the digest."""

from __future__ import annotations

from datetime import date

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from services.notify.ports import AnalyticsUnavailable
from services.notify.searches import TOP_QUERIES, QueryCount, SearchWeek


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: str
    searches: int
    zero: int = 0


class _Totals(BaseModel):
    model_config = ConfigDict(extra="ignore")

    searches: int
    zero: int = 0


class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore")

    totals: _Totals
    top_queries: list[_Query]
    zero_result_queries: list[_Query]


class SearchAnalyticsApi:
    """Reads the report search computes; one small request per digest."""

    def __init__(self, base_url: str, client: httpx2.AsyncClient, admin_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.headers = {"Authorization": f"Bearer {admin_key}"}

    async def week(self, first: date, last: date) -> SearchWeek:
        params: dict[str, str | int] = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "limit": TOP_QUERIES,
        }
        try:
            response = await self.client.get(
                f"{self.base_url}/v1/analytics", params=params, headers=self.headers
            )
        except httpx2.HTTPError as exc:
            raise AnalyticsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise AnalyticsUnavailable(f"search answered {response.status_code}")
        try:
            report = _Report.model_validate_json(response.content)
        except ValidationError as exc:
            raise AnalyticsUnavailable(f"unexpected answer: {exc.error_count()} errors") from exc
        return SearchWeek(
            first=first,
            last=last,
            searches=report.totals.searches,
            zero=report.totals.zero,
            top=[QueryCount(q.query, q.searches) for q in report.top_queries[:TOP_QUERIES]],
            zero_queries=[
                QueryCount(q.query, q.zero) for q in report.zero_result_queries[:TOP_QUERIES]
            ],
        )
