"""Sample files as members' software exports them (written here, not downloaded)."""

from __future__ import annotations

import csv
import io
import struct
import unicodedata
import zipfile
import zlib

import pymarc
from openpyxl import Workbook

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

VI_ROWS = [
    ["Mã biểu ghi", "Loại", "Nhan đề", "Tác giả", "Chủ đề", "Năm", "Ngôn ngữ", "Ghi chú nội bộ"],
    [
        "HP-001",
        "ấn phẩm",
        "Đại học Hàng hải Việt Nam: 65 năm xây dựng",
        "Nguyễn Văn Ánh; Lê Thị Hồng",
        "Giáo dục; Hàng hải",
        "2021",
        "tiếng Việt",
        "kho A",
    ],
    ["HP-002", "cơ sở dữ liệu", "Cơ sở dữ liệu luận án tiến sĩ", "", "Khoa học", "2019", "vi", ""],
    ["HP-003", "loại lạ", "Bản ghi sai loại", "", "", "hai nghìn", "", ""],
]


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Excel writes it: letters with ˆ ˘ ơ ư precomposed, tone marks combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONE_MARKS))
        out.append(base + "".join(p for p in parts if p in TONE_MARKS))
    return "".join(out).encode("cp1258")


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def marc_record(local_id: str, title: str, **extra: str) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data=local_id))
    record.add_field(pymarc.Field(tag="008", data="210101s2021    vm            000 0 vie d"))
    record.add_field(
        pymarc.Field(
            tag="020",
            indicators=[" ", " "],
            subfields=[pymarc.Subfield("a", "9786040000000 (bìa mềm)")],
        )
    )
    record.add_field(
        pymarc.Field(
            tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", "Phạm Văn Đức,")]
        )
    )
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=["1", "0"],
            subfields=[
                pymarc.Subfield("a", title + " :"),
                pymarc.Subfield("b", "giáo trình /"),
                pymarc.Subfield("c", "Phạm Văn Đức"),
            ],
        )
    )
    record.add_field(
        pymarc.Field(
            tag="260",
            indicators=[" ", " "],
            subfields=[
                pymarc.Subfield("a", "Hải Phòng :"),
                pymarc.Subfield("b", "Hàng hải,"),
                pymarc.Subfield("c", "c2021."),
            ],
        )
    )
    record.add_field(
        pymarc.Field(
            tag="650", indicators=[" ", "7"], subfields=[pymarc.Subfield("a", "Kỹ thuật tàu thuỷ")]
        )
    )
    record.add_field(
        pymarc.Field(tag="653", indicators=[" ", " "], subfields=[pymarc.Subfield("a", "Đóng tàu")])
    )
    record.add_field(
        pymarc.Field(
            tag="700", indicators=["1", " "], subfields=[pymarc.Subfield("a", "Trần Thị Mai")]
        )
    )
    record.add_field(
        pymarc.Field(
            tag="856",
            indicators=["4", "0"],
            subfields=[
                pymarc.Subfield("u", extra.get("url", f"https://lib.vimaru.edu.vn/{local_id}"))
            ],
        )
    )
    return record


def marc21_bytes(count: int = 2) -> bytes:
    return b"".join(
        marc_record(f"VMU{i:05d}", f"Lý thuyết tàu {i}").as_marc() for i in range(count)
    )


def marcxml_bytes(count: int = 2, *, namespaced: bool = True) -> bytes:
    buffer = io.BytesIO()
    writer = pymarc.XMLWriter(buffer)
    for i in range(count):
        writer.write(marc_record(f"VMU{i:05d}", f"Lý thuyết tàu {i}"))
    writer.close(close_fh=False)
    data = buffer.getvalue()
    if not namespaced:
        data = data.replace(b' xmlns="http://www.loc.gov/MARC21/slim"', b"")
    return data


def xxe_document(secret_path: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE collection [<!ENTITY secret SYSTEM "file://{secret_path}">]>
<collection xmlns="http://www.loc.gov/MARC21/slim"><record>
<controlfield tag="001">x1</controlfield>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&secret;</subfield></datafield>
</record></collection>""".encode()


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [' + "".join(entities) + "]>\n"
        '<collection><record><controlfield tag="001">x</controlfield>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&lol9;</subfield>'
        "</datafield></record></collection>"
    ).encode()


def zip_bomb_xlsx() -> bytes:
    """A valid zip whose sheet would expand ~1000 times (200 KB → 200 MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"<c>0</c>" * 131072
            for _ in range(200):
                sheet.write(chunk)
    return out.getvalue()


def forged_size_xlsx(real_bytes: int) -> bytes:
    """An xlsx whose shared strings inflate to ``real_bytes`` while the zip declares twice
    their compressed size, an unremarkable ratio (local header and central directory both
    lie; the CRC is true)."""
    honest = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Mã biểu ghi", "Nhan đề"], ["x1", "A"]])))
    parts = {n: honest.read(n) for n in honest.namelist() if n != "xl/sharedStrings.xml"}
    head = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" count="3" uniqueCount="3"><si><t>M\xc3\xa3 bi\xe1\xbb\x83u ghi</t></si>'
        b"<si><t>Nhan \xc4\x91\xe1\xbb\x81</t></si><si><t>x1</t></si><si><t>"
    )
    tail = b"</t></si></sst>"
    filler = real_bytes - len(head) - len(tail)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    body = [compressor.compress(head)]
    chunk = b"A" * (1 << 20)
    for start in range(0, filler, len(chunk)):
        piece = chunk[: min(len(chunk), filler - start)]
        crc = zlib.crc32(piece, crc)
        body.append(compressor.compress(piece))
    crc = zlib.crc32(tail, crc)
    body += [compressor.compress(tail), compressor.flush()]
    bomb = b"".join(body)
    return _zip_by_hand(
        [(name, zlib.compress(d)[2:-4], zlib.crc32(d), len(d)) for name, d in parts.items()]
        + [("xl/sharedStrings.xml", bomb, crc, 2 * len(bomb))]
    )


def _zip_by_hand(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A deflated zip from (name, raw deflate data, crc, declared uncompressed size)."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in entries:
        offset = local.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0, crc, len(data), size, len(encoded))
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + data)
        central.write(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset)
            + encoded
        )
    directory = central.getvalue()
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), local.tell(), 0
    )
    return local.getvalue() + directory + end


# MARC-8 (ANSEL): combining marks come BEFORE the letter they modify; ơ = 0xBC, ư = 0xBD,
# Đ = 0xA3; acute 0xE2, grave 0xE1, hook above 0xE0, tilde 0xE4, circumflex 0xE3,
# dot below 0xF2.
MARC8_TITLE = (
    b"Nghi\xe3en c\xe2\xbdu \xe2\xbdng d\xf2ung c\xe3ong ngh\xf2\xe3e \xe3o t\xe3o "
    b"t\xf2ai \xa3\xf2ai h\xf2oc H\xe1ang h\xe0ai Vi\xf2\xe3et Nam :"
)
MARC8_TITLE_TEXT = "Nghiên cứu ứng dụng công nghệ ô tô tại Đại học Hàng hải Việt Nam"
MARC8_CREATOR = b"Nguy\xe3\xe4en V\xe6an \xa3\xe2\xbdc,"
MARC8_CREATOR_TEXT = "Nguyễn Văn Đức"
MARC8_SUBJECT_TEXT = "Kỹ thuật tàu thủy"


def iso2709(leader9: bytes, fields: list[tuple[bytes, bytes]]) -> bytes:
    """One ISO 2709 record built byte by byte: ``fields`` are (tag, data without 0x1E)."""
    directory, body = b"", b""
    for tag, data in fields:
        chunk = data + b"\x1e"
        directory += tag + b"%04d%05d" % (len(chunk), len(body))
        body += chunk
    base = 24 + len(directory) + 1
    length = base + len(body) + 1
    leader = b"%05dnam " % length + leader9 + b"22%05d a 4500" % base
    assert len(leader) == 24
    return leader + directory + b"\x1e" + body + b"\x1d"


def marc8_record(local_id: str, *, leader9: bytes = b" ") -> bytes:
    """A record in MARC-8 with Vietnamese text (as older library systems still export)."""
    return iso2709(
        leader9,
        [
            (b"001", local_id.encode()),
            (b"008", b"210101s2021    vm            000 0 vie d"),
            (b"100", b"1 \x1fa" + MARC8_CREATOR),
            (b"245", b"10\x1fa" + MARC8_TITLE + b"\x1fbgi\xe2ao tr\xe1inh /"),
            (b"650", b" 7\x1faK\xe4y thu\xf2\xe3at t\xe1au th\xe0uy"),
        ],
    )
