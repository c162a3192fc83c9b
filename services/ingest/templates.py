"""The import templates members download: CSV (UTF-8 with BOM) and XLSX, Vietnamese or English."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from services.ingest.formats.columns import TEMPLATE_COLUMNS, TEMPLATE_EXAMPLE

ALLOWED_VALUES: tuple[tuple[str, str, str], ...] = (
    (
        "Loại / kind",
        "cơ sở dữ liệu, ấn phẩm, website, dịch vụ, đào tạo",
        "database, publication, website, service, training",
    ),
    ("Truy cập / access", "mở, hạn chế, tại chỗ", "open, restricted, onsite"),
    (
        "Ngôn ngữ / language",
        "vi, en, fr, … (hoặc: tiếng Việt, tiếng Anh)",
        "vi, en, fr, … (ISO 639-1)",
    ),
    ("Tác giả, Chủ đề", "nhiều giá trị cách nhau bằng dấu ;", "several values separated by ;"),
    ("Năm / year", "4 chữ số, ví dụ 2021", "4 digits, e.g. 2021"),
    (
        "Bắt đầu, Kết thúc",
        "chỉ cho loại đào tạo; dạng 2026-03-15T08:00:00+07:00",
        "training only; like 2026-03-15T08:00:00+07:00",
    ),
)


def _headers(english: bool) -> list[str]:
    return [en if english else vi for _, vi, en in TEMPLATE_COLUMNS]


def _example() -> list[str]:
    return [TEMPLATE_EXAMPLE.get(field, "") for field, _, _ in TEMPLATE_COLUMNS]


def csv_template(*, english: bool = False) -> bytes:
    """Header row and one example row, UTF-8 with BOM so Excel shows Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers(english))
    writer.writerow(_example())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_template(*, english: bool = False) -> bytes:
    """The data sheet first (imports read the first sheet), then a sheet of allowed values."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Records" if english else "Bieu ghi"
    sheet.append(_headers(english))
    sheet.append(_example())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 22
    guide = workbook.create_sheet("Guide" if english else "Huong dan")
    guide.append(["Column", "Allowed values"] if english else ["Cột", "Giá trị cho phép"])
    for name, vi, en in ALLOWED_VALUES:
        guide.append([name, en if english else vi])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
