"""Atom 1.0 feeds of a search (issue 17, "follow a search"): the newest records it matches.

No I/O and no framework: the router hands in the query, the hits and the addresses; this
module shapes the XML (RFC 4287) with lxml, which escapes every value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from lxml import etree

from services.search.ports import Hit, SearchQuery
from services.search.web.i18n import Translator
from services.search.web.views import record_path

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml"
FEED_PATH = "/feeds/search.atom"
FEED_ENTRIES = 50
SUMMARY_CHARS = 500
# Characters XML 1.0 forbids (C0 controls but tab, newline, carriage return; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed and its records live (absolute URLs: feed readers fetch them alone)."""

    base: str  # the portal, e.g. https://tracuu.example.vn
    lang: str | None = None  # the ``?lang=`` the visitor chose, carried on every link


def search_params(query: SearchQuery) -> list[tuple[str, str]]:
    """A search's query and filters as query-string pairs, in a stable order (no page/sort)."""
    pairs: list[tuple[str, str]] = [("q", query.q)] if query.q else []
    pairs += [("kind", k.value) for k in sorted(query.kind)]
    for name in ("member", "subject", "language"):
        pairs += [(name, v) for v in sorted(getattr(query, name))]
    for name in ("year_from", "year_to"):
        value = getattr(query, name)
        if value is not None:
            pairs.append((name, str(value)))
    return pairs


def _url(base: str, path: str, pairs: Sequence[tuple[str, str]]) -> str:
    return base + path + ("?" + urlencode(pairs) if pairs else "")


def feed_url(query: SearchQuery, links: FeedLinks, *, with_lang: bool = True) -> str:
    """The feed of a search; without ``lang`` it is the feed's permanent id."""
    lang = [("lang", links.lang)] if with_lang and links.lang else []
    return _url(links.base, FEED_PATH, search_params(query) + lang)


def feed_path(query: SearchQuery, lang: str | None) -> str:
    """The feed's path on the portal (for the results page's ``<link rel="alternate">``)."""
    return _url("", FEED_PATH, search_params(query) + ([("lang", lang)] if lang else []))


def follow_url(notify: str, query: SearchQuery, lang: str | None) -> str:
    """Notify's page to subscribe to a search by e-mail (``/theo-doi``)."""
    return _url(notify, "/theo-doi", search_params(query) + ([("lang", lang)] if lang else []))


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _moment(value: datetime | None) -> str:
    moment = value or datetime(1970, 1, 1, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = _text(text)
    return element


def feed_title(query: SearchQuery, t: Translator) -> str:
    words = f"“{query.q}”" if query.q else t("feed_everything")
    return f"{t('feed_title', q=words)} — {t('site_title')}"


def _entry(
    feed: etree._Element,
    hit: Hit,
    links: FeedLinks,
    t: Translator,
    member_label: Callable[[str], str],
) -> None:
    page = links.base + record_path(hit.id)
    entry = _add(feed, "entry")
    _add(entry, "id", page)
    _add(entry, "title", hit.title, type="text")
    href = page + (f"?lang={links.lang}" if links.lang else "")
    _add(entry, "link", rel="alternate", type="text/html", href=href)
    _add(entry, "updated", _moment(hit.updated_at or hit.created_at))
    if hit.created_at is not None:
        _add(entry, "published", _moment(hit.created_at))
    author = _add(entry, "author")
    _add(author, "name", member_label(hit.member))
    _add(entry, "category", term=hit.kind.value, label=_text(t.kind(hit.kind.value)))
    for subject in dict.fromkeys(hit.subjects):
        _add(entry, "category", term=_text(subject))
    details = [str(hit.year)] if hit.year else []
    details += hit.creators[:5]
    summary = " · ".join(details)
    if hit.description:
        text = hit.description
        if len(text) > SUMMARY_CHARS:
            text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
        summary = f"{summary} — {text}" if summary else text
    if summary:
        _add(entry, "summary", summary, type="text")


def render_feed(
    query: SearchQuery,
    hits: Sequence[Hit],
    *,
    links: FeedLinks,
    t: Translator,
    member_label: Callable[[str], str],
    now: datetime,
) -> bytes:
    """The Atom document: the newest records first, each linking to its record page."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    feed.set(XML_LANG, t.lang)
    _add(feed, "id", feed_url(query, links, with_lang=False))
    _add(feed, "title", feed_title(query, t), type="text")
    _add(feed, "subtitle", t("feed_subtitle"), type="text")
    moments = [m for h in hits if (m := h.updated_at or h.created_at) is not None]
    newest = max(moments, default=None)
    _add(feed, "updated", _moment(newest or now))
    _add(feed, "link", rel="self", type=ATOM_TYPE, href=feed_url(query, links))
    portal = _url(
        links.base,
        "/",
        [*search_params(query), ("sort", "created")]
        + ([("lang", links.lang)] if links.lang else []),
    )
    _add(feed, "link", rel="alternate", type="text/html", href=portal)
    author = _add(feed, "author")
    _add(author, "name", t("network"))
    _add(author, "uri", links.base + "/")
    _add(feed, "generator", "stinet", uri=links.base + "/")
    _add(feed, "icon", links.base + "/static/icon.svg")
    for hit in hits:
        _entry(feed, hit, links, t, member_label)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")
