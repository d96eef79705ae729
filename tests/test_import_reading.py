# ruff: noqa: RUF001 - Chinese, Persian and Russian text is the point
"""The import's reading layer on real files the suite writes (tests/import_corpus.py): every bad
file gets its own ImportFileError code and message, every good one its table."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from saas.imports import reading
from saas.imports.reading import ImportFileError, Table, open_table
from saas.imports.suggest import shape_key, suggest
from tests import import_corpus as corpus


@pytest.fixture(params=["calamine", "openpyxl"])
def xlsx_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both xlsx readers: calamine (the default) and openpyxl's streaming read-only mode
    (used above ``CALAMINE_MAX_XML``)."""
    if request.param == "openpyxl":
        monkeypatch.setattr(reading, "CALAMINE_MAX_XML", 0)
    return request.param


def _open(path: Path, max_rows: int = 1000) -> Table:
    return open_table(path, path.name, max_rows=max_rows)


def _refused(path: Path, code: str, max_rows: int = 1000) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        _open(path, max_rows)
    assert info.value.code == code, (info.value.code, info.value.message)
    assert info.value.status == 422
    assert info.value.message
    return info.value


# -- good files ------------------------------------------------------------------------------


def test_plain_xlsx_reads_types_as_the_reader_gives_them(tmp_path: Path, xlsx_reader: str) -> None:
    table = _open(corpus.good_xlsx(tmp_path))
    assert table.format == "xlsx" and table.sheet == "Sheet"
    assert table.columns == [*corpus.HEADER, "生日", "Revenue"]
    assert table.header_row == 1 and table.total_rows == 3
    assert table.encoding is None and table.delimiter is None
    rows = list(table.rows())
    assert [n for n, _v in rows] == [2, 3, 4]
    assert rows[0][1][:5] == corpus.ROWS[0]
    # openpyxl gives a datetime, calamine a date for a date-only cell
    assert rows[0][1][5] in (datetime(1985, 3, 12), date(1985, 3, 12))
    assert rows[0][1][6] == 1234567.5
    # rows() reads the file again: the same rows each time
    assert list(table.rows()) == rows
    assert table.preview(2) == [
        [*corpus.ROWS[0], "1985-03-12", "1234567.5"],
        [*corpus.ROWS[1], "1985-03-12", "1234567.5"],
    ]


def test_csv_renamed_xlsx_is_read_as_csv(tmp_path: Path) -> None:
    table = _open(corpus.csv_renamed_xlsx(tmp_path))
    assert table.format == "csv" and table.encoding == "utf-8" and table.delimiter == ","
    assert table.columns == corpus.HEADER
    assert [v for _n, v in table.rows()] == corpus.ROWS


@pytest.mark.parametrize(
    ("encoding", "rows", "expected"),
    [
        ("gb18030", corpus.CHINESE_ROWS, "gb18030"),
        ("gbk", corpus.CHINESE_ROWS, "gb18030"),
        ("cp1256", corpus.PERSIAN_ROWS, "cp1256"),
        ("cp1251", corpus.RUSSIAN_ROWS, "cp1251"),
        ("utf-8-sig", corpus.PERSIAN_ROWS, "utf-8-sig"),
        ("utf-8", corpus.RUSSIAN_ROWS, "utf-8"),
        ("utf-16", corpus.CHINESE_ROWS, "utf-16"),
    ],
)
def test_csv_encodings_are_detected_with_real_text(
    tmp_path: Path, encoding: str, rows: list[list[str]], expected: str
) -> None:
    delimiter = ";" if rows is corpus.RUSSIAN_ROWS else ","
    table = _open(corpus.encoded_csv(tmp_path, encoding, rows, delimiter=delimiter))
    assert table.encoding == expected
    assert table.delimiter == delimiter
    assert table.columns == rows[0]
    assert [v for _n, v in table.rows()] == rows[1:]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters(tmp_path: Path, delimiter: str) -> None:
    rows = [["Company", "Price", "City"], ["Acme", "1,5", "Tirana"], ["Beta", "2,25", "Durrës"]]
    table = _open(corpus.encoded_csv(tmp_path, "utf-8", rows, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert [v for _n, v in table.rows()] == rows[1:]


def test_csv_with_quoted_newlines_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('Company,Notes\r\n\r\nAcme,"line one\nline two"\r\n,\r\nBeta,x\r\n')
    table = _open(path)
    assert table.total_rows == 2
    assert list(table.rows()) == [(3, ["Acme", "line one\nline two"]), (5, ["Beta", "x"])]


def test_header_below_title_blank_and_merged_cells(tmp_path: Path, xlsx_reader: str) -> None:
    table = _open(corpus.merged_header_xlsx(tmp_path))
    assert table.header_row == 4
    # "电话" merged over C4:D4 names both columns, deduplicated
    assert table.columns == ["客户名称", "联系人", "电话", "电话 (2)", "邮箱"]
    assert table.total_rows == 2
    rows = list(table.rows())
    assert rows[0] == (
        5,
        ["北京星辰科技有限公司", "王伟", "13812345678", "010-12345678", "w@example.cn"],
    )
    # the customer merged down over A5:A6 belongs to its second contact too
    assert rows[1] == (6, ["北京星辰科技有限公司", "李娜", "13912345678", None, "l@example.cn"])
    assert suggest(table.columns, table.preview()) == [
        "name",
        "contact.name",
        "contact.phone_work",
        "contact.phone_work",
        "contact.email",
    ]


def test_duplicate_and_blank_header_names(tmp_path: Path, xlsx_reader: str) -> None:
    table = _open(corpus.duplicate_headers_xlsx(tmp_path))
    assert table.columns == ["Company", "Phone", "Phone (2)", "Column D", "phone (3)"]
    assert len(set(table.columns)) == 5


def test_formulas_never_come_back_as_formula_text(tmp_path: Path, xlsx_reader: str) -> None:
    # written by a library: no cached value → None (the run reports the cell as empty)
    table = _open(corpus.formulas_xlsx(tmp_path))
    assert [v for _n, v in table.rows()] == [["Acme", 2, 3, None], ["Beta", 5, 4, None]]
    # saved by Excel: the cached value
    table = _open(corpus.formulas_cached_xlsx(tmp_path))
    assert [v for _n, v in table.rows()] == [["Acme", 2, 3, 6], ["Beta", 5, 4, 20]]


def test_legacy_xls_through_calamine(tmp_path: Path) -> None:
    table = _open(corpus.xls_file(tmp_path))
    assert table.format == "xls" and table.sheet == "客户"
    assert table.header_row == 3
    assert table.columns == ["客户名称", "联系人", "手机", "生日"]
    rows = list(table.rows())
    assert rows[0][0] == 4
    assert rows[0][1][:3] == ["北京星辰科技有限公司", "王伟", "13812345678"]
    assert rows[0][1][3] in (date(1985, 3, 12), datetime(1985, 3, 12))
    assert rows[1][1][2] == 13912345678


def test_vcard_21_30_40(tmp_path: Path) -> None:
    table = _open(corpus.vcard_file(tmp_path))
    assert table.format == "vcf" and table.header_row == 0 and table.total_rows == 3
    assert table.columns == [label for _k, label in reading.VCARD_COLUMNS]
    rows = [v for _n, v in table.rows()]
    android = dict(zip(table.columns, rows[0], strict=True))
    assert android["Full name"] == "王伟"
    assert android["Organization"] == "北京星辰科技"  # a QP soft line break inside
    assert android["Mobile"] == "138 1234 5678" and android["Work phone"] == "010-12345678"
    assert android["Email"] == "wangwei@example.cn" and android["Note"] == "老客户"
    assert android["Birthday"] == date(1985, 3, 12)
    persian = dict(zip(table.columns, rows[1], strict=True))
    assert persian["Full name"] == "علی رضایی" and persian["Title"] == "مدیر فروش"
    assert persian["Fax"] == "+98 21 8888 7778"
    assert persian["Email"] == "ali@example.ir; ali.r@example.com"
    russian = dict(zip(table.columns, rows[2], strict=True))
    assert russian["Full name"] == "Иван Петров"
    assert russian["Home phone"] == "+7-912-111-22-33"
    assert russian["Birthday"] == date(1975, 4, 15)
    assert suggest(table.columns, table.preview()) == [
        "contact.name",
        "name",
        "contact.position",
        "contact.phone_mobile",
        "contact.phone_work",
        "contact.phone_home",
        "contact.fax",
        "contact.email",
        "contact.birthday",
        "contact.notes",
    ]


# -- bad files -------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path, xlsx_reader: str) -> None:
    _refused(corpus.empty_file(tmp_path), "empty_file")
    _refused(corpus.empty_file(tmp_path, "empty.csv"), "empty_file")
    _refused(corpus.empty_sheet_xlsx(tmp_path), "empty_file")
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\xef\xbb\xbf\r\n  \r\n")
    _refused(blank, "empty_file")


def test_header_only(tmp_path: Path, xlsx_reader: str) -> None:
    error = _refused(corpus.header_only_xlsx(tmp_path), "no_rows")
    assert "no data rows" in error.message


def test_no_header(tmp_path: Path, xlsx_reader: str) -> None:
    _refused(corpus.numbers_only_xlsx(tmp_path), "no_header")


def test_truncated_and_corrupt_xlsx(tmp_path: Path, xlsx_reader: str) -> None:
    _refused(corpus.truncated_xlsx(tmp_path), "truncated")
    _refused(corpus.corrupt_member_xlsx(tmp_path), "truncated")


def test_png_renamed_xlsx(tmp_path: Path) -> None:
    _refused(corpus.png_renamed_xlsx(tmp_path), "not_a_table")


def test_other_zip_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _refused(path, "not_a_table")


def test_zip_bomb_refused_before_inflating(tmp_path: Path) -> None:
    path = corpus.zip_bomb_xlsx(tmp_path)
    assert path.stat().st_size < 2 * 1024 * 1024
    error = _refused(path, "too_big")
    assert "200" in error.message


def test_password_protected_xlsx(tmp_path: Path) -> None:
    path = corpus.encrypted_xlsx(tmp_path)
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    error = _refused(path, "encrypted")
    assert "password" in error.message


def test_too_many_columns(tmp_path: Path, xlsx_reader: str) -> None:
    error = _refused(corpus.wide_xlsx(tmp_path), "too_many_columns")
    assert "200" in error.message and "100" in error.message
    assert _open(corpus.wide_xlsx(tmp_path, "ok.xlsx", columns=100)).columns[-1] == "Field 100"


def test_too_many_rows_names_limit_and_count(tmp_path: Path, xlsx_reader: str) -> None:
    path = corpus.many_rows_xlsx(tmp_path, 51)
    error = _refused(path, "too_many_rows", max_rows=50)
    assert "51" in error.message and "50" in error.message
    assert _open(path, max_rows=51).total_rows == 51


def test_ten_megabyte_cell(tmp_path: Path, xlsx_reader: str) -> None:
    error = _refused(corpus.huge_cell_xlsx(tmp_path), "cell_too_long")
    assert "B2" in error.message and "32,767" in error.message
    assert "Row 2 " in _refused(corpus.huge_cell_csv(tmp_path), "cell_too_long").message
    # just over Excel's limit, below the csv module's own
    path = tmp_path / "long.csv"
    path.write_text("Company,Notes\nAcme," + "y" * 40_000 + "\n", encoding="utf-8")
    assert "B2" in _refused(path, "cell_too_long").message


def test_mixed_encodings_name_the_line(tmp_path: Path) -> None:
    error = _refused(corpus.mixed_encoding_csv(tmp_path), "encoding")
    assert "line 3" in error.message


def test_binary_garbage_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 4)
    _refused(path, "not_a_table")


def test_a_word_document_in_an_ole_container_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "doc.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    _refused(path, "not_a_table")


# -- suggestions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            [
                "客户名称",
                "联系人",
                "电话",
                "手机",
                "邮箱",
                "地址",
                "城市",
                "行业",
                "级别",
                "来源",
                "备注",
                "生日",
                "职位",
                "负责人",
            ],
            [
                "name",
                "contact.name",
                "contact.phone_work",
                "contact.phone_mobile",
                "contact.email",
                "address",
                "city",
                "industry",
                "level",
                "source",
                "comments",
                "contact.birthday",
                "contact.position",
                "owner",
            ],
        ),
        (
            [
                "نام شرکت",
                "نام تماس",
                "تلفن",
                "تلفن همراه",
                "ایمیل",
                "آدرس",
                "شهر",
                "توضیحات",
                "تاریخ تولد",
                "سمت",
                "مسئول",
            ],
            [
                "name",
                "contact.name",
                "contact.phone_work",
                "contact.phone_mobile",
                "contact.email",
                "address",
                "city",
                "comments",
                "contact.birthday",
                "contact.position",
                "owner",
            ],
        ),
        (
            [
                "Emri i kompanisë",
                "Personi i kontaktit",
                "Telefoni",
                "Celulari",
                "Email",
                "Adresa",
                "Qyteti",
                "Shënime",
                "Datëlindja",
                "Pozicioni",
            ],
            [
                "name",
                "contact.name",
                "contact.phone_work",
                "contact.phone_mobile",
                "contact.email",
                "address",
                "city",
                "comments",
                "contact.birthday",
                "contact.position",
            ],
        ),
        (
            [
                "Компания",
                "Контактное лицо",
                "Телефон",
                "Мобильный",
                "Эл. почта",
                "Адрес",
                "Город",
                "Примечание",
                "Дата рождения",
                "Должность",
                "Ответственный",
            ],
            [
                "name",
                "contact.name",
                "contact.phone_work",
                "contact.phone_mobile",
                "contact.email",
                "address",
                "city",
                "comments",
                "contact.birthday",
                "contact.position",
                "owner",
            ],
        ),
        (
            [
                "Company",
                "Contact person",
                "Phone",
                "Mobile",
                "E-mail",
                "Website",
                "Country",
                "Stage",
                "Tags",
                "Customer No.",
                "Interests",
            ],
            [
                "name",
                "contact.name",
                "contact.phone_work",
                "contact.phone_mobile",
                "contact.email",
                "website",
                "country",
                "stage",
                "tags",
                "number",
                "contact.interests",
            ],
        ),
    ],
)
def test_suggest_from_headers_in_five_languages(columns: list[str], expected: list[str]) -> None:
    assert suggest(columns, []) == expected


def test_suggest_folds_spelling_variants() -> None:
    got = suggest(["EMRI I KOMPANISE", "ＥＭＡＩＬ", "Phone 2", "Email (work)"], [])
    assert got == ["name", "contact.email", "contact.phone_work", "contact.email"]
    # Arabic kaf/yeh (as Windows-1256 files have them) match the Persian synonym
    assert suggest(["نام شركت", "تلفن همراه"], []) == ["name", "contact.phone_mobile"]
    # "contact" is مخاطب in the product's own Persian (a header found ignored in a click-through)
    assert suggest(["نام شرکت", "نام مخاطب", "تلفن همراه"], []) == [
        "name",
        "contact.name",
        "contact.phone_mobile",
    ]
    assert suggest(["مشتری", "مخاطب اصلی"], []) == ["name", "contact.name"]
    assert suggest(["客户名称*", "Mobile number"], []) == ["name", "contact.phone_mobile"]


def test_suggest_uses_each_target_once_but_phones_and_emails_many_times() -> None:
    got = suggest(["Company", "Customer", "Phone", "Telephone", "Email", "Mail"], [])
    assert got == [
        "name",
        None,
        "contact.phone_work",
        "contact.phone_work",
        "contact.email",
        "contact.email",
    ]


def test_bare_name_is_the_customer_unless_a_company_column_exists() -> None:
    assert suggest(["Name", "Phone"], []) == ["name", "contact.phone_work"]
    assert suggest(["Company", "Name"], []) == ["name", "contact.name"]
    assert suggest(["Name", "Company"], []) == ["contact.name", "name"]


def test_suggest_custom_fields_by_label() -> None:
    got = suggest(
        ["Company", "WeChat ID", "合同编号"],
        [],
        custom_fields=[("wechat", "WeChat id"), ("contract", "合同编号")],
    )
    assert got == ["name", "cf.wechat", "cf.contract"]


def test_suggest_from_values_when_the_header_says_nothing() -> None:
    columns = ["A", "B", "C", "D", "E"]
    sample = [
        ["Acme", "info@acme.com", "+86 138 1234 5678", "https://acme.com", "2024-01-02"],
        ["Beta", "sales@beta.ir", "۰۹۱۲۱۲۳۴۵۶۷", "www.beta.ir", "2023-05-06"],
        ["Gamma", None, 13912345678, "gamma.ru", "2022-07-08"],
    ]
    # dates are not taken as birthdays without a header that says so
    assert suggest(columns, sample) == [
        None,
        "contact.email",
        "contact.phone_mobile",
        "website",
        None,
    ]


def test_shape_key_is_folded_and_order_sensitive() -> None:
    assert shape_key(["Company", "E-mail"]) == shape_key(["COMPANY", "Email"])
    assert shape_key(["Company", "Email"]) != shape_key(["Email", "Company"])
    assert shape_key(["客户名称", "电话"]) != shape_key(["客户名称", "手机"])
    assert len(shape_key(["x"])) == 40


# -- speed (small: the benchmark measures 100,000 rows) --------------------------------------


def test_rows_are_streamed_with_row_numbers(tmp_path: Path, xlsx_reader: str) -> None:
    path = corpus.benchmark_xlsx(tmp_path, rows=2000)
    table = _open(path, max_rows=100_000)
    assert table.total_rows == 2000 and len(table.columns) == 12
    numbers = [n for n, _v in table.rows()]
    assert numbers[0] == 2 and numbers[-1] == 2001 and len(numbers) == 2000


def test_table_away_from_a1_after_an_empty_sheet(tmp_path: Path, xlsx_reader: str) -> None:
    wb = corpus.Workbook()
    wb.active.title = "Empty"
    ws = wb.create_sheet("Data")
    ws["C3"], ws["D3"] = "Company", "Phone"
    ws["C4"], ws["D4"] = "Acme", "+1 555 0100"
    ws["D6"] = "+1 555 0101"
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    table = _open(path)
    assert table.sheet == "Data" and table.header_row == 3
    assert table.columns == ["Company", "Phone"]  # the empty columns A and B are dropped
    assert list(table.rows()) == [(4, ["Acme", "+1 555 0100"]), (6, [None, "+1 555 0101"])]


def test_a_data_cell_left_of_the_header_keeps_its_column(tmp_path: Path, xlsx_reader: str) -> None:
    wb = corpus.Workbook()
    ws = wb.active
    ws["B1"], ws["C1"] = "Company", "Phone"
    ws["A2"], ws["B2"], ws["C2"] = 7, "Acme", "+1 555 0100"
    path = tmp_path / "left.xlsx"
    wb.save(path)
    table = _open(path)
    assert table.columns == ["Column A", "Company", "Phone"]
    assert [v for _n, v in table.rows()] == [[7, "Acme", "+1 555 0100"]]


def test_title_merged_far_wider_than_the_table(tmp_path: Path, xlsx_reader: str) -> None:
    wb = corpus.Workbook()
    ws = wb.active
    ws["A1"] = "Customers of Tirana branch"
    ws.merge_cells("A1:Z1")
    ws.append(["Emri i kompanisë", "Personi i kontaktit", "Telefoni", "Qyteti"])
    ws.append(["Alba Shpk", "Arben Hoxha", "+355 69 123 4567", "Tiranë"])
    path = tmp_path / "wide-title.xlsx"
    wb.save(path)
    table = _open(path)
    assert table.header_row == 2
    assert table.columns == ["Emri i kompanisë", "Personi i kontaktit", "Telefoni", "Qyteti"]


def test_amounts_and_codes_are_not_taken_for_phones() -> None:
    sample = [["15000000", "1001", "0912 123 4567"], ["2500000", "1002", "(021) 8888-7777"]]
    assert suggest(["A", "B", "C"], sample) == [None, None, "contact.phone_mobile"]


def test_cells_scattered_far_apart_never_exhaust_memory(tmp_path: Path, xlsx_reader: str) -> None:
    # calamine would build a dense grid of 17 billion cells: its child process hits the memory
    # limit and dies, the caller gets a clear answer; openpyxl streams and sees the width
    path = corpus.scattered_cells_xlsx(tmp_path)
    assert path.stat().st_size < 20_000
    code = "too_big" if xlsx_reader == "calamine" else "too_many_columns"
    _refused(path, code)


def test_csv_with_title_lines_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "Клиенты на 01.05.2024;;\r\n;;\r\nКомпания;Телефон;Город\r\n"
        "ООО Ромашка;+7 912 111-22-33;Москва\r\n",
        encoding="cp1251",
    )
    table = _open(path)
    assert (table.encoding, table.delimiter, table.header_row) == ("cp1251", ";", 3)
    assert table.columns == ["Компания", "Телефон", "Город"]
    assert list(table.rows()) == [(4, ["ООО Ромашка", "+7 912 111-22-33", "Москва"])]


def test_import_file_error_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(ImportFileError("encoding", "Line 3 is not UTF-8.")))
    assert (error.code, error.message, error.status) == ("encoding", "Line 3 is not UTF-8.", 422)


def test_row_serial_columns_are_not_customer_numbers() -> None:
    columns = ["序号", "客户编号", "№", "Nr.", "ردیف", "No.", "Web Page", "Country/Region"]
    assert suggest(columns, []) == [None, "number", None, None, None, None, "website", "country"]
