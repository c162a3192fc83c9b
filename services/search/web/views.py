"""View helpers for the public pages: query strings in, safe markup and links out.

No I/O here: the router reads the request and the index, these functions shape what the
templates show.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape
from pydantic import ValidationError

from services.search.ports import MAX_PAGE, SearchQuery, SearchResult
from shared.http import field_errors
from shared.records import MEMBER_CODE_PATTERN

LIST_PARAMS = ("kind", "member", "subject", "language")
SCALAR_PARAMS = ("q", "year_from", "year_to", "sort", "page", "per_page")
MAX_VALUES_PER_FILTER = 20
DEFAULT_PER_PAGE = 20
FACET_LIMIT = 12

# Engines mark matched words with tags around HTML-escaped text (``<mark>`` for ours, the
# usual alternatives for others); everything else is text and is escaped again here.
_MARK = re.compile(r"(</?(?:mark|em|b|strong)>)")
_MEMBER_CODE = re.compile(MEMBER_CODE_PATTERN)


class QueryError(ValueError):
    """The query string cannot become a ``SearchQuery``; ``details`` says which field."""

    def __init__(self, details: list[dict[str, object]]) -> None:
        super().__init__("invalid search parameters")
        self.details = details


def parse_search_params(
    multi: Mapping[str, Sequence[str]],
    *,
    member: str | None = None,
) -> SearchQuery:
    """Build a validated ``SearchQuery`` from query-string values (``multi`` = all values).

    ``member`` pins the member filter (the embed of one member's site).
    """
    raw: dict[str, object] = {}
    for name in SCALAR_PARAMS:
        values = [v for v in multi.get(name, ()) if v != ""]
        if values:
            raw[name] = values[-1]
    for name in LIST_PARAMS:
        values = [v.strip() for v in multi.get(name, ()) if v.strip()]
        if len(values) > MAX_VALUES_PER_FILTER:
            raise QueryError(
                [{"loc": ["query", name], "msg": "too many values", "type": "too_long"}]
            )
        if values:
            raw[name] = list(dict.fromkeys(values))
    if member is not None:
        raw["member"] = [member]
    try:
        query = SearchQuery.model_validate(raw)
    except ValidationError as exc:
        raise QueryError(
            [{**e, "loc": ["query", *e["loc"]]} for e in field_errors(exc.errors())]
        ) from exc
    if (
        query.year_from is not None
        and query.year_to is not None
        and query.year_from > query.year_to
    ):
        raise QueryError(
            [{"loc": ["query", "year_to"], "msg": "year_to is before year_from", "type": "range"}]
        )
    return query


def mark_highlight(text: str | None) -> Markup:
    """Engine highlight text (escaped, words in ``<mark>``-like tags) as safe ``<mark>`` markup."""
    if not text:
        return Markup("")
    out: list[str] = []
    depth = 0
    for part in _MARK.split(text):
        if _MARK.fullmatch(part):
            closing = part.startswith("</")
            if closing and depth > 0:
                out.append("</mark>")
                depth -= 1
            elif not closing and depth == 0:
                out.append("<mark>")
                depth += 1
            continue
        out.append(str(escape(html.unescape(part))))
    out.extend("</mark>" for _ in range(depth))
    return Markup("".join(out))


def record_path(record_id: str) -> str:
    """The portal path of a record (ids may hold any printable character)."""
    return "/records/" + quote(record_id, safe=":")


def member_of(record_id: str) -> str:
    """The member code in a record id ``member:local_id``."""
    return record_id.partition(":")[0]


def valid_member_code(code: str | None) -> bool:
    return code is not None and bool(_MEMBER_CODE.fullmatch(code))


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    count: int | None = None
    active: bool = False
    value: str = ""


class QueryState:
    """The current query string, able to produce links that change one thing in it."""

    def __init__(self, multi: Mapping[str, Sequence[str]], *, path: str, lang: str | None) -> None:
        self.path = path
        self.items: list[tuple[str, str]] = [
            (k, v) for k in (*SCALAR_PARAMS, *LIST_PARAMS) for v in multi.get(k, ()) if v != ""
        ]
        if lang:
            self.items.append(("lang", lang))

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]

    def href(
        self,
        *,
        drop: Sequence[str] = (),
        add: Sequence[tuple[str, str]] = (),
        remove: Sequence[tuple[str, str]] = (),
        keep_page: bool = False,
    ) -> str:
        skip = set(drop) | (set() if keep_page else {"page"})
        items = [(k, v) for k, v in self.items if k not in skip and (k, v) not in remove]
        items.extend(add)
        return self.path + ("?" + urlencode(items) if items else "")

    def with_lang(self, lang: str) -> str:
        items = [(k, v) for k, v in self.items if k != "lang"] + [("lang", lang)]
        return self.path + "?" + urlencode(items)

    def page_href(self, page: int) -> str:
        return self.href(drop=("page",), add=[("page", str(page))] if page > 1 else [])


def facet_links(
    state: QueryState,
    name: str,
    counts: Mapping[str, int],
    *,
    label: Callable[[str], str] = str,
    limit: int = FACET_LIMIT,
) -> list[Link]:
    """Links that toggle one facet value (active values first, then by count)."""
    active = set(state.values(name))
    ordered = sorted(counts.items(), key=lambda kv: (kv[0] not in active, -kv[1], kv[0]))
    links = []
    for value, count in ordered[:limit]:
        on = value in active
        href = state.href(remove=[(name, value)]) if on else state.href(add=[(name, value)])
        links.append(Link(label=label(value), href=href, count=count, active=on, value=value))
    return links


def year_links(
    state: QueryState, counts: Mapping[str, int], limit: int = FACET_LIMIT
) -> list[Link]:
    """Year facet: newest years first; a click sets ``year_from = year_to = year``."""
    chosen = state.values("year_from")[-1:] == state.values("year_to")[-1:] and state.values(
        "year_from"
    )
    current = chosen[-1] if chosen else None
    years = sorted((y for y in counts if y.isdigit()), reverse=True)[:limit]
    links = []
    for year in years:
        if year == current:
            href = state.href(drop=("year_from", "year_to"))
        else:
            href = state.href(
                drop=("year_from", "year_to"), add=[("year_from", year), ("year_to", year)]
            )
        links.append(Link(label=year, href=href, count=counts[year], active=year == current))
    return links


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int
    previous: str | None
    next: str | None


def pagination(state: QueryState, result: SearchResult, query: SearchQuery) -> Pagination:
    """Previous/next links within the engine's page limit."""
    pages = max(1, min(math.ceil(result.total / query.per_page), MAX_PAGE))
    return Pagination(
        page=query.page,
        pages=pages,
        previous=state.page_href(query.page - 1) if query.page > 1 else None,
        next=state.page_href(query.page + 1) if query.page < pages else None,
    )
