"""Small Vietnamese test corpus shared by the search tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.records import Record

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def make_record(member: str, local_id: str, title: str, **fields: Any) -> Record:
    """A catalogue record as ``records.changed`` carries it."""
    version = fields.pop("version", 1)
    updated = fields.pop("updated_at", BASE + timedelta(minutes=version))
    return Record(
        id=f"{member}:{local_id}",
        member=member,
        local_id=local_id,
        kind=fields.pop("kind", "publication"),
        title=title,
        version=version,
        created_at=BASE,
        updated_at=updated,
        content_hash=f"h-{local_id}-{version}",
        **fields,
    )


CORPUS: list[Record] = [
    make_record(
        "vmu",
        "dh-1",
        "Đại học Hàng hải Việt Nam — giới thiệu",
        kind="website",
        year=2023,
        subjects=["Hàng hải", "Giáo dục đại học"],
        url="https://vimaru.edu.vn",
    ),
    make_record(
        "vmu",
        "dh-2",
        "Dai hoc hang hai: tai lieu khong dau",
        year=2015,
        subjects=["Hàng hải"],
    ),
    make_record(
        "vmu",
        "csdl-1",
        "CSDL luận văn thạc sĩ ngành hàng hải",
        kind="database",
        year=2021,
        subjects=["Luận văn", "Hàng hải"],
        language="vi",
    ),
    make_record(
        "hpu",
        "kh-1",
        "Nghiên cứu khoa học về môi trường biển Hải Phòng",
        year=2022,
        subjects=["Môi trường", "Biển"],
        creators=["Nguyễn Văn An"],
        description="Kết quả nghiên cứu khoa học về chất lượng nước ven biển.",
    ),
    make_record(
        "hpu",
        "kh-2",
        "Thông tin KH&CN Hải Phòng số 3",
        kind="publication",
        year=2020,
        subjects=["Khoa học và công nghệ"],
    ),
    make_record(
        "hpl",
        "tv-1",
        "Thư viện số thành phố Hải Phòng",
        kind="service",
        year=2019,
        subjects=["Thư viện"],
        language="vi",
    ),
    make_record(
        "hpl",
        "en-1",
        "Marine engineering handbook",
        year=2018,
        language="en",
        subjects=["Marine engineering"],
    ),
    make_record(
        "hmu",
        "yk-1",
        "Tạp chí Y học Hải Phòng",
        kind="publication",
        year=2024,
        subjects=["Y học"],
        description="Tạp chí khoa học chuyên ngành y dược.",
    ),
    make_record(
        "hmu",
        "tr-1",
        "Tập huấn khai thác cơ sở dữ liệu y văn",
        kind="training",
        year=2024,
        subjects=["Đào tạo"],
        starts_at=BASE + timedelta(days=30),
        ends_at=BASE + timedelta(days=31),
        location="Hải Phòng",
    ),
    make_record(
        "vmu",
        "old-1",
        "Ảnh tư liệu cảng Hải Phòng xưa",
        kind="database",
        year=1995,
        subjects=["Lịch sử", "Cảng biển"],
    ),
    make_record("vmu", "w-1", "Bản ghi đã rút", year=2020, status="withdrawn"),
]
