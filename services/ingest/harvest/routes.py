"""HTTP routes of the harvester (centre key only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.params import Depends as DependsParam
from pydantic import ValidationError

from services.ingest.harvest.client import RefusedUrl, check_url
from services.ingest.harvest.domain import (
    HarvestSourceIn,
    SourceState,
    schedule_interval,
    source_id,
)
from services.ingest.harvest.runner import Harvester
from shared.http import ApiError, field_errors


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value


def source_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A source as the API shows it (no lease internals)."""
    hidden = {"_id", "lease_owner", "current_run_id"}
    body = {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in hidden}}
    body["set"] = body.pop("set_spec", None)
    body["running"] = doc.get("state") == SourceState.RUNNING.value
    return _iso(body)


def _not_found(source_id_: str) -> ApiError:
    return ApiError(
        404,
        f"Không có nguồn thu thập {source_id_}",
        f"No harvest source {source_id_}",
        details=[{"loc": ["path", "id"], "msg": "unknown harvest source"}],
    )


def build_routes(*, harvester: Harvester, require_admin: Any, allow_private: bool) -> APIRouter:
    admin = require_admin if isinstance(require_admin, DependsParam) else Depends(require_admin)
    router = APIRouter(prefix="/v1/harvest-sources", tags=["harvest"], dependencies=[admin])
    store = harvester.store

    @router.post("", status_code=201)
    async def create_source(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:
        """Register a member's OAI-PMH endpoint (harvested on its schedule)."""
        try:
            source = HarvestSourceIn.model_validate(payload)
        except ValidationError as exc:
            raise ApiError(
                422,
                "Dữ liệu nguồn thu thập không hợp lệ",
                "Invalid harvest source",
                details=field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]),
            ) from None
        try:
            await check_url(source.base_url, allow_private=allow_private)
        except RefusedUrl as exc:
            raise ApiError(
                422,
                "Địa chỉ OAI-PMH không được phép (mạng nội bộ/loopback hoặc không phân giải được)",
                "The OAI-PMH base URL is not allowed (private/loopback network or unresolvable)",
                details=[{"loc": ["body", "base_url"], "msg": str(exc)}],
            ) from None
        now = harvester.clock()
        doc = {
            "_id": source_id(source),
            **source.model_dump(mode="json", by_alias=False),
            "state": SourceState.IDLE.value,
            "created_at": now,
            "next_run_at": now if schedule_interval(source.schedule) else None,
            "harvested_until": None,
            "last_run": None,
            "last_success_at": None,
            "last_error": None,
            "lease_owner": None,
            "lease_until": None,
            "current_run_id": None,
            "totals": {},
        }
        if not await store.create(doc):
            raise ApiError(
                409,
                "Nguồn thu thập này đã được đăng ký",
                "This harvest source is already registered",
                details={"id": doc["_id"]},
            )
        return source_view(doc)

    @router.get("")
    async def list_sources() -> dict[str, Any]:
        """Every source: state, last run and its counts, last error (kept until a success)."""
        await store.reap_stale(harvester.clock())
        return {"sources": [source_view(doc) for doc in await store.list()]}

    @router.get("/{id}")
    async def get_source(id: str) -> dict[str, Any]:
        """One source with its recent runs (counts, skipped records and why)."""
        await store.reap_stale(harvester.clock())
        doc = await store.get(id)
        if doc is None:
            raise _not_found(id)
        runs = [{"id": r.pop("_id"), **r} for r in await store.recent_runs(id)]
        return {**source_view(doc), "runs": _iso(runs)}

    @router.post("/{id}/run", status_code=202)
    async def run_source(
        id: str, wait: bool = Query(False, description="answer when the run has finished")
    ) -> dict[str, Any]:
        """Harvest now (incrementally from the last successful datestamp)."""
        if await store.get(id) is None:
            raise _not_found(id)
        await store.reap_stale(harvester.clock())
        run_id = await harvester.launch(id)
        if run_id is None:
            raise ApiError(
                409,
                "Nguồn này đang được thu thập",
                "This source is being harvested right now",
                details={"id": id},
            )
        if wait:
            await harvester.wait(run_id)
        doc = await store.get(id)
        return {"run_id": run_id, "source": source_view(doc or {"_id": id})}

    return router
