"""Reads every record from the catalogue's ``GET /v1/records?after=&limit=`` for a rebuild."""

from __future__ import annotations

import httpx2

from services.search.ports import RecordPage


class CatalogueRecordSource:
    """``RecordSource`` over HTTP (keyset pagination: ``{"records": [...], "next": id|null}``)."""

    def __init__(self, base_url: str, client: httpx2.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client

    async def page(self, *, after: str | None, limit: int) -> RecordPage:
        """Records after ``after`` (by id), at most ``limit``."""
        params: dict[str, str | int] = {"limit": limit}
        if after is not None:
            params["after"] = after
        response = await self.client.get(f"{self.base_url}/v1/records", params=params)
        response.raise_for_status()
        return RecordPage.model_validate_json(response.content)
