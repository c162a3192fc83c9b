"""POST /v1/imports with every format members export, and the files ingest must refuse."""

from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path
from typing import Any

import pymarc
import pytest
from python_calamine import CalamineWorkbook

from tests.ingest.conftest import Ingest
from tests.ingest.samples import (
    MARC8_CREATOR_TEXT,
    MARC8_SUBJECT_TEXT,
    MARC8_TITLE_TEXT,
    VI_ROWS,
    billion_laughs,
    csv_text,
    forged_size_xlsx,
    iso2709,
    marc8_record,
    marc21_bytes,
    marc_record,
    marcxml_bytes,
    to_cp1258,
    xlsx_bytes,
    xxe_document,
    zip_bomb_xlsx,
)


async def upload(
    ingest: Ingest, auth: dict[str, str], name: str, content: bytes, **fields: str
) -> Any:
    return await ingest.client.post(
        "/v1/imports", files={"file": (name, content)}, data=fields, headers=auth
    )


def _check_vietnamese_rows(body: dict[str, Any], records: list[dict[str, Any]]) -> None:
    assert body["accepted"] == 2 and body["rejected_count"] == 1
    [bad] = body["rejected"]
    assert bad["local_id"] == "HP-003" and bad["row"] == 4
    assert {e["loc"][0] for e in bad["errors"]} == {"kind", "year"}
    messages = sorted(e["msg"] for e in bad["errors"])
    assert messages[0].startswith("[Loại] Giá trị không hợp lệ")
    assert messages[1].startswith("[Năm] Phải là số nguyên")
    assert body["file"]["ignored_columns"] == ["Ghi chú nội bộ"]
    first, second = records
    assert first["title"] == "Đại học Hàng hải Việt Nam: 65 năm xây dựng"
    assert first["creators"] == ["Nguyễn Văn Ánh", "Lê Thị Hồng"]
    assert first["subjects"] == ["Giáo dục", "Hàng hải"]
    assert first["kind"] == "publication" and first["year"] == 2021 and first["language"] == "vi"
    assert second["kind"] == "database"


async def _records(ingest: Ingest) -> list[dict[str, Any]]:
    [event] = await ingest.submitted(expect=1)
    return [
        item.record.model_dump(mode="json", exclude_none=True)
        for item in event.items
        if item.record
    ]


@pytest.mark.parametrize(
    ("name", "encode", "expected_encoding"),
    [
        ("windows-1258.csv", lambda t: to_cp1258(t), "cp1258"),
        ("utf8-bom.csv", lambda t: codecs.BOM_UTF8 + t.encode(), "utf-8-sig"),
        ("utf16-excel-unicode.txt", lambda t: t.encode("utf-16"), "utf-16"),
        ("plain-utf8.csv", lambda t: t.encode(), "utf-8"),
    ],
)
async def test_csv_in_every_encoding_excel_writes(
    ingest: Ingest, name: str, encode: Any, expected_encoding: str
) -> None:
    auth = await ingest.key_for("vmu")
    delimiter = "\t" if "utf16" in name else (";" if "bom" in name else ",")
    response = await upload(ingest, auth, name, encode(csv_text(VI_ROWS, delimiter)))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["file"]["encoding"] == expected_encoding
    assert body["file"]["delimiter"] == delimiter
    _check_vietnamese_rows(body, await _records(ingest))
    [event_submission] = [body["submission_id"]]
    status = (await ingest.client.get(f"/v1/submissions/{event_submission}", headers=auth)).json()
    assert status["source"] == "csv"


async def test_xlsx_with_vietnamese_headers_and_numbers_as_excel_stores_them(
    ingest: Ingest,
) -> None:
    auth = await ingest.key_for("vmu")
    rows: list[list[object]] = [list(r) for r in VI_ROWS]
    rows[1][5] = 2021  # a number cell: calamine reads it back as 2021.0
    rows[2][0] = 1002  # a numeric local id
    response = await upload(ingest, auth, "danh-muc.xlsx", xlsx_bytes(rows))
    assert response.status_code == 202, response.text
    records = await _records(ingest)
    _check_vietnamese_rows(response.json(), records)
    assert records[1]["local_id"] == "1002"


SAMPLE_FILES = Path(__file__).parent / "sample_files"


@pytest.mark.parametrize("name", ["danh-muc.xls", "danh-muc.ods"])
async def test_old_excel_and_opendocument_spreadsheets_import(ingest: Ingest, name: str) -> None:
    # Shipped samples (made once with xlwt 1.3.0 and odfpy 1.4.1 from VI_ROWS):
    # neither format can be written by the project's own dependencies.
    auth = await ingest.key_for("vmu")
    response = await upload(ingest, auth, name, (SAMPLE_FILES / name).read_bytes())
    assert response.status_code == 202, response.text
    assert response.json()["file"]["format"] == name.rsplit(".", 1)[1]
    _check_vietnamese_rows(response.json(), await _records(ingest))


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("books.marcxml", marcxml_bytes(2), "marcxml"),
        ("books.mrcx", marcxml_bytes(2), "marcxml"),
        ("export.iso", marc21_bytes(2), "marc"),
        ("export.marc", marc21_bytes(2), "marc"),
        ("danh-muc.tsv", csv_text(VI_ROWS[:3], "\t").encode(), "csv"),
        # The name and the content disagree: the content, unambiguous, is what is read.
        ("danh-muc.xml", csv_text(VI_ROWS[:3]).encode(), "csv"),
        ("export.csv", marcxml_bytes(2), "marcxml"),
        ("export.xlsx", marc21_bytes(2), "marc"),
        ("records.txt", json.dumps({"records": [{"local_id": "j1", "kind": "website",
                                                  "title": "Cổng"}, {"local_id": "j2",
                                                  "kind": "website", "title": "Cổng 2"}]}
                                    ).encode(), "json"),
    ],
)  # fmt: skip
async def test_every_file_type_by_its_name_and_by_its_content(
    ingest: Ingest, name: str, content: bytes, fmt: str
) -> None:
    auth = await ingest.key_for("vmu")
    response = await upload(ingest, auth, name, content)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["file"]["format"] in (fmt, "ndjson") and body["accepted"] == 2
    assert len(await _records(ingest)) == 2


async def test_marc_cancelled_isbn_and_issn_are_kept_as_invalid_identifiers(
    ingest: Ingest,
) -> None:
    auth = await ingest.key_for("vmu")
    book = marc_record("VMU-Z", "Sách có ISBN huỷ")
    for tag, value in (("020", "9780306406157"), ("022", "0317-8471")):
        cancelled = [pymarc.Subfield("z", value)]
        book.add_field(pymarc.Field(tag=tag, indicators=[" ", " "], subfields=cancelled))
    response = await upload(ingest, auth, "huy.mrc", book.as_marc())
    assert response.status_code == 202, response.text
    [record] = await _records(ingest)
    assert record["invalid_identifiers"] == {"isbn": ["9780306406157"], "issn": ["0317-8471"]}
    [warned] = response.json()["warnings"]
    assert {(p["code"], tuple(p["loc"])) for p in warned["warnings"]} >= {
        ("invalid_isbn", ("invalid_identifiers", "isbn", 0)),
        ("invalid_issn", ("invalid_identifiers", "issn", 0)),
    }


async def test_marc21_binary_maps_the_library_fields(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    broken = b"00042nam  2200025   4500" + b"garbage-that-is-not-marc\x1e\x1d"
    response = await upload(ingest, auth, "export.mrc", marc21_bytes(2) + broken)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["rejected_count"] == 1
    first = (await _records(ingest))[0]
    assert first == {
        "local_id": "VMU00000",
        "kind": "publication",
        "title": "Lý thuyết tàu 0 : giáo trình",
        "creators": ["Phạm Văn Đức", "Trần Thị Mai"],
        "subjects": ["Kỹ thuật tàu thuỷ", "Đóng tàu"],
        "publisher": "Hàng hải",
        "year": 2021,
        "language": "vi",
        "url": "https://lib.vimaru.edu.vn/VMU00000",
        "identifiers": {"isbn": "9786040000000"},
    }


@pytest.mark.parametrize("namespaced", [True, False])
async def test_marcxml_is_read_with_or_without_namespace(ingest: Ingest, namespaced: bool) -> None:
    auth = await ingest.key_for("vmu")
    response = await upload(ingest, auth, "export.xml", marcxml_bytes(3, namespaced=namespaced))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 3
    records = await _records(ingest)
    assert [r["local_id"] for r in records] == ["VMU00000", "VMU00001", "VMU00002"]
    assert records[2]["title"] == "Lý thuyết tàu 2 : giáo trình"


async def test_json_and_ndjson_files(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    records = [{"local_id": f"j{i}", "kind": "website", "title": f"Cổng {i}"} for i in range(3)]
    document = json.dumps({"records": records}, ensure_ascii=False).encode()
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    as_json = await upload(ingest, auth, "records.json", document)
    as_ndjson = await upload(ingest, auth, "records.ndjson", lines)
    assert as_json.status_code == as_ndjson.status_code == 202
    assert as_json.json()["accepted"] == as_ndjson.json()["accepted"] == 3
    assert as_ndjson.json()["file"]["format"] == "ndjson"
    events = await ingest.submitted(expect=2)
    assert all(e.source == "json" for e in events)


async def test_xxe_and_billion_laughs_are_refused_and_nothing_is_read(
    ingest: Ingest, tmp_path: Path
) -> None:
    auth = await ingest.key_for("vmu")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for document in (xxe_document(str(secret)), billion_laughs()):
        response = await upload(ingest, auth, "evil.xml", document)
        assert response.status_code == 422
        assert "DTD" in response.json()["error"]["message"]
        assert "TOP-SECRET" not in response.text
    assert await ingest.queue_depth() == 0
    assert await ingest.db["ingest_submissions"].count_documents({}) == 0


async def test_files_that_would_exhaust_the_server_are_refused(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    bomb = await upload(ingest, auth, "bomb.xlsx", zip_bomb_xlsx())
    assert bomb.status_code == 413
    assert "giải nén" in bomb.json()["error"]["message"]
    header = "Mã biểu ghi,Nhan đề,Mô tả\n"
    long_line = await upload(
        ingest, auth, "long.csv", (header + "a,b," + "x" * 1_100_000 + "\n").encode()
    )
    assert long_line.status_code == 422
    assert "1,000,000" in long_line.json()["error"]["message"]
    assert await ingest.queue_depth() == 0


async def test_a_zip_that_lies_about_its_sizes_is_measured_while_inflating(ingest: Ingest) -> None:
    """Declared: 580 KB, an unremarkable 2:1. Real: 300 MB of one shared string."""
    auth = await ingest.key_for("vmu")
    response = await upload(ingest, auth, "forged.xlsx", forged_size_xlsx(300_000_000))
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert "giải nén quá lớn" in error["message"]
    assert error["details"]["max_ratio_seen"] > 200
    assert await ingest.queue_depth() == 0
    assert await ingest.db["ingest_submissions"].count_documents({}) == 0


async def test_refusals_a_librarian_can_act_on(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    broken_excel = await upload(ingest, auth, "so-lieu.xls", b"\xd0\xcf\x11\xe0")
    assert broken_excel.status_code == 422
    assert ".xls" in broken_excel.json()["error"]["message"]
    unknown = await upload(ingest, auth, "anh.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert unknown.status_code == 415
    listed = unknown.json()["error"]
    for accepted in (".marcxml", ".mrcx", ".iso", ".tsv", ".xls", ".ods", ".ndjson"):
        assert accepted in listed["message"] and accepted in listed["details"]["accepted"]
    missing_columns = await upload(ingest, auth, "x.csv", "Tên cột lạ,Khác\n1,2\n".encode())
    assert missing_columns.status_code == 422
    assert missing_columns.json()["error"]["details"]["missing"] == ["local_id", "title"]
    english = await ingest.client.post(
        "/v1/imports?lang=en", files={"file": ("x.csv", b"a,b\n1,2\n")}, headers=auth
    )
    assert "header row lacks" in english.json()["error"]["message"]
    not_xlsx = await upload(ingest, auth, "fake.xlsx", b"not a zip at all")
    assert not_xlsx.status_code == 422
    not_marc = await upload(ingest, auth, "fake.mrc", b"hello")
    assert not_marc.status_code == 422
    bad_xml = await upload(ingest, auth, "broken.xml", b"<collection><record>")
    assert bad_xml.status_code == 422
    no_file = await ingest.client.post("/v1/imports", data={"kind": "x"}, headers=auth)
    assert no_file.status_code in (415, 422)
    assert await ingest.queue_depth() == 0


async def test_templates_download_and_import_back(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    as_csv = await ingest.client.get("/v1/imports/template.csv")
    assert as_csv.status_code == 200 and as_csv.content.startswith(codecs.BOM_UTF8)
    assert as_csv.content.decode("utf-8-sig").startswith("Mã biểu ghi,Loại,Nhan đề")
    english = await ingest.client.get("/v1/imports/template.csv?lang=en")
    assert english.content.decode("utf-8-sig").startswith("local_id,kind,title")
    as_xlsx = await ingest.client.get("/v1/imports/template.xlsx")
    assert as_xlsx.status_code == 200
    workbook = CalamineWorkbook.from_filelike(__import__("io").BytesIO(as_xlsx.content))
    assert workbook.get_sheet_by_index(0).to_python()[0][:3] == ["Mã biểu ghi", "Loại", "Nhan đề"]
    for name, content in (("mau.xlsx", as_xlsx.content), ("mau.csv", as_csv.content)):
        response = await upload(ingest, auth, name, content)
        assert response.status_code == 202 and response.json()["accepted"] == 1, response.text


def _is_nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


async def test_marc8_records_are_decoded_as_their_leader_says(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    content = marc21_bytes(1) + marc8_record("VMU-M8")  # a UTF-8 record, then a MARC-8 one
    response = await upload(ingest, auth, "export.mrc", content)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["rejected_count"] == 0
    assert body["file"]["encoding"] == "utf-8, marc-8"
    utf8, marc8 = await _records(ingest)
    assert utf8["title"] == "Lý thuyết tàu 0 : giáo trình"
    assert marc8["local_id"] == "VMU-M8"
    assert marc8["title"] == f"{MARC8_TITLE_TEXT} : giáo trình"
    assert marc8["creators"] == [MARC8_CREATOR_TEXT]
    assert marc8["subjects"] == [MARC8_SUBJECT_TEXT]
    assert marc8["language"] == "vi"  # from 008
    assert all(_is_nfc(v) for v in (marc8["title"], *marc8["creators"], *marc8["subjects"]))


async def test_the_encoding_field_overrides_a_wrong_leader(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    mislabelled = marc8_record("VMU-LIE", leader9=b"a")  # says UTF-8, is MARC-8
    response = await upload(ingest, auth, "export.mrc", mislabelled, encoding="marc8")
    assert response.status_code == 202, response.text
    assert response.json()["file"]["encoding"] == "marc-8"
    [record] = await _records(ingest)
    assert record["title"] == f"{MARC8_TITLE_TEXT} : giáo trình"


async def test_without_the_field_a_mislabelled_leader_gives_replacement_characters(
    ingest: Ingest,
) -> None:
    auth = await ingest.key_for("vmu")
    mislabelled = marc8_record("VMU-LIE", leader9=b"a")
    response = await upload(ingest, auth, "export.mrc", mislabelled)
    assert response.status_code == 202, response.text
    [record] = await _records(ingest)
    assert "\ufffd" in record["title"]  # what the override above exists for


async def test_utf8_text_under_a_blank_leader_is_read_as_utf8(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    title = "Đóng tàu thuỷ ở Hải Phòng"
    fields = [(b"001", b"VMU-U8"), (b"245", b"10\x1fa" + title.encode())]
    for fields_value in ({}, {"encoding": "utf8"}):
        response = await upload(ingest, auth, "export.mrc", iso2709(b" ", fields), **fields_value)
        assert response.status_code == 202, response.text
        assert response.json()["file"]["encoding"] == "utf-8"
        [record] = await _records(ingest)
        assert record["title"] == title


async def test_an_unknown_marc_encoding_is_refused_with_the_field_named(ingest: Ingest) -> None:
    auth = await ingest.key_for("vmu")
    response = await upload(ingest, auth, "export.mrc", marc8_record("X"), encoding="cp1258")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "marc8" in error["message"] and "utf8" in error["message"]
    assert error["details"][0]["field"] == "encoding"
