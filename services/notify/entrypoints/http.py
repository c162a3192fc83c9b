"""Notify's HTTP routes: freshness (public), the reminder log and runs (centre), attestation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.notify import domain, handlers
from services.notify.domain import Freshness, State
from services.notify.entrypoints.dependencies import Config, Notify, Reminders, Store
from services.notify.entrypoints.pages import page
from services.notify.handlers import NotifyConfig
from services.notify.ports import ReminderEntry, Status
from services.notify.signing import InvalidToken, webhook_secret
from shared.audit import Audited
from shared.auth import AnyCaller, Caller, CentreCaller, centre_caller, require_member_access
from shared.http import ApiError, body_limit, error_responses, wants_english
from shared.records import MemberCode

MAX_ATTEST_BYTES = 16 * 1024  # one form field: the signed token (at most 2,000 characters)

AsOf = Annotated[
    datetime | None,
    Query(description="ISO instant; without a zone it is the centre's local time (UTC+7)"),
]


class FreshnessPage(BaseModel):
    as_of: datetime
    counts: dict[str, int]
    members: list[Freshness]  # the domain dataclass: pydantic validates and documents it


class ReminderView(BaseModel):
    key: str
    member: str
    cycle: str
    stage: str
    channel: str
    recipient: str
    status: Status
    subject: str
    attempts: int
    last_error: str | None
    created_at: datetime
    as_of: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    opened_at: datetime | None
    open_count: int
    attested_at: datetime | None


class ReminderLogPage(BaseModel):
    counts: dict[str, int]
    reminders: list[ReminderView]


class DispatchView(BaseModel):
    sent: int
    retry: int
    failed: int
    superseded: int


class RunView(BaseModel):
    as_of: datetime
    dry_run: bool
    evaluated: int
    counts: dict[str, int]
    planned: int
    recorded: int
    dispatch: DispatchView | None
    would_send: list[str]


def _view(entry: ReminderEntry) -> ReminderView:
    return ReminderView.model_validate(entry.model_dump())


def resolve_as_of(as_of: datetime | None, config: NotifyConfig) -> datetime:
    """Now, or the given instant (without a zone: the centre's local time), 2000–2199."""
    if as_of is None:
        return datetime.now(UTC)
    if not 2000 <= as_of.year < 2200:
        raise ApiError(
            422,
            "Thời điểm as_of phải nằm trong khoảng năm 2000–2199",
            "as_of must be within the years 2000-2199",
            code="validation_error",
            details=[{"loc": ["query", "as_of"], "msg": "year out of range 2000-2199"}],
        )
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=config.tz)


# The attestation pages answer a bad or expired link with a page (see _invalid_page).
ATTEST_PAGES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Liên kết không hợp lệ / invalid link"},
    410: {"description": "Liên kết đã hết hạn / expired link"},
}


router = APIRouter(prefix="/v1")
admin = Depends(centre_caller)


@router.get("/freshness", response_model=FreshnessPage, tags=["freshness"])
async def get_freshness(
    store: Store,
    config: Config,
    as_of: AsOf = None,
    state: Annotated[State | None, Query()] = None,
    include_suspended: bool = False,
) -> FreshnessPage:
    """Every member's last update, due date, state and training duty (public)."""
    when = resolve_as_of(as_of, config)
    members = await store.all_members()
    items = handlers.freshness_at(members, when)
    counts = {s.value: sum(1 for i in items if i.active and i.state is s) for s in State}
    shown = [
        i for i in items if (include_suspended or i.active) and (state is None or i.state is state)
    ]
    return FreshnessPage(as_of=when, counts=counts, members=shown)


@router.get("/freshness/{code}", response_model=Freshness, tags=["freshness"])
async def get_member_freshness(
    store: Store, config: Config, code: str, as_of: AsOf = None
) -> Freshness:
    """One member's freshness."""
    member = await store.member(code)
    if member is None:
        raise ApiError(404, "Không có thành viên này", "No such member", details={"code": code})
    return domain.freshness(member, resolve_as_of(as_of, config))


@router.get("/reminders", response_model=ReminderLogPage, dependencies=[admin], tags=["reminders"])
async def get_reminders(
    log: Reminders,
    member: Annotated[str | None, Query(max_length=40)] = None,
    status: Status | None = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReminderLogPage:
    """The reminder log, newest first, with sent / opened / attested / failed counts."""
    entries = await log.entries(
        member=member, status=status.value if status else None, stage=stage, limit=limit
    )
    return ReminderLogPage(counts=await log.activity(), reminders=[_view(e) for e in entries])


@router.post("/reminders/run", response_model=RunView, dependencies=[admin], tags=["reminders"])
async def run(
    caller: CentreCaller,
    audit: Audited,
    ports: Notify,
    config: Config,
    as_of: AsOf = None,
    dry_run: bool = False,
) -> RunView:
    """Evaluate now or as of an instant, record and send what is due (``dry_run``: what-if)."""
    report = await handlers.run_reminders(
        resolve_as_of(as_of, config),
        store=ports.store,
        reminders=ports.reminders,
        mailer=ports.mailer,
        webhooks=ports.webhooks,
        publisher=ports.publisher,
        config=config,
        dry_run=dry_run,
        quality=ports.quality,
        analytics=ports.analytics,
    )
    dispatch = DispatchView(**vars(report.dispatch)) if report.dispatch else None
    if not dry_run:  # a what-if changes nothing
        details = {"as_of": report.as_of.isoformat(), "recorded": report.recorded}
        await audit.record(caller, "reminders.run", details=details)
    return RunView(
        as_of=report.as_of,
        dry_run=dry_run,
        evaluated=report.evaluated,
        counts=report.counts,
        planned=report.planned,
        recorded=report.recorded,
        dispatch=dispatch,
        would_send=report.would_send,
    )


@router.get("/members/{code}/webhook-secret", dependencies=[admin], tags=["webhooks"])
async def get_webhook_secret(config: Config, code: Annotated[MemberCode, Path()]) -> dict[str, str]:
    """The member's webhook signing secret, to hand to its web admin."""
    return {
        "member": code,
        "secret": webhook_secret(config.secret, code),
        "header": "X-Stinet-Signature",
        "algorithm": "sha256=<hex HMAC-SHA256 of the raw body>",
    }


@router.post(
    "/members/{code}/attest",
    response_model=Freshness,
    tags=["attest"],
    responses=error_responses(401, 403, 404, 422),
)
async def attest_member(
    caller: AnyCaller, audit: Audited, store: Store, code: Annotated[MemberCode, Path()]
) -> Freshness:
    """ "Our information is still accurate", from the member's own staff (or the centre):
    the same effect as the reminder's link; the member's new freshness."""
    require_member_access(caller, code)
    item = await handlers.attest_member(code, store=store)
    if item is None:
        raise ApiError(404, "Không có thành viên này", "No such member", details={"code": code})
    await audit.record(caller, "attested", member=code, target=code)
    return item


@router.get("/attest", response_class=HTMLResponse, tags=["attest"], responses=ATTEST_PAGES)
async def open_attest(
    request: Request,
    ports: Notify,
    config: Config,
    token: Annotated[str, Query(min_length=1, max_length=2000)],
) -> Any:
    """The page behind a reminder's link: one button confirms the information."""
    english = wants_english(request)
    try:
        claim = await handlers.open_attest_link(token, reminders=ports.reminders, config=config)
    except InvalidToken as exc:
        return _invalid_page(request, exc, english, config)
    member = await ports.store.member(claim.member)
    name = member.name if member else claim.member
    return page(request, "attest_confirm.html", english=english, name=name, token=token)


@router.post(
    "/attest",
    response_class=HTMLResponse,
    tags=["attest"],
    responses=ATTEST_PAGES,
    openapi_extra=body_limit(MAX_ATTEST_BYTES),
)
async def post_attest(
    request: Request,
    audit: Audited,
    ports: Notify,
    config: Config,
    token: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Any:
    """ "Our information is still accurate": counts as an update for the cycle."""
    english = wants_english(request)
    try:
        claim = await handlers.attest(
            token, store=ports.store, reminders=ports.reminders, config=config
        )
    except InvalidToken as exc:
        return _invalid_page(request, exc, english, config)
    await audit.record(
        attest_link_holder(claim.member), "attested", member=claim.member, target=claim.key
    )
    member = await ports.store.member(claim.member)
    if member is None:
        return _invalid_page(request, InvalidToken("unknown"), english, config)
    item = domain.freshness(member, datetime.now(UTC))
    due = item.due_at.astimezone(config.tz).strftime("%d/%m/%Y") if item.due_at else "—"
    return page(request, "attest_done.html", english=english, name=item.name, due=due)


@router.post(
    "/attest/seen",
    status_code=204,
    tags=["attest"],
    responses=error_responses(400, 410, 422),
    openapi_extra=body_limit(MAX_ATTEST_BYTES),
)
async def attest_seen(
    reminders: Reminders, config: Config, token: Annotated[str, Form(min_length=1, max_length=2000)]
) -> Response:
    """The confirmation page's beacon: the link was opened in a browser."""
    try:
        await handlers.attest_link_seen(token, reminders=reminders, config=config)
    except InvalidToken as exc:
        expired = exc.reason == "expired"
        raise ApiError(
            410 if expired else 400,
            "Liên kết đã hết hạn" if expired else "Liên kết không hợp lệ",
            "Link expired" if expired else "Invalid link",
        ) from None
    return Response(status_code=204)


def attest_link_holder(member: str) -> Caller:
    """Whoever followed a reminder's signed link: the link, not a key, proves who they are."""
    return Caller(
        key_id="attest-link",
        label="Liên kết xác nhận trong thư nhắc / a reminder's attest link",
        role="member",
        member=member,
        via="key",
    )


def _invalid_page(
    request: Request, exc: InvalidToken, english: bool, config: NotifyConfig
) -> HTMLResponse:
    if exc.used_at is not None:  # a link confirms once: a second use says when it did
        when = exc.used_at.astimezone(config.tz).strftime("%d/%m/%Y %H:%M")
        return page(request, "attest_used.html", english=english, status_code=410, when=when)
    expired = exc.reason == "expired"
    return page(
        request,
        "attest_invalid.html",
        english=english,
        status_code=410 if expired else 400,
        expired=expired,
    )
