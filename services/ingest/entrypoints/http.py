"""Ingest's HTTP routes: validate the request, call a use case, shape the response."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from starlette.datastructures import UploadFile

from services.ingest import handlers, templates
from services.ingest.domain import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_RECORDS,
    MAX_RECORDS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    Refusal,
    restore_item,
    withdraw_item,
)
from services.ingest.entrypoints.dependencies import (
    IngestPorts,
    Keys,
    Limiter,
    Members,
    Routes,
    Submissions,
)
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.formats.columns import kind_word
from services.ingest.formats.csvfile import parse_csv
from services.ingest.formats.jsonfile import ndjson_rows, parse_json, records_of
from services.ingest.formats.marc import parse_marc21, parse_marcxml
from services.ingest.formats.sniff import EXTENSIONS, SNIFF_BYTES, choose
from services.ingest.formats.xlsx import parse_xlsx
from services.ingest.ports import StoreUnavailable
from shared.audit import Audited, AuditTrail
from shared.auth import AnyCaller, Caller, CentreCaller, require_member_access
from shared.events import SubmittedItem
from shared.http import (
    Offset,
    body_limit,
    error_responses,
    store_unavailable,
    wants_english,
)
from shared.records import LocalId, MemberCode, Source

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
FORMATS = ("csv", "xlsx", "xls", "ods", "marc", "marcxml", "json")
SPREADSHEETS = ("xlsx", "xls", "ods")


def install_store_down_handler(app: FastAPI) -> None:
    """An unreachable store is a 503 with Retry-After (refusals: ``shared/http.py``)."""

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return store_unavailable(request)


def _too_large(limit: int, what_vi: str, what_en: str) -> Refusal:
    return Refusal(
        413,
        f"Yêu cầu quá lớn: tối đa {limit // 2**20} MB {what_vi}. Hãy chia nhỏ.",
        f"Request too large: at most {limit // 2**20} MB {what_en}. Split it.",
        details={"max_bytes": limit},
    )


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        length = int(raw)
    except ValueError as exc:
        raise Refusal(400, "Content-Length không hợp lệ", "Invalid Content-Length") from exc
    return length


async def read_bounded(request: Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it passes ``limit`` bytes."""
    declared = _declared_length(request)
    too_large = _too_large(
        limit,
        f"và {MAX_RECORDS_PER_REQUEST:,} bản ghi mỗi lần gửi",
        f"and {MAX_RECORDS_PER_REQUEST:,} records per request",
    )
    if declared is not None and declared > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def json_rows(body: bytes, content_type: str) -> Iterator[ParsedRow]:
    """Rows of a ``POST /v1/records`` body: ``{"records": [...]}`` or NDJSON."""
    if content_type.split(";")[0].strip().lower() in NDJSON_TYPES:
        return ndjson_rows(iter(body.splitlines()))
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise Refusal(
            400,
            f'JSON không hợp lệ: {exc}. Thân yêu cầu phải là {{"records": [...]}}.',
            f'Malformed JSON: {exc}. The body must be {{"records": [...]}}.',
        ) from exc
    records = records_of(document)
    if len(records) > MAX_RECORDS_PER_REQUEST:
        raise handlers._too_many(MAX_RECORDS_PER_REQUEST)
    return (ParsedRow(i, raw) for i, raw in enumerate(records))


_ACCEPTED_VI = (
    "MARCXML (.xml, .marcxml, .mrcx), MARC21 (.mrc, .marc, .iso), CSV/TSV (.csv, .tsv, .txt), "
    "bảng tính (.xlsx, .xls, .ods), JSON/NDJSON (.json, .ndjson, .jsonl)"
)
_ACCEPTED_EN = (
    "MARCXML (.xml, .marcxml, .mrcx), MARC21 (.mrc, .marc, .iso), CSV/TSV (.csv, .tsv, .txt), "
    "spreadsheets (.xlsx, .xls, .ods), JSON/NDJSON (.json, .ndjson, .jsonl)"
)


def _format_of(upload: UploadFile, declared: str | None) -> str:
    """The declared format, else what the name and the first bytes say (content first)."""
    if declared:
        if declared not in FORMATS:
            raise Refusal(
                422,
                f"Định dạng '{declared}' không hỗ trợ; chọn một trong: {', '.join(FORMATS)}.",
                f"Unknown format '{declared}'; use one of: {', '.join(FORMATS)}.",
            )
        return declared
    head = upload.file.read(SNIFF_BYTES)
    upload.file.seek(0)
    fmt = choose(upload.filename or "", head)
    if fmt is None:
        raise Refusal(
            415,
            f"Không nhận ra loại tệp. Các loại được nhận: {_ACCEPTED_VI} — hoặc ghi rõ "
            "trường 'format'.",
            f"Unrecognised file type. Accepted: {_ACCEPTED_EN} — or give the 'format' field.",
            details={"accepted": sorted(EXTENSIONS), "formats": list(FORMATS)},
        )
    return fmt


SOURCES = {
    "csv": Source.CSV,
    "xlsx": Source.XLSX,
    "xls": Source.XLSX,
    "ods": Source.XLSX,
    "marc": Source.MARC,
    "marcxml": Source.MARC,
    "json": Source.JSON,
}


def file_rows(
    fmt: str, stream: BinaryIO, notes: ImportNotes, *, kind: str | None, encoding: str | None
) -> Iterator[ParsedRow]:
    """The parser of one import format, streaming ``stream``."""
    notes.format = fmt
    if fmt == "csv":
        return parse_csv(stream, notes, encoding=encoding, default_kind=kind)
    if fmt == "marc":
        return parse_marc21(stream, notes, encoding=encoding, default_kind=kind)
    if fmt in SPREADSHEETS:
        return parse_xlsx(stream, notes, default_kind=kind, container=fmt)
    parsers: dict[str, Callable[..., Iterator[ParsedRow]]] = {
        "marcxml": parse_marcxml,
        "json": parse_json,
    }
    return parsers[fmt](stream, notes, default_kind=kind)


# Routes acting for a member (``member_key``): the centre's ``?member=`` may name no member;
# every caller's key has a rate limit.
ACTS_FOR: dict[int | str, dict[str, Any]] = {
    404: {"description": "Không có thành viên này / no such member"},
    429: {"description": "Quá nhiều yêu cầu / too many requests"},
}
RECORDS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["records"],
                    "properties": {
                        "records": {
                            "type": "array",
                            "items": {"type": "object"},
                            "minItems": 1,  # more than 5,000: 413, as for a body too large
                        }
                    },
                }
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string"},
                        "kind": {"type": "string"},
                        "encoding": {"type": "string"},
                    },
                }
            }
        },
    }
}


def file_answer(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


class MemberKeyBody(BaseModel):
    label: str = Field(default="", max_length=200, description="Người giữ khoá / the holder")


class IssueKeyBody(BaseModel):
    label: str = Field(min_length=1, max_length=200, description="Người giữ khoá / the holder")
    role: Literal["member", "centre"]
    member: MemberCode | None = Field(default=None, validate_default=True)

    @field_validator("label")
    @classmethod
    def _label_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Không được để trống / must not be blank")
        return value.strip()

    @field_validator("member")
    @classmethod
    def _member_iff_member_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role == "member" and value is None:
            raise ValueError("Cần mã thành viên cho khoá thành viên / required for role member")
        if role == "centre" and value is not None:
            raise ValueError("Khoá Trung tâm không thuộc thành viên nào / not for role centre")
        return value


class SessionBody(BaseModel):
    key: str = Field(min_length=1, max_length=512, description="Khoá truy cập / access key")


# The public routes of ingest (docs/operators/README.md §12); their ports: ``IngestPorts``
# (dependencies.py).
router = APIRouter()


async def member_key(
    caller: AnyCaller,
    members: Members,
    limiter: Limiter,
    member: Annotated[
        MemberCode | None,
        Query(description="Trung tâm thao tác cho thành viên / the centre acts for"),
    ] = None,
) -> str:
    """The member a request acts for: the caller's own, or the centre's ``?member=``."""
    code = await handlers.acting_member(caller, member, members=members)
    await limiter.take(caller.key_id)
    return code


@dataclass(frozen=True)
class Submitting:
    """What every route that submits records has: the request, who asks, for which member,
    with which idempotency key (``submitting``)."""

    request: Request
    caller: Caller
    audit: AuditTrail
    member: str
    ports: IngestPorts
    idempotency_key: str | None

    async def accept(
        self,
        rows: Iterator[ParsedRow],
        source: Source,
        max_records: int,
        *,
        action: str,
        target: str | None = None,
        notes: ImportNotes | None = None,
    ) -> JSONResponse:
        """Receive a submission's rows; 202 with the receipt once the broker confirmed, the
        call audited as ``action`` on ``target`` (default: the submission)."""
        receipt = await handlers.receive(
            rows,
            member=self.member,
            source=source,
            max_records=max_records,
            notes=notes,
            idempotency_key=self.idempotency_key,
            correlation_id=self.request.state.request_id,
            submissions=self.ports.submissions,
            publisher=self.ports.publisher,
        )
        body = receipt.as_json()
        await self.audit.record(
            self.caller,
            action,
            member=self.member,
            target=target or body["submission_id"],
            details={
                "submission_id": body["submission_id"],
                "source": source.value,
                "accepted": body["accepted"],
                "rejected": body["rejected_count"],
            },
        )
        return JSONResponse(body, status_code=202)

    async def accept_one(self, item: SubmittedItem, action: str, local_id: str) -> JSONResponse:
        """A request about one of the member's records (withdraw, restore)."""
        rows = iter([ParsedRow(0, item)])
        return await self.accept(
            rows, Source.API, 1, action=action, target=f"{self.member}:{local_id}"
        )


async def submitting(
    request: Request,
    caller: AnyCaller,
    audit: Audited,
    member: Annotated[str, Depends(member_key)],
    ports: Routes,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Submitting:
    return Submitting(request, caller, audit, member, ports, idempotency_key)


Submitter = Annotated[Submitting, Depends(submitting)]


@router.post(
    "/v1/records",
    status_code=202,
    tags=["records"],
    responses=ACTS_FOR,
    openapi_extra={**RECORDS_BODY, **body_limit(MAX_REQUEST_BYTES)},
)
async def post_records(submit: Submitter) -> JSONResponse:
    """Submit up to 5,000 records (JSON ``{"records": [...]}`` or NDJSON), at most 10 MB."""
    request = submit.request
    body = await read_bounded(request, MAX_REQUEST_BYTES)
    rows = json_rows(body, request.headers.get("content-type", "application/json"))
    return await submit.accept(
        rows, Source.API, MAX_RECORDS_PER_REQUEST, action="records.submitted"
    )


@router.delete("/v1/records/{local_id}", status_code=202, tags=["records"], responses=ACTS_FOR)
async def withdraw_record(submit: Submitter, local_id: Annotated[LocalId, Path()]) -> JSONResponse:
    """Withdraw one of the caller's own records (a one-item submission)."""
    return await submit.accept_one(withdraw_item(local_id), "record.withdrawn", local_id)


@router.post(
    "/v1/records/{local_id}/restore",
    status_code=202,
    tags=["records"],
    responses={**ACTS_FOR, **error_responses(401, 403, 422, 429, 503)},
)
async def restore_record(submit: Submitter, local_id: Annotated[LocalId, Path()]) -> JSONResponse:
    """Restore one of the caller's withdrawn records (a one-item submission: the
    catalogue makes it active again as a new version; its outcome is ``restored``, or
    ``rejected`` for a record it does not hold)."""
    return await submit.accept_one(restore_item(local_id), "record.restored", local_id)


@router.post(
    "/v1/imports",
    status_code=202,
    tags=["imports"],
    responses={**ACTS_FOR, 411: {"description": "Cần Content-Length / length required"}},
    openapi_extra={**IMPORT_BODY, **body_limit(MAX_IMPORT_BYTES)},
)
async def post_import(submit: Submitter) -> JSONResponse:
    """Import a file (multipart ``file``): MARCXML, MARC21, CSV/TSV, XLSX/XLS/ODS, JSON.

    The type is read from the content when the name and the content disagree.
    """
    upload, fields = await _upload(submit.request)
    try:
        fmt = _format_of(upload, fields.get("format"))
        notes = ImportNotes()
        rows = file_rows(
            fmt,
            upload.file,
            notes,
            kind=kind_word(fields.get("kind")),
            encoding=fields.get("encoding"),
        )
        return await submit.accept(
            rows, SOURCES[fmt], MAX_IMPORT_RECORDS, action="import.started", notes=notes
        )
    finally:
        await upload.close()


@router.get("/v1/imports/template.csv", tags=["imports"], responses=file_answer("text/csv"))
async def template_csv(request: Request) -> Response:
    """A CSV template (UTF-8 with BOM, opens in Excel) with the recognised headers."""
    return Response(
        templates.csv_template(english=wants_english(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="stinet-mau.csv"'},
    )


@router.get("/v1/imports/template.xlsx", tags=["imports"], responses=file_answer(XLSX_TYPE))
async def template_xlsx(request: Request) -> Response:
    """An Excel template with the recognised headers and a sheet of allowed values."""
    return Response(
        templates.xlsx_template(english=wants_english(request)),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="stinet-mau.xlsx"'},
    )


@router.get("/v1/submissions", tags=["submissions"])
async def list_submissions(
    caller: AnyCaller,
    limiter: Limiter,
    submissions: Submissions,
    member: Annotated[MemberCode | None, Query()] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Submissions, newest first: a member's staff see their own, the centre anyone's."""
    if not caller.is_centre:
        await limiter.take(caller.key_id)
    if member is not None:
        require_member_access(caller, member)
    return await handlers.list_submissions(
        member if caller.is_centre else caller.member,
        submissions=submissions,
        offset=offset,
        limit=limit,
    )


@router.get("/v1/submissions/{submission_id}", tags=["submissions"])
async def get_submission(
    caller: AnyCaller,
    limiter: Limiter,
    submissions: Submissions,
    submission_id: Annotated[str, Path(max_length=64)],
    outcome: Annotated[str | None, Query(pattern="^[a-z]+$")] = None,
    warned: Annotated[bool, Query(description="only records stored with warnings")] = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    """State (queued → processing → done), counts and per-record outcomes."""
    if not caller.is_centre:
        await limiter.take(caller.key_id)
    return await handlers.submission_status(
        submission_id,
        member=None if caller.is_centre else caller.member,
        submissions=submissions,
        outcome=outcome,
        warned=warned,
        offset=offset,
        limit=limit,
    )


@router.post("/v1/members/{code}/keys", status_code=201, tags=["keys"])
async def post_key(
    caller: CentreCaller,
    audit: Audited,
    ports: Routes,
    code: Annotated[MemberCode, Path()],
    body: MemberKeyBody | None = None,
) -> dict[str, Any]:
    """Issue a key for a registered member (centre only); the key is shown this once."""
    stored, token = await handlers.issue_key(
        code,
        members=ports.members,
        keys=ports.keys,
        pepper=ports.pepper,
        label=body.label if body else "",
    )
    await _audit_key(audit, caller, "key.issued", stored.listing())
    return {**stored.listing(), "key": token}


@router.get("/v1/members/{code}/keys", tags=["keys"])
async def get_keys(
    _: CentreCaller, keys: Keys, code: Annotated[MemberCode, Path()]
) -> dict[str, Any]:
    """The member's keys by id and creation date (centre only); never the keys themselves."""
    listed = await handlers.list_keys(code, keys=keys)
    return {"member": code, "keys": [k.listing() for k in listed]}


@router.delete("/v1/members/{code}/keys/{key_id}", status_code=204, tags=["keys"])
async def delete_key(
    caller: CentreCaller,
    audit: Audited,
    ports: Routes,
    code: Annotated[MemberCode, Path()],
    key_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Revoke a key (centre only); it and its sessions stop working at once."""
    return await _revoke(code, key_id, caller=caller, audit=audit, ports=ports)


@router.post(
    "/v1/keys",
    status_code=201,
    tags=["keys"],
    responses={404: {"description": "Không có thành viên này / no such member"}},
)
async def issue_person_key(
    caller: CentreCaller, audit: Audited, ports: Routes, body: IssueKeyBody
) -> dict[str, Any]:
    """Issue a key to a person, a member's staff or the centre's (centre only); the
    token is shown this once."""
    stored, token = await handlers.issue_key(
        body.member,
        members=ports.members,
        keys=ports.keys,
        pepper=ports.pepper,
        label=body.label,
        role=body.role,
    )
    await _audit_key(audit, caller, "key.issued", stored.listing())
    return {**_issued(stored.listing()), "token": token}


@router.get("/v1/keys", tags=["keys"])
async def list_person_keys(
    caller: AnyCaller,
    keys: Keys,
    member: Annotated[MemberCode | None, Query()] = None,
) -> dict[str, Any]:
    """Keys with their holders: the centre sees all (or one member's), a member's staff
    their own member's."""
    if member is not None:
        require_member_access(caller, member)
    scope = member if caller.is_centre else caller.member
    listed = await handlers.list_keys(scope, keys=keys)
    return {"keys": [k.listing() for k in listed]}


@router.delete("/v1/keys/{key_id}", status_code=204, tags=["keys"])
async def revoke_person_key(
    caller: CentreCaller, audit: Audited, ports: Routes, key_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """Revoke a key (centre only); it stops working at once, its sessions within a
    minute everywhere."""
    return await _revoke(None, key_id, caller=caller, audit=audit, ports=ports)


async def _revoke(
    member: str | None, key_id: str, *, caller: Caller, audit: AuditTrail, ports: IngestPorts
) -> Response:
    """Revoke (refused here at once, elsewhere once ``key.changed`` arrives) and audit."""
    revoked = await handlers.revoke_key(member, key_id, keys=ports.keys, publisher=ports.publisher)
    ports.authenticator.note_revoked(revoked.key_id)
    await _audit_key(audit, caller, "key.revoked", revoked.listing())
    return Response(status_code=204)


@router.post(
    "/v1/sessions",
    status_code=201,
    tags=["sessions"],
    responses={401: {"description": "Khoá không hợp lệ / invalid key"}},
)
async def open_session(body: SessionBody, audit: Audited, ports: Routes) -> dict[str, Any]:
    """Exchange an access key for a session token (8 h by default) every service accepts."""
    opened = await handlers.open_session(
        body.key, authenticator=ports.authenticator, members=ports.members
    )
    who = opened.caller
    await audit.record(who, "session.opened", member=who.member, target=who.key_id)
    return {
        "token": opened.token,
        **_session(opened.caller, opened.expires_at, opened.member_name),
    }


@router.get("/v1/sessions/current", tags=["sessions"])
async def current_session(caller: AnyCaller, members: Members) -> dict[str, Any]:
    """Who the bearer is and until when (401 once the session expired or was revoked)."""
    name = await handlers.member_name(caller, members=members)
    return _session(caller, caller.expires_at, name)


async def _audit_key(
    audit: AuditTrail, caller: Caller, action: str, listing: dict[str, Any]
) -> None:
    """A key issued or revoked: its id, holder and role (never the key itself)."""
    await audit.record(
        caller,
        action,
        member=listing.get("member"),
        target=listing["key_id"],
        details={"label": listing.get("label"), "role": listing.get("role")},
    )


def _issued(listing: dict[str, Any]) -> dict[str, Any]:
    return {k: listing[k] for k in ("key_id", "label", "role", "member", "created_at")}


def _session(
    caller: Caller, expires_at: datetime | None, member_name: str | None
) -> dict[str, Any]:
    return {
        "expires_at": expires_at.isoformat() if expires_at else None,
        "key_id": caller.key_id,
        "label": caller.label,
        "role": caller.role,
        "member": caller.member,
        "member_name": member_name,
    }


async def _upload(request: Request) -> tuple[UploadFile, dict[str, str]]:
    """The multipart file and text fields, bounded by Content-Length before reading."""
    declared = _declared_length(request)
    if declared is None:
        raise Refusal(
            411,
            "Cần header Content-Length khi tải tệp lên.",
            "Content-Length is required for uploads.",
        )
    if declared > MAX_IMPORT_BYTES:
        raise _too_large(MAX_IMPORT_BYTES, "mỗi tệp", "per file")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(
            415,
            "Hãy gửi tệp dạng multipart/form-data, trường 'file' (curl -F file=@tep.csv).",
            "Send the file as multipart/form-data, field 'file' (curl -F file=@file.csv).",
        )
    form = await request.form(max_files=1, max_fields=10, max_part_size=64 * 1024)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Refusal(
            422,
            "Thiếu trường tệp 'file'.",
            "The 'file' field is missing.",
            details=[{"loc": ["file"], "msg": "required"}],
        )
    fields = {k: v for k, v in form.items() if isinstance(v, str) and v.strip()}
    return upload, {k: v.strip() for k, v in fields.items()}
