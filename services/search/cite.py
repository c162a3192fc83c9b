"""Citations of records in BibTeX, RIS and CSL-JSON (UTF-8, Vietnamese kept as written).

Pure functions over records (``work.Citable``): the routes only choose the format and
send the text. BibTeX protects what a style must not touch: words with capitals are
braced (``{Hàng} hải``: a style that lower-cases titles keeps ``Hàng``), a person's
name without a comma is braced whole (``{Nguyễn Văn An}``: Vietnamese puts the family
name first, and BibTeX would otherwise take ``An`` for it), and TeX's special
characters are escaped. Diacritics stay UTF-8 (biber and modern BibTeX read it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from services.search.work import (
    Citable,
    WorkType,
    doi,
    identifier,
    issued,
    web_url,
    work_type,
)
from shared.records import Record
from shared.text import fold


class CiteFormat(StrEnum):
    BIBTEX = "bibtex"
    RIS = "ris"
    CSL_JSON = "csl-json"


MEDIA_TYPES = {
    CiteFormat.BIBTEX: "application/x-bibtex; charset=utf-8",
    CiteFormat.RIS: "application/x-research-info-systems; charset=utf-8",
    CiteFormat.CSL_JSON: "application/vnd.citationstyles.csl+json; charset=utf-8",
}
EXTENSIONS = {CiteFormat.BIBTEX: "bib", CiteFormat.RIS: "ris", CiteFormat.CSL_JSON: "json"}
LANGUAGE_NAMES = {"vi": "vietnamese", "en": "english", "fr": "french", "ru": "russian"}


def render(fmt: CiteFormat, items: Iterable[Citable]) -> str:
    """All ``items`` as one document of ``fmt``."""
    return _RENDERERS[fmt](list(items))


def content_disposition(stem: str, fmt: CiteFormat) -> str:
    """``attachment`` with an ASCII file name and the exact one (RFC 6266 ``filename*``)."""
    name = f"{stem}.{EXTENSIONS[fmt]}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", fold(name)).strip("_") or "citation"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _url(item: Citable) -> str:
    """The record's own link when it has one, else its page on the portal."""
    return web_url(item.record.url) or item.landing_url


def _publisher(item: Citable) -> str:
    return item.record.publisher or item.member_name


# -- BibTeX ---------------------------------------------------------------------------------
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    # Not ``\{``: BibTeX counts every brace, escaped or not, so a lone one would end the field.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX_PATTERN = re.compile("|".join(re.escape(c) for c in _TEX_SPECIAL))
_BIBTEX_TYPES = {
    WorkType.BOOK: "book",
    WorkType.THESIS: "phdthesis",
    WorkType.MASTERS_THESIS: "mastersthesis",
}


def tex_escape(text: str) -> str:
    """TeX's special characters escaped; everything else (Vietnamese included) as it is."""
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIAL[m.group()], _one_line(text))


def protect_capitals(text: str) -> str:
    """Escaped text with every word that holds a capital letter in braces."""
    words = tex_escape(text).split(" ")
    return " ".join("{" + w + "}" if any(c.isupper() for c in w) else w for w in words)


def bibtex_name(name: str) -> str:
    """``Family, Given`` as given; any other name braced whole (kept as written)."""
    if "," in name:
        return tex_escape(name)
    return "{" + tex_escape(name) + "}"


def bibtex_key(record: Record) -> str:
    """The record id folded to the characters every BibTeX tool accepts in a key."""
    return re.sub(r"[^A-Za-z0-9:._-]+", "-", fold(record.id)).strip("-") or "record"


def _bibtex_fields(item: Citable) -> list[tuple[str, str]]:
    record, kind = item.record, work_type(item.record)
    fields = [("title", protect_capitals(record.title))]
    if record.creators:
        fields.append(("author", " and ".join(bibtex_name(n) for n in record.creators)))
    when = issued(record)
    if record.starts_at is not None:
        fields.append(("year", str(record.starts_at.year)))
        fields.append(("date", record.starts_at.date().isoformat()))
    elif when is not None:
        fields.append(("year", str(when.year)))
        if when.month is not None:
            fields.append(("date", when.iso()))
    organisation = "school" if kind in (WorkType.THESIS, WorkType.MASTERS_THESIS) else "publisher"
    fields.append((organisation, tex_escape(_publisher(item))))
    if record.location:
        fields.append(("address", tex_escape(record.location)))
    for name, value in (("isbn", identifier(record, "isbn")), ("issn", identifier(record, "issn"))):
        if value:
            fields.append((name, tex_escape(value)))
    if found := doi(record):
        fields.append(("doi", _url_safe(found)))
    fields.append(("url", _url_safe(_url(item))))
    fields.append(("language", LANGUAGE_NAMES.get(record.language, tex_escape(record.language))))
    if record.subjects:
        fields.append(("keywords", tex_escape(", ".join(record.subjects))))
    if record.description:
        fields.append(("abstract", tex_escape(record.description)))
    return fields


def _url_safe(value: str) -> str:
    """URLs are verbatim in BibTeX: only braces (which would end the field) are encoded."""
    return value.replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")


def to_bibtex(items: list[Citable]) -> str:
    entries = []
    for item in items:
        entry_type = _BIBTEX_TYPES.get(work_type(item.record), "misc")
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in _bibtex_fields(item))
        entries.append(f"@{entry_type}{{{bibtex_key(item.record)},\n{body}\n}}\n")
    return "\n".join(entries)


# -- RIS ------------------------------------------------------------------------------------
_RIS_TYPES = {
    WorkType.BOOK: "BOOK",
    WorkType.THESIS: "THES",
    WorkType.MASTERS_THESIS: "THES",
    WorkType.DATASET: "DATA",
    WorkType.WEBSITE: "ELEC",
    WorkType.SERVICE: "ELEC",
    WorkType.EVENT: "GEN",
}


def _ris_lines(item: Citable) -> list[tuple[str, str]]:
    record = item.record
    kind = work_type(record)
    article = "JOUR" if identifier(record, "issn") else "GEN"
    lines = [("TY", _RIS_TYPES.get(kind, article)), ("TI", record.title)]
    lines += [("AU", name) for name in record.creators]
    when = issued(record)
    if record.starts_at is not None:
        lines.append(("PY", str(record.starts_at.year)))
        lines.append(("DA", record.starts_at.strftime("%Y/%m/%d")))
    elif when is not None:
        lines.append(("PY", str(when.year)))
        if when.month is not None:
            lines.append(("DA", when.slashed()))
    lines.append(("PB", _publisher(item)))
    if record.location:
        lines.append(("CY", record.location))
    for value in (identifier(record, "isbn"), identifier(record, "issn")):
        if value:
            lines.append(("SN", value))
    if found := doi(record):
        lines.append(("DO", found))
    lines.append(("UR", _url(item)))
    if web_url(record.url):
        lines.append(("UR", item.landing_url))
    lines += [("KW", subject) for subject in record.subjects]
    if record.description:
        lines.append(("AB", record.description))
    lines.append(("LA", record.language))
    lines.append(("ID", record.id))
    return lines


def to_ris(items: list[Citable]) -> str:
    """RIS records (``TAG  - value`` lines, CRLF as the format has it, ``ER`` closing each)."""
    out = []
    for item in items:
        out += [f"{tag}  - {_one_line(value)}" for tag, value in _ris_lines(item)]
        out.append("ER  - ")
        out.append("")
    return "\r\n".join(out)


# -- CSL-JSON -------------------------------------------------------------------------------
_CSL_TYPES = {
    WorkType.BOOK: "book",
    WorkType.THESIS: "thesis",
    WorkType.MASTERS_THESIS: "thesis",
    WorkType.DATASET: "dataset",
    WorkType.WEBSITE: "webpage",
    WorkType.SERVICE: "document",
    WorkType.EVENT: "event",
}


def csl_name(name: str) -> dict[str, str]:
    """``Family, Given`` split; any other name literal (as written, Vietnamese order)."""
    family, comma, given = name.partition(",")
    if comma and family.strip() and given.strip():
        return {"family": family.strip(), "given": given.strip()}
    return {"literal": name}


def csl_item(item: Citable) -> dict[str, Any]:
    """One CSL-JSON item (CSL 1.0.2 variables)."""
    record = item.record
    kind = work_type(record)
    article = "article-journal" if identifier(record, "issn") else "article"
    out: dict[str, Any] = {
        "id": record.id,
        "type": _CSL_TYPES.get(kind, article),
        "title": record.title,
        "publisher": _publisher(item),
        "URL": _url(item),
        "language": record.language,
    }
    if record.creators:
        out["author"] = [csl_name(n) for n in record.creators]
    if (when := issued(record)) is not None:
        out["issued"] = {"date-parts": [when.parts()]}
    if kind is WorkType.MASTERS_THESIS:
        out["genre"] = "Luận văn thạc sĩ"
    if record.starts_at is not None:
        start = record.starts_at.date()
        out["event-date"] = {"date-parts": [[start.year, start.month, start.day]]}
        out["event-title"] = record.title
    if record.location:
        out["event-place" if kind is WorkType.EVENT else "publisher-place"] = record.location
    for key, name in (("ISBN", "isbn"), ("ISSN", "issn")):
        if value := identifier(record, name):
            out[key] = value
    if found := doi(record):
        out["DOI"] = found
    if record.description:
        out["abstract"] = record.description
    if record.subjects:
        out["keyword"] = ", ".join(record.subjects)
    return out


def to_csl_json(items: list[Citable]) -> str:
    return json.dumps([csl_item(i) for i in items], ensure_ascii=False, indent=2) + "\n"


_RENDERERS: dict[CiteFormat, Callable[[list[Citable]], str]] = {
    CiteFormat.BIBTEX: to_bibtex,
    CiteFormat.RIS: to_ris,
    CiteFormat.CSL_JSON: to_csl_json,
}
