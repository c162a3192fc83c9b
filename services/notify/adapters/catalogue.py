"""``QualitySource`` over the catalogue's public quality API (docs/thanh-vien/chat-luong.md), with
the centre's key: ``GET /v1/members/{code}/quality`` and ``GET /v1/quality``."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from services.notify.ports import QualityUnavailable
from services.notify.quality import MemberQuality, NetworkQuality, network_of

View = TypeVar("View", bound=BaseModel)


class _MemberView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    member: str
    score: int | None = None
    records: int = 0
    counts: dict[str, int] = {}

    def quality(self) -> MemberQuality:
        return MemberQuality(self.member, self.score, self.records, dict(self.counts))


class _NetworkSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    score: int | None = None


class _NetworkView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    network: _NetworkSummary
    members: list[_MemberView]


class CatalogueQuality:
    """Reads the scores the catalogue computes; one small request per member or network."""

    def __init__(self, base_url: str, client: httpx2.AsyncClient, admin_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.headers = {"Authorization": f"Bearer {admin_key}"}

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        try:
            return await self.client.get(
                f"{self.base_url}{path}", params=params, headers=self.headers
            )
        except httpx2.HTTPError as exc:
            raise QualityUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def member(self, code: str) -> MemberQuality | None:
        # limit=1: the counts are what the mail tells; the problems are read in the console.
        response = await self._get(f"/v1/members/{code}/quality", {"limit": 1})
        if response.status_code == 404:
            return None
        return _parse(response, _MemberView).quality()

    async def network(self) -> NetworkQuality:
        view = _parse(await self._get("/v1/quality"), _NetworkView)
        return network_of(view.network.score, [m.quality() for m in view.members])


def _parse(response: httpx2.Response, model: type[View]) -> View:
    if response.status_code != 200:
        raise QualityUnavailable(f"catalogue answered {response.status_code}")
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise QualityUnavailable(f"unexpected answer: {exc.error_count()} errors") from exc
