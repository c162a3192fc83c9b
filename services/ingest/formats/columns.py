"""Spreadsheet columns in English or Vietnamese, and cell values turned into record fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.ingest.domain import Refusal
from shared.text import clean_text, fold, nfc

# field -> headers a member may use (compared folded: no tone marks, lower case).
HEADERS: dict[str, tuple[str, ...]] = {
    "local_id": (
        "local_id",
        "local id",
        "id",
        "ma",
        "ma bieu ghi",
        "ma ban ghi",
        "ma tai lieu",
        "so dang ky",
        "so dang ki",
        "ma so",
    ),
    "kind": ("kind", "type", "loai", "loai hinh", "loai tai nguyen", "dang tai nguyen"),
    "title": ("title", "nhan de", "ten", "tieu de", "ten tai lieu", "nhan de chinh"),
    "description": ("description", "mo ta", "tom tat", "abstract", "gioi thieu"),
    "creators": ("creators", "creator", "author", "authors", "tac gia", "tac gia chinh"),
    "subjects": (
        "subjects",
        "subject",
        "keywords",
        "chu de",
        "tu khoa",
        "tu khoa chu de",
        "linh vuc",
    ),
    "publisher": (
        "publisher",
        "nha xuat ban",
        "nxb",
        "co quan xuat ban",
        "don vi xuat ban",
        "co quan",
    ),
    "language": ("language", "ngon ngu", "lang"),
    "year": ("year", "nam", "nam xuat ban", "nam xb"),
    "date": ("date", "ngay", "ngay xuat ban"),
    "url": ("url", "link", "duong dan", "dia chi web", "website", "lien ket"),
    "isbn": ("isbn",),
    "issn": ("issn",),
    "doi": ("doi",),
    "handle": ("handle",),
    "access": ("access", "truy cap", "quyen truy cap", "che do truy cap"),
    "contact": ("contact", "lien he", "thong tin lien he"),
    "starts_at": ("starts_at", "starts at", "bat dau", "ngay bat dau", "thoi gian bat dau"),
    "ends_at": ("ends_at", "ends at", "ket thuc", "ngay ket thuc", "thoi gian ket thuc"),
    "location": ("location", "dia diem", "noi to chuc"),
}
_LOOKUP = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
IDENTIFIER_FIELDS = ("isbn", "issn", "doi", "handle")
LIST_FIELDS = ("creators", "subjects")
REQUIRED = ("local_id", "title")

# Header row of the template: (Vietnamese, English) per field.
TEMPLATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("local_id", "Mã biểu ghi", "local_id"),
    ("kind", "Loại", "kind"),
    ("title", "Nhan đề", "title"),
    ("description", "Mô tả", "description"),
    ("creators", "Tác giả", "creators"),
    ("subjects", "Chủ đề", "subjects"),
    ("publisher", "Nhà xuất bản", "publisher"),
    ("language", "Ngôn ngữ", "language"),
    ("year", "Năm", "year"),
    ("url", "Đường dẫn", "url"),
    ("isbn", "ISBN", "isbn"),
    ("issn", "ISSN", "issn"),
    ("doi", "DOI", "doi"),
    ("access", "Truy cập", "access"),
    ("contact", "Liên hệ", "contact"),
    ("starts_at", "Bắt đầu", "starts_at"),
    ("ends_at", "Kết thúc", "ends_at"),
    ("location", "Địa điểm", "location"),
)
TEMPLATE_EXAMPLE: dict[str, str] = {
    "local_id": "TV-000123",
    "kind": "ấn phẩm",
    "title": "Kỹ thuật tàu thuỷ hiện đại",
    "description": "Giáo trình cho sinh viên ngành đóng tàu",
    "creators": "Nguyễn Văn An; Trần Thị Bình",
    "subjects": "Đóng tàu; Kỹ thuật hàng hải",
    "publisher": "NXB Hàng hải",
    "language": "vi",
    "year": "2021",
    "url": "https://thuvien.example.vn/tai-lieu/123",
    "isbn": "978-604-0-00000-0",
    "access": "mở",
}

KIND_WORDS: dict[str, str] = {
    "database": "database",
    "co so du lieu": "database",
    "csdl": "database",
    "publication": "publication",
    "an pham": "publication",
    "tai lieu": "publication",
    "sach": "publication",
    "bai bao": "publication",
    "tap chi": "publication",
    "luan van": "publication",
    "luan an": "publication",
    "bao cao": "publication",
    "website": "website",
    "trang web": "website",
    "cong thong tin": "website",
    "web": "website",
    "service": "service",
    "dich vu": "service",
    "dich vu thong tin": "service",
    "training": "training",
    "dao tao": "training",
    "tap huan": "training",
    "hoi thao": "training",
    "khoa hoc": "training",
}
ACCESS_WORDS: dict[str, str] = {
    "open": "open",
    "mo": "open",
    "tu do": "open",
    "cong khai": "open",
    "restricted": "restricted",
    "han che": "restricted",
    "onsite": "onsite",
    "tai cho": "onsite",
    "doc tai cho": "onsite",
}
LANGUAGE_WORDS: dict[str, str] = {
    "tieng viet": "vi",
    "viet": "vi",
    "vie": "vi",
    "vietnamese": "vi",
    "tieng anh": "en",
    "anh": "en",
    "eng": "en",
    "english": "en",
    "tieng phap": "fr",
    "phap": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "tieng nga": "ru",
    "nga": "ru",
    "rus": "ru",
    "russian": "ru",
    "tieng trung": "zh",
    "trung": "zh",
    "chi": "zh",
    "zho": "zh",
    "chinese": "zh",
    "tieng nhat": "ja",
    "nhat": "ja",
    "jpn": "ja",
    "japanese": "ja",
    "tieng han": "ko",
    "han": "ko",
    "kor": "ko",
    "korean": "ko",
    "tieng duc": "de",
    "duc": "de",
    "ger": "de",
    "deu": "de",
    "german": "de",
}
# The separator alone, and whitespace stripped from each part: ``\s*[;|\n]\s*`` backtracks
# quadratically on a long run of spaces (a 128 KB cell took hours).
_SEPARATOR = re.compile(r"[;|\n]")


@lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    return re.sub(r"[\s_]+", " ", fold(clean_text(header))).strip(" :*")


@dataclass(frozen=True)
class ColumnMap:
    """Which field each column of a file holds; unknown columns are reported, not guessed."""

    fields: tuple[str | None, ...]
    headers: tuple[str, ...]

    @property
    def ignored(self) -> list[str]:
        return [h for h, f in zip(self.headers, self.fields, strict=True) if f is None and h]

    @property
    def header_map(self) -> dict[str, str]:
        return {f: h for h, f in zip(self.headers, self.fields, strict=True) if f}


def map_columns(headers: Sequence[Any]) -> ColumnMap:
    """Recognise the header row; refuse a file without the columns every record needs."""
    names = tuple("" if h is None else clean_text(str(h)) for h in headers)
    fields: list[str | None] = []
    seen: set[str] = set()
    for name in names:
        field = _LOOKUP.get(header_key(name))
        fields.append(None if field in seen else field)
        if field:
            seen.add(field)
    missing = [f for f in REQUIRED if f not in seen]
    if missing:
        raise Refusal(
            422,
            "Dòng tiêu đề thiếu cột bắt buộc: "
            + ", ".join(_vi_name(f) for f in missing)
            + ". Hãy dùng mẫu GET /v1/imports/template.xlsx.",
            "The header row lacks required columns: "
            + ", ".join(missing)
            + ". Use the template GET /v1/imports/template.xlsx.",
            details={"missing": missing, "found": [h for h in names if h]},
        )
    return ColumnMap(fields=tuple(fields), headers=names)


def _vi_name(field: str) -> str:
    for name, vi, _ in TEMPLATE_COLUMNS:
        if name == field:
            return f"'{vi}' ({field})"
    return field


def cell_text(value: Any) -> str:
    """A cell as text: spreadsheet integers come back as floats (2021.0 → "2021")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    # NFC here for fields the record contract does not clean itself (local_id); the rest is
    # cleaned again by the contract, so keep this cheap: it runs for every cell.
    return text.strip() if text.isascii() else nfc(text).strip()


def _word(value: str, table: Mapping[str, str]) -> str:
    return table.get(header_key(value), value)


def row_to_record(
    columns: ColumnMap, cells: Sequence[Any], *, default_kind: str | None = None
) -> dict[str, Any]:
    """The raw record of one row (validated later against the record contract)."""
    record: dict[str, Any] = {}
    identifiers: dict[str, str] = {}
    for field, value in zip(columns.fields, cells, strict=False):
        if field is None:
            continue
        text = cell_text(value)
        if not text:
            continue
        if field in IDENTIFIER_FIELDS:
            identifiers[field] = text
        elif field in LIST_FIELDS:
            record[field] = split_list(text)
        elif field == "kind":
            record[field] = _word(text, KIND_WORDS)
        elif field == "access":
            record[field] = _word(text, ACCESS_WORDS)
        elif field == "language":
            record[field] = _word(text, LANGUAGE_WORDS)
        else:
            record[field] = text
    if identifiers:
        record["identifiers"] = identifiers
    if "kind" not in record and default_kind:
        record["kind"] = default_kind
    return record


def split_list(text: str) -> list[str]:
    """A cell holding several values ("Nguyễn Văn An; Trần Thị Bình") as its non-empty parts."""
    return [part for part in (p.strip() for p in _SEPARATOR.split(text)) if part]


def is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def kind_word(value: str | None) -> str | None:
    """A default kind given in English or Vietnamese (form field ``kind``)."""
    return _word(value, KIND_WORDS) if value else None


def language_word(value: str) -> str:
    return _word(value, LANGUAGE_WORDS)
