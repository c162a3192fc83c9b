"""Following a search by e-mail: the API, the subscribe page, confirm and unsubscribe links.

No account anywhere: the confirmation and unsubscribe links are signed, and an unsubscribe
link answers the one-click POST of RFC 8058 that mail clients send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from services.notify import subscription_handlers as use
from services.notify.entrypoints.dependencies import Config, SubConfig, Subscriptions
from services.notify.entrypoints.pages import page
from services.notify.signing import InvalidToken
from services.notify.subscription_handlers import TooManyRequests
from services.notify.subscriptions import CONFIRM_TTL, Frequency, SavedSearch, SubscribeRequest
from shared.auth import CentreCaller
from shared.http import ApiError, Moment, body_limit, error_responses, field_errors, wants_english

MAX_FORM_BYTES = 16 * 1024
LIST_FIELDS = ("kind", "member", "subject", "language")
SCALAR_FIELDS = ("q", "year_from", "year_to", "email", "frequency", "lang")
Token = Annotated[str, Query(min_length=1, max_length=2000)]


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


LINK_PAGES: dict[int | str, dict[str, Any]] = {
    200: _html("Trang / page"),
    400: _html("Liên kết không hợp lệ / invalid link"),
    410: _html("Liên kết đã hết hạn / expired link"),
}
FORM_SCHEMA = SubscribeRequest.model_json_schema(ref_template="#/components/schemas/{model}")
FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": FORM_SCHEMA}},
    },
    **body_limit(MAX_FORM_BYTES),
}


class SubscriptionAccepted(BaseModel):
    status: str = "confirmation_sent"
    message: str


class DigestRunView(BaseModel):
    as_of: datetime
    due: int
    recorded: int
    empty: int
    deferred: int
    sent: int
    retry: int
    failed: int
    superseded: int


def form_values(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Query-string or form pairs as a request's fields: the last value of a scalar; every
    value of a list (repeated, or comma-separated as ``/v1/search`` takes them)."""
    raw: dict[str, Any] = {}
    for name, value in pairs:
        if name in LIST_FIELDS:
            raw.setdefault(name, []).extend(v.strip() for v in value.split(",") if v.strip())
        elif name in SCALAR_FIELDS and value.strip():
            raw[name] = value.strip()
    return raw


def _search_of(pairs: Sequence[tuple[str, str]]) -> tuple[SavedSearch, list[dict[str, Any]]]:
    raw = {k: v for k, v in form_values(pairs).items() if k in SavedSearch.model_fields}
    try:
        return SavedSearch.model_validate(raw).canonical(), []
    except ValidationError as exc:
        return SavedSearch(), field_errors(exc.errors(include_input=False))


router = APIRouter(tags=["subscriptions"])


@router.post(
    "/v1/subscriptions",
    status_code=202,
    response_model=SubscriptionAccepted,
    responses=error_responses(413, 422, 429),
    openapi_extra=body_limit(MAX_FORM_BYTES),
)
async def create_subscription(
    ports: Subscriptions,
    config: Config,
    sub_config: SubConfig,
    request: Request,
    body: Annotated[SubscribeRequest, Body()],
) -> SubscriptionAccepted:
    """Follow a search by e-mail (no account): a confirmation link is mailed first."""
    try:
        await use.subscribe(body, ports=ports, config=config, sub_config=sub_config)
    except TooManyRequests as exc:
        raise ApiError(
            429,
            "Địa chỉ này đã gửi quá nhiều yêu cầu; hãy thử lại sau",
            "Too many requests for this address; try again later",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    english = wants_english(request) or body.lang == "en"
    return SubscriptionAccepted(message=_check_mail(english))


@router.get(
    "/theo-doi",
    response_class=HTMLResponse,
    responses={200: _html("Trang đăng ký / subscribe page"), 422: _html("Tìm kiếm sai")},
)
async def subscribe_page(request: Request) -> HTMLResponse:
    """The page to follow a search by e-mail (its query and filters in the query string)."""
    english = wants_english(request)
    search, errors = _search_of(list(request.query_params.multi_items()))
    return _subscribe_page(request, search, english, errors=errors, values={})


@router.post(
    "/theo-doi",
    response_class=HTMLResponse,
    status_code=202,
    responses={
        202: _html("Đã gửi thư xác nhận / confirmation sent"),
        422: _html("Dữ liệu không hợp lệ / invalid fields"),
        429: _html("Quá nhiều yêu cầu / too many requests"),
    },
    openapi_extra=FORM_BODY,
)
async def subscribe_form_post(
    ports: Subscriptions, config: Config, sub_config: SubConfig, request: Request
) -> HTMLResponse:
    """The subscribe page's form: the same as ``POST /v1/subscriptions``, as a page."""
    form = await request.form()
    pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    values = form_values(pairs)
    english = wants_english(request) or values.get("lang") == "en"
    title = _t(english, "Theo dõi tìm kiếm", "Follow a search")
    try:
        subscription = SubscribeRequest.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_input=False))
        search, _ = _search_of(pairs)
        return _subscribe_page(request, search, english, errors=errors, values=values)
    try:
        await use.subscribe(subscription, ports=ports, config=config, sub_config=sub_config)
    except TooManyRequests as exc:
        text = _t(
            english,
            "Địa chỉ này đã gửi quá nhiều yêu cầu. Hãy thử lại sau.",
            "Too many requests for this address. Please try again later.",
        )
        return page(
            request,
            "notice.html",
            english=english,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            title=title,
            text=text,
        )
    text = _check_mail(english)
    return page(request, "notice.html", english=english, status_code=202, title=title, text=text)


@router.get("/v1/subscriptions/confirm", response_class=HTMLResponse, responses=LINK_PAGES)
async def confirm_link(config: Config, request: Request, token: Token) -> HTMLResponse:
    """The confirmation link: one button confirms (mail scanners that open links don't).
    A forged, altered or expired link says so here, before anyone presses the button."""
    english = wants_english(request)
    try:
        use.confirm_claim(token, config=config)
    except InvalidToken as exc:
        return _invalid(exc, english, request)
    return page(request, "subscription_confirm.html", english=english, token=token)


@router.post(
    "/v1/subscriptions/confirm",
    response_class=HTMLResponse,
    responses=LINK_PAGES,
    openapi_extra=body_limit(MAX_FORM_BYTES),
)
async def confirm_post(
    ports: Subscriptions,
    config: Config,
    request: Request,
    token: Annotated[str, Form(min_length=1, max_length=2000)],
) -> HTMLResponse:
    """Activate the subscription (double opt-in's second step)."""
    english = wants_english(request)
    try:
        done = await use.confirm(token, store=ports.store, config=config)
    except InvalidToken as exc:
        return _invalid(exc, english, request)
    sub = done.subscription
    return page(
        request,
        "subscription_confirmed.html",
        english=english,
        daily=sub.frequency is Frequency.DAILY,
        label=sub.search.label(english),
        unsubscribe_url=done.unsubscribe_url,
    )


@router.get("/v1/subscriptions/unsubscribe", response_class=HTMLResponse, responses=LINK_PAGES)
async def unsubscribe_link(config: Config, request: Request, token: Token) -> HTMLResponse:
    """The unsubscribe link of a digest: one button, no sign-in."""
    english = wants_english(request)
    try:
        use.unsubscribe_claim(token, config=config)
    except InvalidToken as exc:
        return _invalid(exc, english, request)
    action = "/v1/subscriptions/unsubscribe?" + urlencode({"token": token})
    return page(request, "unsubscribe.html", english=english, action=action)


@router.post(
    "/v1/subscriptions/unsubscribe",
    response_class=HTMLResponse,
    responses=LINK_PAGES,
    openapi_extra=body_limit(MAX_FORM_BYTES),
)
async def unsubscribe_post(
    ports: Subscriptions, config: Config, request: Request, token: Token
) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058 ``List-Unsubscribe=One-Click``): the search and the
    address are deleted; a second click finds nothing and says the same."""
    english = wants_english(request)
    try:
        await use.unsubscribe(token, store=ports.store, outbox=ports.outbox, config=config)
    except InvalidToken as exc:
        return _invalid(exc, english, request)
    return page(request, "unsubscribed.html", english=english)


@router.post(
    "/v1/subscriptions/run",
    response_model=DigestRunView,
    responses=error_responses(401, 403, 422),
)
async def run_digests(
    _caller: CentreCaller,
    ports: Subscriptions,
    config: Config,
    sub_config: SubConfig,
    as_of: Annotated[
        Moment | None,
        Query(description="ISO instant with zone; later than now moves the periods on"),
    ] = None,
) -> DigestRunView:
    """Send the digests whose period has ended now (or as of an instant), centre only."""
    if as_of is not None and (as_of.tzinfo is None or not 2000 <= as_of.year < 2200):
        raise ApiError(
            422,
            "as_of phải có múi giờ, trong khoảng năm 2000–2199",
            "as_of needs a zone and a year within 2000-2199",
            details=[{"loc": ["query", "as_of"], "msg": "zone and year 2000-2199"}],
        )
    report = await use.run_digests(as_of, ports=ports, config=config, sub_config=sub_config)
    d = report.dispatch
    return DigestRunView(
        as_of=as_of or datetime.now().astimezone(),
        due=report.due,
        recorded=report.recorded,
        empty=report.empty,
        deferred=report.deferred,
        sent=d.sent,
        retry=d.retry,
        failed=d.failed,
        superseded=d.superseded,
    )


# ---- pages --------------------------------------------------------------------------------


def _t(english: bool, vi: str, en: str) -> str:
    return en if english else vi


def _check_mail(english: bool) -> str:
    return _t(
        english,
        "Đã gửi thư xác nhận. Hãy mở thư và bấm liên kết trong vòng "
        f"{CONFIRM_TTL.days} ngày để bắt đầu nhận tin.",
        "A confirmation e-mail is on its way. Open it and follow the link within "
        f"{CONFIRM_TTL.days} days to start.",
    )


def _invalid(exc: InvalidToken, english: bool, request: Request) -> HTMLResponse:
    expired = exc.reason == "expired"
    return page(
        request,
        "subscription_invalid.html",
        english=english,
        status_code=410 if expired else 400,
        expired=expired,
    )


FIELD_TEXT = {
    "email": (
        "Hãy nhập một địa chỉ e-mail đúng, ví dụ ten@donvi.vn",
        "Enter a valid e-mail address, e.g. name@example.vn",
    ),
    "frequency": ("Hãy chọn mỗi ngày hoặc mỗi tuần", "Choose daily or weekly"),
}


def _field_message(loc: Sequence[Any], msg: str, english: bool) -> tuple[str, str]:
    name = str(loc[0]) if loc else "?"
    vi, en = FIELD_TEXT.get(name, (f"Trường {name}: {msg}", f"Field {name}: {msg}"))
    return name, en if english else vi


def _subscribe_page(
    request: Request,
    search: SavedSearch,
    english: bool,
    *,
    errors: list[dict[str, Any]],
    values: Mapping[str, Any],
) -> HTMLResponse:
    """The form: the search in hidden fields, what was typed kept, each error beside its field
    and in a summary on top (422 when there is one)."""
    messages = dict(_field_message(e["loc"], e["msg"], english) for e in errors)
    return page(
        request,
        "subscribe.html",
        english=english,
        status_code=422 if errors else 200,
        messages=messages,
        label=search.label(english),
        hidden=search.params(),
        email=str(values.get("email", "")),
        frequency=str(values.get("frequency", "daily")),
    )


__all__ = ["router"]
