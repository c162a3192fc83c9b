"""Soft problems end to end (issue 13): what the 202 accepts is stored, with its warnings.

Real processes, real RabbitMQ and SecantusDB: ingest's 202, the catalogue's report and
stored records, and search agree on every record of a batch mixing hard errors, soft
problems and clean records.
"""

from __future__ import annotations

import email
import mailbox
import random
from email.policy import default
from typing import Any

import pytest

from tests.e2e.conftest import E2E, RunningStack, member_code, poll

pytestmark = pytest.mark.e2e


def isbn13(valid: bool = True) -> str:
    """A random ISBN-13 of our own (no other test's record shares it), valid or not."""
    stem = "978" + "".join(random.choice("0123456789") for _ in range(9))
    total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(stem))
    check = (10 - total % 10) % 10
    return stem + str(check if valid else (check + 1) % 10)


def marcxml_book(local_id: str, title: str, isbn: str) -> str:
    return f"""<record>
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">{local_id}</controlfield>
  <datafield tag="020" ind1=" " ind2=" "><subfield code="a">{isbn}</subfield></datafield>
  <datafield tag="100" ind1="1" ind2=" "><subfield code="a">Phạm Văn Đức</subfield></datafield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">{title}</subfield></datafield>
  <datafield tag="260" ind1=" " ind2=" "><subfield code="c">2021</subfield></datafield>
</record>"""


def marcxml(*records: str) -> bytes:
    body = "\n".join(records)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<collection xmlns="http://www.loc.gov/MARC21/slim">\n{body}\n</collection>'
    ).encode()


def import_file(e2e: E2E, key: str, name: str, data: bytes) -> dict[str, Any]:
    response = e2e.http.post(
        f"{e2e.s.url('ingest')}/v1/imports",
        files={"file": (name, data, "application/octet-stream")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 202, response.text
    return response.json()


def catalogue_record(e2e: E2E, rid: str) -> Any:
    return e2e.http.get(f"{e2e.s.url('catalogue')}/v1/records/{rid}")


def codes_by_index(warned: list[dict[str, Any]]) -> dict[int, set[str]]:
    return {w["index"]: {p["code"] for p in w["warnings"]} for w in warned}


def test_a_marcxml_book_with_a_bad_isbn_is_stored_flagged_and_never_linked_by_it(
    stack: RunningStack, e2e: E2E
) -> None:
    library, university = member_code("tv"), member_code("dh")
    e2e.create_member(library, "Thư viện Khoa học Tổng hợp Hải Phòng")
    e2e.create_member(university, "Trường Đại học Hải Phòng")
    library_key, university_key = e2e.issue_key(library), e2e.issue_key(university)
    bad, good = isbn13(valid=False), isbn13()

    receipt = import_file(
        e2e,
        library_key,
        "books.xml",
        marcxml(
            marcxml_book("B1", "Hải dương học ven bờ Bắc Bộ", bad),
            marcxml_book("B2", "Kinh tế biển Hải Phòng", good),
        ),
    )
    assert receipt["accepted"] == 2 and receipt["rejected"] == []
    flagged = codes_by_index(receipt["warnings"])
    assert "invalid_isbn" in flagged[0] and "invalid_isbn" not in flagged.get(1, set())
    [isbn_warning] = [p for p in receipt["warnings"][0]["warnings"] if p["code"] == "invalid_isbn"]
    assert isbn_warning["loc"] == ["identifiers", "isbn"]
    vietnamese, _, english = isbn_warning["msg"].partition(" / ")
    assert "ISBN" in vietnamese and "checksum" in english

    # Another member holds works with the same two ISBNs (other titles: only the ISBN links).
    other = e2e.push(
        university_key,
        [
            {"local_id": "U1", "kind": "publication", "title": "Tài liệu khác một",
             "identifiers": {"isbn": bad}},
            {"local_id": "U2", "kind": "publication", "title": "Tài liệu khác hai",
             "identifiers": {"isbn": good}},
        ],
    )  # fmt: skip
    report = e2e.wait_done(library_key, receipt["submission_id"])
    assert [o["outcome"] for o in report["outcomes"]] == ["created", "created"]
    e2e.wait_done(university_key, other["submission_id"])

    hits = e2e.wait_search_total(1, q="hai duong hoc ven bo", member=library)["hits"]
    assert hits[0]["id"] == f"{library}:B1"
    book = catalogue_record(e2e, f"{library}:B1").json()
    assert book["identifiers"] == {}
    assert book["invalid_identifiers"] == {"isbn": [bad]}
    assert "invalid_isbn" in {p["code"] for p in book["problems"]}

    def held_by(rid: str) -> list[str]:
        return catalogue_record(e2e, rid).json()["also_held_by"]

    assert held_by(f"{library}:B1") == [] and held_by(f"{university}:U1") == []
    assert held_by(f"{library}:B2") == [f"{university}:U2"]


def test_the_202_says_exactly_what_the_catalogue_stores_and_refuses(
    stack: RunningStack, e2e: E2E
) -> None:
    code = member_code("vn")
    e2e.create_member(code, "Viện Nghiên cứu Hải sản")
    key = e2e.issue_key(code)
    complete = {"description": "Mô tả", "year": 2020, "subjects": ["hải sản"], "language": "vi"}
    records: list[Any] = [
        {"local_id": "clean", "kind": "database", "title": "Cơ sở dữ liệu cá biển", **complete},
        {"local_id": "no-title", "kind": "publication", "title": ""},
        {"local_id": "bad-doi", "kind": "publication", "title": "Nguồn lợi hải sản",
         "identifiers": {"doi": "doi-khong-hop-le"}},
        {"local_id": "bad-kind", "kind": "book", "title": "Sách"},
        {"local_id": "caps-url", "kind": "website", "title": "CỔNG THÔNG TIN HẢI SẢN",
         "url": "not a url", **complete},
        {"local_id": "bad-year", "kind": "publication", "title": "Năm sai", "year": "abc"},
        {"local_id": "bad-isbn", "kind": "publication", "title": "Sách cá",
         "identifiers": {"isbn": isbn13(valid=False)}, **complete},
    ]  # fmt: skip
    receipt = e2e.push(key, records)
    assert receipt["accepted"] == 4
    assert {r["index"] for r in receipt["rejected"]} == {1, 3, 5}
    assert codes_by_index(receipt["warnings"]) == {
        2: {"invalid_doi", "missing_description", "missing_year", "missing_subjects",
            "missing_language"},
        4: {"invalid_url", "title_all_caps"},
        6: {"invalid_isbn"},
    }  # fmt: skip
    assert receipt["warnings_count"] == 3

    report = e2e.wait_done(key, receipt["submission_id"], allow_rejected=True)
    outcomes = {o["index"]: o for o in report["outcomes"]}
    assert {i for i, o in outcomes.items() if o["outcome"] == "rejected"} == {1, 3, 5}
    assert {i for i, o in outcomes.items() if o["outcome"] == "created"} == {0, 2, 4, 6}
    assert report["warnings"] == receipt["warnings"]
    assert report["warnings_count"] == 3
    only_warned = e2e.http.get(
        f"{stack.url('ingest')}/v1/submissions/{receipt['submission_id']}",
        params={"warned": "true"},
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert [o["index"] for o in only_warned["outcomes"]] == [2, 4, 6]
    for index, record in enumerate(records):
        response = catalogue_record(e2e, f"{code}:{record['local_id']}")
        if index in (1, 3, 5):
            assert response.status_code == 404
            continue
        stored = response.json()["problems"]
        assert stored == outcomes[index].get("warnings", []), record["local_id"]


def mails_to(stack: RunningStack, address: str) -> list[Any]:
    box = mailbox.Maildir(stack.stack.mail_dir, factory=None, create=False)
    found = []
    for key in box.iterkeys():
        with box.get_file(key) as handle:
            message = email.message_from_binary_file(handle, policy=default)
        if message["To"] == address:
            found.append(message)
    return found


def text_vi(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and part["Content-Language"] == "vi":
            return str(part.get_content())
    raise AssertionError("no Vietnamese part")


def test_a_file_import_with_problems_mails_the_member_one_report(
    e2e: E2E, stack: RunningStack
) -> None:
    code = member_code("bc")
    contact = f"{code}@member.example.vn"
    e2e.create_member(code, "Thư viện Báo cáo", contact_email=contact)
    key = e2e.issue_key(code)
    csv = (
        "local_id,kind,title,description,subjects,language,year,isbn\r\n"
        f"A1,publication,Sách đủ,Mô tả,Biển,vi,2020,{isbn13()}\r\n"
        f"A2,publication,Sách ISBN sai,Mô tả,Biển,vi,2020,{isbn13(valid=False)}\r\n"
        "A3,publication,,Thiếu nhan đề,Biển,vi,2020,\r\n"
    ).encode()
    receipt = import_file(e2e, key, "sach.csv", csv)
    e2e.wait_done(key, receipt["submission_id"], allow_rejected=True)

    [mail] = poll(lambda: mails_to(stack, contact), timeout=30, what="the import report")
    assert "2 đã lưu, 1 có cảnh báo, 1 bị từ chối" in mail["Subject"]
    report = f"/console/member/submissions/{receipt['submission_id']}?member={code}"
    assert report in text_vi(mail)
