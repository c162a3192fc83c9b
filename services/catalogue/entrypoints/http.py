"""The catalogue's HTTP routes: validate, call a handler, shape the response."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.catalogue import handlers
from services.catalogue.domain import LinkState, shape_stats
from services.catalogue.normalise import InvalidValue, url
from services.catalogue.ports import EventPublisher, MemberStore, RecordStore
from shared.auth import centre_caller
from shared.events import Member, MemberFields, MemberStatus
from shared.http import ApiError
from shared.records import Kind, RecordStatus
from shared.text import clean_text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def build_router(
    *,
    records: Callable[[], RecordStore],
    members: Callable[[], MemberStore],
    publisher: Callable[[], EventPublisher],
) -> APIRouter:
    """Every catalogue route; the ports are resolved per request (opened in the lifespan)."""
    router = APIRouter(prefix="/v1")
    admin = [Depends(centre_caller)]

    @router.get("/records", tags=["records"])
    async def list_records(
        after: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        member: str | None = None,
        kind: Kind | None = None,
        status: RecordStatus | None = None,
    ) -> dict[str, Any]:
        """Records in id order after ``after`` (keyset pagination, for rebuilding indexes)."""
        page = await records().page(
            after=after,
            limit=limit,
            member=member,
            kind=kind.value if kind else None,
            status=status.value if status else None,
        )
        return {"records": [r.model_dump(mode="json") for r in page.records], "next": page.next}

    @router.get("/records/{rid:path}/history", tags=["records"])
    async def get_history(rid: str) -> dict[str, Any]:
        """Every version of a record: time, source, change and the fields that changed."""
        try:
            entries = await handlers.record_history(rid, records=records())
        except handlers.NotFound as exc:
            raise _not_found("record", rid) from exc
        return {"id": rid, "versions": [e.model_dump(mode="json") for e in entries]}

    @router.get("/records/{rid:path}", tags=["records"])
    async def get_record(rid: str) -> dict[str, Any]:
        """One record, with the other members holding the same work ("also held by")."""
        try:
            record, others = await handlers.get_record(rid, records=records())
        except handlers.NotFound as exc:
            raise _not_found("record", rid) from exc
        holdings = [
            {"id": o.id, "member": o.member, "title": o.title, "url": o.url} for o in others
        ]
        return {**record.model_dump(mode="json"), "holdings": holdings}

    @router.post(
        "/links",
        tags=["records"],
        dependencies=admin,
        responses={404: {"description": "Không có bản ghi này / no such record"}},
    )
    async def decide_link(body: LinkDecision) -> dict[str, Any]:
        """The centre confirms or rejects that two records describe the same work."""
        if body.a == body.b:
            raise ApiError(422, "Hai bản ghi phải khác nhau", "The two records must differ")
        try:
            first, second = await handlers.decide_link(
                body.a, body.b, LinkState(body.state), records=records(), publisher=publisher()
            )
        except handlers.NotFound as exc:
            raise _not_found("record", str(exc)) from exc
        return {
            "state": body.state,
            "records": {r.id: {"also_held_by": r.also_held_by} for r in (first, second)},
        }

    @router.get("/members", tags=["members"])
    async def list_members() -> dict[str, Any]:
        """Every member of the network."""
        return {"members": [m.model_dump(mode="json") for m in await members().all()]}

    @router.get("/members/{code}", tags=["members"])
    async def get_member(code: str) -> dict[str, Any]:
        """One member."""
        member = await members().get(code)
        if member is None:
            raise _not_found("member", code)
        return member.model_dump(mode="json")

    @router.post("/members", tags=["members"], dependencies=admin)
    async def save_member(body: MemberIn) -> dict[str, Any]:
        """Create or update a member (centre only); announces ``member.changed``."""
        current = await members().get(body.code)
        status = body.status or (current.status if current else MemberStatus.ACTIVE)
        incoming = Member(**body.model_dump(exclude={"status"}), status=status)
        member, change = await handlers.save_member(
            incoming, members=members(), publisher=publisher()
        )
        return {"member": member.model_dump(mode="json"), "change": change}

    @router.delete("/members/{code}", tags=["members"], dependencies=admin)
    async def suspend_member(code: str) -> dict[str, Any]:
        """Suspend a member (centre only); its later submissions are rejected."""
        try:
            member = await handlers.suspend_member(code, members=members(), publisher=publisher())
        except handlers.NotFound as exc:
            raise _not_found("member", code) from exc
        return {"member": member.model_dump(mode="json")}

    @router.get("/stats", tags=["stats"])
    async def stats() -> dict[str, Any]:
        """Records per member, kind and year; additions and updates per half-year and member."""
        raw = await records().stats()
        return shape_stats(raw["holdings"], raw["activity"])

    @router.post("/replay", tags=["ops"], dependencies=admin)
    async def replay() -> dict[str, int]:
        """Republish every record and member (rebuilds search and notify); centre only."""
        return await handlers.replay(records=records(), members=members(), publisher=publisher())

    return router
