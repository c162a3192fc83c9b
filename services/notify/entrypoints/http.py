"""Notify's HTTP routes: freshness (public), the reminder log and runs (centre), attestation."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.notify import domain, handlers
from services.notify.domain import Freshness, State
from services.notify.handlers import NotifyConfig
from services.notify.ports import NotifyPorts, ReminderEntry, Status
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


def make_router(ports: Callable[[], NotifyPorts], config: NotifyConfig) -> APIRouter:
    router = APIRouter(prefix="/v1")
    admin = Depends(centre_caller)

    @router.get("/freshness", response_model=FreshnessPage, tags=["freshness"])
    async def get_freshness(
        as_of: AsOf = None,
        state: Annotated[State | None, Query()] = None,
        include_suspended: bool = False,
    ) -> FreshnessPage:
        """Every member's last update, due date, state and training duty (public)."""
        when = resolve_as_of(as_of, config)
        members = await ports().store.all_members()
        items = handlers.freshness_at(members, when)
        counts = {s.value: sum(1 for i in items if i.active and i.state is s) for s in State}
        shown = [
            i
            for i in items
            if (include_suspended or i.active) and (state is None or i.state is state)
        ]
        return FreshnessPage(as_of=when, counts=counts, members=shown)

    @router.get("/freshness/{code}", response_model=Freshness, tags=["freshness"])
    async def get_member_freshness(code: str, as_of: AsOf = None) -> Freshness:
        """One member's freshness."""
        member = await ports().store.member(code)
        if member is None:
            raise ApiError(404, "Không có thành viên này", "No such member", details={"code": code})
        return domain.freshness(member, resolve_as_of(as_of, config))

    @router.get(
        "/reminders", response_model=ReminderLogPage, dependencies=[admin], tags=["reminders"]
    )
    async def get_reminders(
        member: Annotated[str | None, Query(max_length=40)] = None,
        status: Status | None = None,
        stage: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> ReminderLogPage:
        """The reminder log, newest first, with sent / opened / attested / failed counts."""
        log = ports().reminders
        entries = await log.entries(
            member=member, status=status.value if status else None, stage=stage, limit=limit
        )
        return ReminderLogPage(counts=await log.activity(), reminders=[_view(e) for e in entries])

    @router.post("/reminders/run", response_model=RunView, dependencies=[admin], tags=["reminders"])
    async def run(
        caller: CentreCaller, audit: Audited, as_of: AsOf = None, dry_run: bool = False
    ) -> RunView:
        """Evaluate now or as of an instant, record and send what is due (``dry_run``: what-if)."""
        p = ports()
        report = await handlers.run_reminders(
            resolve_as_of(as_of, config),
            store=p.store,
            reminders=p.reminders,
            mailer=p.mailer,
            webhooks=p.webhooks,
            publisher=p.publisher,
            config=config,
            dry_run=dry_run,
            quality=p.quality,
            analytics=p.analytics,
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
    async def get_webhook_secret(code: Annotated[MemberCode, Path()]) -> dict[str, str]:
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
        caller: AnyCaller, audit: Audited, code: Annotated[MemberCode, Path()]
    ) -> Freshness:
        """ "Our information is still accurate", from the member's own staff (or the centre):
        the same effect as the reminder's link; the member's new freshness."""
        require_member_access(caller, code)
        item = await handlers.attest_member(code, store=ports().store)
        if item is None:
            raise ApiError(404, "Không có thành viên này", "No such member", details={"code": code})
        await audit.record(caller, "attested", member=code, target=code)
        return item

    @router.get("/attest", response_class=HTMLResponse, tags=["attest"], responses=ATTEST_PAGES)
    async def open_attest(
        request: Request, token: Annotated[str, Query(min_length=1, max_length=2000)]
    ) -> Any:
        """The page behind a reminder's link: one button confirms the information."""
        english = wants_english(request)
        try:
            claim = await handlers.open_attest_link(
                token, reminders=ports().reminders, config=config
            )
        except InvalidToken as exc:
            return _invalid_page(exc, english, config)
        member = await ports().store.member(claim.member)
        name = member.name if member else claim.member
        return HTMLResponse(confirm_page(name, token, english))

    @router.post(
        "/attest",
        response_class=HTMLResponse,
        tags=["attest"],
        responses=ATTEST_PAGES,
        openapi_extra=body_limit(MAX_ATTEST_BYTES),
    )
    async def post_attest(
        request: Request, audit: Audited, token: Annotated[str, Form(min_length=1, max_length=2000)]
    ) -> Any:
        """ "Our information is still accurate": counts as an update for the cycle."""
        english = wants_english(request)
        p = ports()
        try:
            claim = await handlers.attest(
                token, store=p.store, reminders=p.reminders, config=config
            )
        except InvalidToken as exc:
            return _invalid_page(exc, english, config)
        await audit.record(
            attest_link_holder(claim.member), "attested", member=claim.member, target=claim.key
        )
        member = await p.store.member(claim.member)
        if member is None:
            return _invalid_page(InvalidToken("unknown"), english, config)
        item = domain.freshness(member, datetime.now(UTC))
        return HTMLResponse(done_page(item, config, english))

    @router.post(
        "/attest/seen",
        status_code=204,
        tags=["attest"],
        responses=error_responses(400, 410, 422),
        openapi_extra=body_limit(MAX_ATTEST_BYTES),
    )
    async def attest_seen(token: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
        """The confirmation page's beacon: the link was opened in a browser."""
        try:
            await handlers.attest_link_seen(token, reminders=ports().reminders, config=config)
        except InvalidToken as exc:
            expired = exc.reason == "expired"
            raise ApiError(
                410 if expired else 400,
                "Liên kết đã hết hạn" if expired else "Liên kết không hợp lệ",
                "Link expired" if expired else "Invalid link",
            ) from None
        return Response(status_code=204)

    return router


def attest_link_holder(member: str) -> Caller:
    """Whoever followed a reminder's signed link: the link, not a key, proves who they are."""
    return Caller(
        key_id="attest-link",
        label="Liên kết xác nhận trong thư nhắc / a reminder's attest link",
        role="member",
        member=member,
        via="key",
    )


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}button{{font-size:1.1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}<p><small><a href="?lang={other}{token_q}">{switch}</a></small></p>
</body></html>"""


def _page(title: str, body: str, english: bool, token: str = "") -> str:
    from urllib.parse import quote

    return PAGE.format(
        lang="en" if english else "vi",
        other="vi" if english else "en",
        switch="Tiếng Việt" if english else "English",
        token_q=f"&token={quote(token)}" if token else "",
        title=html.escape(title),
        body=body,
    )


def confirm_page(name: str, token: str, english: bool) -> str:
    name = html.escape(name)
    action = "/v1/attest" + ("?lang=en" if english else "")
    if english:
        title = "Confirm your information"
        text = (
            f"<p>By pressing the button, <strong>{name}</strong> confirms that its information "
            "on the network is still accurate. This counts as an update for this cycle.</p>"
        )
        button = "Our information is still accurate"
    else:
        title = "Xác nhận thông tin"
        text = (
            f"<p>Bấm nút dưới đây để <strong>{name}</strong> xác nhận thông tin của đơn vị trên "
            "mạng lưới vẫn chính xác. Việc xác nhận được tính là một lần cập nhật trong kỳ.</p>"
        )
        button = "Thông tin của chúng tôi vẫn chính xác"
    form = (
        f'<form method="post" action="{action}"><input type="hidden" name="token" '
        f'value="{html.escape(token)}"><button type="submit">{button}</button></form>'
    )
    return _page(title, text + form + SEEN_BEACON, english, token)


# "Opened" is counted when a browser shows the page, not when a mail scanner fetches the link.
SEEN_BEACON = (
    "<script>(function(){var t=document.querySelector('input[name=token]');"
    "if(t&&navigator.sendBeacon){navigator.sendBeacon('/v1/attest/seen',"
    "new URLSearchParams({token:t.value}));}})();</script>"
)


def done_page(item: Freshness, config: NotifyConfig, english: bool) -> str:
    due = item.due_at.astimezone(config.tz).strftime("%d/%m/%Y") if item.due_at else "—"
    name = html.escape(item.name)
    if english:
        return _page(
            "Thank you",
            f"<p>Confirmed: the information of <strong>{name}</strong> is up to date. "
            f"The next update is due on <strong>{due}</strong>.</p>",
            True,
        )
    return _page(
        "Cảm ơn",
        f"<p>Đã xác nhận: thông tin của <strong>{name}</strong> được coi là đã cập nhật. "
        f"Hạn cập nhật tiếp theo: <strong>{due}</strong>.</p>",
        False,
    )


def _invalid_page(exc: InvalidToken, english: bool, config: NotifyConfig) -> HTMLResponse:
    if exc.used_at is not None:
        return _used_page(exc.used_at, english, config)
    expired = exc.reason == "expired"
    if english:
        title = "Link expired" if expired else "Invalid link"
        text = (
            "<p>This link is no longer valid. Update your information as the member guide "
            "shows, or wait for the next reminder.</p>"
        )
    else:
        title = "Liên kết đã hết hạn" if expired else "Liên kết không hợp lệ"
        text = (
            "<p>Liên kết này không còn dùng được. Hãy cập nhật thông tin theo hướng dẫn dành cho "
            "thành viên, hoặc dùng liên kết trong thư nhắc mới nhất.</p>"
        )
    return HTMLResponse(_page(title, text, english), status_code=410 if expired else 400)


def _used_page(used_at: datetime, english: bool, config: NotifyConfig) -> HTMLResponse:
    """A link confirms once: a second use says when it did, and changes nothing."""
    when = used_at.astimezone(config.tz).strftime("%d/%m/%Y %H:%M")
    if english:
        title, text = (
            "Link already used",
            (
                f"<p>This link confirmed the information on <strong>{when}</strong>. "
                "Nothing more is needed; the next reminder brings a new link.</p>"
            ),
        )
    else:
        title, text = (
            "Liên kết đã được dùng",
            (
                f"<p>Liên kết này đã xác nhận thông tin lúc <strong>{when}</strong>. Không cần làm "
                "gì thêm; thư nhắc sau sẽ có liên kết mới.</p>"
            ),
        )
    return HTMLResponse(_page(title, text, english), status_code=410)
