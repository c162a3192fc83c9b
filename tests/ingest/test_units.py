"""Ingest's pure parts: keys, column mapping, encodings, MARC mapping, the hardened XML parser."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from services.ingest.domain import (
    Batcher,
    hash_secret,
    new_key,
    secret_matches,
    split_token,
)
from services.ingest.formats.columns import map_columns, row_to_record
from services.ingest.formats.csvfile import detect_encoding
from shared.safe_xml import hardened_iterparse
from tests.ingest.samples import billion_laughs, to_cp1258, xxe_document


def test_a_key_is_256_bits_of_secret_and_only_its_hmac_is_comparable() -> None:
    key = new_key()
    assert len(key.secret) >= 43  # 32 bytes, url-safe base64
    assert split_token(key.token) == (key.key_id, key.secret)
    stored = hash_secret(key.secret, b"pepper")
    assert key.secret not in stored
    assert secret_matches(key.secret, stored, b"pepper")
    assert not secret_matches(key.secret, stored, b"another pepper")
    assert split_token("stk_short_x") is None and split_token("Bearer nonsense") is None


def test_vietnamese_and_english_headers_map_to_the_same_fields() -> None:
    vi = map_columns(["Mã biểu ghi", "Nhan đề", "TÁC GIẢ", "Năm xuất bản", "Từ khoá", "ISBN"])
    plain = map_columns(["ma bieu ghi", "nhan de", "tac gia", "nam xuat ban", "tu khoa", "isbn"])
    en = map_columns(["local_id", "Title", "Authors", "Year", "Keywords", "isbn"])
    assert vi.fields == plain.fields == en.fields
    row = row_to_record(
        vi, [1002.0, "Nhan đề", "A; B", 2021.0, "x | y", "978"], default_kind="ấn phẩm"
    )
    assert row == {
        "local_id": "1002",
        "title": "Nhan đề",
        "creators": ["A", "B"],
        "year": "2021",
        "subjects": ["x", "y"],
        "identifiers": {"isbn": "978"},
        "kind": "ấn phẩm",
    }


@pytest.mark.timeout(60)  # generous: the linear split takes milliseconds, the old regex hours
def test_a_cell_of_128_kb_of_spaces_splits_in_linear_time() -> None:
    columns = map_columns(["Mã biểu ghi", "Nhan đề", "Tác giả", "Chủ đề"])
    spaces = " " * (128 * 1024)
    row = row_to_record(
        columns, ["x1", "Nhan đề", f"A{spaces}B", f"Giáo dục{spaces};{spaces}\n\n|  Hàng hải"]
    )
    assert row["creators"] == [f"A{spaces}B"]
    assert row["subjects"] == ["Giáo dục", "Hàng hải"]


def test_encodings_of_excel_exports_are_recognised() -> None:
    text = "Mã biểu ghi,Nhan đề\nHP-1,Đại học Hàng hải\n"
    assert detect_encoding(to_cp1258(text)) == "cp1258"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode()) == "utf-8-sig"
    assert detect_encoding(text.encode("utf-16")) == "utf-16"
    assert detect_encoding(text.encode("utf-16-le")) == "utf-16-le"
    assert to_cp1258(text).decode("cp1258") != text  # tone marks arrive decomposed …
    from shared.text import clean_text

    assert clean_text(to_cp1258(text).decode("cp1258")) == clean_text(text)  # … and NFC fixes it


def test_batches_hold_at_most_500_items() -> None:
    batcher = Batcher()
    full = [
        batch
        for i in range(1001)
        if (batch := batcher.add(i, {"local_id": str(i), "kind": "website", "title": "t"}))
    ]
    assert [len(b) for b in full] == [500, 500]
    assert len(batcher.flush() or []) == 1 and batcher.accepted == 1001


def test_the_hardened_parser_alone_neither_reads_files_nor_expands_entities(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for document in (xxe_document(str(secret)), billion_laughs()):
        texts = []
        try:
            for _, element in hardened_iterparse(io.BytesIO(document), tag="{*}record"):
                texts.append("".join(element.itertext()))
        except Exception as exc:  # lxml may refuse outright; that is fine too
            texts.append(str(exc))
        joined = "".join(texts)
        assert "TOP-SECRET" not in joined
        assert joined.count("lol") < 100
