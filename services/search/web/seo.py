"""What a record page tells search engines: schema.org JSON-LD, Highwire ``citation_*``
tags (Google Scholar), Open Graph, the canonical address. Pure: a record in, data out.

The schema.org type follows the record's kind and what its data allows (``work.work_type``):
a publication is a Book (ISBN), a Thesis (its words say so) or a ScholarlyArticle; a
database a Dataset; a website a WebSite; a service a Service; a training an Event when it
has a start (an Event without one is invalid, so it is then a plain CreativeWork). The
member is the Organization that provides, publishes or organises it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from services.search.web.views import record_path
from services.search.work import (
    Citable,
    WorkType,
    doi,
    identifier,
    is_pdf,
    issued,
    web_url,
    work_type,
)
from shared.records import Access, Kind, Record

DESCRIPTION_CHARS = 300
SCHEMA_TYPES = {
    WorkType.BOOK: "Book",
    WorkType.THESIS: "Thesis",
    WorkType.MASTERS_THESIS: "Thesis",
    WorkType.ARTICLE: "ScholarlyArticle",
    WorkType.DATASET: "Dataset",
    WorkType.WEBSITE: "WebSite",
    WorkType.SERVICE: "Service",
    WorkType.EVENT: "Event",
}
_OG_TYPES = {WorkType.BOOK: "book", WorkType.ARTICLE: "article", WorkType.THESIS: "article"}
_PUBLICATIONS = (WorkType.BOOK, WorkType.THESIS, WorkType.MASTERS_THESIS, WorkType.ARTICLE)
_THESES = (WorkType.THESIS, WorkType.MASTERS_THESIS)


@dataclass(frozen=True)
class PageMeta:
    """The head of a record page: canonical URL, JSON-LD, ``<meta name>`` and ``property``."""

    canonical: str
    description: str
    json_ld: Markup
    names: list[tuple[str, str]] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)


def canonical_url(base: str, record_id: str) -> str:
    """The one address of a record page (no language or other parameters)."""
    return base + record_path(record_id)


def member_url(base: str, member: str) -> str:
    """The portal's page of a member's records."""
    return f"{base}/?{urlencode({'member': member})}"


def page_meta(item: Citable, *, base: str, site_name: str, english: bool) -> PageMeta:
    """Everything the head of an active record's page carries for machines."""
    description = summary(item)
    return PageMeta(
        canonical=item.landing_url,
        description=description,
        json_ld=script_json(json_ld(item, base=base, site_name=site_name)),
        names=highwire_tags(item),
        properties=open_graph(item, description=description, site_name=site_name, english=english),
    )


def summary(item: Citable) -> str:
    """A short description: the record's own (cut at a word), else what and whose it is."""
    text = " ".join((item.record.description or "").split())
    if not text:
        return f"{item.record.title} — {item.member_name}"
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"


def organization(item: Citable, base: str) -> dict[str, Any]:
    return {
        "@type": "Organization",
        "name": item.member_name,
        "url": member_url(base, item.record.member),
    }


def schema_type(record: Record) -> str:
    kind = work_type(record)
    if kind is WorkType.EVENT and record.starts_at is None:
        return "CreativeWork"
    return SCHEMA_TYPES[kind]


def json_ld(item: Citable, *, base: str, site_name: str) -> dict[str, Any]:
    """The record as one schema.org object (``@context`` included)."""
    record = item.record
    kind = work_type(record)
    member = organization(item, base)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": schema_type(record),
        "@id": item.landing_url + "#record",
        "name": record.title,
        "url": item.landing_url,
        "inLanguage": record.language,
    }
    if record.description:
        data["description"] = record.description
    if own := web_url(record.url):
        data["sameAs"] = own
    if record.subjects:
        data["keywords"] = ", ".join(record.subjects)
    if kind in _PUBLICATIONS:
        data.update(_publication(item, kind, member))
    elif kind is WorkType.DATASET:
        data.update(_dataset(item, member, site_name))
    elif kind is WorkType.WEBSITE:
        data.update({"url": web_url(record.url) or item.landing_url, "publisher": member})
        data["mainEntityOfPage"] = item.landing_url
    elif kind is WorkType.SERVICE:
        data.update({"provider": member, "serviceType": "Dịch vụ thông tin KH&CN"})
        data["areaServed"] = {"@type": "Place", "name": "Hải Phòng"}
    elif data["@type"] == "Event":
        data.update(_event(item, member))
    else:
        data["provider"] = member
    return data


def _people(record: Record) -> list[dict[str, str]]:
    return [{"@type": "Person", "name": name} for name in record.creators]


def _publication(item: Citable, kind: WorkType, member: dict[str, Any]) -> dict[str, Any]:
    record = item.record
    out: dict[str, Any] = {"headline": record.title[:110], "provider": member}
    if record.creators:
        out["author"] = _people(record)
    if (when := issued(record)) is not None:
        out["datePublished"] = when.iso()
    out["publisher"] = (
        {"@type": "Organization", "name": record.publisher} if record.publisher else member
    )
    if kind is WorkType.BOOK:
        out["isbn"] = identifier(record, "isbn")
    if kind is WorkType.MASTERS_THESIS:
        out["inSupportOf"] = "Thạc sĩ (Master)"
    if issn := identifier(record, "issn"):
        out["isPartOf"] = {"@type": "Periodical", "issn": issn}
    if found := doi(record):
        out["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": found}
    return out


def _dataset(item: Citable, member: dict[str, Any], site_name: str) -> dict[str, Any]:
    record = item.record
    out: dict[str, Any] = {
        # Dataset requires a description: a record without one says what and whose it is.
        "description": record.description or summary(item),
        "creator": _people(record) or member,
        "publisher": member,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": site_name},
    }
    if record.access is not None:
        out["isAccessibleForFree"] = record.access is Access.OPEN
    if (when := issued(record)) is not None:
        out["datePublished"] = when.iso()
    return out


def _event(item: Citable, member: dict[str, Any]) -> dict[str, Any]:
    record = item.record
    assert record.starts_at is not None  # schema_type says Event only with a start
    place = record.location or item.member_name
    out: dict[str, Any] = {
        "startDate": record.starts_at.isoformat(),
        "location": {"@type": "Place", "name": place, "address": place},
        "organizer": member,
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
    }
    if record.ends_at is not None:
        out["endDate"] = record.ends_at.isoformat()
    return out


def script_json(data: dict[str, Any]) -> Markup:
    """JSON for inside ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` as
    ``\\u`` escapes, so no record text can close the script or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def highwire_tags(item: Citable) -> list[tuple[str, str]]:
    """Google Scholar's ``citation_*`` meta tags, for publications only."""
    record = item.record
    kind = work_type(record)
    if record.kind is not Kind.PUBLICATION:
        return []
    tags = [("citation_title", record.title)]
    tags += [("citation_author", name) for name in record.creators]
    if (when := issued(record)) is not None:
        tags.append(("citation_publication_date", when.slashed()))
    publisher = record.publisher or item.member_name
    tags.append(("citation_publisher", publisher))
    if kind in _THESES:
        tags.append(("citation_dissertation_institution", publisher))
    for name in ("isbn", "issn"):
        if value := identifier(record, name):
            tags.append((f"citation_{name}", value))
    if found := doi(record):
        tags.append(("citation_doi", found))
    own = web_url(record.url)
    if own and is_pdf(own):
        tags.append(("citation_pdf_url", own))
    elif own:
        tags.append(("citation_fulltext_html_url", own))
    tags.append(("citation_abstract_html_url", item.landing_url))
    tags.append(("citation_language", record.language))
    if record.subjects:
        tags.append(("citation_keywords", "; ".join(record.subjects)))
    return tags


def open_graph(
    item: Citable, *, description: str, site_name: str, english: bool
) -> list[tuple[str, str]]:
    """Open Graph properties (link previews in chats and social networks)."""
    return [
        ("og:type", _OG_TYPES.get(work_type(item.record), "website")),
        ("og:title", item.record.title),
        ("og:description", description),
        ("og:url", item.landing_url),
        ("og:site_name", site_name),
        ("og:locale", "en_US" if english else "vi_VN"),
    ]
