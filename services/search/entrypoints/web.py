"""The public face: portal page, record page, widget, embed, OpenSearch, visit counters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from services.search.cite import CiteFormat
from services.search.domain import LOCAL_TZ
from services.search.entrypoints import guide
from services.search.entrypoints.dependencies import Web, WebPorts
from services.search.feeds import feed_path, follow_url
from services.search.handlers import count_results_page, did_you_mean
from services.search.ports import (
    MAX_DAYS,
    SOURCES,
    DaySearches,
    Facets,
    SearchQuery,
    SearchResult,
    VisitStats,
)
from services.search.web import seo, views
from services.search.web.i18n import Translator
from services.search.web.pages import remember_language, translator
from services.search.work import Citable
from shared.config import Settings
from shared.http import error_responses, installed
from shared.logging import get_logger
from shared.records import Record, RecordStatus

log = get_logger("search.web")

EMBED_PER_PAGE = 5
PUBLIC_CACHE = "public, max-age=300"


def visitor_identity(request: Request) -> str:
    """What tells browsers apart for the 'online' count: IP and user agent (hashed later)."""
    host = request.client.host if request.client else "-"
    return f"{host}|{request.headers.get('user-agent', '')[:300]}"


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def _local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def public_base(settings: Settings) -> str:
    """The configured public URL, never the request's Host: a forged Host must not reach
    cached pages, the OpenSearch description or the widget code."""
    return settings.stinet_public_url.rstrip("/")


class SearchesPerDay(BaseModel):
    days: list[DaySearches]


class _Pages:
    """Renders the HTML pages; the routes only count the visit and delegate here."""

    def __init__(self, ports: WebPorts) -> None:
        self.ports = ports
        self.env = ports.files.env
        self.analytics = ports.analytics
        self.notify_url = ports.settings.notify_public_base
        self.asset_version = ports.files.asset_version
        self.visits = ports.visits
        self.index = ports.index

    async def _common(
        self, request: Request, t: Translator, state: views.QueryState
    ) -> dict[str, Any]:
        names = await self.ports.names.get(self.ports.members)

        def member_label(code: str) -> str:
            entry = names.get(code)
            if not entry:
                return code
            return (entry.get("name_en") if t.english else None) or entry.get("name") or code

        stats: VisitStats | None
        try:
            stats = await self.visits.stats()
        except PyMongoError as exc:  # the counters are decoration: the page renders without
            log.warning("visit_stats_unavailable", error=type(exc).__name__)
            stats = None
        suffix = f"?lang={t.chosen}" if t.chosen else ""
        return {
            "t": t,
            "base": "",
            "asset_version": self.asset_version,
            "lang_switch": state.with_lang("vi" if t.english else "en"),
            "visits": stats,
            "member_label": member_label,
            "member_of": views.member_of,
            "mark": views.mark_highlight,
            "record_href": lambda rid: views.record_path(rid) + suffix,
            "member_href": lambda code: "/?" + urlencode([("member", code), *_lang(t)]),
            "subject_href": lambda s: "/?" + urlencode([("subject", s), *_lang(t)]),
            "local_time": _local_time,
            "holding": lambda other: _holding(other, member_label, t),
        }

    async def search_page(self, request: Request, *, template: str, path: str) -> HTMLResponse:
        t = translator(request)
        multi = {k: request.query_params.getlist(k) for k in request.query_params}
        embed = template == "embed.html"
        pinned = multi.get("member", [None])[-1] if embed else None
        if embed and not views.valid_member_code(pinned):
            pinned = None
        if embed and "per_page" not in multi:
            multi["per_page"] = [str(EMBED_PER_PAGE)]
        state = views.QueryState(multi, path=path, lang=t.chosen)
        context = await self._common(request, t, state)
        status = 200
        error = None
        try:
            query = views.parse_search_params(multi, member=pinned)
        except views.QueryError as exc:
            error, status = exc.details, 400
            query = SearchQuery(q=str(multi.get("q", [""])[-1])[:500])
        result = SearchResult(total=0, hits=[], facets=Facets())
        searched = error is None and (not embed or query.q or _has_filters(state, pinned))
        if searched:
            result = await self.index.search(query)
            if query.q.strip():
                self.visits.record_search()
        sid = (
            count_results_page(query, result, analytics=self.analytics)
            if searched and self.analytics is not None
            else None
        )
        suggestion = (
            await did_you_mean(query.q, result.total, index=self.index) if searched else None
        )
        context.update(
            query=query,
            result=result,
            error=error,
            pages=views.pagination(state, result, query),
            form_action=path,
            show_sort=not embed,
            hidden_filters=_hidden_filters(state, pinned, embed),
            member_filter=pinned,
            has_filters=_has_filters(state, pinned),
            clear_href=path
            + ("?" + urlencode(_lang(t) + _pinned(pinned)) if t.chosen or pinned else ""),
            facet_groups=_facet_groups(state, result, t, context["member_label"]),
            link_target="_blank" if embed else None,
            portal_href="/?" + urlencode([(k, v) for k, v in state.items if k != "per_page"]),
            feed_href=feed_path(query, t.chosen),
            follow_href=follow_url(self.notify_url, query, t.chosen),
            record_href=lambda rid: _record_link(rid, t, sid),
            suggestion=suggestion,
            suggestion_href=_suggestion_href(state, suggestion),
        )
        headers = {"Content-Language": t.lang, "Vary": "Cookie"}
        if embed:
            headers["Content-Security-Policy"] = "frame-ancestors *"
        else:
            headers["X-Frame-Options"] = "SAMEORIGIN"
        body = self.env.get_template(template).render(context)
        response = HTMLResponse(body, status_code=status, headers=headers)
        remember_language(request, response)
        return response

    async def record_page(self, request: Request, record_id: str, *, base: str) -> HTMLResponse:
        t = translator(request)
        state = views.QueryState({}, path=views.record_path(record_id), lang=t.chosen)
        context = await self._common(request, t, state)
        record = await self.index.get(record_id) if len(record_id) <= 300 else None
        opened_from = request.query_params.get("from")
        if self.analytics is not None and record is not None and opened_from:
            self.analytics.record_open(opened_from, record.member)
        context.update(
            record=record,
            safe_url=_safe_url(record.url) if record else None,
            back_href="/" + (f"?lang={t.chosen}" if t.chosen else ""),
            seo=_record_meta(record, context["member_label"], base=base, t=t),
            cite_links=_cite_links(record_id) if record else [],
        )
        body = self.env.get_template("record.html").render(context)
        status = 404 if record is None else 410 if record.status is RecordStatus.WITHDRAWN else 200
        response = HTMLResponse(
            body,
            status_code=status,
            headers={"Content-Language": t.lang, "Vary": "Cookie", "X-Frame-Options": "SAMEORIGIN"},
        )
        remember_language(request, response)
        return response


def _record_meta(
    record: Record | None, member_label: Callable[[str], str], *, base: str, t: Translator
) -> seo.PageMeta | None:
    """The machine-readable head of an active record's page (none for withdrawn or missing)."""
    if record is None or record.status is RecordStatus.WITHDRAWN:
        return None
    item = Citable(
        record=record,
        landing_url=seo.canonical_url(base, record.id),
        member_name=member_label(record.member),
    )
    return seo.page_meta(item, base=base, site_name=t("site_title"), english=t.english)


def _cite_links(record_id: str) -> list[views.Link]:
    """ "Trích dẫn: BibTeX · RIS · CSL-JSON": downloads of the record's citation."""
    path = "/v1" + views.record_path(record_id) + "/cite?format="
    return [
        views.Link(label=label, href=path + fmt.value, value=fmt.value)
        for fmt, label in (
            (CiteFormat.BIBTEX, "BibTeX"),
            (CiteFormat.RIS, "RIS"),
            (CiteFormat.CSL_JSON, "CSL-JSON"),
        )
    ]


def _holding(other: str, member_label: Callable[[str], str], t: Translator) -> views.Link:
    """Another holding of the same work: a record id links its page, a member code its search."""
    if ":" in other:
        href = views.record_path(other) + (f"?lang={t.chosen}" if t.chosen else "")
        return views.Link(label=member_label(views.member_of(other)), href=href, value=other)
    href = "/?" + urlencode([("member", other), *_lang(t)])
    return views.Link(label=member_label(other), href=href, value="")


def _suggestion_href(state: views.QueryState, suggestion: str | None) -> str | None:
    """The same search (filters, language) with the suggested words instead."""
    return state.href(drop=("q",), add=[("q", suggestion)]) if suggestion else None


def _record_link(record_id: str, t: Translator, sid: str | None) -> str:
    """A result's link: the record page, the language, and the search it was found by."""
    params = [*_lang(t), *([("from", sid)] if sid else [])]
    return views.record_path(record_id) + ("?" + urlencode(params) if params else "")


def _lang(t: Translator) -> list[tuple[str, str]]:
    return [("lang", t.chosen)] if t.chosen else []


def _pinned(member: str | None) -> list[tuple[str, str]]:
    return [("member", member)] if member else []


def _has_filters(state: views.QueryState, pinned: str | None) -> bool:
    names = ("kind", "member", "subject", "language", "year_from", "year_to")
    return any(state.values(n) for n in names if not (n == "member" and pinned))


def _hidden_filters(
    state: views.QueryState, pinned: str | None, embed: bool
) -> list[tuple[str, str]]:
    """Filters a new search from the form keeps (the pinned member of an embed, always)."""
    if embed:
        return _pinned(pinned) + [("per_page", v) for v in state.values("per_page")[-1:]]
    return []


def _facet_groups(
    state: views.QueryState,
    result: SearchResult,
    t: Translator,
    member_label: Callable[[str], str],
) -> list[dict[str, Any]]:
    facets = result.facets
    return [
        {
            "name": "kind",
            "title": t("facet_kind"),
            "links": views.facet_links(state, "kind", facets.kind, label=t.kind),
        },
        {
            "name": "member",
            "title": t("facet_member"),
            "links": views.facet_links(state, "member", facets.member, label=member_label),
        },
        {"name": "year", "title": t("facet_year"), "links": views.year_links(state, facets.year)},
        {
            "name": "language",
            "title": t("facet_language"),
            "links": views.facet_links(state, "language", facets.language, label=t.language),
        },
        {
            "name": "subject",
            "title": t("facet_subject"),
            "links": views.facet_links(state, "subject", facets.subject, limit=8),
        },
    ]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The visit counter (and the search analytics, when given) write while the app runs."""
    ports = installed(app, WebPorts)
    await ports.visits.start()
    if ports.analytics is not None:
        await ports.analytics.start()
    try:
        yield
    finally:
        if ports.analytics is not None:
            await ports.analytics.stop()
        await ports.visits.stop()


# Routes for people: the portal, record pages, the embed, the widget, OpenSearch, visits.
router = APIRouter(tags=["portal"], lifespan=lifespan)


async def _pages(ports: Web) -> _Pages:  # async: no thread hop (shared.http.port)
    return _Pages(ports)


Pages = Annotated[_Pages, Depends(_pages)]


@router.get("/", response_class=HTMLResponse)
async def portal(request: Request, ports: Web, pages: Pages) -> HTMLResponse:
    """The network's search page (Vietnamese; ``?lang=en`` for English); works without JS."""
    ports.visits.record(visitor_identity(request), "portal")
    return await pages.search_page(request, template="portal.html", path="/")


@router.get("/embed", response_class=HTMLResponse)
async def embed(request: Request, ports: Web, pages: Pages) -> HTMLResponse:
    """The iframe form of the search, compact; ``?member=vmu`` limits it to one member."""
    ports.visits.record(visitor_identity(request), "embed")
    return await pages.search_page(request, template="embed.html", path="/embed")


@router.get("/records/{record_id:path}", response_class=HTMLResponse)
async def record_page(request: Request, record_id: str, ports: Web, pages: Pages) -> HTMLResponse:
    """One record with its holdings ("also held by")."""
    ports.visits.record(visitor_identity(request), "record")
    return await pages.record_page(request, record_id, base=public_base(ports.settings))


@router.get("/widget.js", include_in_schema=False)
async def widget_js(request: Request, ports: Web) -> Response:
    """The script member websites include to get the search box and results."""
    etag = ports.files.widget_etag
    headers = {
        "Cache-Control": PUBLIC_CACHE,
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(
        ports.files.widget, media_type="text/javascript; charset=utf-8", headers=headers
    )


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str, ports: Web) -> Response:
    """CSS, JS and icon of the pages (a fixed list: no file system access by name)."""
    if name not in ports.files.static:
        return Response(status_code=404)
    body, media, _ = ports.files.static[name]
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/opensearch.xml", include_in_schema=False)
async def opensearch(request: Request, ports: Web) -> Response:
    """OpenSearch 1.1 description: add the network's search to a browser."""
    body = ports.files.env.get_template("opensearch.xml").render(
        base=public_base(ports.settings),
        short_name="Tra cứu KHCN HP",
        description="Tra cứu chỉ dẫn chung — Mạng lưới thông tin KH&CN Hải Phòng",
    )
    return Response(
        body,
        media_type="application/opensearchdescription+xml; charset=utf-8",
        headers={"Cache-Control": PUBLIC_CACHE, "Access-Control-Allow-Origin": "*"},
    )


@router.get("/opensearch/suggest", include_in_schema=False)
async def opensearch_suggest(
    ports: Web, q: Annotated[str, Query(max_length=100)] = ""
) -> JSONResponse:
    """Suggestions in the OpenSearch format browsers read: ``[query, [completions]]``."""
    suggestions = await ports.index.suggest(q, 8) if q.strip() else []
    return JSONResponse(
        [q, suggestions],
        media_type="application/x-suggestions+json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@router.get("/v1/stats/visits", tags=["stats"])
async def visit_stats(ports: Web) -> JSONResponse:
    """Visit counters as the network's portal shows them: online now, today, total."""
    stats = await ports.visits.stats()
    return JSONResponse(stats.model_dump(), headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/stats/searches",
    tags=["stats"],
    response_model=SearchesPerDay,
    responses=error_responses(422),
)
async def search_stats(
    ports: Web,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="số ngày / how many days")] = 30,
) -> SearchesPerDay:
    """Searches per day (Hai Phong's calendar days, today last), for the centre's charts."""
    return SearchesPerDay(days=await ports.visits.searches_per_day(days))


@router.get("/v1/stats/visits/ping", status_code=204, tags=["stats"])
async def visit_ping(request: Request, ports: Web, source: str = "widget") -> Response:
    """Count one search made through the widget on a member's website."""
    ports.visits.record(visitor_identity(request), source if source in SOURCES else "widget")
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


router.include_router(guide.router)


__all__: list[Any] = ["public_base", "router", "visitor_identity"]
