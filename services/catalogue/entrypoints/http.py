"""The catalogue's HTTP routes: validate, call a handler, shape the response."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.catalogue import handlers
from services.catalogue.domain import LinkState, Viewer, link_id, member_view, shape_stats
from services.catalogue.entrypoints.dependencies import Links, Members, Publisher, Records, Routes
from shared.audit import Audited, AuditTrail
from shared.auth import (
    AnyCaller,
    Authenticator,
    AuthError,
    Caller,
    CentreCaller,
    centre_caller,
    require_member_access,
)
from shared.events import Member, MemberFields, MemberStatus
from shared.http import ApiError, Offset, bearer_token, body_limit, error_responses
from shared.records import Kind, MemberCode, RecordStatus, member_of
from shared.text import clean_text
from shared.validation import InvalidValue, url

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_MEMBER_BYTES = 64 * 1024  # a member is a few hundred bytes of JSON
MAX_LINK_BYTES = 4 * 1024


class MemberIn(MemberFields):
    """A member as the centre registers or updates it (status kept unless given)."""

    model_config = ConfigDict(extra="forbid")

    status: MemberStatus | None = None

    @field_validator("name", "name_en", "address")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        cleaned = clean_text(value) if value is not None else None
        if value is not None and not cleaned and value:
            raise ValueError("must not be blank")
        return cleaned or None

    @field_validator("website", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return url(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _EMAIL.match(value.strip()):
            raise ValueError("not an e-mail address")
        return value.strip()


class LinkDecision(BaseModel):
    """The centre's decision on two records: the same work (confirmed) or not (rejected)."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=3, max_length=200)
    b: str = Field(min_length=3, max_length=200)
    state: Literal["confirmed", "rejected"]


def _not_found(what: str, ident: str) -> ApiError:
    return ApiError(
        404,
        f"Không tìm thấy {'bản ghi' if what == 'record' else 'thành viên'} {ident!r}",
        f"{what.capitalize()} {ident!r} not found",
    )


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers, with the error envelope."""
    described = {401: "Unauthorised", 403: "Forbidden", 404: "Not found", 422: "Invalid input"}
    return {
        status: {
            "description": described.get(status, "Error"),
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
        for status in statuses
    }


async def quality_reader(caller: AnyCaller, code: str) -> Caller:
    """Who may read a member's quality inbox: that member's staff or the centre (403 else)."""
    require_member_access(caller, code)
    return caller


async def viewer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Viewer:
    """Who asks: a token the catalogue cannot verify is just anyone (public view)."""
    token = bearer_token(authorization)
    if token is None:
        return Viewer()
    authenticator: Authenticator = request.app.state.authenticator  # see shared.auth
    try:
        caller = await authenticator.authenticate(token)
    except AuthError:
        return Viewer()
    return Viewer(centre=caller.is_centre, member=caller.member)


Asking = Annotated[Viewer, Depends(viewer)]
ADMIN = [Depends(centre_caller)]
READERS = [Depends(quality_reader)]

# Every catalogue route but the duplicates' and the ops' (below) and OAI-PMH's (oai.py); the
# ports come per request from the app (``install_ports(app, RoutePorts(...))``).
router = APIRouter(prefix="/v1")


@router.get("/records", tags=["records"])
async def list_records(
    records: Records,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    member: str | None = None,
    kind: Kind | None = None,
    status: RecordStatus | None = None,
) -> dict[str, Any]:
    """Records in id order after ``after`` (keyset pagination, for rebuilding indexes)."""
    page = await records.page(
        after=after,
        limit=limit,
        member=member,
        kind=kind.value if kind else None,
        status=status.value if status else None,
    )
    return {"records": [r.model_dump(mode="json") for r in page.records], "next": page.next}


@router.get("/records/{rid:path}/history", tags=["records"])
async def get_history(rid: str, records: Records) -> dict[str, Any]:
    """Every version of a record: time, source, change and the fields that changed."""
    try:
        entries = await handlers.record_history(rid, records=records)
    except handlers.NotFound as exc:
        raise _not_found("record", rid) from exc
    return {"id": rid, "versions": [e.model_dump(mode="json") for e in entries]}


@router.get("/records/{rid:path}", tags=["records"])
async def get_record(rid: str, records: Records) -> dict[str, Any]:
    """One record, with the other members holding the same work ("also held by")."""
    try:
        record, others = await handlers.get_record(rid, records=records)
    except handlers.NotFound as exc:
        raise _not_found("record", rid) from exc
    holdings = [{"id": o.id, "member": o.member, "title": o.title, "url": o.url} for o in others]
    return {**record.model_dump(mode="json"), "holdings": holdings}


@router.post(
    "/links",
    tags=["records"],
    dependencies=ADMIN,
    openapi_extra=body_limit(MAX_LINK_BYTES),
    responses={404: {"description": "Không có bản ghi này / no such record"}},
)
async def decide_link(
    caller: CentreCaller,
    audit: Audited,
    body: LinkDecision,
    records: Records,
    publisher: Publisher,
) -> dict[str, Any]:
    """The centre confirms or rejects that two records describe the same work."""
    if body.a == body.b:
        raise ApiError(422, "Hai bản ghi phải khác nhau", "The two records must differ")
    try:
        first, second = await handlers.decide_link(
            body.a, body.b, LinkState(body.state), records=records, publisher=publisher
        )
    except handlers.NotFound as exc:
        raise _not_found("record", str(exc)) from exc
    await audit_decision(audit, caller, LinkState(body.state), body.a, body.b)
    return {
        "state": body.state,
        "records": {r.id: {"also_held_by": r.also_held_by} for r in (first, second)},
    }


@router.get("/members", tags=["members"])
async def list_members(members: Members, who: Asking) -> dict[str, Any]:
    """Every member of the network (contact e-mail and webhook for the centre only)."""
    return {"members": [member_view(m, who) for m in await members.all()]}


@router.get("/members/{code}", tags=["members"])
async def get_member(code: str, members: Members, who: Asking) -> dict[str, Any]:
    """One member (contact e-mail and webhook for the centre only)."""
    member = await members.get(code)
    if member is None:
        raise _not_found("member", code)
    return member_view(member, who)


@router.post(
    "/members",
    tags=["members"],
    dependencies=ADMIN,
    openapi_extra=body_limit(MAX_MEMBER_BYTES),
)
async def save_member(
    caller: CentreCaller,
    audit: Audited,
    body: MemberIn,
    members: Members,
    publisher: Publisher,
) -> dict[str, Any]:
    """Create or update a member (centre only); announces ``member.changed``."""
    current = await members.get(body.code)
    status = body.status or (current.status if current else MemberStatus.ACTIVE)
    incoming = Member(**body.model_dump(exclude={"status"}), status=status)
    member, change = await handlers.save_member(incoming, members=members, publisher=publisher)
    action = "member.registered" if change == "created" else f"member.{change}"
    if change is not None:
        await audit.record(caller, action, member=member.code, target=member.code)
    return {"member": member.model_dump(mode="json"), "change": change}


@router.delete("/members/{code}", tags=["members"], dependencies=ADMIN)
async def suspend_member(
    caller: CentreCaller, audit: Audited, code: str, members: Members, publisher: Publisher
) -> dict[str, Any]:
    """Suspend a member (centre only); its later submissions are rejected."""
    try:
        member = await handlers.suspend_member(code, members=members, publisher=publisher)
    except handlers.NotFound as exc:
        raise _not_found("member", code) from exc
    await audit.record(caller, "member.suspended", member=code, target=code)
    return {"member": member.model_dump(mode="json")}


@router.get(
    "/members/{code}/quality",
    tags=["quality"],
    dependencies=READERS,
    responses=errors(401, 403, 404, 422),
)
async def get_member_quality(
    code: str,
    ports: Routes,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """A member's quality inbox: score (0–100), counts per problem code, problems paged."""
    try:
        return await handlers.member_quality(
            code,
            records=ports.records,
            members=ports.members,
            links=ports.links,
            offset=offset,
            limit=limit,
        )
    except handlers.NotFound as exc:
        raise _not_found("member", code) from exc


@router.get("/quality", tags=["quality"], dependencies=ADMIN, responses=errors(401, 403))
async def get_network_quality(records: Records, members: Members, links: Links) -> dict[str, Any]:
    """Every member's quality score and problem counts, worst first (the centre's view)."""
    return await handlers.network_quality(records=records, members=members, links=links)


@router.get("/stats", tags=["stats"])
async def stats(records: Records) -> dict[str, Any]:
    """Records per member, kind and year; changes per member, half-year and month (counted
    again after this process stores a change, else at most once a minute: a public
    request must not cost a scan each time)."""
    raw = await records.stats()
    return shape_stats(raw["holdings"], raw["activity"], raw.get("monthly"))


@router.post("/replay", tags=["ops"], dependencies=ADMIN)
async def replay(caller: CentreCaller, audit: Audited, ports: Routes) -> dict[str, int]:
    """Republish every record and member (rebuilds search and notify); centre only."""
    counts = await handlers.replay(
        records=ports.records, members=ports.members, publisher=ports.publisher
    )
    await audit.record(caller, "replay", details=dict(counts))
    return counts


async def audit_decision(
    audit: AuditTrail, caller: Caller, state: LinkState, a: str, b: str
) -> None:
    """A duplicate decision, recorded against both records' members."""
    action = "duplicate.confirmed" if state is LinkState.CONFIRMED else "duplicate.rejected"
    members = sorted({member_of(a), member_of(b)})
    details = {"a": a, "b": b, "members": members}
    await audit.record(caller, action, member=members[0], target=link_id(a, b), details=details)


# The console's words for a link's state: an automatic link is a candidate for review.
_LINK_STATES = {
    "candidate": LinkState.AUTO,
    "confirmed": LinkState.CONFIRMED,
    "rejected": LinkState.REJECTED,
}
_STATE_WORDS = {state: word for word, state in _LINK_STATES.items()}


class DuplicateDecision(BaseModel):
    """The centre's decision on a candidate pair: the same work, or not."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=3, max_length=200, description="record id")
    b: str = Field(min_length=3, max_length=200, description="record id")
    decision: Literal["confirm", "reject"]


def _pair_view(pair: handlers.DuplicatePair) -> dict[str, Any]:
    link = pair.link
    return {
        "a": pair.a.model_dump(mode="json"),
        "b": pair.b.model_dump(mode="json"),
        "key": link.reasons[0] if link.reasons else None,
        "keys": link.reasons,
        "state": _STATE_WORDS[link.state],
        "since": pair.since.isoformat() if pair.since else None,
        "decided_at": link.decided_at.isoformat() if link.decided_at else None,
    }


# Duplicate candidates for review (a member's staff: their own) and the centre's decision;
# included after the audit log's router (``create_app``).
duplicates_router = APIRouter(prefix="/v1/duplicates", tags=["duplicates"])


@duplicates_router.get("", responses=error_responses(401, 403, 422))
async def list_duplicates(
    caller: AnyCaller,
    records: Records,
    member: Annotated[MemberCode | None, Query()] = None,
    state: Annotated[Literal["candidate", "confirmed", "rejected"], Query()] = "candidate",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Pairs of records that may be the same work, newest first: the centre sees all (or
    one member's), a member's staff the pairs that hold one of their records."""
    if member is not None:
        require_member_access(caller, member)
    pairs, total = await handlers.list_duplicates(
        state=_LINK_STATES[state],
        member=member if caller.is_centre else caller.member,
        limit=limit,
        offset=offset,
        records=records,
    )
    return {"pairs": [_pair_view(p) for p in pairs], "total": total}


@duplicates_router.post("/decision", responses=error_responses(401, 403, 404, 422))
async def decide(
    caller: CentreCaller,
    audit: Audited,
    body: DuplicateDecision,
    records: Records,
    publisher: Publisher,
) -> dict[str, Any]:
    """Confirm (the same work: "also held by") or reject (never linked again) a pair."""
    if body.a == body.b:
        raise ApiError(
            422,
            "Hai bản ghi phải khác nhau",
            "The two records must differ",
            details=[{"loc": ["body", "b"], "msg": "same as a", "type": "value_error"}],
        )
    state = LinkState.CONFIRMED if body.decision == "confirm" else LinkState.REJECTED
    try:
        first, second = await handlers.decide_link(
            body.a, body.b, state, records=records, publisher=publisher
        )
    except handlers.NotFound as exc:
        raise _not_found("record", str(exc)) from exc
    await audit_decision(audit, caller, state, body.a, body.b)
    return {
        "state": _STATE_WORDS[state],
        "records": {r.id: {"also_held_by": r.also_held_by} for r in (first, second)},
    }


# What the centre watches: the broker's work queues and their dead-letter queues.
ops_router = APIRouter(prefix="/v1/ops", tags=["ops"])


@ops_router.get("/queues", responses=error_responses(401, 403, 503))
async def queues(_: CentreCaller, ports: Routes) -> dict[str, Any]:
    """Messages waiting in every work queue of the network and in its DLQ."""
    try:
        depths = await ports.queue_depths()
    except Exception as exc:  # the broker is away: say so, never a 500
        raise ApiError(
            503,
            "Không đọc được hàng đợi từ máy chủ tin nhắn (RabbitMQ); thử lại sau.",
            "The message broker (RabbitMQ) could not be read; retry later.",
            headers={"Retry-After": "5"},
        ) from exc
    return {"queues": [d.model_dump() for d in depths]}
