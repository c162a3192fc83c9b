"""oai_dc and MARCXML metadata → the fields of ``shared.records.RecordIn`` (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from lxml import etree

from shared.text import clean_text, fold

DC_NS = "http://purl.org/dc/elements/1.1/"
MARC_NS = "http://www.loc.gov/MARC21/slim"

# Looked up in order; the first kind whose words appear in a folded dc:type wins.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database", ("dataset", "database", "co so du lieu", "csdl", "du lieu")),
    ("website", ("interactiveresource", "interactive resource", "website", "web site", "portal")),
    ("training", ("event", "training", "course", "workshop", "dao tao", "tap huan", "khoa hoc")),
    ("service", ("service", "dich vu")),
)
KINDS = ("database", "publication", "website", "service", "training")

# ISO 639-2/B, 639-2/T, 639-3 and common names → ISO 639-1.
_LANGUAGES: dict[str, str] = {
    "vie": "vi", "vietnamese": "vi", "tieng viet": "vi", "viet": "vi",
    "eng": "en", "english": "en", "tieng anh": "en",
    "fre": "fr", "fra": "fr", "french": "fr", "tieng phap": "fr",
    "ger": "de", "deu": "de", "german": "de", "tieng duc": "de",
    "rus": "ru", "russian": "ru", "tieng nga": "ru",
    "chi": "zh", "zho": "zh", "chinese": "zh", "tieng trung": "zh",
    "jpn": "ja", "japanese": "ja", "tieng nhat": "ja",
    "kor": "ko", "korean": "ko", "tieng han": "ko",
    "spa": "es", "spanish": "es", "ita": "it", "italian": "it", "por": "pt",
    "portuguese": "pt", "tha": "th", "thai": "th", "lao": "lo", "khm": "km", "khmer": "km",
    "ind": "id", "indonesian": "id", "may": "ms", "msa": "ms", "dut": "nl", "nld": "nl",
    "pol": "pl", "cze": "cs", "ces": "cs", "swe": "sv", "ara": "ar", "hin": "hi",
}  # fmt: skip

_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2}|2100)(?!\d)")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")
_ISBN = re.compile(
    r"^(?:(?:urn:isbn:|isbn[:\s]*)([0-9Xx][0-9Xx\- ]{8,20})|(97[89][0-9\-]{10,14}))$", re.I
)
_ISSN = re.compile(r"^(?:urn:issn:|issn[:\s]*)?(\d{4}-\d{3}[\dXx])$", re.IGNORECASE)
_HANDLE = re.compile(r"^(?:hdl:|https?://hdl\.handle\.net/)(\S+)$", re.IGNORECASE)
_DOI_PREFIXES = (
    "doi:",
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
)
_URL = re.compile(r"^https?://\S+$")
_ACCESS = {
    "access:open": "open", "access:restricted": "restricted", "access:onsite": "onsite",
    "info:eu-repo/semantics/openaccess": "open",
    "info:eu-repo/semantics/restrictedaccess": "restricted",
    "info:eu-repo/semantics/closedaccess": "restricted",
    "info:eu-repo/semantics/embargoedaccess": "restricted",
}  # fmt: skip

LIMITS = {"title": 1000, "short": 1000, "description": 20000, "list": 100, "identifier": 500}


def _texts(values: Iterable[str | None]) -> list[str]:
    return [text for text in (clean_text(v) for v in values if v) if text]


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def kind_of(types: Iterable[str]) -> str:
    """Our kind from dc:type values (``stinet:<kind>`` first, then DCMI/DSpace/OJS words)."""
    values = list(types)
    for value in values:
        if value.startswith("stinet:") and value[7:] in KINDS:
            return value[7:]
    folded = [fold(value) for value in values]
    for kind, words in _KIND_WORDS:
        if any(word in value for value in folded for word in words):
            return kind
    return "publication"


def language_of(value: str | None) -> str | None:
    """ISO 639-1 from ``vi``, ``vi_VN``, ``en-US``, ``vie``, ``English``, ``Tiếng Việt``."""
    if not value:
        return None
    folded = fold(value).strip()
    primary = re.split(r"[-_\s;,/]", folded, maxsplit=1)[0]
    if re.fullmatch(r"[a-z]{2}", primary):
        return primary
    return _LANGUAGES.get(folded) or _LANGUAGES.get(primary)


def dates_of(values: Iterable[str]) -> dict[str, Any]:
    """year/date from dc:date values: a plain date or year (DSpace's issued) beats timestamps."""
    candidates = sorted(values, key=lambda v: ("T" in v, len(v)))
    for value in candidates:
        day = _DAY.match(value)
        if day and "T" not in value:
            year = int(day.group(1))
            if 1000 <= year <= 2100:
                try:
                    return {"year": year, "date": date.fromisoformat(day.group(0)).isoformat()}
                except ValueError:  # 2020-02-30: keep the year
                    return {"year": year}
        year_match = _YEAR.search(value)
        if year_match:
            return {"year": int(year_match.group(1))}
    return {}


def identifiers_of(values: Iterable[str]) -> tuple[dict[str, str], str | None]:
    """Known identifiers (doi, isbn, issn, handle) and the best landing-page URL."""
    found: dict[str, str] = {}
    urls: list[tuple[int, str]] = []
    for value in values:
        lowered = value.lower()
        if lowered.startswith(_DOI_PREFIXES):
            doi = _DOI.search(value)
            if doi:
                found.setdefault("doi", doi.group(1)[: LIMITS["identifier"]])
            if _URL.match(value):
                urls.append((2, value))
        elif match := _HANDLE.match(value):
            found.setdefault("handle", match.group(1)[: LIMITS["identifier"]])
            if _URL.match(value):
                urls.append((1, value))
        elif match := _ISBN.match(value):
            found.setdefault("isbn", (match.group(1) or match.group(2)).strip())
        elif match := _ISSN.match(value):
            found.setdefault("issn", match.group(1))
        elif _URL.match(value) and len(value) <= 2000:
            urls.append((0, value))
    url = min(urls, key=lambda item: item[0])[1] if urls else None
    return found, url


def map_oai_dc(metadata: etree._Element) -> dict[str, Any]:
    """The record fields of an ``oai_dc:dc`` element (``local_id`` is added by the caller)."""

    def values(name: str) -> list[str]:
        return _texts(el.text for el in metadata.iter(f"{{{DC_NS}}}{name}"))

    titles = values("title")
    identifiers, url = identifiers_of(values("identifier"))
    fields: dict[str, Any] = {
        "kind": kind_of(values("type")),
        "title": _cut(titles[0], LIMITS["title"]) if titles else None,
        "creators": [v[: LIMITS["short"]] for v in values("creator")][: LIMITS["list"]],
        "subjects": [v[: LIMITS["short"]] for v in values("subject")][: LIMITS["list"]],
        "description": _cut("\n\n".join(values("description")), LIMITS["description"]),
        "publisher": _cut(next(iter(values("publisher")), None), LIMITS["short"]),
        "identifiers": identifiers,
        "url": url,
        **dates_of(values("date")),
    }
    language = next((lang for v in values("language") if (lang := language_of(v))), None)
    if language:
        fields["language"] = language
    access = next((_ACCESS[v.lower()] for v in values("rights") if v.lower() in _ACCESS), None)
    if access:
        fields["access"] = access
    if fields["kind"] == "training":  # elsewhere dc:coverage is a subject's place or period
        fields.update(training_of(values("coverage")))
    return {key: value for key, value in fields.items() if value not in (None, "", [], {})}


_INSTANT = r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
_PERIOD = re.compile(rf"^({_INSTANT})?/({_INSTANT})?$|^({_INSTANT})$")


def training_of(coverage: Iterable[str]) -> dict[str, Any]:
    """A training's ``starts_at``/``ends_at`` (an ISO 8601 instant or interval) and
    ``location`` (the first other coverage) from its dc:coverage values."""
    found: dict[str, Any] = {}
    for value in coverage:
        period = _PERIOD.match(value)
        if period and "starts_at" not in found and "ends_at" not in found:
            start, end, single = period.groups()
            found.update(starts_at=start or single, ends_at=end)
        elif not period and "location" not in found:
            found["location"] = _cut(value, LIMITS["short"])
    return found


# --- MARCXML ------------------------------------------------------------------------------


def _subfields(record: etree._Element, tags: tuple[str, ...], codes: str) -> list[str]:
    out = []
    for field in record.iter(f"{{{MARC_NS}}}datafield"):
        if field.get("tag") in tags:
            parts = [
                clean_text(sub.text or "").rstrip(" /:;,=")
                for sub in field.iter(f"{{{MARC_NS}}}subfield")
                if sub.get("code") in codes
            ]
            text = " ".join(part for part in parts if part).rstrip(".")
            if text:
                out.append(text)
    return out


def _control(record: etree._Element, tag: str) -> str:
    for field in record.iter(f"{{{MARC_NS}}}controlfield"):
        if field.get("tag") == tag:
            return field.text or ""
    return ""


def _doi_024(record: etree._Element) -> str | None:
    for field in record.iter(f"{{{MARC_NS}}}datafield"):
        if field.get("tag") != "024":
            continue
        subs = {sub.get("code"): sub.text or "" for sub in field.iter(f"{{{MARC_NS}}}subfield")}
        if subs.get("2", "").lower() == "doi" and subs.get("a"):
            return subs["a"].strip()
    return None


def map_marcxml(metadata: etree._Element) -> dict[str, Any]:
    """The record fields of a MARC 21 (slim) record."""
    record = next(metadata.iter(f"{{{MARC_NS}}}record"), None)
    if record is None:
        raise ValueError("no MARC 21 slim record in the metadata")
    leader = (record.findtext(f"{{{MARC_NS}}}leader") or "").ljust(8)
    titles = _subfields(record, ("245",), "ab")
    identifiers: dict[str, str] = {}
    for key, values in (
        ("isbn", _subfields(record, ("020",), "a")),
        ("issn", _subfields(record, ("022",), "a")),
    ):
        if values:
            identifiers[key] = values[0].split(" ")[0][: LIMITS["identifier"]]
    if doi := _doi_024(record):
        identifiers["doi"] = doi[: LIMITS["identifier"]]
    urls = [u for u in _subfields(record, ("856",), "u") if _URL.match(u)]
    language = language_of(next(iter(_subfields(record, ("041",), "a")), None)) or language_of(
        _control(record, "008")[35:38].strip()
    )
    fields: dict[str, Any] = {
        "kind": "database" if leader[6] == "m" else "publication",
        "title": _cut(titles[0], LIMITS["title"]) if titles else None,
        "creators": _subfields(record, ("100", "110", "700", "710"), "a")[: LIMITS["list"]],
        "subjects": _subfields(record, ("650", "653", "651"), "a")[: LIMITS["list"]],
        "description": _cut("\n\n".join(_subfields(record, ("520",), "a")), LIMITS["description"]),
        "publisher": next(iter(_subfields(record, ("260", "264"), "b")), None),
        "identifiers": identifiers,
        "url": urls[0] if urls else None,
        "language": language,
        **dates_of(_subfields(record, ("260", "264"), "c")),
    }
    return {key: value for key, value in fields.items() if value not in (None, "", [], {})}


def map_metadata(prefix: str, metadata: etree._Element) -> dict[str, Any]:
    """Dispatch on the harvested format."""
    if prefix == "oai_dc":
        return map_oai_dc(metadata)
    return map_marcxml(metadata)
