"""XLSX through python-calamine, after checking the archive is not a zip bomb."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from services.ingest.domain import Refusal
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.formats.columns import is_blank, map_columns, row_to_record

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 10_000


def _not_xlsx() -> Refusal:
    return Refusal(
        422,
        "Tệp không phải là bảng tính Excel .xlsx hợp lệ (tệp .xls cũ: hãy lưu lại thành .xlsx).",
        "The file is not a valid .xlsx workbook (old .xls files: save them as .xlsx).",
    )


def check_archive(stream: BinaryIO) -> None:
    """Refuse archives that would expand too far (size, ratio, number of entries)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_xlsx() from exc
    finally:
        stream.seek(0)
    total = sum(i.file_size for i in infos)
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1024 * 1024),
        default=0.0,
    )
    if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or worst > MAX_RATIO:
        raise Refusal(
            413,
            f"Tệp Excel giải nén quá lớn (tối đa {MAX_UNCOMPRESSED // 2**20} MB, tỉ lệ nén "
            f"tối đa {MAX_RATIO}:1). Hãy chia nhỏ tệp.",
            f"The workbook expands too far (at most {MAX_UNCOMPRESSED // 2**20} MB, "
            f"compression ratio at most {MAX_RATIO}:1). Split the file.",
            details={"uncompressed_bytes": total, "max_ratio_seen": round(worst, 1)},
        )


def parse_xlsx(
    stream: BinaryIO, notes: ImportNotes, *, default_kind: str | None = None
) -> Iterator[ParsedRow]:
    """Stream the rows of the first sheet as raw records; the first row holds the headers."""
    check_archive(stream)
    try:
        workbook = CalamineWorkbook.from_filelike(stream)
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, None)
    except CalamineError as exc:
        raise _not_xlsx() from exc
    if header is None:
        raise Refusal(422, "Bảng tính trống", "The worksheet is empty")
    columns = map_columns(header)
    notes.ignored_columns = columns.ignored
    notes.headers = columns.header_map
    index = 0
    for number, cells in enumerate(rows, start=2):
        if is_blank(cells):
            continue
        yield ParsedRow(index, row_to_record(columns, cells, default_kind=default_kind), row=number)
        index += 1
