"""Spreadsheets (XLSX, XLS, ODS) through python-calamine; zip containers (XLSX, ODS) are
checked first for zip bombs."""

from __future__ import annotations

import copy
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from services.ingest.domain import Refusal
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.formats.columns import is_blank, map_columns, row_to_record

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 10_000
RATIO_FLOOR = 1024 * 1024  # small parts (styles, themes) compress far better, harmlessly
CHUNK = 1024 * 1024


ZIP_CONTAINERS = frozenset({"xlsx", "ods"})


def _not_xlsx() -> Refusal:
    return Refusal(
        422,
        "Tệp không phải là bảng tính hợp lệ (.xlsx, .xls hoặc .ods): hãy mở và lưu lại tệp "
        "bằng Excel hoặc LibreOffice.",
        "The file is not a valid spreadsheet (.xlsx, .xls or .ods): open it and save it again "
        "with Excel or LibreOffice.",
    )


def _expands_too_far(total: int, worst: float) -> Refusal:
    return Refusal(
        413,
        f"Tệp Excel giải nén quá lớn (tối đa {MAX_UNCOMPRESSED // 2**20} MB, tỉ lệ nén "
        f"tối đa {MAX_RATIO}:1). Hãy chia nhỏ tệp.",
        f"The workbook expands too far (at most {MAX_UNCOMPRESSED // 2**20} MB, "
        f"compression ratio at most {MAX_RATIO}:1). Split the file.",
        details={"uncompressed_bytes": total, "max_ratio_seen": round(worst, 1)},
    )


def _ratio(size: int, info: zipfile.ZipInfo) -> float:
    return size / max(info.compress_size, 1) if size > RATIO_FLOOR else 0.0


def _check_declared(infos: list[zipfile.ZipInfo]) -> None:
    """The cheap check first: an archive that admits it expands too far is not inflated."""
    total = sum(i.file_size for i in infos)
    worst = max((_ratio(i.file_size, i) for i in infos), default=0.0)
    if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or worst > MAX_RATIO:
        raise _expands_too_far(total, worst)


def _inflated_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, before: int) -> int:
    """The bytes the entry really inflates to, counted while inflating (the sizes a zip
    declares can be forged); stops as soon as a bound is passed."""
    probe = copy.copy(info)
    probe.file_size = MAX_UNCOMPRESSED + 1  # read on past the declared size, if it lies
    size = 0
    with archive.open(probe) as entry:
        while chunk := entry.read(CHUNK):
            size += len(chunk)
            if before + size > MAX_UNCOMPRESSED or _ratio(size, info) > MAX_RATIO:
                raise _expands_too_far(before + size, _ratio(size, info))
    if size != info.file_size:
        raise _not_xlsx()  # a damaged or forged archive
    return size


def check_archive(stream: BinaryIO) -> None:
    """Refuse archives that would expand too far (size, ratio, number of entries)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            _check_declared(infos)
            total = 0
            for info in infos:
                total += _inflated_size(archive, info, total)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _not_xlsx() from exc
    except (NotImplementedError, RuntimeError) as exc:  # unknown compression, encrypted
        raise _not_xlsx() from exc
    finally:
        stream.seek(0)


def parse_xlsx(
    stream: BinaryIO,
    notes: ImportNotes,
    *,
    default_kind: str | None = None,
    container: str = "xlsx",
) -> Iterator[ParsedRow]:
    """Stream the rows of the first sheet as raw records; the first row holds the headers.

    ``container`` is ``xlsx``, ``xls`` or ``ods`` (what the file is, not only its name).
    """
    if container in ZIP_CONTAINERS:
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
