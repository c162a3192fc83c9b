"""The search JSON API: ``/v1/search``, ``/v1/suggest``, ``/v1/records/{id}``, rebuild admin."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from services.search.cite import CiteFormat
from services.search.entrypoints.dependencies import Api
from services.search.entrypoints.discovery import citation_response, citation_responses
from services.search.handlers import count_results_page, did_you_mean
from services.search.ports import MAX_PAGE, SearchQuery
from shared.audit import Audited
from shared.auth import CentreCaller, centre_caller
from shared.http import ApiError, Moment, field_errors
from shared.records import MEMBER_CODE_PATTERN

_MEMBER = re.compile(MEMBER_CODE_PATTERN)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_FILTER_VALUES = 20
MAX_SUGGEST = 20

ListParam = Annotated[list[str] | None, Query()]
CreatedSince = Annotated[
    Moment | None,
    Query(
        description="thêm vào từ thời điểm này / added at or after this instant (ISO, with zone)"
    ),
]
CreatedBefore = Annotated[
    Moment | None,
    Query(description="thêm vào trước thời điểm này / added before this instant (ISO, with zone)"),
]


def _values(raw: list[str] | None) -> list[str]:
    """Repeated parameters and comma-separated lists both work: ``kind=a&kind=b``, ``kind=a,b``."""
    out: list[str] = []
    for item in raw or []:
        out.extend(v.strip() for v in item.split(",") if v.strip())
    return list(dict.fromkeys(out))


def _invalid(details: list[dict[str, Any]]) -> ApiError:
    return ApiError(
        422,
        "Tham số tìm kiếm không hợp lệ",
        "Invalid search parameters",
        code="validation_error",
        details=details,
    )


def _check_filters(member: list[str], language: list[str], subject: list[str]) -> None:
    details: list[dict[str, Any]] = []
    for name, values in (("member", member), ("language", language), ("subject", subject)):
        if len(values) > MAX_FILTER_VALUES:
            details.append(
                {
                    "loc": ["query", name],
                    "msg": f"at most {MAX_FILTER_VALUES} values",
                    "type": "too_long",
                }
            )
    details += [
        {"loc": ["query", "member"], "msg": "not a member code", "type": "pattern"}
        for v in member
        if not _MEMBER.match(v)
    ][:1]
    details += [
        {"loc": ["query", "language"], "msg": "not an ISO 639-1 code", "type": "pattern"}
        for v in language
        if not _LANGUAGE.match(v.lower())
    ][:1]
    details += [
        {"loc": ["query", "subject"], "msg": "at most 200 characters", "type": "too_long"}
        for v in subject
        if len(v) > 200
    ][:1]
    if details:
        raise _invalid(details)


def build_query(
    *,
    q: str,
    kind: list[str],
    member: list[str],
    subject: list[str],
    language: list[str],
    year_from: int | None,
    year_to: int | None,
    sort: str,
    page: int,
    per_page: int,
    created_since: datetime | None = None,
    created_before: datetime | None = None,
) -> SearchQuery:
    """Validate raw parameters into a ``SearchQuery``; 422 with field details otherwise."""
    _check_filters(member, language, subject)
    try:
        query = SearchQuery(
            q=q,
            kind=kind,  # type: ignore[arg-type]
            member=member,
            subject=subject,
            language=[v.lower() for v in language],
            year_from=year_from,
            year_to=year_to,
            created_since=created_since,
            created_before=created_before,
            sort=sort,  # type: ignore[arg-type]
            page=page,
            per_page=per_page,
        )
    except ValidationError as exc:
        details = field_errors(exc.errors(include_input=False))
        for d in details:
            d["loc"] = ["query", *[str(p) for p in d["loc"][:1]]]
        raise _invalid(details) from None
    if (
        query.year_from is not None
        and query.year_to is not None
        and query.year_from > query.year_to
    ):
        raise _invalid(
            [{"loc": ["query", "year_from"], "msg": "year_from is after year_to", "type": "range"}]
        )
    return query


def search_responses() -> dict[int | str, dict[str, Any]]:
    """The 200 of a search: JSON, or a citation of the page when ``format=`` is given."""
    cited = citation_responses()[200]
    content = {"application/json": {}, **cited["content"]}
    return {200: {"description": "results, or their citations", "content": content}}


# The ``/v1`` JSON routes of the search service.
router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search", responses=search_responses())
async def search(
    request: Request,
    ports: Api,
    q: Annotated[str, Query(max_length=500)] = "",
    kind: ListParam = None,
    member: ListParam = None,
    subject: ListParam = None,
    language: ListParam = None,
    year_from: int | None = None,
    year_to: int | None = None,
    created_since: CreatedSince = None,
    created_before: CreatedBefore = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    fmt: Annotated[
        CiteFormat | None,
        Query(alias="format", description="bibtex | ris | csl-json: cite this page"),
    ] = None,
) -> Response:
    """Search every member's records (tone-mark-insensitive), with filters and facets;
    ``format=`` gives the page of results as BibTeX, RIS or CSL-JSON instead."""
    started = time.perf_counter()
    query = build_query(
        q=q,
        kind=_values(kind),
        member=_values(member),
        subject=_values(subject),
        language=_values(language),
        year_from=year_from,
        year_to=year_to,
        created_since=created_since,
        created_before=created_before,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    result = await ports.index.search(query)
    if query.q.strip():
        ports.visits.record_search()
    if fmt is not None:
        records = [await ports.index.get(hit.id) for hit in result.hits]
        found = [r for r in records if r is not None]
        return await citation_response(ports, found, fmt, stem="tra-cuu")
    members = await ports.members.names()
    # A saved search's digest (notify) asks for a period: a machine, not a person looking.
    by_person = query.created_since is None and query.created_before is None
    sid = None
    if ports.analytics is not None and by_person:
        sid = count_results_page(query, result, analytics=ports.analytics)
    body = {
        "query": query.q,
        "search_id": sid,
        "suggestion": await did_you_mean(query.q, result.total, index=ports.index),
        "total": result.total,
        # Of a large match set, the total and the facet counts are estimates from a sample.
        "estimated": result.estimated,
        "page": query.page,
        "per_page": query.per_page,
        "pages": min(MAX_PAGE, -(-result.total // query.per_page)),
        "hits": [h.model_dump(mode="json", exclude={"score"}) for h in result.hits],
        "facets": result.facets.model_dump(mode="json"),
        "member_names": {code: members[code] for code in result.facets.member if code in members},
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return Response(orjson.dumps(body), media_type="application/json")


class Suggestions(BaseModel):
    """What ``/v1/suggest`` answers."""

    query: str
    suggestions: list[str]


@router.get("/suggest", responses={200: {"model": Suggestions}})
async def suggest(
    ports: Api,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGEST)] = 8,
) -> Response:
    """Completions of what the user has typed, from titles and subjects."""
    suggestions = await ports.index.suggest(q, limit) if q.strip() else []
    # Encoded here, not by FastAPI's encoder: this answers every keystroke.
    body = orjson.dumps({"query": q, "suggestions": suggestions})
    return Response(body, media_type="application/json")


@router.get("/records/{record_id:path}")
async def record(record_id: str, ports: Api) -> dict[str, Any]:
    """One indexed record (with holdings), for the portal's record page."""
    found = await ports.index.get(record_id) if len(record_id) <= 200 else None
    if found is None:
        raise ApiError(404, "Không tìm thấy tài nguyên", "Record not found")
    body = found.model_dump(mode="json", exclude_none=True)
    names = await ports.members.names()
    body["member_name"] = names.get(found.member)
    # Holdings are record ids ("hpl:123") from the catalogue (member codes accepted too).
    holders = {h: h.split(":", 1)[0] for h in found.also_held_by}
    body["also_held_by_names"] = {h: names[m] for h, m in holders.items() if m in names}
    return body


_ADMIN = [Depends(centre_caller)]


@router.post("/admin/reindex", dependencies=_ADMIN, status_code=202)
async def reindex(caller: CentreCaller, audit: Audited, ports: Api) -> dict[str, Any]:
    """Rebuild the index from the catalogue; the live index serves until the swap."""
    progress = await ports.rebuilds.start()
    await audit.record(caller, "reindex")
    return progress.as_dict()


@router.get("/admin/reindex", dependencies=_ADMIN)
async def reindex_progress(ports: Api) -> dict[str, Any]:
    """Where the last rebuild stands."""
    return ports.rebuilds.progress.as_dict()
