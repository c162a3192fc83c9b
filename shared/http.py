"""HTTP plumbing every service shares: the error envelope, request ids, body limits, health
and metrics.

Errors are JSON ``{"error": {"code", "message", "details"}}`` (docs/operators/README.md §12).
Messages are Vietnamese unless the caller asks for English (``?lang=en`` or ``Accept-Language:
en``).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, cast
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, BeforeValidator, Field
from pymongo.errors import ConnectionFailure
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.config import Settings
from shared.errors import OUTAGE_RETRY_SECONDS, STATUS_CODES, Refusal
from shared.validation import field_message

log = structlog.get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]

HTTP_REQUESTS = Counter(
    "stinet_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "stinet_http_request_seconds", "HTTP request latency", ["service", "route"]
)

_DEFAULT_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    401: ("Thiếu hoặc sai khoá truy cập", "Missing or invalid key"),
    403: ("Không có quyền thực hiện thao tác này", "Not allowed"),
    404: ("Không tìm thấy", "Not found"),
    405: ("Phương thức không được hỗ trợ", "Method not allowed"),
    413: ("Yêu cầu quá lớn", "Request too large"),
    422: ("Dữ liệu không hợp lệ", "Invalid data"),
    503: ("Dịch vụ tạm thời không sẵn sàng, vui lòng thử lại sau", "Temporarily unavailable"),
}


def wants_english(request: Request) -> bool:
    if request.query_params.get("lang") == "en":
        return True
    if request.query_params.get("lang") == "vi":
        return False
    accept = request.headers.get("accept-language", "")
    return accept.lower().startswith("en")


# Paging beyond this is refused (422) rather than reaching MongoDB's 64-bit skip (a 500).
MAX_OFFSET = 10_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="bỏ qua / skip")]

_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_moment(value: object) -> object:
    """An ISO 8601 moment only: pydantic's lax mode would read "0.5" as a Unix timestamp."""
    if isinstance(value, str) and not _ISO_MOMENT.match(value):
        raise ValueError("expected an ISO 8601 date-time such as 2026-12-02T08:00:00Z")
    return value


# A query parameter's moment, declared as format date-time and held to it.
Moment = Annotated[datetime, BeforeValidator(_iso_moment)]


# The HTTP name of the shared error family: routes raise it, as use cases raise ``Refusal``.
ApiError = Refusal


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` declaring ``statuses`` with the error envelope as their schema."""
    return {
        status: {"model": ErrorEnvelope, "description": _DEFAULT_MESSAGES.get(status, ("", ""))[1]}
        for status in statuses
    }


def field_errors(
    errors: Sequence[Mapping[str, Any]], *, english: bool = False
) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"loc", "msg", "type"}]`` without echoing the input back; the
    message Vietnamese first (``Thiếu trường bắt buộc / Field required``) unless English."""
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")) if english else field_message(e),
            "type": e.get("type"),
        }
        for e in errors
    ]


def store_unavailable(request: Request) -> JSONResponse:
    """503 + Retry-After: the database did not answer, nothing was changed, retry later."""
    vi, en = (
        "Kho dữ liệu tạm thời không sẵn sàng: chưa nhận dữ liệu nào. Vui lòng gửi lại sau.",
        "The store is temporarily unavailable: nothing was accepted. Please retry later.",
    )
    message = en if wants_english(request) else vi
    headers = {"Retry-After": str(OUTAGE_RETRY_SECONDS)}
    return error_response(503, "unavailable", message, None, headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the JSON envelope; nothing a caller sends yields a 500 body leak."""

    @app.exception_handler(ConnectionFailure)
    async def _store_down(request: Request, exc: ConnectionFailure) -> JSONResponse:
        # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError: an outage, not a bug.
        log.warning("store_unavailable", error=type(exc).__name__, path=request.url.path)
        return store_unavailable(request)

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, exc: Refusal) -> JSONResponse:
        return error_response(
            exc.status, exc.code, exc.message(wants_english(request)), exc.details, exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        english = wants_english(request)
        vi, en = _DEFAULT_MESSAGES[422]
        details = field_errors(exc.errors(), english=english)
        return error_response(422, "validation_error", en if english else vi, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyTooLarge):
            return body_too_large(exc.limit, english=wants_english(request))
        vi, en = _DEFAULT_MESSAGES.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        message = en if wants_english(request) else vi
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return error_response(
            exc.status_code,
            STATUS_CODES.get(exc.status_code, "error"),
            message,
            None if isinstance(exc.detail, str) else exc.detail,
            headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        message = "Lỗi máy chủ" if not wants_english(request) else "Internal error"
        return error_response(500, "internal_error", message)


def allowed_methods(app: ASGIApp, scope: Scope) -> list[str]:
    """Every method some route of ``app`` answers at the request's path.

    Starlette's ``Allow`` names only the first route matching the path, though routes
    sharing a path (``GET`` and ``DELETE /v1/records/{id}``) are separate routes.
    """
    methods: set[str] = set()
    for route in getattr(app, "routes", ()):
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


class ErrorBody(BaseModel):
    """What went wrong: a stable ``code``, a message in the caller's language, field details."""

    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """Every error answer (docs/operators/README.md §12): ``{"error": {"code", "message",
    "details"}}``."""

    error: ErrorBody


_ERROR_REF = "#/components/schemas/ErrorEnvelope"
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Thân yêu cầu không đọc được / the body cannot be read",
    401: "Thiếu hoặc sai khoá, phiên / missing or invalid key or session",
    403: "Không có quyền / not allowed",
    404: "Không tìm thấy / not found",
    413: "Thân yêu cầu quá lớn / the body is too large",
    415: "Kiểu nội dung không hỗ trợ / unsupported content type",
    422: "Dữ liệu không hợp lệ (chi tiết theo trường) / invalid data (per field)",
    503: "Tạm thời không sẵn sàng: thử lại sau Retry-After / unavailable: retry after Retry-After",
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}},
    503: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}},
}


def error_statuses(operation: Mapping[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from what it is: authenticated (401,
    403, and 429 after too many wrong credentials from one address), takes a body (400, 413,
    415, 422), takes parameters (422), names something by its
    path (404); and 503, since any route may find the store, the broker or the revocation
    list unavailable."""
    statuses = {503}
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        statuses |= {401, 403, 429}
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if parameters:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    return statuses


def _is_page(responses: Mapping[str, Any]) -> bool:
    """A page for people (its success is HTML) answers its own errors as pages too."""
    success = [r for k, r in responses.items() if k.startswith("2")]
    return bool(success) and all(set(r.get("content", {})) == {"text/html"} for r in success)


def _declare_errors(operation: dict[str, Any], also: frozenset[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    page = _is_page(responses)
    for status in sorted(error_statuses(operation) | also):
        responses.setdefault(str(status), {"description": _ERROR_DESCRIPTIONS.get(status, "")})
    for key, response in responses.items():
        if not (key.isdigit() and int(key) >= 400):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        # FastAPI's own 422 shape is never sent: our handler answers with the envelope.
        if not response.get("content") or "HTTPValidationError" in schema.get("$ref", ""):
            response["content"] = {"application/json": {"schema": {"$ref": _ERROR_REF}}}
            if page:
                response["content"]["text/html"] = {"schema": {"type": "string"}}
        if int(key) in _ERROR_HEADERS:
            response.setdefault("headers", _ERROR_HEADERS[int(key)])


def _lift_body_definitions(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    # A body declared by hand (:func:`json_body`) carries its models' definitions inline.
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schemas.update(media.get("schema", {}).pop("$defs", {}))


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself (to answer with its
    own messages): the OpenAPI still says which body it takes."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}
    }


def declare_error_responses(
    openapi: dict[str, Any], also: frozenset[int] = frozenset()
) -> dict[str, Any]:
    """Declare in ``openapi`` every error status each operation can answer (see
    :func:`error_statuses`, and ``also`` for all: a limit on every request answers 429),
    with :class:`ErrorEnvelope` as its schema; a route's own ``responses=`` adds what is
    special to it (409, 429 …) and keeps its descriptions."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for operations in openapi.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                _declare_errors(operation, also)
                _lift_body_definitions(operation, schemas)
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(envelope.pop("$defs", {}))
    schemas["ErrorEnvelope"] = envelope
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return openapi


def install_error_responses(app: FastAPI, also: frozenset[int] = frozenset()) -> None:
    """Make ``app``'s OpenAPI declare its error answers (routes added later included: the
    document is built on first request)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_error_responses(build(), also)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class RequestContextMiddleware:
    """Pure ASGI (no per-request task, unlike ``@app.middleware``): a request id bound to
    every log line and echoed as ``X-Request-ID``; request counts and latency by route."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, route).observe(time.perf_counter() - started)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if 0 < len(candidate) <= 128 and candidate.isprintable():
                return candidate
            break
    return uuid.uuid4().hex


# Bodies of the routes that declare no limit (``body_limit``): JSON of members, links, forms.
DEFAULT_MAX_BODY_BYTES = 2**20
MAX_BODY_EXTRA = "x-max-body-bytes"


def body_limit(max_bytes: int) -> dict[str, Any]:
    """A route's ``openapi_extra``: its body holds at most ``max_bytes`` (shown in OpenAPI)."""
    return {MAX_BODY_EXTRA: max_bytes}


class BodyTooLarge(StarletteHTTPException):
    """The body passed its limit while it was being read (a body without Content-Length)."""

    def __init__(self, limit: int) -> None:
        # Starlette types ``detail`` as text; the error handler passes a mapping on as details.
        super().__init__(413, detail={"max_bytes": limit})  # type: ignore[arg-type]
        self.limit = limit


def _size(limit: int) -> str:
    if limit >= 2**20 and limit % 2**20 == 0:
        return f"{limit // 2**20} MB"
    return f"{limit / 1024:g} KB"


def body_too_large(limit: int, *, english: bool) -> JSONResponse:
    """The 413 envelope: how large a body may be, in words and as ``details.max_bytes``."""
    message = (
        f"Request too large: at most {_size(limit)} per request. Split it."
        if english
        else f"Yêu cầu quá lớn: tối đa {_size(limit)} mỗi yêu cầu. Hãy chia nhỏ."
    )
    return error_response(413, "payload_too_large", message, {"max_bytes": limit})


class BodyLimitMiddleware:
    """413 for a body over its route's limit (``body_limit``) or the app's, before anything
    parses it: a declared ``Content-Length`` is refused before the app runs; a body without
    one (chunked) is counted as it arrives and refused once it passes the limit.

    Route limits are read once from the app's OpenAPI document (its public description of
    every route), so a route that declares one must be in the schema.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes: list[tuple[str, re.Pattern[str], int]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_have_body(scope):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, watching)
        except BodyTooLarge:
            if started:  # the app answered before reading all of it: nothing more to say
                raise
            await self._refuse(scope, receive, send, limit)

    def _limit(self, scope: Scope) -> int:
        if self.routes is None:
            self.routes = _declared_limits(scope.get("app"))
        method, path = scope["method"].lower(), scope["path"]
        for route_method, pattern, limit in self.routes:
            if route_method == method and pattern.fullmatch(path):
                return limit
        return self.max_bytes

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        english = wants_english(Request(scope))
        await body_too_large(limit, english=english)(scope, receive, send)


def _declared_limits(app: Any) -> list[tuple[str, re.Pattern[str], int]]:
    if not isinstance(app, FastAPI):
        return []
    found = []
    for path, operations in app.openapi().get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))
        for method, operation in operations.items():
            if isinstance(operation, dict) and MAX_BODY_EXTRA in operation:
                found.append((method, pattern, int(operation[MAX_BODY_EXTRA])))
    return found


def _may_have_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses it; counting covers the rest
    return None


def install_request_context(
    app: FastAPI, service: str, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> None:
    """Bind a request id (``X-Request-ID``, or a new one) to every log line; count requests;
    refuse bodies over their limit (``body_limit`` per route, ``max_body_bytes`` otherwise)."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestContextMiddleware, service=service)


# Well under a probe's timeout (Kubernetes' default is 1 s, compose's healthcheck 30 s): a
# dependency that does not answer in time is "not ready", not a probe that hangs with it.
READINESS_TIMEOUT = 0.8


CheckFailure = Literal["timeout", "error", "down"]


class Readiness(BaseModel):
    """What ``/readyz`` answers, 200 or 503."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]
    failed: dict[str, CheckFailure] | None = Field(
        default=None, description="the checks that failed, and how (only on a 503)"
    )


async def _run_check(check: ReadinessCheck, within: float) -> CheckFailure | None:
    """``None`` when the check passes, else why not (``timeout``, ``error``, ``down``)."""
    try:
        async with asyncio.timeout(within):
            return None if await check() else "down"
    except TimeoutError:
        return "timeout"
    except Exception:  # a failing dependency is a "not ready", not a crash
        return "error"


def health_router(
    checks: Mapping[str, ReadinessCheck],
    *,
    before_metrics: Callable[[], Awaitable[None]] | None = None,
    check_timeout: float = READINESS_TIMEOUT,
) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (every dependency answers), ``/metrics``.

    Every readiness check runs at once, each bounded by ``check_timeout``.
    ``before_metrics`` refreshes gauges that are read on demand (queue depths).
    """
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        response_model=Readiness,
        response_model_exclude_none=True,
        responses={503: {"model": Readiness, "description": "a dependency does not answer"}},
    )
    async def readyz() -> JSONResponse:
        """Broker and store are reachable (503 names the checks that failed, and how)."""
        names = list(checks)
        outcomes = await asyncio.gather(*(_run_check(checks[n], check_timeout) for n in names))
        failed = {name: why for name, why in zip(names, outcomes, strict=True) if why}
        if failed:
            log.warning("not_ready", failed=failed)
        body = Readiness(
            status="not_ready" if failed else "ready",
            checks={name: name not in failed for name in names},
            failed=failed or None,
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503 if failed else 200)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        if before_metrics is not None:
            try:
                await before_metrics()
            except Exception:  # the broker being away must not hide the other metrics
                log.warning("metrics_refresh_failed", exc_info=True)
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
CORS_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def console_origins(settings: Settings) -> list[str]:
    """The console's origins: ``STINET_PUBLIC_URL``'s, and ``STINET_CONSOLE_ORIGINS``."""
    public = urlsplit(settings.stinet_public_url)
    extra = [o.strip().rstrip("/") for o in settings.stinet_console_origins.split(",")]
    return list(dict.fromkeys([f"{public.scheme}://{public.netloc}", *filter(None, extra)]))


class ConsoleCors:
    """CORS for the console's origins only (never ``*``, no cookies: the session travels in
    ``Authorization``). With ``public_get``, other origins may still GET without
    credentials (the search widget on members' sites)."""

    def __init__(self, app: ASGIApp, origins: Sequence[str], public_get: bool = False) -> None:
        self.origins = frozenset(origins)
        self.console = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_HEADERS),
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
        self.public = (
            CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET"]) if public_get else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.public is not None and scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and origin not in self.origins:
                await self.public(scope, receive, send)
                return
        await self.console(scope, receive, send)


def install_cors(app: FastAPI, settings: Settings, *, public_get: bool = False) -> None:
    """Let the console (another port in development) call this service from the browser."""
    app.add_middleware(ConsoleCors, origins=console_origins(settings), public_get=public_get)


PortsT = TypeVar("PortsT")


def install_ports(app: FastAPI, *ports: object) -> None:
    """Put what the routes need on the app, one object per type (a service's
    ``entrypoints/dependencies.py`` declares them): ``create_app`` calls this, a test calls it
    with fakes, and each route receives its ports through :func:`ports_of`."""
    registry: dict[type, object] = getattr(app.state, "ports", {})
    for item in ports:
        registry[type(item)] = item
    app.state.ports = registry


def installed(app: Any, kind: type[PortsT]) -> PortsT:
    """The ``kind`` that :func:`install_ports` put on ``app`` (a lifespan has no request)."""
    found = getattr(app.state, "ports", {}).get(kind)
    if found is None:  # a wiring mistake, found by the first request of any test
        raise RuntimeError(f"install_ports(app, {kind.__name__}(...)) was not called")
    return cast(PortsT, found)


PartT = TypeVar("PartT")


def port(
    kind: type[PortsT], pick: Callable[[PortsT], PartT]
) -> Callable[[Request], Awaitable[PartT]]:
    """A FastAPI dependency giving one part of the installed ``kind``:
    ``Records = Annotated[RecordStore, Depends(port(RoutePorts, lambda p: p.records))]``.

    ``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    thread pool, a thread hop (and GIL hand-over) for every request that reads a port."""

    async def dependency(request: Request) -> PartT:
        return pick(installed(request.app, kind))

    dependency.__name__ = f"port_of_{kind.__name__}"
    return dependency


def ports_of(kind: type[PortsT]) -> Callable[[Request], Awaitable[PortsT]]:
    """A FastAPI dependency giving the ``kind`` that :func:`install_ports` put on the app,
    read per request (a service's ports open in its lifespan, after the routes exist);
    ``async`` for the reason given in :func:`port`."""

    async def dependency(request: Request) -> PortsT:
        return installed(request.app, kind)

    dependency.__name__ = f"ports_of_{kind.__name__}"
    return dependency
