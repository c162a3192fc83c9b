"""JSON imports: ``{"records": [...]}``, a bare array, or NDJSON (one record a line, streamed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from services.ingest.domain import Refusal
from services.ingest.formats import ImportNotes, ParsedRow

MAX_JSON_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_NDJSON_LINE_BYTES = 1024 * 1024


def _bad_json(exc: ValueError, line: int | None = None) -> Refusal:
    where_vi = f" (dòng {line})" if line else ""
    where_en = f" (line {line})" if line else ""
    return Refusal(
        422,
        f"JSON không hợp lệ{where_vi}: {exc}",
        f"Invalid JSON{where_en}: {exc}",
    )


def records_of(document: Any) -> list[Any]:
    """The records of a JSON document: ``{"records": [...]}`` or a bare array."""
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        return document["records"]
    if isinstance(document, list):
        return document
    raise Refusal(
        422,
        'JSON phải có dạng {"records": [...]} hoặc là một mảng các bản ghi.',
        'JSON must be {"records": [...]} or an array of records.',
    )


def ndjson_rows(lines: Iterator[bytes]) -> Iterator[ParsedRow]:
    """One record per non-blank line; a malformed line rejects that record only."""
    index = 0
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_NDJSON_LINE_BYTES:
            raise Refusal(
                413,
                f"Dòng {number} dài quá {MAX_NDJSON_LINE_BYTES // 1024} KB.",
                f"Line {number} is longer than {MAX_NDJSON_LINE_BYTES // 1024} KB.",
            )
        if not line.strip():
            continue
        try:
            yield ParsedRow(index, json.loads(line), row=number)
        except ValueError as exc:
            yield ParsedRow(
                index, None, row=number, error=f"JSON không hợp lệ / invalid JSON: {exc}"
            )
        index += 1


def _looks_like_ndjson(first_line: bytes) -> bool:
    try:
        value = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(value, dict) and "records" not in value


def parse_json(stream: BinaryIO, notes: ImportNotes, **_: Any) -> Iterator[ParsedRow]:
    """A JSON document (loaded, bounded size) or NDJSON (streamed line by line)."""
    first = stream.readline(MAX_NDJSON_LINE_BYTES + 1)
    stream.seek(0)
    if _looks_like_ndjson(first):
        notes.format = "ndjson"
        yield from ndjson_rows(iter(lambda: stream.readline(MAX_NDJSON_LINE_BYTES + 1), b""))
        return
    data = stream.read(MAX_JSON_DOCUMENT_BYTES + 1)
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise Refusal(
            413,
            f"Tệp JSON lớn hơn {MAX_JSON_DOCUMENT_BYTES // 2**20} MB: hãy dùng NDJSON "
            "(mỗi dòng một bản ghi).",
            f"JSON file larger than {MAX_JSON_DOCUMENT_BYTES // 2**20} MB: use NDJSON "
            "(one record per line).",
        )
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise _bad_json(exc) from exc
    del data
    for index, raw in enumerate(records_of(document)):
        yield ParsedRow(index, raw)
