"""Following a search by e-mail: the API, the subscribe page, confirm and unsubscribe links.

No account anywhere: the confirmation and unsubscribe links are signed, and an unsubscribe
link answers the one-click POST of RFC 8058 that mail clients send.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from services.notify import subscription_handlers as use
from services.notify.handlers import NotifyConfig
from services.notify.signing import InvalidToken
from services.notify.subscription_handlers import (
    SubscriptionConfig,
    SubscriptionPorts,
    TooManyRequests,
)
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


def make_subscription_router(
    ports: Callable[[], SubscriptionPorts],
    config: NotifyConfig,
    sub_config: SubscriptionConfig,
) -> APIRouter:
    router = APIRouter(tags=["subscriptions"])

    async def _subscribe(request: SubscribeRequest) -> None:
        await use.subscribe(request, ports=ports(), config=config, sub_config=sub_config)

    @router.post(
        "/v1/subscriptions",
        status_code=202,
        response_model=SubscriptionAccepted,
        responses=error_responses(413, 422, 429),
        openapi_extra=body_limit(MAX_FORM_BYTES),
    )
    async def create_subscription(
        request: Request, body: Annotated[SubscribeRequest, Body()]
    ) -> SubscriptionAccepted:
        """Follow a search by e-mail (no account): a confirmation link is mailed first."""
        try:
            await _subscribe(body)
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
        body = subscribe_form(search, english, errors=errors, values={})
        return HTMLResponse(
            _page(_t(english, "Theo dõi tìm kiếm", "Follow a search"), body, english, request),
            status_code=422 if errors else 200,
        )

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
    async def subscribe_form_post(request: Request) -> HTMLResponse:
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
            body = subscribe_form(search, english, errors=errors, values=values)
            return HTMLResponse(_page(title, body, english, request), status_code=422)
        try:
            await _subscribe(subscription)
        except TooManyRequests as exc:
            text = _t(
                english,
                "Địa chỉ này đã gửi quá nhiều yêu cầu. Hãy thử lại sau.",
                "Too many requests for this address. Please try again later.",
            )
            return HTMLResponse(
                _page(title, f"<p>{text}</p>", english, request),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        body = f"<p>{html.escape(_check_mail(english))}</p>"
        return HTMLResponse(_page(title, body, english, request), status_code=202)

    @router.get("/v1/subscriptions/confirm", response_class=HTMLResponse, responses=LINK_PAGES)
    async def confirm_link(request: Request, token: Token) -> HTMLResponse:
        """The confirmation link: one button confirms (mail scanners that open links don't)."""
        english = wants_english(request)
        title = _t(english, "Xác nhận theo dõi", "Confirm following")
        button = _t(english, "Xác nhận nhận thư", "Confirm the e-mails")
        text = _t(
            english,
            "Bấm nút dưới đây để bắt đầu nhận thư khi có tài nguyên mới cho tìm kiếm đã đăng ký.",
            "Press the button to start getting e-mails about new resources for this search.",
        )
        body = f"<p>{text}</p>" + _button("/v1/subscriptions/confirm", token, button, english)
        return HTMLResponse(_page(title, body, english, request))

    @router.post(
        "/v1/subscriptions/confirm",
        response_class=HTMLResponse,
        responses=LINK_PAGES,
        openapi_extra=body_limit(MAX_FORM_BYTES),
    )
    async def confirm_post(
        request: Request, token: Annotated[str, Form(min_length=1, max_length=2000)]
    ) -> HTMLResponse:
        """Activate the subscription (double opt-in's second step)."""
        english = wants_english(request)
        try:
            done = await use.confirm(token, store=ports().store, config=config)
        except InvalidToken as exc:
            return _invalid(exc, english, request)
        sub = done.subscription
        every = (
            _t(english, "mỗi ngày", "every day")
            if sub.frequency is Frequency.DAILY
            else _t(english, "mỗi thứ Hai", "every Monday")
        )
        text = _t(
            english,
            f"Đã xác nhận. Bạn sẽ nhận thư {every} khi có tài nguyên mới cho "
            f"{html.escape(sub.search.label(False))} (không có gì mới thì không có thư).",
            f"Confirmed. You will get an e-mail {every} when new resources match "
            f"{html.escape(sub.search.label(True))} (nothing new, no e-mail).",
        )
        leave = _t(english, "Huỷ theo dõi", "Unsubscribe")
        link = f'<p><a href="{html.escape(done.unsubscribe_url)}">{leave}</a></p>'
        return HTMLResponse(
            _page(_t(english, "Cảm ơn", "Thank you"), f"<p>{text}</p>{link}", english, request)
        )

    @router.get("/v1/subscriptions/unsubscribe", response_class=HTMLResponse, responses=LINK_PAGES)
    async def unsubscribe_link(request: Request, token: Token) -> HTMLResponse:
        """The unsubscribe link of a digest: one button, no sign-in."""
        english = wants_english(request)
        try:
            use.unsubscribe_claim(token, config=config)
        except InvalidToken as exc:
            return _invalid(exc, english, request)
        text = _t(
            english,
            "Bạn sẽ không nhận thêm thư nào cho tìm kiếm này.",
            "You will get no more e-mails for this search.",
        )
        action = "/v1/subscriptions/unsubscribe?" + urlencode({"token": token})
        button = _t(english, "Huỷ theo dõi", "Unsubscribe")
        body = f"<p>{text}</p>" + _button(action, None, button, english)
        return HTMLResponse(
            _page(_t(english, "Huỷ theo dõi", "Unsubscribe"), body, english, request)
        )

    @router.post(
        "/v1/subscriptions/unsubscribe",
        response_class=HTMLResponse,
        responses=LINK_PAGES,
        openapi_extra=body_limit(MAX_FORM_BYTES),
    )
    async def unsubscribe_post(request: Request, token: Token) -> HTMLResponse:
        """One-click unsubscribe (RFC 8058 ``List-Unsubscribe=One-Click``): the search and the
        address are deleted; a second click finds nothing and says the same."""
        english = wants_english(request)
        try:
            await use.unsubscribe(token, store=ports().store, config=config)
        except InvalidToken as exc:
            return _invalid(exc, english, request)
        text = _t(
            english,
            "Đã huỷ theo dõi. Địa chỉ e-mail của bạn đã được xoá.",
            "Unsubscribed. Your e-mail address has been deleted.",
        )
        return HTMLResponse(
            _page(_t(english, "Đã huỷ", "Done"), f"<p>{text}</p>", english, request)
        )

    @router.post(
        "/v1/subscriptions/run",
        response_model=DigestRunView,
        responses=error_responses(401, 403, 422),
    )
    async def run_digests(
        _caller: CentreCaller,
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
        report = await use.run_digests(as_of, ports=ports(), config=config, sub_config=sub_config)
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

    return router


# ---- pages --------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}button{{font-size:1.1rem;padding:.6rem 1.2rem}}label{{display:block;
font-weight:600;margin-top:1rem}}input[type=email]{{font-size:1.1rem;padding:.4rem;width:100%;
max-width:24rem}}.hint{{color:#555;font-weight:400}}.error{{color:#b00020;font-weight:600}}
.summary{{border:3px solid #b00020;padding:.5rem 1rem;margin:1rem 0}}fieldset{{border:0;
padding:0;margin-top:1rem}}</style></head>
<body><h1>{title}</h1>{body}<p><small><a href="{switch_href}">{switch}</a></small></p>
</body></html>"""


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


def _page(title: str, body: str, english: bool, request: Request) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    switch_href = "?" + urlencode([*pairs, ("lang", "vi" if english else "en")])
    return PAGE.format(
        lang="en" if english else "vi",
        title=html.escape(title),
        body=body,
        switch_href=html.escape(switch_href),
        switch="Tiếng Việt" if english else "English",
    )


def _button(action: str, token: str | None, label: str, english: bool) -> str:
    target = action + (("&" if "?" in action else "?") + "lang=en" if english else "")
    hidden = f'<input type="hidden" name="token" value="{html.escape(token)}">' if token else ""
    return (
        f'<form method="post" action="{html.escape(target)}">{hidden}'
        f'<button type="submit">{html.escape(label)}</button></form>'
    )


def _invalid(exc: InvalidToken, english: bool, request: Request) -> HTMLResponse:
    expired = exc.reason == "expired"
    title = (
        _t(english, "Liên kết đã hết hạn", "Link expired")
        if expired
        else _t(english, "Liên kết không hợp lệ", "Invalid link")
    )
    text = _t(
        english,
        "Liên kết này không dùng được. Hãy đăng ký lại từ trang kết quả tìm kiếm.",
        "This link cannot be used. Subscribe again from the search results page.",
    )
    return HTMLResponse(
        _page(title, f"<p>{text}</p>", english, request), status_code=410 if expired else 400
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


def subscribe_form(
    search: SavedSearch,
    english: bool,
    *,
    errors: list[dict[str, Any]],
    values: Mapping[str, Any],
) -> str:
    """The form: an error summary on top linking to each field, the message beside it."""
    messages = dict(_field_message(e["loc"], e["msg"], english) for e in errors)
    summary = ""
    if messages:
        items = "".join(
            f'<li><a href="#{html.escape(n)}">{html.escape(m)}</a></li>'
            for n, m in messages.items()
        )
        heading = _t(english, "Có lỗi cần sửa", "There is a problem")
        summary = f'<div class="summary" role="alert"><h2>{heading}</h2><ul>{items}</ul></div>'
    label = html.escape(search.label(english))
    intro = _t(
        english,
        f"Nhận thư khi có tài nguyên mới cho tìm kiếm <strong>{label}</strong>. Không cần tài "
        "khoản; chỉ lưu địa chỉ e-mail và tìm kiếm này; huỷ bằng một lần bấm trong mỗi thư.",
        f"Get an e-mail when new resources match <strong>{label}</strong>. No account; only "
        "your address and this search are kept; every e-mail has a one-click unsubscribe.",
    )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in search.params()
    )
    lang = "en" if english else "vi"
    email_error = (
        f'<span class="error" id="email-error">{html.escape(messages["email"])}</span><br>'
        if "email" in messages
        else ""
    )
    chosen = str(values.get("frequency", "daily"))
    radios = "".join(
        f'<label><input type="radio" name="frequency" value="{value}"'
        f"{' checked' if chosen == value else ''}> {html.escape(text)}</label>"
        for value, text in (
            ("daily", _t(english, "Mỗi ngày (nếu có tin mới)", "Daily (when there is news)")),
            ("weekly", _t(english, "Mỗi tuần, sáng thứ Hai", "Weekly, on Monday morning")),
        )
    )
    frequency_error = (
        f'<span class="error">{html.escape(messages["frequency"])}</span>'
        if "frequency" in messages
        else ""
    )
    other = "".join(
        f'<p class="error">{html.escape(m)}</p>'
        for n, m in messages.items()
        if n not in ("email", "frequency")
    )
    return (
        f"{summary}<p>{intro}</p>{other}"
        f'<form method="post" action="/theo-doi?lang={lang}">{hidden}'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="email">{_t(english, "Địa chỉ e-mail", "E-mail address")}</label>'
        f"{email_error}"
        f'<input id="email" type="email" name="email" autocomplete="email" required '
        f'maxlength="254" value="{html.escape(str(values.get("email", "")))}"'
        f"{' aria-describedby=email-error' if email_error else ''}>"
        f'<fieldset id="frequency"><legend><strong>{_t(english, "Bao lâu một thư", "How often")}'
        f"</strong></legend>{frequency_error}{radios}</fieldset>"
        f'<p><button type="submit">{_t(english, "Theo dõi", "Follow")}</button></p></form>'
    )


__all__ = ["make_subscription_router"]
