"""OAI-PMH harvesting of members' repositories (issue 7). Wired by the ingest bootstrap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import APIRouter
from pymongo.asynchronous.database import AsyncDatabase

from shared.config import Settings
from shared.events import SubmittedItem
from shared.records import Source


class Submit(Protocol):
    """Ingest's use case that stores a submission and publishes its batches (confirmed)."""

    async def __call__(
        self,
        *,
        member: str,
        items: list[SubmittedItem],
        source: Source,
        correlation_id: str | None = None,
    ) -> str:
        """Return the submission id once every batch is confirmed by the broker."""
        ...


async def _nothing() -> None:
    return None


@dataclass
class HarvestComponent:
    router: APIRouter
    start: Callable[[], Awaitable[None]] = _nothing
    stop: Callable[[], Awaitable[None]] = _nothing


def build_harvest(
    *,
    settings: Settings,
    get_db: Callable[[], AsyncDatabase],
    submit: Submit,
    require_admin: Any,
) -> HarvestComponent:
    """Harvest sources, their HTTP routes and the schedule (not yet implemented)."""
    return HarvestComponent(router=APIRouter())
