"""MARC21 binary (pymarc) and MARCXML (hardened lxml, streamed) as the library systems export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pymarc
from lxml import etree
from pymarc.marc8 import marc8_to_unicode

from services.ingest.domain import Refusal
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.formats.columns import language_word
from shared.safe_xml import hardened_iterparse
from shared.text import clean_text, nfc

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2}|2100)")
_TRAILING = " /:;,.="
_PROLOG_BYTES = 64 * 1024
_DTD_MARKERS = tuple(
    word.encode(codec)
    for word in ("<!DOCTYPE", "<!ENTITY")
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)


@dataclass
class MarcView:
    """A MARC record reduced to what the mapping needs: control fields and subfields by tag."""

    control: dict[str, str] = field(default_factory=dict)
    data: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    def values(self, tags: tuple[str, ...], code: str) -> list[str]:
        out: list[str] = []
        for tag, subfields in self.data:
            if tag in tags:
                out.extend(clean_text(v) for c, v in subfields if c == code and v.strip())
        return out

    def first(self, tags: tuple[str, ...], code: str) -> str | None:
        found = self.values(tags, code)
        return found[0] if found else None


def _strip(value: str) -> str:
    return value.strip(_TRAILING).strip()


def _title(view: MarcView) -> str | None:
    for tag, subfields in view.data:
        if tag == "245":
            parts = [_strip(v) for c, v in subfields if c in "abnp" and _strip(v)]
            if parts:
                return clean_text(" : ".join(parts[:2]) + "".join(f". {p}" for p in parts[2:]))
    return None


def _language(view: MarcView) -> str | None:
    code = view.first(("041",), "a")
    if not code:
        fixed = view.control.get("008", "")
        code = fixed[35:38].strip() if len(fixed) >= 38 else None
    if not code or code in ("|||", "und"):
        return None
    return language_word(code[:3].lower())


def marc_to_record(view: MarcView, *, default_kind: str | None) -> dict[str, Any]:
    """001 → local_id, 245 → title, 100/700 → creators, 650/653 → subjects, 260/264 → …"""
    record: dict[str, Any] = {"kind": default_kind or "publication"}
    if local_id := view.control.get("001", "").strip():
        record["local_id"] = local_id
    if title := _title(view):
        record["title"] = title
    creators = [_strip(v) for v in view.values(("100", "110", "700", "710"), "a")]
    subjects = [_strip(v) for v in view.values(("650", "653"), "a")]
    if creators:
        record["creators"] = [c for c in dict.fromkeys(creators) if c]
    if subjects:
        record["subjects"] = [s for s in dict.fromkeys(subjects) if s]
    if publisher := view.first(("260", "264"), "b"):
        record["publisher"] = _strip(publisher)
    if (date := view.first(("260", "264"), "c")) and (year := _YEAR.search(date)):
        record["year"] = int(year.group(1))
    if description := view.first(("520",), "a"):
        record["description"] = description
    if url := view.first(("856",), "u"):
        record["url"] = url
    if language := _language(view):
        record["language"] = language
    identifiers = {}
    if isbn := view.first(("020",), "a"):
        identifiers["isbn"] = isbn.split()[0]
    if issn := view.first(("022",), "a"):
        identifiers["issn"] = issn.split()[0]
    if identifiers:
        record["identifiers"] = identifiers
    if invalid := _cancelled_identifiers(view):
        record["invalid_identifiers"] = invalid
    return record


def _cancelled_identifiers(view: MarcView) -> dict[str, list[str]]:
    """020$z / 022$z: ISBNs and ISSNs the cataloguer marked cancelled or invalid."""
    found: dict[str, list[str]] = {}
    for key, tag in (("isbn", "020"), ("issn", "022")):
        values = [v.split()[0] for v in view.values((tag,), "z") if v.split()]
        if values:
            found[key] = list(dict.fromkeys(values))[:20]
    return found


# ---------------------------------------------------------------- MARC21 binary


MARC_ENCODINGS = {"marc8": "marc-8", "marc-8": "marc-8", "utf8": "utf-8", "utf-8": "utf-8"}


def marc_encoding(declared: str | None) -> str | None:
    """The form field ``encoding`` for MARC21: ``marc8`` or ``utf8``; unset → each leader."""
    if declared is None or not declared.strip():
        return None
    chosen = MARC_ENCODINGS.get(declared.strip().lower())
    if chosen is None:
        raise Refusal(
            422,
            f"Bảng mã '{declared}' không dùng được cho MARC21: chọn 'marc8' hoặc 'utf8', "
            "hoặc bỏ trống để theo vị trí 09 của đầu biểu (leader).",
            f"Encoding '{declared}' does not apply to MARC21: use 'marc8' or 'utf8', or leave "
            "it out to follow leader position 09.",
            details=[{"field": "encoding", "value": declared, "allowed": ["marc8", "utf8"]}],
        )
    return chosen


def _is_utf8_text(chunks: list[bytes]) -> bool:
    """Non-ASCII bytes that decode as UTF-8: MARC-8 text (combining marks first) never does."""
    data = b"".join(chunks)
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def record_encoding(record: pymarc.Record, forced: str | None) -> str:
    """``utf-8`` or ``marc-8`` for one record: the override, else leader/09 (``a`` = UTF-8).

    A blank leader/09 over text that is valid, non-ASCII UTF-8 is read as UTF-8: systems
    that export UTF-8 but leave the leader blank are common, and MARC-8 text never is.
    """
    if forced:
        return forced
    if str(record.leader)[9] == "a":
        return "utf-8"
    raw = [v for f in record.fields if not f.is_control_field() for _, v in _raw_subfields(f)]
    return "utf-8" if _is_utf8_text(raw) else "marc-8"


def _raw_subfields(f: Any) -> list[tuple[str, bytes]]:
    return [(s.code, s.value or b"") for s in f.subfields]


def _decoder(encoding: str) -> Any:
    if encoding == "utf-8":
        return lambda data: data.decode("utf-8", "replace")
    return lambda data: marc8_to_unicode(data, hide_utf8_warnings=True)


def _view_of(record: pymarc.Record, encoding: str) -> MarcView:
    """The record (read undecoded) with its text decoded as ``encoding``, NFC."""
    decode = _decoder(encoding)
    view = MarcView()
    for f in record.fields:
        if f.is_control_field():
            view.control.setdefault(f.tag, decode(f.data or b""))
        else:
            view.data.append((f.tag, [(c, nfc(decode(v))) for c, v in _raw_subfields(f)]))
    return view


def _bad_record(index: int, reason: str) -> ParsedRow:
    return ParsedRow(index, None, error=reason)


def parse_marc21(
    stream: BinaryIO,
    notes: ImportNotes,
    *,
    default_kind: str | None = None,
    encoding: str | None = None,
) -> Iterator[ParsedRow]:
    """Stream the records of an ISO 2709 (.mrc) file; a broken record is rejected, not fatal.

    Text is MARC-8 or UTF-8 as each record's leader/09 says, unless ``encoding`` (the form
    field: ``marc8`` | ``utf8``) overrides it for the whole file.
    """
    forced = marc_encoding(encoding)
    head = stream.read(24)
    stream.seek(0)
    if len(head) < 24 or not head[:5].isdigit():
        raise Refusal(
            422,
            "Tệp không phải là MARC21 (ISO 2709, .mrc). Tệp MARCXML hãy gửi với đuôi .xml.",
            "Not a MARC21 (ISO 2709, .mrc) file. Send MARCXML files with a .xml name.",
        )
    seen: dict[str, None] = {}
    notes.encoding = forced or "utf-8"
    reader = pymarc.MARCReader(stream, to_unicode=False)
    for index, record in enumerate(reader):
        if record is None:
            reason = str(reader.current_exception or "unreadable record")
            yield _bad_record(index, f"Biểu ghi MARC hỏng / broken MARC record: {reason}")
            continue
        used = record_encoding(record, forced)
        try:
            view = _view_of(record, used)
        except UnicodeDecodeError as exc:
            yield _bad_record(index, f"Biểu ghi MARC-8 hỏng / broken MARC-8 text: {exc.reason}")
            continue
        seen.setdefault(used)
        notes.encoding = ", ".join(seen)
        yield ParsedRow(index, marc_to_record(view, default_kind=default_kind))


# ---------------------------------------------------------------- MARCXML


def refuse_dtd(stream: BinaryIO) -> None:
    """Refuse any document that declares a DTD or entities: no expansion, nothing read."""
    head = stream.read(_PROLOG_BYTES)
    stream.seek(0)
    if any(marker in head for marker in _DTD_MARKERS):
        raise Refusal(
            422,
            "Tài liệu XML có khai báo DTD/ENTITY: không được chấp nhận vì lý do an toàn. "
            "Hãy xuất lại MARCXML không có <!DOCTYPE>.",
            "The XML document declares a DTD or entities, which is refused for safety. "
            "Export the MARCXML again without <!DOCTYPE>.",
        )


def _xml_view(element: Any) -> MarcView:
    view = MarcView()
    for child in element:
        name = etree.QName(child).localname
        tag = child.get("tag", "")
        if name == "controlfield":
            view.control.setdefault(tag, child.text or "")
        elif name == "datafield":
            subfields = [
                (s.get("code", ""), s.text or "")
                for s in child
                if etree.QName(s).localname == "subfield"
            ]
            view.data.append((tag, subfields))
    return view


def parse_marcxml(
    stream: BinaryIO, notes: ImportNotes, *, default_kind: str | None = None
) -> Iterator[ParsedRow]:
    """Stream ``<record>`` elements (namespaced or not) with entity expansion and DTDs off."""
    refuse_dtd(stream)
    notes.encoding = "utf-8"
    index = 0
    try:
        for _, element in hardened_iterparse(stream, tag=(f"{{{MARCXML_NS}}}record", "record")):
            yield ParsedRow(index, marc_to_record(_xml_view(element), default_kind=default_kind))
            index += 1
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise Refusal(
            422,
            f"Tệp XML bị lỗi tại dòng {exc.lineno}: {exc.msg}",
            f"Malformed XML at line {exc.lineno}: {exc.msg}",
        ) from exc
    if index == 0:
        raise Refusal(
            422,
            "Không tìm thấy biểu ghi <record> MARCXML nào trong tệp.",
            "No MARCXML <record> element found in the file.",
        )
