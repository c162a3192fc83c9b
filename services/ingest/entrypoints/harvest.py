"""HTTP routes of the harvester: the centre manages sources, a member's staff read theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import ValidationError

from services.ingest.entrypoints.dependencies import Harvesting, Sources
from services.ingest.harvest.domain import (
    HarvestSourceIn,
    HarvestSourcePatch,
    SourceState,
    next_run,
    schedule_interval,
    source_id,
)
from services.ingest.ports import SameTarget
from shared import netguard
from shared.audit import Audited, AuditTrail
from shared.auth import AnyCaller, Caller, CentreCaller, require_member_access
from shared.http import ApiError, error_responses, field_errors, json_body, wants_english
from shared.records import MemberCode

# Fields a PATCH may change while a run holds the lease (the run does not read them).
RUN_SAFE_FIELDS = {"enabled", "name"}


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value


def _texts(value: Any) -> dict[str, str] | None:
    """A stored error: ``{"vi", "en"}`` (older documents hold one English string)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {"vi": str(value.get("vi", "")), "en": str(value.get("en", ""))}
    return {"vi": str(value), "en": str(value)}


def _error_fields(prefix: str, value: Any, english: bool) -> dict[str, Any]:
    texts = _texts(value)
    shown = texts["en" if english else "vi"] if texts else None
    return {prefix: shown, f"{prefix}_text": texts}


def source_view(doc: dict[str, Any], *, english: bool = False) -> dict[str, Any]:
    """A source as the API shows it (no lease internals); errors in the caller's language."""
    hidden = {"_id", "lease_owner", "current_run_id"}
    body = {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in hidden}}
    body["set"] = body.pop("set_spec", None)
    body["running"] = doc.get("state") == SourceState.RUNNING.value
    body["enabled"] = doc.get("enabled", True) is not False
    body.update(_error_fields("last_error", doc.get("last_error"), english))
    if isinstance(body.get("last_run"), dict):
        run = body["last_run"]
        body["last_run"] = {**run, **_error_fields("error", run.get("error"), english)}
    return _iso(body)


def run_view(run: dict[str, Any], *, english: bool) -> dict[str, Any]:
    body = {"id": run["_id"], **{k: v for k, v in run.items() if k != "_id"}}
    body.update(_error_fields("error", run.get("error"), english))
    return _iso(body)


def _not_found(source_id_: str) -> ApiError:
    return ApiError(
        404,
        f"Không có nguồn thu thập {source_id_}",
        f"No harvest source {source_id_}",
        details=[{"loc": ["path", "id"], "msg": "unknown harvest source"}],
    )


def _invalid(exc: ValidationError) -> ApiError:
    return ApiError(
        422,
        "Dữ liệu nguồn thu thập không hợp lệ",
        "Invalid harvest source",
        details=field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]),
    )


async def _check_base_url(url: str, *, allow_private: bool) -> None:
    """The SSRF rule, for a new source and for a changed ``base_url`` alike."""
    try:
        await netguard.check_url(url, allow_private=allow_private)
    except netguard.RefusedUrl as exc:
        raise ApiError(
            422,
            "Địa chỉ OAI-PMH không được phép (mạng nội bộ/loopback hoặc không phân giải được)",
            "The OAI-PMH base URL is not allowed (private/loopback network or unresolvable)",
            details=[{"loc": ["body", "base_url"], "msg": str(exc)}],
        ) from None


def _busy(id_: str) -> ApiError:
    return ApiError(
        409,
        "Nguồn này đang được thu thập: chờ lần thu thập kết thúc rồi thử lại",
        "This source is being harvested right now: retry when the run has finished",
        details={"id": id_, "running": True},
    )


def _same_target(existing: str) -> ApiError:
    return ApiError(
        409,
        "Đã có nguồn thu thập cùng thành viên, địa chỉ, định dạng và tập (set)",
        "Another source already harvests this member, URL, format and set",
        details={"id": existing},
    )


def _patched(current: dict[str, Any], patch: HarvestSourcePatch, now: datetime) -> dict[str, Any]:
    """The stored fields a patch sets: a new target resets the cursor; a schedule re-times."""
    changes = patch.changes()
    schedule = changes.get("schedule", current["schedule"])
    if patch.retargets(current):
        changes.update(harvested_until=None, repository=None)
        changes["next_run_at"] = now if schedule_interval(schedule) else None
    elif "schedule" in changes:
        last = (current.get("last_run") or {}).get("finished_at")
        changes["next_run_at"] = next_run(schedule, last) if last else None
        if changes["next_run_at"] is None and schedule_interval(schedule):
            changes["next_run_at"] = now
    changes["updated_at"] = now
    return changes


async def _audit(
    audit: AuditTrail, caller: Caller, action: str, source: dict[str, Any], details: dict[str, Any]
) -> None:
    await audit.record(
        caller, action, member=source.get("member"), target=source["_id"], details=details
    )


# ``/v1/harvest-sources``: register, list, read, change, delete and run sources (their ports:
# ``HarvestPorts``, dependencies.py). Changes are the centre's (CentreCaller on each); a
# member's staff read their own sources.
router = APIRouter(prefix="/v1/harvest-sources", tags=["harvest"])


@router.post("", status_code=201, openapi_extra=json_body(HarvestSourceIn))
async def create_source(
    request: Request,
    caller: CentreCaller,
    audit: Audited,
    ports: Harvesting,
    store: Sources,
    payload: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    """Register a member's OAI-PMH endpoint (harvested on its schedule)."""
    try:
        source = HarvestSourceIn.model_validate(payload)
    except ValidationError as exc:
        raise _invalid(exc) from None
    await _check_base_url(source.base_url, allow_private=ports.allow_private)
    now = ports.harvester.clock()
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
        "enabled": True,
    }
    if existing := await store.same_target(doc, other_than=doc["_id"]):
        raise _same_target(existing)
    if not await store.create(doc):
        raise ApiError(
            409,
            "Nguồn thu thập này đã được đăng ký",
            "This harvest source is already registered",
            details={"id": doc["_id"]},
        )
    await _audit(audit, caller, "harvest.source_added", doc, {"base_url": doc.get("base_url")})
    return source_view(doc, english=wants_english(request))


@router.get("", responses=error_responses(401, 403, 422))
async def list_sources(
    request: Request,
    caller: AnyCaller,
    ports: Harvesting,
    store: Sources,
    member: Annotated[MemberCode | None, Query()] = None,
) -> dict[str, Any]:
    """Sources with state, last run and its counts, last error (kept until a success):
    the centre sees every member's (or ``?member=``'s), a member's staff their own."""
    if member is not None:
        require_member_access(caller, member)
    wanted = member if caller.is_centre else caller.member
    await store.reap_stale(ports.harvester.clock())
    english = wants_english(request)
    docs = [doc for doc in await store.list() if wanted is None or doc["member"] == wanted]
    return {"sources": [source_view(doc, english=english) for doc in docs]}


@router.get("/{id}", responses=error_responses(401, 404))
async def get_source(
    request: Request, caller: AnyCaller, ports: Harvesting, store: Sources, id: str
) -> dict[str, Any]:
    """One source with its recent runs (counts, skipped records and why); another
    member's source is not found for a member's staff."""
    await store.reap_stale(ports.harvester.clock())
    doc = await store.get(id)
    if doc is None or not caller.may_act_for(doc["member"]):
        raise _not_found(id)
    english = wants_english(request)
    runs = [run_view(r, english=english) for r in await store.recent_runs(id)]
    return {**source_view(doc, english=english), "runs": runs}


@router.patch("/{id}", openapi_extra=json_body(HarvestSourcePatch))
async def update_source(
    request: Request,
    caller: CentreCaller,
    audit: Audited,
    ports: Harvesting,
    store: Sources,
    id: str,
    payload: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    """Change schedule, set, metadataPrefix, base_url (SSRF rule), name or enabled (pause)."""
    try:
        patch = HarvestSourcePatch.model_validate(payload)
    except ValidationError as exc:
        raise _invalid(exc) from None
    now = ports.harvester.clock()
    await store.reap_stale(now)
    current = await store.get(id)
    if current is None:
        raise _not_found(id)
    if "base_url" in patch.model_fields_set:
        await _check_base_url(patch.base_url, allow_private=ports.allow_private)
    changes = _patched(current, patch, now)
    if patch.model_fields_set <= RUN_SAFE_FIELDS:
        updated = await store.update_any(id, changes)
    else:
        if existing := await store.same_target({**current, **changes}, other_than=id):
            raise _same_target(existing)
        try:
            updated = await store.update_idle(id, changes, now)
        except SameTarget:  # registered meanwhile: the unique index caught it
            existing = await store.same_target({**current, **changes}, other_than=id)
            raise _same_target(existing or "") from None
        if updated is None and await store.get(id) is not None:
            raise _busy(id)
    if updated is None:
        raise _not_found(id)
    changed = {"fields": sorted(patch.model_fields_set)}
    await _audit(audit, caller, "harvest.source_changed", updated, changed)
    return source_view(updated, english=wants_english(request))


@router.delete("/{id}", status_code=204)
async def delete_source(
    caller: CentreCaller, audit: Audited, ports: Harvesting, store: Sources, id: str
) -> Response:
    """Remove a source and its run history (409 while a run holds the lease)."""
    now = ports.harvester.clock()
    await store.reap_stale(now)
    current = await store.get(id)
    if await store.delete_idle(id, now):
        await _audit(audit, caller, "harvest.source_deleted", current or {"_id": id}, {})
        return Response(status_code=204)
    if await store.get(id) is None:
        raise _not_found(id)
    raise _busy(id)


@router.post("/{id}/run", status_code=202)
async def run_source(
    request: Request,
    caller: CentreCaller,
    audit: Audited,
    ports: Harvesting,
    store: Sources,
    id: str,
    wait: bool = Query(False, description="answer when the run has finished"),
) -> dict[str, Any]:
    """Harvest now (incrementally from the last successful datestamp); not when paused."""
    found = await store.get(id)
    if found is None:
        raise _not_found(id)
    if found.get("enabled") is False:
        raise ApiError(
            409,
            'Nguồn này đang tạm dừng: bật lại ("enabled": true) trước khi thu thập',
            'This source is paused: set "enabled": true before harvesting it',
            details={"id": id, "enabled": False},
        )
    await store.reap_stale(ports.harvester.clock())
    run_id = await ports.harvester.launch(id)
    if run_id is None:
        raise _busy(id)
    await _audit(audit, caller, "harvest.run_started", found, {"run_id": run_id})
    if wait:
        await ports.harvester.wait(run_id)
    doc = await store.get(id)
    return {
        "run_id": run_id,
        "source": source_view(doc or {"_id": id}, english=wants_english(request)),
    }
