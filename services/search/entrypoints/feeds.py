"""``GET /feeds/search.atom``: any search (its query and filters) as an Atom feed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.search.entrypoints.dependencies import Feed
from services.search.entrypoints.http import ListParam, _values, build_query
from services.search.entrypoints.web import public_base
from services.search.feeds import ATOM_TYPE, FEED_ENTRIES, FeedLinks, render_feed
from services.search.web.pages import translator
from shared.http import error_responses

FEED_CACHE = "public, max-age=300"
FEED_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "Atom 1.0 (RFC 4287), UTF-8",
        "content": {ATOM_TYPE: {"schema": {"type": "string"}}},
    },
    304: {"description": "Không đổi / not modified (If-None-Match)"},
    **error_responses(422),
}


# The Atom feed of a search: the same parameters as ``/v1/search``, newest first.
router = APIRouter(tags=["feeds"])


@router.get(
    "/feeds/search.atom",
    response_class=Response,
    responses=FEED_RESPONSES,
)
async def search_feed(
    request: Request,
    ports: Feed,
    q: Annotated[str, Query(max_length=500)] = "",
    kind: ListParam = None,
    member: ListParam = None,
    subject: ListParam = None,
    language: ListParam = None,
    year_from: int | None = None,
    year_to: int | None = None,
    lang: Annotated[str | None, Query(pattern="^(vi|en)$")] = None,
) -> Response:
    """The newest records a search matches (by when they were added), as Atom 1.0."""
    query = build_query(
        q=q,
        kind=_values(kind),
        member=_values(member),
        subject=_values(subject),
        language=_values(language),
        year_from=year_from,
        year_to=year_to,
        sort="created",
        page=1,
        per_page=FEED_ENTRIES,
    )
    result = await ports.index.search(query)
    t = translator(request)
    names = await ports.names.get(ports.members)

    def member_label(code: str) -> str:
        entry = names.get(code) or {}
        return (entry.get("name_en") if t.english else None) or entry.get("name") or code

    body = render_feed(
        query,
        result.hits,
        links=FeedLinks(base=public_base(ports.settings), lang=t.chosen),
        t=t,
        member_label=member_label,
        # An empty feed's ``updated`` (no entry to date it by) changes once a day, not on
        # every fetch: its ETag holds, and a reader polling it gets 304s.
        now=datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0),
    )
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "Cache-Control": FEED_CACHE,
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
        "Vary": "Cookie",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{ATOM_TYPE}; charset=utf-8", headers=headers)
