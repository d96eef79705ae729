# ruff: noqa: RUF001, RUF002 - Chinese, Persian, Russian and full-width text is the point
"""Builders of import files, good and bad, written into a folder the test gives.

Each function writes one real file and returns its path; tests/test_import_reading.py says what
Baza answers to each (an ``ImportFileError`` code or a specific table), and the import run's
end-to-end tests reuse them (``from tests.import_corpus import ...``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

#: A small realistic table: (header, rows) in three languages' worth of data.
HEADER = ["客户名称", "联系人", "电话", "Email", "城市"]
ROWS = [
    ["北京星辰科技有限公司", "王伟", "13812345678", "wangwei@example.cn", "北京"],
    ["شرکت پارس", "علی رضایی", "09121234567", "ali@example.ir", "تهران"],
    ["ООО Ромашка", "Иван Петров", "+7 912 111-22-33", "ivan@example.ru", "Москва"],
]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def good_xlsx(folder: Path, name: str = "customers.xlsx") -> Path:
    """A plain xlsx: header in row 1, three customers, a date and a number column."""
    rows: list[list[object]] = [[*HEADER, "生日", "Revenue"]]
    rows += [[*r, date(1985, 3, 12), 1234567.5] for r in ROWS]
    return _xlsx(folder / name, rows)


def empty_file(folder: Path, name: str = "empty.xlsx") -> Path:
    """Zero bytes."""
    path = folder / name
    path.write_bytes(b"")
    return path


def empty_sheet_xlsx(folder: Path, name: str = "blank.xlsx") -> Path:
    """A valid workbook whose only sheet has no value."""
    return _xlsx(folder / name, [])


def header_only_xlsx(folder: Path, name: str = "header-only.xlsx") -> Path:
    return _xlsx(folder / name, [HEADER])


def truncated_xlsx(folder: Path, name: str = "truncated.xlsx") -> Path:
    """A real xlsx cut in half (an upload that broke off)."""
    source = good_xlsx(folder, "whole.xlsx")
    data = source.read_bytes()
    path = folder / name
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupt_member_xlsx(folder: Path, name: str = "corrupt.xlsx") -> Path:
    """A zip with an intact directory whose sheet's compressed bytes are overwritten."""
    source = good_xlsx(folder, "whole2.xlsx")
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # local header: 30 bytes + name + extra, then the compressed data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + info.compress_size - 4):
        data[i] = 0xFF ^ data[i]
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def csv_text(rows: list[list[object]], delimiter: str = ",") -> str:
    """``rows`` as CSV text the way Excel writes it (CRLF, quotes where needed)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def csv_renamed_xlsx(folder: Path, name: str = "really-a-csv.xlsx") -> Path:
    """A UTF-8 CSV saved under an .xlsx name: Baza reads it as CSV."""
    path = folder / name
    path.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    return path


def png_renamed_xlsx(folder: Path, name: str = "picture.xlsx") -> Path:
    """A real PNG image under an .xlsx name."""
    from PIL import Image

    path = folder / name
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def zip_bomb_xlsx(folder: Path, name: str = "bomb.xlsx", megabytes: int = 210) -> Path:
    """A well-formed xlsx whose sheet inflates to ``megabytes`` MB (blank padding): ~200 KB
    on disk."""
    source = good_xlsx(folder, "bomb-source.xlsx")
    path = folder / name
    with (
        zipfile.ZipFile(source) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with dst.open(info.filename, "w", force_zip64=True) as out:
                out.write(head + b"<sheetData>")
                chunk = b" " * (1 << 20)
                for _ in range(megabytes):
                    out.write(chunk)
                out.write(tail)
    return path


def encrypted_xlsx(folder: Path, name: str = "locked.xlsx", password: str = "secret") -> Path:
    """A real xlsx encrypted with a password, as Excel does (ECMA-376 agile, in a CFB file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    source = good_xlsx(folder, "plain-for-lock.xlsx")
    out = io.BytesIO()
    with source.open("rb") as fh:
        OOXMLFile(fh).encrypt(password, out)
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


def wide_xlsx(folder: Path, name: str = "wide.xlsx", columns: int = 200) -> Path:
    header = [f"Field {i}" for i in range(1, columns + 1)]
    return _xlsx(folder / name, [header, [f"v{i}" for i in range(1, columns + 1)]])


def duplicate_headers_xlsx(folder: Path, name: str = "duplicates.xlsx") -> Path:
    """Two "Phone" columns, a blank header cell and "phone" in another case."""
    return _xlsx(
        folder / name,
        [
            ["Company", "Phone", "Phone", None, "phone"],
            ["Acme", "+1 555 0100", "+1 555 0101", "x", "+1 555 0102"],
        ],
    )


def merged_header_xlsx(folder: Path, name: str = "merged.xlsx") -> Path:
    """A title merged across the table, a blank row, a subtitle, then the header in row 4 with
    "电话" merged over two columns; a customer name merged down over its two contacts."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "2024年客户名单"
    ws.merge_cells("A1:E1")
    ws["A3"] = "导出日期: 2024-05-01"
    ws.append(["客户名称", "联系人", "电话", None, "邮箱"])
    ws.merge_cells("C4:D4")
    ws.append(["北京星辰科技有限公司", "王伟", "13812345678", "010-12345678", "w@example.cn"])
    ws.append([None, "李娜", "13912345678", None, "l@example.cn"])
    ws.merge_cells("A5:A6")
    wb.save(folder / name)
    return folder / name


def formulas_xlsx(folder: Path, name: str = "formulas.xlsx") -> Path:
    """openpyxl writes formulas with no cached value (as any library does)."""
    return _xlsx(
        folder / name,
        [["Company", "Price", "Qty", "Total"], ["Acme", 2, 3, "=B2*C2"], ["Beta", 5, 4, "=B3*C3"]],
    )


def formulas_cached_xlsx(folder: Path, name: str = "formulas-cached.xlsx") -> Path:
    """The same, with the cached results Excel would have stored (<f>B2*C2</f><v>6</v>)."""
    source = formulas_xlsx(folder, "formulas-nocache.xlsx")
    path = folder / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>B2*C2</f><v />", b"<f>B2*C2</f><v>6</v>")
                data = data.replace(b"<f>B3*C3</f><v />", b"<f>B3*C3</f><v>20</v>")
                assert b"<v>6</v>" in data and b"<v>20</v>" in data, data[-600:]
            dst.writestr(info.filename, data)
    return path


def encoded_csv(
    folder: Path, encoding: str, rows: list[list[object]], *, delimiter: str = ",", name: str = ""
) -> Path:
    """``rows`` as a CSV in ``encoding`` (utf-8-sig and utf-16 write their BOM)."""
    path = folder / (name or f"table-{encoding}.csv")
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


CHINESE_ROWS = [
    ["客户名称", "联系人", "手机", "城市", "备注"],
    ["北京星辰科技有限公司", "王伟", "13812345678", "北京", "老客户，年底回访"],
    ["上海东方贸易有限公司", "李娜", "13912345678", "上海", "需要报价单"],
    ["广州南方电子厂", "陈小明", "13712345678", "广州", "对价格敏感"],
]
#: Persian as Windows-1256 holds it (Arabic yeh and kaf: the code page has no Persian ones).
PERSIAN_ROWS = [
    ["نام شركت", "نام تماس", "تلفن همراه", "شهر", "توضيحات"],
    ["شركت پارس", "علي رضايي", "09121234567", "تهران", "مشتري قديمي"],
    ["بازرگاني آريا", "مريم احمدي", "09351234567", "اصفهان", "پيگيري در هفته بعد"],
    ["صنايع غذايي گلستان", "حسين كريمي", "09131234567", "شيراز", "درخواست كاتالوگ"],
]
RUSSIAN_ROWS = [
    ["Компания", "Контактное лицо", "Телефон", "Город", "Примечание"],
    ["ООО Ромашка", "Иван Петров", "+7 912 111-22-33", "Москва", "Постоянный клиент"],
    ["АО Вектор", "Мария Сидорова", "+7 495 123-45-67", "Санкт-Петербург", "Перезвонить"],
    ["ИП Кузнецов", "Сергей Кузнецов", "+7 383 222-33-44", "Новосибирск", "Скидка пять"],
]


def mixed_encoding_csv(folder: Path, name: str = "mixed.csv") -> Path:
    """UTF-8 lines, then a line in GBK (two files pasted together): line 3 is not UTF-8."""
    path = folder / name
    lines = [
        ",".join(CHINESE_ROWS[0]).encode("utf-8"),
        ",".join(CHINESE_ROWS[1]).encode("utf-8"),
        ",".join(CHINESE_ROWS[2]).encode("gbk"),
        ",".join(CHINESE_ROWS[3]).encode("utf-8"),
    ]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path


def many_rows_xlsx(folder: Path, rows: int, name: str = "many.xlsx") -> Path:
    """A header and ``rows`` data rows (write-only: constant memory)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Company", "Contact", "Phone", "Email"])
    for i in range(rows):
        ws.append([f"Company {i}", f"Person {i}", f"+1 555 {i:07d}", f"p{i}@example.com"])
    path = folder / name
    wb.save(path)
    return path


def benchmark_xlsx(folder: Path, rows: int = 100_000, name: str = "bench.xlsx") -> Path:
    """``rows`` × 12 columns of realistic values, written with openpyxl write-only."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(
        [
            "Company",
            "Contact",
            "Position",
            "Mobile",
            "Phone",
            "Email",
            "City",
            "Address",
            "Industry",
            "Level",
            "Birthday",
            "Notes",
        ]
    )
    for i in range(rows):
        ws.append(
            [
                f"Company {i} Ltd",
                f"Person {i}",
                "Manager",
                f"+8613{i:09d}",
                f"010-{i:08d}",
                f"p{i}@example.com",
                "Beijing",
                f"{i} Main Street",
                "Retail",
                "A",
                datetime(1980 + i % 30, 1 + i % 12, 1 + i % 28),
                f"note {i}",
            ]
        )
    path = folder / name
    wb.save(path)
    return path


def huge_cell_xlsx(folder: Path, name: str = "huge-cell.xlsx", chars: int = 10_000_000) -> Path:
    """A 10 MB text in one cell (Excel itself stops at 32,767 characters, and so does
    openpyxl's writer: the text is put into the sheet's XML afterwards, as another program
    could write it)."""
    source = _xlsx(folder / f"small-{name}", [["Company", "Notes"], ["Acme", "HUGE-CELL"]])
    path = folder / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b">HUGE-CELL<" in data
                data = data.replace(b">HUGE-CELL<", b">" + b"x" * chars + b"<")
            dst.writestr(info.filename, data)
    return path


def huge_cell_csv(folder: Path, name: str = "huge-cell.csv", chars: int = 10_000_000) -> Path:
    path = folder / name
    path.write_text(f"Company,Notes\r\nAcme,{'x' * chars}\r\n", encoding="utf-8")
    return path


def numbers_only_xlsx(folder: Path, name: str = "numbers.xlsx") -> Path:
    """No header at all: every row is numbers."""
    return _xlsx(folder / name, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def xls_file(folder: Path, name: str = "legacy.xls") -> Path:
    """A real BIFF8 .xls (Excel 97-2003) with a title row, Chinese text, a date and a merge."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    sheet.write_merge(0, 0, 0, 3, "客户名单")
    for col, value in enumerate(["客户名称", "联系人", "手机", "生日"]):
        sheet.write(2, col, value)
    style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write(3, 0, "北京星辰科技有限公司")
    sheet.write(3, 1, "王伟")
    sheet.write(3, 2, "13812345678")
    sheet.write(3, 3, datetime(1985, 3, 12), style)
    sheet.write(4, 0, "上海东方贸易有限公司")
    sheet.write(4, 1, "李娜")
    sheet.write(4, 2, 13912345678)
    path = folder / name
    book.save(str(path))
    return path


VCARD_21_ANDROID = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E4=BC=9F;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E4=BC=9F\r\n"
    "TEL;CELL:138 1234 5678\r\n"
    "TEL;WORK:010-12345678\r\n"
    "EMAIL;HOME:wangwei@example.cn\r\n"
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=8C=97=E4=BA=AC=E6=98=9F=E8=BE=B0=E7=A7=91=\r\n"
    "=E6=8A=80\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E8=80=81=E5=AE=A2=E6=88=B7\r\n"
    "BDAY:1985-03-12\r\n"
    "END:VCARD\r\n"
)
VCARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:علی رضایی\r\n"
    "N:رضایی;علی;;;\r\n"
    "ORG:شرکت پارس\r\n"
    "TITLE:مدیر فروش\r\n"
    "TEL;TYPE=CELL:+98 912 123 4567\r\n"
    "TEL;TYPE=WORK,VOICE:+98 21 8888 7777\r\n"
    "TEL;TYPE=FAX:+98 21 8888 7778\r\n"
    "EMAIL;TYPE=INTERNET,WORK:ali@example.ir\r\n"
    "EMAIL;TYPE=INTERNET:ali.r@example.com\r\n"
    "BDAY:1980-07-01\r\n"
    "END:VCARD\r\n"
)
VCARD_40 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Иван Петров\r\n"
    "N:Петров;Иван;;;\r\n"
    "ORG:ООО Ромашка\r\n"
    'TEL;VALUE=uri;TYPE="voice,home":tel:+7-912-111-22-33\r\n'
    "EMAIL:ivan@example.ru\r\n"
    "BDAY:19750415\r\n"
    "NOTE:Перезвонить в мае\r\n"
    "END:VCARD\r\n"
)


def vcard_file(folder: Path, name: str = "contacts.vcf") -> Path:
    """Three cards: Android's 2.1 (quoted-printable UTF-8 Chinese), 3.0 Persian, 4.0 Russian."""
    path = folder / name
    path.write_bytes((VCARD_21_ANDROID + VCARD_30 + VCARD_40).encode("utf-8"))
    return path


def scattered_cells_xlsx(folder: Path, name: str = "scattered.xlsx") -> Path:
    """A tiny file with a table in A1 and one more cell at XFD1048576, the sheet's far corner:
    a reader that builds the dense grid needs 17 billion cells."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Company", "Phone"])
    ws.append(["Acme", "+1 555 0100"])
    ws["XFD1048576"] = "far away"
    wb.save(folder / name)
    return folder / name
