"""The ``HarvestStore`` port on MongoDB: sources, runs and leases in
``ingest_harvest_sources`` / ``ingest_harvest_runs``."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.ingest.harvest.domain import (
    MAX_REPORTED_ERRORS,
    RecordProblem,
    RunCounts,
    RunState,
    SourceState,
    error_texts,
)
from services.ingest.ports import SameTarget

SOURCES = "ingest_harvest_sources"
RUNS = "ingest_harvest_runs"
ABANDONED = "the run stopped reporting (process ended or lease lost); marked failed"
TARGET_KEY = ("member", "base_url", "metadata_prefix", "set_spec")


def _lease_free(now: datetime) -> dict[str, Any]:
    return {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


class MongoHarvestStore:
    """Sources with a lease (one harvester per source across replicas) and their runs."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.sources = db[SOURCES]
        self.runs = db[RUNS]

    async def ensure_indexes(self) -> None:
        await self.sources.create_index([("next_run_at", ASCENDING)])
        await self.sources.create_index(
            [(name, ASCENDING) for name in TARGET_KEY], unique=True, name="harvest_target"
        )
        await self.runs.create_index([("source_id", ASCENDING), ("started_at", DESCENDING)])
        await self.runs.create_index([("state", ASCENDING), ("lease_until", ASCENDING)])

    async def create(self, doc: dict[str, Any]) -> bool:
        """Insert a new source; False if it (or one with the same target) already exists."""
        try:
            await self.sources.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, source_id: str) -> dict[str, Any] | None:
        return await self.sources.find_one({"_id": source_id})

    async def list(self) -> list[dict[str, Any]]:
        return (
            await self.sources.find({})
            .sort([("member", ASCENDING), ("_id", ASCENDING)])
            .to_list(None)
        )

    async def same_target(self, target: dict[str, Any], *, other_than: str) -> str | None:
        """The id of another source with the same member, endpoint, format and set."""
        query = {name: target.get(name) for name in TARGET_KEY}
        doc = await self.sources.find_one({**query, "_id": {"$ne": other_than}}, {"_id": 1})
        return doc["_id"] if doc else None

    async def update_idle(
        self, source_id: str, changes: dict[str, Any], now: datetime
    ) -> dict[str, Any] | None:
        """Apply ``changes`` unless a run holds the lease; the new source, else None."""
        try:
            return await self.sources.find_one_and_update(
                {"_id": source_id, **_lease_free(now)},
                {"$set": changes},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise SameTarget from None

    async def update_any(self, source_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` that do not disturb a run (pause, name); the new source."""
        return await self.sources.find_one_and_update(
            {"_id": source_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )

    async def delete_idle(self, source_id: str, now: datetime) -> bool:
        """Delete the source and its run history unless a run holds the lease."""
        result = await self.sources.delete_one({"_id": source_id, **_lease_free(now)})
        if result.deleted_count == 0:
            return False
        await self.runs.delete_many({"source_id": source_id})
        return True

    async def due(self, now: datetime, limit: int) -> builtins.list[dict[str, Any]]:
        query = {
            "enabled": {"$ne": False},
            "next_run_at": {"$ne": None, "$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}],
        }
        return await self.sources.find(query).sort("next_run_at", ASCENDING).to_list(limit)

    async def acquire(
        self, source_id: str, *, owner: str, run_id: str, now: datetime, lease: timedelta
    ) -> dict[str, Any] | None:
        """Take the lease (free or expired) and open a run; None if held or the source paused."""
        source = await self.sources.find_one_and_update(
            {"_id": source_id, "enabled": {"$ne": False}, **_lease_free(now)},
            {
                "$set": {
                    "lease_owner": owner,
                    "lease_until": now + lease,
                    "state": SourceState.RUNNING.value,
                    "current_run_id": run_id,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        if source is None:
            return None
        await self.runs.insert_one(
            {
                "_id": run_id,
                "source_id": source_id,
                "member": source["member"],
                "state": RunState.RUNNING.value,
                "started_at": now,
                "finished_at": None,
                "lease_until": now + lease,
                "from": None,
                "counts": RunCounts().model_dump(),
                "problems": [],
                "submission_ids": [],
                "error": None,
            }
        )
        return source

    async def heartbeat(
        self, source_id: str, run_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        """Extend the lease; False if it was lost (the run must stop)."""
        result = await self.sources.update_one(
            {"_id": source_id, "lease_owner": owner, "current_run_id": run_id},
            {"$set": {"lease_until": now + lease}},
        )
        await self.runs.update_one({"_id": run_id}, {"$set": {"lease_until": now + lease}})
        return result.matched_count == 1

    async def run_started(
        self, run_id: str, *, from_: str | None, repository: dict[str, str]
    ) -> None:
        await self.runs.update_one(
            {"_id": run_id}, {"$set": {"from": from_, "repository": repository}}
        )

    async def page_done(
        self,
        run_id: str,
        *,
        counts: RunCounts,
        problems: builtins.list[RecordProblem],
        submission_ids: builtins.list[str],
    ) -> None:
        """Add one page's counts and (bounded) problems and submission ids to the run."""
        update: dict[str, Any] = {
            "$inc": {f"counts.{name}": value for name, value in counts.model_dump().items()}
        }
        push: dict[str, Any] = {}
        if problems:
            push["problems"] = {
                "$each": [p.model_dump() for p in problems],
                "$slice": MAX_REPORTED_ERRORS,
            }
        if submission_ids:
            push["submission_ids"] = {"$each": submission_ids, "$slice": -20}
        if push:
            update["$push"] = push
        await self.runs.update_one({"_id": run_id}, update)

    async def finish(
        self,
        source_id: str,
        run_id: str,
        *,
        owner: str,
        now: datetime,
        error: str | None,
        harvested_until: datetime | None,
        next_run_at: datetime | None,
        repository: dict[str, str] | None,
    ) -> None:
        """Close the run and release the lease; the source keeps its error until a success."""
        state = RunState.FAILED if error else RunState.SUCCEEDED
        texts = error_texts(error) if error else None
        run = await self.runs.find_one_and_update(
            {"_id": run_id},
            {"$set": {"state": state.value, "finished_at": now, "error": texts}},
            return_document=ReturnDocument.AFTER,
        )
        summary = _summary(run) if run else None
        update: dict[str, Any] = {
            "state": (SourceState.FAILED if error else SourceState.OK).value,
            "lease_owner": None,
            "lease_until": None,
            "current_run_id": None,
            "last_run": summary,
            "next_run_at": next_run_at,
        }
        if error:
            update.update(last_error=texts, last_error_at=now)
        else:
            update.update(last_error=None, last_error_at=None, last_success_at=now)
            if harvested_until is not None:
                update["harvested_until"] = harvested_until
        if repository:
            update["repository"] = repository
        inc = {f"totals.{k}": v for k, v in (run or {}).get("counts", {}).items()}
        await self.sources.update_one(
            {"_id": source_id, "current_run_id": run_id},
            {"$set": update, **({"$inc": inc} if inc else {})},
        )

    async def reap_stale(self, now: datetime) -> int:
        """Runs whose lease expired (their process died) become failed; never 'running' forever."""
        stale = await self.runs.find(
            {"state": RunState.RUNNING.value, "lease_until": {"$lt": now}}
        ).to_list(100)
        abandoned = error_texts(ABANDONED)
        for run in stale:
            await self.runs.update_one(
                {"_id": run["_id"], "state": RunState.RUNNING.value},
                {"$set": {"state": RunState.FAILED.value, "finished_at": now, "error": abandoned}},
            )
            await self.sources.update_one(
                {
                    "_id": run["source_id"],
                    "current_run_id": run["_id"],
                    "lease_until": {"$lt": now},
                },
                {
                    "$set": {
                        "state": SourceState.FAILED.value,
                        "lease_owner": None,
                        "lease_until": None,
                        "current_run_id": None,
                        "last_error": abandoned,
                        "last_error_at": now,
                        "last_run": _summary(
                            {**run, "state": "failed", "error": abandoned, "finished_at": now}
                        ),
                    }
                },
            )
        return len(stale)

    async def recent_runs(self, source_id: str, limit: int = 20) -> builtins.list[dict[str, Any]]:
        return (
            await self.runs.find({"source_id": source_id})
            .sort("started_at", DESCENDING)
            .to_list(limit)
        )


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["_id"],
        "state": run["state"],
        "started_at": run["started_at"],
        "finished_at": run.get("finished_at"),
        "from": run.get("from"),
        "counts": run.get("counts", {}),
        "error": run.get("error"),
        "problems": len(run.get("problems", [])),
    }
