"""Search's public ``/v1/search`` over HTTP: a saved search's records added in a period."""

from __future__ import annotations

from datetime import datetime

import httpx2

from services.notify.ports import SearchUnavailable
from services.notify.subscriptions import Added, AddedRecord, SavedSearch


class HttpSearchApi:
    """Calls ``{SEARCH_URL}/v1/search`` with ``created_since``/``created_before``."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client = httpx2.AsyncClient(transport=transport, timeout=timeout)

    async def added(
        self, search: SavedSearch, *, since: datetime, before: datetime, limit: int
    ) -> Added:
        params: list[tuple[str, str | int | float | bool | None]] = [
            *search.params(),
            ("created_since", since.isoformat()),
            ("created_before", before.isoformat()),
            ("sort", "created"),
            ("per_page", str(limit)),
        ]
        try:
            response = await self._client.get(f"{self._base}/v1/search", params=params)
        except httpx2.HTTPError as exc:
            raise SearchUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise SearchUnavailable(f"HTTP {response.status_code} from /v1/search")
        body = response.json()
        names = body.get("member_names") or {}
        return Added(
            total=int(body["total"]),
            records=[
                AddedRecord(
                    id=hit["id"],
                    title=hit["title"],
                    member=hit["member"],
                    member_name=(names.get(hit["member"]) or {}).get("name"),
                    year=hit.get("year"),
                )
                for hit in body["hits"]
            ],
        )

    async def close(self) -> None:
        await self._client.aclose()
