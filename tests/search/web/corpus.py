"""Vietnamese records for the portal tests, with holdings and a hostile title."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.records import Record

BASE = datetime(2026, 1, 1, tzinfo=UTC)

MEMBERS = {
    "vmu": ("Trường Đại học Hàng hải Việt Nam", "Vietnam Maritime University"),
    "hpu": ("Trường Đại học Hải Phòng", "Hai Phong University"),
    "vimn": ("Viện Nghiên cứu Hải sản", "Research Institute for Marine Fisheries"),
}


def record(member: str, local_id: str, title: str, **fields: Any) -> Record:
    return Record(
        id=f"{member}:{local_id}",
        member=member,
        local_id=local_id,
        kind=fields.pop("kind", "publication"),
        title=title,
        version=1,
        created_at=BASE,
        updated_at=BASE,
        content_hash=f"h-{member}-{local_id}",
        **fields,
    )


TARGET_TITLE = "Thư viện số Trường Đại học Hàng hải Việt Nam"
HOSTILE_TITLE = '<script>alert("x")</script> Thủy sản & "môi trường"'

WEB_CORPUS: list[Record] = [
    record(
        "vmu",
        "tv-1",
        TARGET_TITLE,
        kind="website",
        year=2024,
        description="Cổng tra cứu tài liệu, giáo trình và luận văn ngành hàng hải, đóng tàu.",
        subjects=["Hàng hải", "Thư viện số"],
        url="https://lib.vimaru.edu.vn",
        also_held_by=["hpu:hh-9"],
    ),
    record(
        "hpu",
        "hh-9",
        "Đại học Hàng hải Việt Nam: 65 năm xây dựng và phát triển",
        year=2021,
        subjects=["Hàng hải", "Lịch sử"],
        also_held_by=["vmu:tv-1"],
    ),
    record(
        "vmu",
        "csdl-1",
        "Cơ sở dữ liệu luận văn thạc sĩ ngành khai thác máy tàu biển",
        kind="database",
        year=2022,
        subjects=["Luận văn", "Hàng hải"],
    ),
    record(
        "hpu",
        "kh-1",
        "Nghiên cứu khoa học về môi trường biển Hải Phòng",
        year=2019,
        language="vi",
        subjects=["Môi trường biển"],
    ),
    record(
        "vimn",
        "en-1",
        "Marine fisheries of the Gulf of Tonkin",
        year=2018,
        language="en",
        subjects=["Fisheries"],
    ),
    record(
        "vimn",
        "xss-1",
        HOSTILE_TITLE,
        year=2020,
        description="Mô tả có <b>thẻ</b> & ký tự đặc biệt.",
        subjects=["Thủy sản"],
    ),
    *[
        record("vmu", f"bc-{i}", f"Báo cáo tập huấn an toàn hàng hải số {i}", year=2010 + i)
        for i in range(1, 13)
    ],
]
