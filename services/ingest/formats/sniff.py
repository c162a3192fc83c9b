"""Which import format a file is: by its name and by its first bytes (no I/O, no framework).

The content wins when it is unambiguous (a zip or OLE2 container, MARCXML, ISO 2709, JSON)
and the name says otherwise. Plain text that is none of those is read as CSV when the name
says a format text cannot be (XML, JSON, a spreadsheet); a ``.mrc`` keeps its name (an odd
leader is still MARC, and its parser says which record is broken).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Spreadsheets are all read by calamine; they differ only in how the container is checked.
EXTENSIONS: dict[str, str] = {
    ".xml": "marcxml",
    ".marcxml": "marcxml",
    ".mrcx": "marcxml",
    ".mrc": "marc",
    ".marc": "marc",
    ".iso": "marc",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".json": "json",
    ".ndjson": "json",
    ".jsonl": "json",
}
SNIFF_BYTES = 4096
_NEVER_PLAIN_TEXT = frozenset({"marcxml", "json", "xlsx", "xls", "ods"})

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
_ISO2709_LEADER = re.compile(rb"^\d{5}[a-z ][a-z][a-z ]{2}[a-z0-9 ]\d\d\d{5}[a-z0-9 ]{3}4500")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Sniffed:
    format: str | None
    certain: bool = False


def by_name(filename: str) -> str | None:
    """The format the file's extension names, if it is one we read."""
    name = filename.lower()
    for ext, fmt in EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    return None


def by_content(head: bytes) -> Sniffed:
    """The format the first bytes show; ``certain`` when no other format could start so."""
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("ods" if _ODS_MIMETYPE in head[:120] else "xlsx", certain=True)
    if head.startswith(_OLE2):
        return Sniffed("xls", certain=True)
    if _ISO2709_LEADER.match(head):
        return Sniffed("marc", certain=True)
    text = _text(head)
    if text is None:
        return Sniffed(None)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        marc = "<record" in stripped or "MARC21/slim" in stripped or "<collection" in stripped
        return Sniffed("marcxml" if marc else None, certain=marc)
    if stripped[:1] in ("{", "["):
        return Sniffed("json", certain=True)
    return Sniffed("csv")


def _text(head: bytes) -> str | None:
    """The start of the file as text (UTF-8, UTF-16 with BOM, or a one-byte code page)."""
    for bom, encoding in zip(_BOMS, ("utf-8", "utf-16", "utf-16"), strict=True):
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore").lstrip("\ufeff")
    if b"\x00" in head:
        return None
    return head.decode("utf-8", errors="replace")


def choose(filename: str, head: bytes) -> str | None:
    """The format to read: the name's, unless the content unambiguously says another."""
    named = by_name(filename)
    seen = by_content(head)
    if seen.certain:
        return seen.format
    if seen.format == "csv" and named in _NEVER_PLAIN_TEXT:
        return "csv"
    return named
