"""The catalogue's link checker (DESIGN §10): record ``url`` and member ``website`` checked
on change and every ``LINKCHECK_INTERVAL_DAYS``, politely, SSRF-safe; broken after two
failed checks in a row. ``build_link_checking`` is its only wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue.linkcheck.domain import BrokenLink, LinkPolicy
from services.catalogue.linkcheck.http import HttpLinkChecker
from services.catalogue.linkcheck.mongo import FeedChangedRecords, MongoLinkStore
from services.catalogue.linkcheck.politeness import HostSchedule
from services.catalogue.linkcheck.ports import LinkStore
from services.catalogue.linkcheck.sweep import LinkSweep, SweepConfig
from services.catalogue.ports import MemberStore, RecordStore
from shared.config import Settings


def sweep_config(settings: Settings) -> SweepConfig:
    """The sweep's settings; a round leases at most as many links of one host as it can
    check within the lease (a HEAD and a GET each, at the host's pace, timing out)."""
    per_check = 2 * (settings.linkcheck_timeout_seconds + settings.linkcheck_per_host_seconds)
    return SweepConfig(
        policy=LinkPolicy(
            interval=timedelta(days=settings.linkcheck_interval_days),
            retry=timedelta(hours=settings.linkcheck_retry_hours),
        ),
        lease=timedelta(seconds=settings.linkcheck_lease_seconds),
        batch=settings.linkcheck_batch,
        per_host=max(1, int(settings.linkcheck_lease_seconds / per_check / 2)),
        interval_seconds=settings.linkcheck_sweep_seconds,
    )


@dataclass
class LinkChecking:
    store: MongoLinkStore
    checker: HttpLinkChecker
    sweep: LinkSweep

    async def close(self) -> None:
        await self.sweep.stop()
        await self.checker.close()


def build_link_checking(
    settings: Settings, db: AsyncDatabase, *, records: RecordStore, members: MemberStore
) -> LinkChecking:
    """The store (its indexes ensured in the lifespan), the HTTP checker and the sweep (not
    started)."""
    store = MongoLinkStore(db)
    schedule = HostSchedule(
        interval=settings.linkcheck_per_host_seconds,
        concurrency=settings.linkcheck_concurrency,
    )
    checker = HttpLinkChecker(
        schedule=schedule,
        timeout=settings.linkcheck_timeout_seconds,
        allow_private=settings.linkcheck_allow_private_networks,
    )
    sweep = LinkSweep(
        links=store,
        changed=FeedChangedRecords(db),
        records=records,
        members=members,
        checker=checker,
        config=sweep_config(settings),
    )
    return LinkChecking(store=store, checker=checker, sweep=sweep)


__all__ = ["BrokenLink", "LinkChecking", "LinkStore", "build_link_checking", "sweep_config"]
