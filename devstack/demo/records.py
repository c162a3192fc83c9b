"""The demo records: built from the hand-written parts in ``data/*.json`` (read by ``content.py``).

Every value is deterministic (no clock, no randomness), so pushing the demo again changes
nothing in the catalogue: it versions only real changes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from devstack.demo.content import CONTENT, Item, MemberContent, Publication
from devstack.demo.members import MEMBERS, DemoMember
from shared.records import RecordIn
from shared.text import fold

HANOI = timezone(timedelta(hours=7))
TRAINING_YEARS = (2024, 2025, 2026)


def isbn13_check_digit(first12: str) -> str:
    """The ISBN-13 check digit of twelve digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def issn_check_digit(first7: str) -> str:
    """The ISSN check digit (``X`` for ten) of seven digits."""
    total = sum(int(d) * w for d, w in zip(first7, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def issn(first7: str) -> str:
    return f"{first7[:4]}-{first7[4:]}{issn_check_digit(first7)}"


def isbn(registrant: str, number: int) -> str:
    """A Vietnamese (978-604) ISBN-13 with a valid check digit, hyphenated."""
    width = 6 - len(registrant)
    title = str(number % 10**width).zfill(width)
    first12 = f"978604{registrant}{title}"
    return f"978-604-{registrant}-{title}-{isbn13_check_digit(first12)}"


def slug(text: str, limit: int = 60) -> str:
    """A URL path segment: folded words joined by ``-``, cut at a word boundary."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    out: list[str] = []
    for word in words:
        if out and len("-".join([*out, word])) > limit:
            break
        out.append(word)
    return "-".join(out)


def _resource(
    member: DemoMember, content: MemberContent, kind: str, local_id: str, item: Item, path: str
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "local_id": local_id,
        "kind": kind,
        "title": item.title,
        "description": item.description,
        "subjects": list(item.subjects),
        "creators": [member.name],
        "publisher": content.publisher if kind == "database" else member.name,
        "language": "vi",
        "url": f"{member.website}{path}",
        "contact": f"lienhe@{member.code}.example.org",
    }
    if item.extra in ("open", "restricted", "onsite"):
        record["access"] = item.extra
    return record


def _trainings(member: DemoMember, item: Item, number: int) -> list[dict[str, Any]]:
    sessions = []
    for offset, year in enumerate(TRAINING_YEARS):
        month = 3 + (number * 3 + offset * 2) % 8  # March–October, spread over the members
        day = 8 + (number * 5 + offset * 3) % 18
        starts = datetime(year, month, day, 8, 0, tzinfo=HANOI)
        ends = starts + timedelta(days=1 + (number + offset) % 3, hours=9)
        sessions.append(
            {
                "local_id": f"dt-{number:02d}-{year}",
                "kind": "training",
                "title": f"{item.title} năm {year}",
                "description": item.description,
                "subjects": list(item.subjects),
                "creators": [member.name],
                "publisher": member.name,
                "language": "vi",
                "year": year,
                "url": f"{member.website}/dao-tao/{slug(item.title, 40)}-{year}",
                "access": "open",
                "contact": f"daotao@{member.code}.example.org",
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "location": item.extra,
            }
        )
    return sessions


_FORM_TEXT = {
    "article": "Bài báo khoa học đăng trên {journal}, số {issue} năm {year}.",
    "book": "Sách do {publisher} xuất bản năm {year}, {pages} trang.",
    "report": "Báo cáo khoa học lưu giữ tại {member} và Trung tâm Thông tin Khoa học và "
    "Công nghệ Hải Phòng, năm {year}.",
    "thesis": "Luận văn thạc sĩ bảo vệ năm {year} tại {member}.",
}


def _publication(
    member: DemoMember, content: MemberContent, pub: Publication, number: int
) -> dict[str, Any]:
    authors = content.authors
    creators = [authors[number % len(authors)]]
    if pub.form != "thesis":
        creators.append(authors[(number + 2) % len(authors)])
    summary = _FORM_TEXT[pub.form].format(
        journal=content.journal,
        issue=1 + number % 4,
        year=pub.year,
        publisher=content.publisher,
        pages=180 + (number * 37) % 260,
        member=member.name,
    )
    record: dict[str, Any] = {
        "local_id": f"ap-{number:02d}",
        "kind": "publication",
        "title": pub.title,
        "description": f"{summary} Chủ đề: {', '.join(pub.subjects)}.",
        "creators": creators,
        "subjects": list(pub.subjects),
        "publisher": content.journal if pub.form == "article" else content.publisher,
        "language": "vi",
        "year": pub.year,
        "url": f"{member.website}/an-pham/{slug(pub.title)}",
        "access": "open" if pub.form in ("article", "book") else "onsite",
    }
    if pub.form == "article":
        record["identifiers"] = {"issn": issn(content.journal_issn7)}
    elif pub.form == "book":
        record["identifiers"] = {"isbn": isbn(content.isbn_publisher, 100 + number * 17)}
    return record


def member_records(member: DemoMember) -> list[dict[str, Any]]:
    """Every demo record of one member, as the body items of ``POST /v1/records``."""
    content = CONTENT.get(member.code)
    if content is None or not member.has_records:
        return []
    records: list[dict[str, Any]] = []
    for n, item in enumerate(content.databases, 1):
        path = f"/csdl/{slug(item.title)}"
        records.append(_resource(member, content, "database", f"csdl-{n:02d}", item, path))
    for n, item in enumerate(content.websites, 1):
        records.append(_resource(member, content, "website", f"web-{n:02d}", item, item.extra))
    for n, item in enumerate(content.services, 1):
        path = f"/dich-vu/{slug(item.title)}"
        records.append(_resource(member, content, "service", f"dv-{n:02d}", item, path))
    for n, item in enumerate(content.trainings, 1):
        records.extend(_trainings(member, item, n))
    for n, pub in enumerate(content.publications, 1):
        records.append(_publication(member, content, pub, n))
    for record in records:  # fail here, not in the service, if the demo breaks the contract
        RecordIn.model_validate(record)
    return records


def all_records() -> dict[str, list[dict[str, Any]]]:
    """Member code → its demo records (members without records are absent)."""
    return {m.code: recs for m in MEMBERS if (recs := member_records(m))}
