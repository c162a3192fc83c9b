"""OAI-PMH harvesting of members' repositories (issue 7). Wired by the ingest bootstrap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter
from pymongo.asynchronous.database import AsyncDatabase

from services.ingest.harvest.config import HarvestSettings
from services.ingest.harvest.routes import build_routes
from services.ingest.harvest.runner import Harvester
from services.ingest.harvest.store import MongoHarvestStore
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
    db: AsyncDatabase,
    submit: Submit,
    harvest_settings: HarvestSettings | None = None,
) -> HarvestComponent:
    """Harvest sources, their HTTP routes (centre only: ``shared.auth.CentreCaller``) and the
    schedule loop.

    ``start()`` begins the schedule loop (call it after the broker is connected: runs
    publish); ``stop()`` stops it and interrupts running harvests (recorded as failed).
    """
    config = harvest_settings or HarvestSettings()
    allow_private = settings.harvest_allow_private_networks
    harvester = Harvester(
        store=MongoHarvestStore(db), submit=submit, config=config, allow_private=allow_private
    )
    router = build_routes(harvester=harvester, allow_private=allow_private)
    return HarvestComponent(router=router, start=harvester.start, stop=harvester.stop)
