"""Who changed what, when (docs/operators/README.md §11): every state-changing call leaves an audit
entry.

Each service keeps its own entries in ``{service}_audit``; the centre reads them with
``GET /v1/audit`` on every service (the console merges the four). A route records through
the one dependency :data:`Audited`::

    async def suspend(caller: CentreCaller, audit: Audited, code: str) -> ...:
        ...  # the change itself
        await audit.record(caller, "member.suspended", member=code, target=code)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import structlog
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from shared.auth import Caller, CentreCaller, Role
from shared.http import ApiError, Moment, Offset, error_responses
from shared.mongo import Document
from shared.records import MemberCode, utcnow

log = structlog.get_logger(__name__)

ACTION_PATTERN = r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*$"
MAX_PAGE = 500


class AuditEntry(BaseModel):
    """One state-changing call: who (key id, label, role), what, for which member, when."""

    at: datetime
    service: str
    action: str = Field(pattern=ACTION_PATTERN, max_length=64)
    actor_key_id: str
    actor_label: str
    actor_role: Role
    member: str | None = None
    target: str | None = None
    request_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class AuditQuery(BaseModel):
    """The filters of ``GET /v1/audit``; every one is optional, ``from`` ≤ at < ``to``."""

    member: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    total: int


class AuditLog(Protocol):
    """A service's audit entries (append only)."""

    async def record(self, entries: Sequence[AuditEntry]) -> None:
        """Append ``entries`` in one round trip."""
        ...

    async def query(self, query: AuditQuery) -> AuditPage:
        """Entries matching ``query``, newest first, and how many match in all."""
        ...


class MongoAuditLog:
    """``{service}_audit`` on MongoDB, indexed for each filter of :class:`AuditQuery`."""

    def __init__(self, db: AsyncDatabase[Document], service: str) -> None:
        self._collection = db[f"{service}_audit"]

    async def ensure_indexes(self) -> None:
        collection = self._collection
        await collection.create_index([("at", DESCENDING)])
        for name in ("member", "actor_key_id", "action"):
            await collection.create_index([(name, ASCENDING), ("at", DESCENDING)])

    async def record(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            # Ids made here, so a retried insert after a lost reply cannot store a twin.
            docs = [{"_id": uuid.uuid4().hex, **e.model_dump()} for e in entries]
            await self._collection.insert_many(docs, ordered=False)

    async def query(self, query: AuditQuery) -> AuditPage:
        collection = self._collection
        where = _filter(query)
        total = await collection.count_documents(where)
        cursor = (
            collection.find(where, {"_id": 0})
            .sort([("at", DESCENDING), ("_id", DESCENDING)])
            .skip(query.offset)
            .limit(query.limit)
        )
        entries = [AuditEntry.model_validate(doc) async for doc in cursor]
        return AuditPage(entries=entries, total=total)


def _filter(query: AuditQuery) -> dict[str, Any]:
    where: dict[str, Any] = {}
    for name, value in (
        ("member", query.member),
        ("actor_key_id", query.actor),
        ("action", query.action),
    ):
        if value is not None:
            where[name] = value
    at: dict[str, datetime] = {}
    if query.since is not None:
        at["$gte"] = query.since
    if query.until is not None:
        at["$lt"] = query.until
    if at:
        where["at"] = at
    return where


# ---------------------------------------------------------------- FastAPI


@dataclass
class AuditTrail:
    """Records the calls of one request: its service and request id are bound here."""

    log: AuditLog
    service: str
    request_id: str | None
    clock: Callable[[], datetime] = field(default=utcnow)

    async def record(
        self,
        caller: Caller,
        action: str,
        *,
        member: str | None = None,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Record that ``caller`` did ``action``; call it once the change is stored.

        The change has happened by then: a store failure here is logged with the whole
        entry (so nothing is lost from the logs) instead of failing a request whose effect
        a retry would repeat.
        """
        entry = AuditEntry(
            at=self.clock(),
            service=self.service,
            action=action,
            actor_key_id=caller.key_id,
            actor_label=caller.label,
            actor_role=caller.role,
            member=member,
            target=target,
            request_id=self.request_id,
            details=details or {},
        )
        try:
            await self.log.record([entry])
        except PyMongoError as exc:
            log.error("audit_write_failed", error=type(exc).__name__, **entry.model_dump())
        else:
            log.info("audited", action=action, actor=caller.key_id, member=member, target=target)
        return entry


@dataclass(frozen=True)
class _Installed:
    log: AuditLog
    service: str


async def audit_trail(request: Request) -> AuditTrail:
    """The request's :class:`AuditTrail` (the app's log, its service, the request id)."""
    installed: _Installed = request.app.state.audit
    return AuditTrail(
        log=installed.log,
        service=installed.service,
        request_id=getattr(request.state, "request_id", None),
    )


Audited = Annotated[AuditTrail, Depends(audit_trail)]

From = Annotated[
    Moment | None,
    Query(alias="from", description="Từ thời điểm (ISO 8601; không có múi giờ: UTC) / since"),
]
To = Annotated[
    Moment | None,
    Query(alias="to", description="Đến trước thời điểm (ISO 8601; không có múi giờ: UTC) / until"),
]


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def audit_router() -> APIRouter:
    """``GET /v1/audit``: the centre reads who did what in this service."""
    router = APIRouter(prefix="/v1", tags=["audit"])

    @router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422))
    async def read_audit(
        request: Request,
        _: CentreCaller,
        member: Annotated[MemberCode | None, Query()] = None,
        actor: Annotated[str | None, Query(max_length=64, description="key_id")] = None,
        action: Annotated[str | None, Query(pattern=ACTION_PATTERN, max_length=64)] = None,
        since: From = None,
        until: To = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Offset = 0,
    ) -> AuditPage:
        """Who did what, newest first (centre only); filter by member, person, action, time."""
        since, until = _as_utc(since), _as_utc(until)
        if since is not None and until is not None and since > until:
            raise ApiError(
                422,
                "Thời điểm 'from' phải trước 'to'",
                "'from' must not be after 'to'",
                details=[{"loc": ["query", "from"], "msg": "after 'to'", "type": "range"}],
            )
        installed: _Installed = request.app.state.audit
        query = AuditQuery(
            member=member,
            actor=actor,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return await installed.log.query(query)

    return router


def install_audit(app: FastAPI, audit_log: AuditLog, service: str) -> None:
    """Make ``audit_log`` the one :data:`Audited` records into in ``app``; add
    ``GET /v1/audit``."""
    app.state.audit = _Installed(log=audit_log, service=service)
    app.include_router(audit_router())
