"""The link checker's use cases and its sweep loop (started in the catalogue's lifespan).

One round: learn the URLs of changed records and of every member (``sync``), lease the due
links (``claim``), check them host by host (one host's links one after another, many hosts
at once, bounded by the schedule's concurrency), store each outcome as it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from services.catalogue.linkcheck.domain import LinkPolicy, LinkStatus, after_check, website_url
from services.catalogue.linkcheck.metrics import BROKEN, CHECKS
from services.catalogue.ports import (
    ChangedRecords,
    LinkChecker,
    LinkStore,
    MemberStore,
    RecordStore,
)
from shared.config import Settings
from shared.events import MemberStatus
from shared.records import RecordStatus, utcnow

log = structlog.get_logger("catalogue.linkcheck")
FEED_CHANGES_PER_ROUND = 100
LEASE_USE = 0.8  # of a round's lease, spent starting checks (the rest: finish and store)


@dataclass(frozen=True)
class SweepConfig:
    policy: LinkPolicy = field(default_factory=LinkPolicy)
    lease: timedelta = timedelta(minutes=5)
    batch: int = 2000
    per_host: int = 5
    interval_seconds: float = 30.0


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


async def sync(
    *,
    links: LinkStore,
    changed: ChangedRecords,
    records: RecordStore,
    members: MemberStore,
    now: datetime,
) -> int:
    """Tell the link store the URLs of changed records and of every member's website."""
    count = 0
    while ids := await changed.changed(FEED_CHANGES_PER_ROUND):
        found = await records.get_many(ids)
        urls = {
            rid: state.record.url if state.record.status is RecordStatus.ACTIVE else None
            for rid, state in found.items()
        }
        await links.use_record_urls(urls, now=now)
        await changed.commit()
        count += len(ids)
    websites = {
        m.code: website_url(m.website) if m.status is MemberStatus.ACTIVE else None
        for m in await members.all()
    }
    await links.use_websites(websites, now=now)
    return count


async def check_due(
    *,
    links: LinkStore,
    checker: LinkChecker,
    owner: str,
    config: SweepConfig,
    now: datetime | None = None,
) -> list[LinkStatus]:
    """Lease the due links and check them; returns their outcomes (stored in bulk)."""
    start = now or utcnow()
    claimed = await links.claim(
        owner=owner,
        now=start,
        until=start + config.lease,
        limit=config.batch,
        per_host=config.per_host,
    )
    by_host: dict[str, list[LinkStatus]] = defaultdict(list)
    for link in claimed:
        by_host[link.host].append(link)
    writer = ResultWriter(links, owner)
    flushing = asyncio.create_task(writer.run())
    # No check starts after most of the lease is gone: a link is never checked by a replica
    # that may have lost it; what is left is handed back for the next round.
    deadline = time.monotonic() + config.lease.total_seconds() * LEASE_USE
    left: list[LinkStatus] = []
    try:
        await asyncio.gather(
            *(
                _check_host(host_links, checker, writer, config, deadline, left)
                for host_links in by_host.values()
            )
        )
    finally:
        writer.close()
        await flushing
    if left:
        await links.release([link.url for link in left], owner=owner)
        log.info("linkcheck_released", owner=owner, links=len(left))
    return writer.stored


async def _check_host(
    host_links: list[LinkStatus],
    checker: LinkChecker,
    writer: ResultWriter,
    config: SweepConfig,
    deadline: float,
    left: list[LinkStatus],
) -> None:
    for position, link in enumerate(host_links):
        if time.monotonic() > deadline:
            left += host_links[position:]
            return
        result = await checker.check(link.url)
        CHECKS.labels(result.verdict.value).inc()
        checked = after_check(link, result, utcnow(), config.policy)
        writer.add(checked)
        if checked.state != link.state:
            log.info(
                "link_state", url=link.url, state=checked.state.value, error=checked.last_error
            )


class ResultWriter:
    """Stores outcomes in bulk as they come (one write per ``FLUSH_SECONDS``), so hosts go on
    with their next link while the store writes; a crash loses only unwritten outcomes,
    whose links come back when their lease ends."""

    FLUSH_SECONDS = 0.5

    def __init__(self, links: LinkStore, owner: str) -> None:
        self._links = links
        self._owner = owner
        self._pending: list[LinkStatus] = []
        self._closed = asyncio.Event()
        self.stored: list[LinkStatus] = []

    def add(self, link: LinkStatus) -> None:
        self._pending.append(link)

    def close(self) -> None:
        self._closed.set()

    async def run(self) -> None:
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.FLUSH_SECONDS)
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        stored = await self._links.save_checked(batch, owner=self._owner)
        if stored < len(batch):
            log.warning("linkcheck_leases_lost", lost=len(batch) - stored)
        self.stored += batch


class LinkSweep:
    """``sync`` then ``check_due`` every ``interval_seconds``; stopped cleanly."""

    def __init__(
        self,
        *,
        links: LinkStore,
        changed: ChangedRecords,
        records: RecordStore,
        members: MemberStore,
        checker: LinkChecker,
        config: SweepConfig,
    ) -> None:
        self._links = links
        self._changed = changed
        self._records = records
        self._members = members
        self._checker = checker
        self._config = config
        self._owner = f"linkcheck-{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> list[LinkStatus]:
        """One round: sync, check what is due, refresh the broken gauge."""
        await sync(
            links=self._links,
            changed=self._changed,
            records=self._records,
            members=self._members,
            now=utcnow(),
        )
        checked = await check_due(
            links=self._links, checker=self._checker, owner=self._owner, config=self._config
        )
        BROKEN.set(await self._links.count_broken())
        return checked

    async def _run(self) -> None:
        # The first round waits one interval too: start-up (key index, consumers) first.
        await asyncio.sleep(self._config.interval_seconds)
        while True:
            try:
                checked = await self.round()
            except Exception:  # the loop outlives a bad round; the next one retries
                log.exception("linkcheck_round_failed", owner=self._owner)
                checked = []
            if checked:  # a backlog goes on at once; an idle checker waits
                log.info("linkcheck_round", owner=self._owner, checked=len(checked))
            else:
                await asyncio.sleep(self._config.interval_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="catalogue-linkcheck")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
