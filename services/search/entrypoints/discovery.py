"""Being found and cited: ``/robots.txt``, ``/sitemap.xml``, ``/sitemaps/{n}.xml`` and
``/v1/records/{id}/cite``. Thin: the XML and the citations are built in
``services.search.sitemap`` and ``services.search.cite``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from services.search import sitemap
from services.search.cite import MEDIA_TYPES, CiteFormat, content_disposition, render
from services.search.entrypoints.dependencies import Api, ApiPorts, Sitemap
from services.search.entrypoints.web import public_base
from services.search.web.views import record_path
from services.search.work import Citable
from shared.http import ApiError, error_responses
from shared.records import Record, RecordStatus

SITEMAP_CACHE = "public, max-age=3600"
XML = "application/xml; charset=utf-8"
MAX_SITEMAP_PAGES = 20_000  # 1,000 million records: far beyond one network
MAX_ID_CHARS = 300

FormatParam = Annotated[
    CiteFormat,
    Query(description="bibtex | ris | csl-json", alias="format"),
]


def _xml(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {"application/xml": {}}}}


def citation_responses() -> dict[int | str, dict[str, Any]]:
    """The 200 of a citation in each of its media types (for the OpenAPI)."""
    content: dict[str, Any] = {
        media.split(";")[0]: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()
    }
    csl = MEDIA_TYPES[CiteFormat.CSL_JSON].split(";")[0]
    content[csl] = {"schema": {"type": "array", "items": {"type": "object"}}}
    return {200: {"description": "BibTeX, RIS or CSL-JSON (UTF-8)", "content": content}}


# ``/robots.txt``, the sitemap index and its pages of live record pages.
sitemap_router = APIRouter(tags=["discovery"])


@sitemap_router.get("/robots.txt", response_class=PlainTextResponse)
async def robots(request: Request, ports: Sitemap) -> PlainTextResponse:
    """What crawlers may read, and where the sitemap is."""
    body = sitemap.robots_txt(public_base(ports.settings))
    return PlainTextResponse(body, headers={"Cache-Control": SITEMAP_CACHE})


@sitemap_router.get("/sitemap.xml", response_class=Response, responses=_xml("sitemap index"))
async def sitemap_index(request: Request, ports: Sitemap) -> Response:
    """The sitemap index: one page per 50,000 live records."""
    pages = sitemap.page_count(await ports.live.live_count())
    body = sitemap.index_document(public_base(ports.settings), pages)
    return Response(body, media_type=XML, headers={"Cache-Control": SITEMAP_CACHE})


@sitemap_router.get(
    "/sitemaps/{number}.xml",
    response_class=StreamingResponse,
    responses={**_xml("one page of the sitemap"), **error_responses(404, 422)},
)
async def sitemap_page(
    request: Request,
    number: Annotated[int, Path(ge=1, le=MAX_SITEMAP_PAGES, description="trang / page")],
    ports: Sitemap,
) -> StreamingResponse:
    """Live record pages ``(number-1)*50,000`` on, with ``lastmod``; written as read."""
    live = ports.live
    if number > sitemap.page_count(await live.live_count()):
        raise ApiError(404, "Không có trang sơ đồ này", "No such sitemap page")
    entries = live.live_entries(offset=sitemap.page_offset(number), limit=sitemap.URLS_PER_PAGE)
    return StreamingResponse(
        sitemap.urlset(public_base(ports.settings), entries),
        media_type=XML,
        headers={"Cache-Control": SITEMAP_CACHE},
    )


async def citation_response(
    ports: ApiPorts, records: list[Record], fmt: CiteFormat, *, stem: str
) -> Response:
    """``records`` as a citation download (member names from the directory)."""
    base = public_base(ports.settings)
    names = await ports.members.names()
    items = [
        Citable(
            record=r,
            landing_url=base + record_path(r.id),
            member_name=names.get(r.member, {}).get("name") or r.member,
        )
        for r in records
    ]
    return Response(
        render(fmt, items),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": content_disposition(stem, fmt),
            "Cache-Control": "public, max-age=300",
        },
    )


# ``GET /v1/records/{id}/cite``; include it before ``http.router`` (its ``/v1/records/{id}``).
cite_router = APIRouter(prefix="/v1", tags=["search"])


@cite_router.get(
    "/records/{record_id:path}/cite",
    response_class=Response,
    responses={**citation_responses(), **error_responses(404, 410, 422)},
)
async def cite(request: Request, record_id: str, fmt: FormatParam, ports: Api) -> Response:
    """One record as BibTeX, RIS or CSL-JSON, to download (404 unknown, 410 withdrawn)."""
    found = await ports.index.get(record_id) if len(record_id) <= MAX_ID_CHARS else None
    if found is None:
        raise ApiError(404, "Không tìm thấy tài nguyên", "Record not found")
    if found.status is RecordStatus.WITHDRAWN:
        raise ApiError(410, "Tài nguyên đã được thu hồi", "The record was withdrawn", code="gone")
    return await citation_response(ports, [found], fmt, stem=found.id)
