"""CSV as Vietnamese offices export it: UTF-8 (with or without BOM), UTF-16, Windows-1258."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from charset_normalizer import from_bytes

from services.ingest.domain import Refusal
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.formats.columns import is_blank, map_columns, row_to_record

MAX_LINE_CHARS = 1_000_000
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


def detect_encoding(sample: bytes) -> str:
    """BOM first, then strict UTF-8, then Windows-1258 (Excel's Vietnamese "CSV")."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1258")
        return "cp1258"
    except UnicodeDecodeError:
        best = from_bytes(sample).best()
        return best.encoding if best is not None else "cp1258"


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    number = 0
    while True:
        line = text.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise Refusal(
                422,
                f"Dòng {number} dài quá {MAX_LINE_CHARS:,} ký tự: tệp có phải là CSV không?",
                f"Line {number} is longer than {MAX_LINE_CHARS:,} characters: is this a CSV file?",
            )
        yield line


def _sniff(first: str) -> str:
    try:
        return csv.Sniffer().sniff(first, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _decode_error(encoding: str) -> Refusal:
    return Refusal(
        422,
        f"Không đọc được tệp với bảng mã {encoding}. Hãy lưu lại dưới dạng 'CSV UTF-8' "
        "hoặc chọn bảng mã (trường 'encoding').",
        f"The file cannot be read as {encoding}. Save it as 'CSV UTF-8' or give the "
        "'encoding' field.",
    )


def parse_csv(
    stream: BinaryIO,
    notes: ImportNotes,
    *,
    encoding: str | None = None,
    default_kind: str | None = None,
) -> Iterator[ParsedRow]:
    """Stream the rows of a CSV file as raw records; the first row holds the headers."""
    sample = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    chosen = encoding or detect_encoding(sample)
    try:
        codecs.lookup(chosen)
    except LookupError as exc:
        raise Refusal(
            422, f"Bảng mã không hỗ trợ: {chosen}", f"Unknown encoding: {chosen}"
        ) from exc
    notes.encoding = chosen
    text = io.TextIOWrapper(stream, encoding=chosen, newline="", errors="strict")
    try:
        yield from _rows(text, notes, default_kind)
    except UnicodeDecodeError as exc:
        raise _decode_error(chosen) from exc
    except csv.Error as exc:
        raise Refusal(422, f"Tệp CSV bị lỗi cấu trúc: {exc}", f"Malformed CSV: {exc}") from exc
    finally:
        text.detach()


def _rows(text: io.TextIOBase, notes: ImportNotes, default_kind: str | None) -> Iterator[ParsedRow]:
    lines = _bounded_lines(text)
    first = next(lines, "")
    if not first.strip():
        raise Refusal(422, "Tệp CSV trống", "The CSV file is empty")
    notes.delimiter = _sniff(first)
    reader = csv.reader(_chain(first, lines), delimiter=notes.delimiter)
    columns = map_columns(next(reader))
    notes.ignored_columns = columns.ignored
    notes.headers = columns.header_map
    index = 0
    for cells in reader:
        if is_blank(cells):
            continue
        yield ParsedRow(
            index, row_to_record(columns, cells, default_kind=default_kind), row=reader.line_num
        )
        index += 1


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
