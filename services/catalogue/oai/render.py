"""OAI-PMH 2.0 response documents and the oai_dc mapping of our records (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from services.catalogue.oai.domain import (
    DC_NS,
    GRANULARITY,
    OAI_DC_NS,
    OAI_DC_SCHEMA,
    OAI_NS,
    OAI_SCHEMA,
    XSI_NS,
    OaiError,
    datestamp,
    oai_identifier,
    record_sets,
)

OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
_XSI_LOCATION = f"{{{XSI_NS}}}schemaLocation"
# Characters XML 1.0 cannot carry at all; dropped rather than failing the whole page.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Our kinds as DCMI Type vocabulary terms (https://www.dublincore.org/specifications/dublin-core/dcmi-type-vocabulary/),
# followed by our own term so that a harvester of ours maps it back without guessing.
DC_TYPES: dict[str, str] = {
    "database": "Dataset",
    "publication": "Text",
    "website": "InteractiveResource",
    "service": "Service",
    "training": "Event",
}

# How identifiers are written in dc:identifier (the harvester reads the same prefixes).
IDENTIFIER_PREFIXES: dict[str, str] = {
    "doi": "doi:",
    "isbn": "urn:isbn:",
    "issn": "urn:issn:",
    "handle": "hdl:",
}


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("", str(value))


@dataclass(frozen=True)
class RepositoryInfo:
    name: str
    base_url: str
    domain: str
    admin_emails: tuple[str, ...]


def sub(parent: etree._Element, tag: str, text: Any = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrib.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def envelope(
    base_url: str, now: datetime, request_args: Mapping[str, str] | None
) -> etree._Element:
    """``<OAI-PMH>`` with responseDate and request; ``request_args`` None → no attributes."""
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(_XSI_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    sub(root, f"{{{OAI_NS}}}responseDate", datestamp(now))
    sub(root, f"{{{OAI_NS}}}request", base_url, **dict(request_args or {}))
    return root


def error_document(
    base_url: str, now: datetime, error: OaiError, request_args: Mapping[str, str]
) -> etree._Element:
    root = envelope(base_url, now, request_args if error.echoes_arguments else None)
    sub(root, f"{{{OAI_NS}}}error", error.message, code=error.code.value)
    return root


def identify(root: etree._Element, info: RepositoryInfo, earliest: datetime) -> None:
    body = sub(root, f"{{{OAI_NS}}}Identify")
    sub(body, f"{{{OAI_NS}}}repositoryName", info.name)
    sub(body, f"{{{OAI_NS}}}baseURL", info.base_url)
    sub(body, f"{{{OAI_NS}}}protocolVersion", "2.0")
    for email in info.admin_emails:
        sub(body, f"{{{OAI_NS}}}adminEmail", email)
    sub(body, f"{{{OAI_NS}}}earliestDatestamp", datestamp(earliest))
    sub(body, f"{{{OAI_NS}}}deletedRecord", "persistent")
    sub(body, f"{{{OAI_NS}}}granularity", GRANULARITY)
    description = sub(body, f"{{{OAI_NS}}}description")
    ident = etree.SubElement(
        description, f"{{{OAI_IDENTIFIER_NS}}}oai-identifier", nsmap={None: OAI_IDENTIFIER_NS}
    )
    ident.set(_XSI_LOCATION, f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
    sub(ident, f"{{{OAI_IDENTIFIER_NS}}}scheme", "oai")
    sub(ident, f"{{{OAI_IDENTIFIER_NS}}}repositoryIdentifier", info.domain)
    sub(ident, f"{{{OAI_IDENTIFIER_NS}}}delimiter", ":")
    sub(ident, f"{{{OAI_IDENTIFIER_NS}}}sampleIdentifier", f"oai:{info.domain}:hpu:TV-2024-001")


def metadata_formats(root: etree._Element, formats: Mapping[str, tuple[str, str]]) -> None:
    body = sub(root, f"{{{OAI_NS}}}ListMetadataFormats")
    for prefix, (schema, namespace) in formats.items():
        item = sub(body, f"{{{OAI_NS}}}metadataFormat")
        sub(item, f"{{{OAI_NS}}}metadataPrefix", prefix)
        sub(item, f"{{{OAI_NS}}}schema", schema)
        sub(item, f"{{{OAI_NS}}}metadataNamespace", namespace)


def list_sets(root: etree._Element, sets: Iterable[tuple[str, str]]) -> None:
    body = sub(root, f"{{{OAI_NS}}}ListSets")
    for spec, name in sets:
        item = sub(body, f"{{{OAI_NS}}}set")
        sub(item, f"{{{OAI_NS}}}setSpec", spec)
        sub(item, f"{{{OAI_NS}}}setName", name)


def header(parent: etree._Element, domain: str, doc: Mapping[str, Any]) -> None:
    deleted = doc.get("status") == "withdrawn"
    element = sub(parent, f"{{{OAI_NS}}}header", **({"status": "deleted"} if deleted else {}))
    sub(element, f"{{{OAI_NS}}}identifier", oai_identifier(domain, doc["_id"]))
    sub(element, f"{{{OAI_NS}}}datestamp", datestamp(doc["updated_at"]))
    for spec in record_sets(doc["member"], doc["kind"]):
        sub(element, f"{{{OAI_NS}}}setSpec", spec)


def record(parent: etree._Element, domain: str, doc: Mapping[str, Any]) -> None:
    element = sub(parent, f"{{{OAI_NS}}}record")
    header(element, domain, doc)
    if doc.get("status") != "withdrawn":
        oai_dc(sub(element, f"{{{OAI_NS}}}metadata"), doc)


def oai_dc(parent: etree._Element, doc: Mapping[str, Any]) -> None:
    """Dublin Core of one record, in the order of the DC element set."""
    dc = etree.SubElement(
        parent, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    dc.set(_XSI_LOCATION, f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    sub(dc, f"{{{DC_NS}}}title", doc["title"])
    for creator in doc.get("creators") or []:
        sub(dc, f"{{{DC_NS}}}creator", creator)
    for subject in doc.get("subjects") or []:
        sub(dc, f"{{{DC_NS}}}subject", subject)
    if doc.get("description"):
        sub(dc, f"{{{DC_NS}}}description", doc["description"])
    if doc.get("publisher"):
        sub(dc, f"{{{DC_NS}}}publisher", doc["publisher"])
    when = _dc_date(doc)
    if when:
        sub(dc, f"{{{DC_NS}}}date", when)
    sub(dc, f"{{{DC_NS}}}type", DC_TYPES.get(doc["kind"], "Text"))
    sub(dc, f"{{{DC_NS}}}type", f"stinet:{doc['kind']}")
    for value in _dc_identifiers(doc):
        sub(dc, f"{{{DC_NS}}}identifier", value)
    if doc.get("language"):
        sub(dc, f"{{{DC_NS}}}language", doc["language"])
    if doc.get("access"):
        sub(dc, f"{{{DC_NS}}}rights", f"access:{doc['access']}")
    for value in _dc_coverage(doc):
        sub(dc, f"{{{DC_NS}}}coverage", value)


def _dc_coverage(doc: Mapping[str, Any]) -> list[str]:
    """A training's time (an ISO 8601 interval of UTC instants) and place (the harvester
    reads both back for ``stinet:training`` records)."""
    start, end = doc.get("starts_at"), doc.get("ends_at")
    values = []
    if start is not None or end is not None:
        values.append("/".join(datestamp(value) if value else "" for value in (start, end)))
    if doc.get("location"):
        values.append(doc["location"])
    return values


def _dc_date(doc: Mapping[str, Any]) -> str | None:
    value = doc.get("date")
    if value is not None:
        return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]
    return str(doc["year"]) if doc.get("year") else None


def _dc_identifiers(doc: Mapping[str, Any]) -> list[str]:
    values = [doc["url"]] if doc.get("url") else []
    for key, value in sorted((doc.get("identifiers") or {}).items()):
        values.append(f"{IDENTIFIER_PREFIXES.get(key, key + ':')}{value}")
    return values


def resumption_token(
    parent: etree._Element, token: str | None, cursor: int, expires: datetime | None
) -> None:
    """The token of an incomplete list; empty (but present) on the page that completes it."""
    attrib = {"cursor": str(cursor)}
    if token and expires is not None:
        attrib["expirationDate"] = datestamp(expires)
    sub(parent, f"{{{OAI_NS}}}resumptionToken", token or None, **attrib)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
