"""The harvest use case (one run of one source) and the scheduler that starts runs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter
from pydantic import ValidationError

from services.ingest.harvest.config import HarvestSettings
from services.ingest.harvest.domain import (
    HarvestError,
    Page,
    RecordProblem,
    RunCounts,
    format_from,
    local_id_of,
    next_run,
)
from services.ingest.harvest.mapping import map_metadata
from services.ingest.ports import HarvestStore, OaiRepositories, Submit
from shared.events import Operation, SubmittedItem
from shared.records import MAX_BATCH, RecordIn, Source, utcnow

log = structlog.get_logger(__name__)

HARVEST_RUNS = Counter("stinet_harvest_runs_total", "Finished harvest runs", ["state"])
HARVEST_RECORDS = Counter(
    "stinet_harvest_records_total", "Harvested records by outcome", ["outcome"]
)

Clock = Callable[[], datetime]


def items_of(page: Page, prefix: str) -> tuple[list[SubmittedItem], RunCounts, list[RecordProblem]]:
    """A page as submission items; a record that does not map is reported and skipped."""
    counts = RunCounts(pages=1, records=len(page.records) + len(page.problems))
    problems = [
        RecordProblem(identifier=ident, errors=[{"loc": [], "msg": why}])
        for ident, why in page.problems
    ]
    items: list[SubmittedItem] = []
    for record in page.records:
        local_id = local_id_of(record.identifier)
        if record.deleted:
            items.append(SubmittedItem(index=0, op=Operation.WITHDRAW, local_id=local_id))
            counts.withdrawals += 1
            continue
        try:
            fields = map_metadata(prefix, record.metadata)
            parsed = RecordIn.model_validate({**fields, "local_id": local_id})
        except (ValidationError, ValueError) as exc:
            errors = (
                [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
                if isinstance(exc, ValidationError)
                else [{"loc": [], "msg": str(exc)}]
            )
            problems.append(RecordProblem(identifier=record.identifier, errors=errors))
            continue
        items.append(SubmittedItem(index=0, op=Operation.UPSERT, local_id=local_id, record=parsed))
        counts.upserts += 1
    counts.skipped = len(problems)
    return items, counts, problems


@dataclass
class RunContext:
    source: dict[str, Any]
    run_id: str
    owner: str


class Harvester:
    """Runs harvests under a Mongo lease, on request and on schedule; stops them cleanly."""

    def __init__(
        self,
        *,
        store: HarvestStore,
        repositories: OaiRepositories,
        submit: Submit,
        config: HarvestSettings,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.repositories = repositories
        self.submit = submit
        self.config = config
        self.clock = clock
        self.owner = f"harvester-{uuid.uuid4().hex[:12]}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.lease_seconds)

    async def start(self) -> None:
        """Start the schedule loop (called from the service's lifespan, after the indexes)."""
        self._loop_task = asyncio.create_task(self._schedule_loop(), name="harvest-schedule")

    async def stop(self) -> None:
        """Stop the loop and every run (runs are closed as failed: 'interrupted')."""
        tasks = [t for t in (self._loop_task, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None
        await self.repositories.close()

    async def launch(self, source_id: str) -> str | None:
        """Take the lease and start a run in the background; the run id, or None if busy."""
        run_id = uuid.uuid4().hex
        source = await self.store.acquire(
            source_id, owner=self.owner, run_id=run_id, now=self.clock(), lease=self.lease
        )
        if source is None:
            return None
        context = RunContext(source=source, run_id=run_id, owner=self.owner)
        task = asyncio.create_task(self._run(context), name=f"harvest-{run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run_id, None))
        return run_id

    async def wait(self, run_id: str) -> None:
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def _schedule_loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the loop survives a store hiccup; each run records its own errors
                log.exception("harvest_tick_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.tick_seconds)
            self._wake.clear()

    async def tick(self) -> list[str]:
        """Reap stale runs, then start the due sources (bounded concurrency)."""
        now = self.clock()
        await self.store.reap_stale(now)
        room = self.config.max_concurrent_runs - len(self._tasks)
        started = []
        if room > 0:
            for source in await self.store.due(now, room):
                run_id = await self.launch(source["_id"])
                if run_id:
                    started.append(run_id)
        return started

    async def _run(self, ctx: RunContext) -> None:
        source_id = ctx.source["_id"]
        bound = log.bind(source_id=source_id, run_id=ctx.run_id, member=ctx.source["member"])
        error: str | None = None
        outcome: tuple[datetime | None, dict[str, str] | None] = (None, None)
        try:
            async with asyncio.timeout(self.config.run_timeout_seconds):
                outcome = await self._harvest(ctx)
        except TimeoutError:
            error = f"timed out after {self.config.run_timeout_seconds:g} s"
        except asyncio.CancelledError:
            error = "interrupted: the ingest service stopped"
            await self._finish(ctx, error, outcome)
            raise
        except HarvestError as exc:
            error = str(exc)
        except Exception as exc:  # recorded on the source: a run must never stay "running"
            bound.exception("harvest_run_crashed")
            error = f"internal error: {type(exc).__name__}: {exc}"
        await self._finish(ctx, error, outcome)
        bound.info("harvest_run_finished", error=error)

    async def _finish(
        self,
        ctx: RunContext,
        error: str | None,
        outcome: tuple[datetime | None, dict[str, str] | None],
    ) -> None:
        now = self.clock()
        harvested_until, repository = outcome
        HARVEST_RUNS.labels("failed" if error else "succeeded").inc()
        await self.store.finish(
            ctx.source["_id"],
            ctx.run_id,
            owner=ctx.owner,
            now=now,
            error=error[:2000] if error else None,
            harvested_until=harvested_until,
            next_run_at=next_run(ctx.source["schedule"], now, failed=error is not None),
            repository=repository,
        )

    async def _harvest(self, ctx: RunContext) -> tuple[datetime | None, dict[str, str]]:
        """Identify, check the format, then stream ListRecords pages into submissions."""
        source = ctx.source
        client = self.repositories.open(
            source["base_url"], before_attempt=lambda: self._heartbeat(ctx)
        )
        repository = await client.identify()
        prefix = source["metadata_prefix"]
        if prefix not in await client.metadata_prefixes():
            raise HarvestError(f"cannotDisseminateFormat: the repository does not offer {prefix}")
        started = _parse_datestamp(repository["responseDate"]) or self.clock()
        params = {"metadataPrefix": prefix}
        if source.get("harvested_until"):
            granularity = repository.get("granularity") or "YYYY-MM-DD"
            overlap = timedelta(seconds=self.config.from_overlap_seconds)
            params["from"] = format_from(source["harvested_until"] - overlap, granularity)
        if source.get("set_spec"):
            params["set"] = source["set_spec"]
        await self.store.run_started(ctx.run_id, from_=params.get("from"), repository=repository)
        async for page in client.list_records(params):
            await self._apply(ctx, page, prefix)
        return started, repository

    async def _apply(self, ctx: RunContext, page: Page, prefix: str) -> None:
        """Submit one page whole (≤ 500 items per call), then count it and renew the lease."""
        items, counts, problems = items_of(page, prefix)
        submission_ids = []
        for start in range(0, len(items), MAX_BATCH):
            chunk = [
                item.model_copy(update={"index": n})
                for n, item in enumerate(items[start : start + MAX_BATCH])
            ]
            submission_ids.append(
                await self.submit(
                    member=ctx.source["member"],
                    items=chunk,
                    source=Source.OAI,
                    correlation_id=ctx.run_id,
                )
            )
        counts.submissions = len(submission_ids)
        HARVEST_RECORDS.labels("upsert").inc(counts.upserts)
        HARVEST_RECORDS.labels("withdraw").inc(counts.withdrawals)
        HARVEST_RECORDS.labels("skipped").inc(counts.skipped)
        await self.store.page_done(
            ctx.run_id, counts=counts, problems=problems, submission_ids=submission_ids
        )
        await self._heartbeat(ctx)

    async def _heartbeat(self, ctx: RunContext) -> None:
        """Renew the lease; a run whose lease was taken over stops at once."""
        if not await self.store.heartbeat(
            ctx.source["_id"], ctx.run_id, owner=ctx.owner, now=self.clock(), lease=self.lease
        ):
            raise HarvestError("lease lost to another harvester; run stopped")


def _parse_datestamp(value: str) -> datetime | None:
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
