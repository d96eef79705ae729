# ruff: noqa: RUF001 - Chinese, Persian and Russian text is the point
"""Cell value parsers of the import: dates, numbers, yes/no and text, in the forms people type."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from saas.imports.values import cell_text, parse_bool, parse_date, parse_number

# -- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (date(2024, 3, 31), date(2024, 3, 31)),
        (datetime(2024, 3, 31, 15, 30), date(2024, 3, 31)),
        (45382, date(2024, 3, 31)),  # Excel serial
        (45382.75, date(2024, 3, 31)),  # serial with a time of day
        (Decimal(45382), date(2024, 3, 31)),
        ("45382", date(2024, 3, 31)),
        (1, date(1900, 1, 1)),
        (61, date(1900, 3, 1)),  # past Excel's phantom 29 Feb 1900
        (20240331, date(2024, 3, 31)),
        ("20240331", date(2024, 3, 31)),
        ("2024-03-31", date(2024, 3, 31)),
        ("2024-03-31 10:15:00", date(2024, 3, 31)),
        ("2024-03-31T10:15:00Z", date(2024, 3, 31)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024.03.05", date(2024, 3, 5)),
        ("31.03.2024", date(2024, 3, 31)),
        ("05.03.2024", date(2024, 3, 5)),  # dots: always day first
        ("31/03/2024", date(2024, 3, 31)),
        ("03/31/2024", date(2024, 3, 31)),  # only m/d/Y is a real date
        ("05/03/2024", date(2024, 3, 5)),  # ambiguous: day first
        ("5-3-2024", date(2024, 3, 5)),
        ("31/03/24", date(2024, 3, 31)),
        ("1/2/99", date(1999, 2, 1)),
        ("2023年1月1日", date(2023, 1, 1)),
        ("2023 年 12 月 25 日", date(2023, 12, 25)),
        ("２０２３年１２月２５日", date(2023, 12, 25)),  # full-width digits
        ("۱۴۰۳/۰۵/۱۲", date(2024, 8, 2)),  # Jalali, Persian digits
        ("1403/05/12", date(2024, 8, 2)),
        ("١٤٠٣-٠٥-١٢", date(2024, 8, 2)),  # Arabic-Indic digits
        ("1403/12/30", date(2025, 3, 20)),  # 1403 is a leap year
        ("12/05/1403", date(2024, 8, 2)),  # d/m/Y Jalali
        ("۱۳۶۵/۰۱/۰۱", date(1986, 3, 21)),
        ("5 March 2024", date(2024, 3, 5)),
        ("Mar 5, 2024", date(2024, 3, 5)),
        ("05-Mar-2024", date(2024, 3, 5)),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_jalali_flag_reads_two_digit_years_as_jalali() -> None:
    assert parse_date("12/05/03", jalali=True) == date(2024, 8, 2)
    assert parse_date("12/05/03") == date(2003, 5, 12)
    # four-digit Gregorian years stay Gregorian
    assert parse_date("2024-03-31", jalali=True) == date(2024, 3, 31)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2024", "“31/02/2024” is not a date."),
        ("2023-02-29", "“2023-02-29” is not a date."),
        ("13/13/2024", "“13/13/2024” is not a date."),
        ("1403/13/01", "“1403/13/01” is not a date."),
        ("1402/12/30", "“1402/12/30” is not a date."),  # 1402 is not a leap year
        ("2023年2月30日", "“2023年2月30日” is not a date."),
        (
            "tomorrow",
            "“tomorrow” is not a date (write it for example as 2024-03-31 or 31.03.2024).",
        ),
        ("2024", "“2024” is not a date (write it for example"),
        ("12.5", "“12.5” is not a date (write it for example"),
        (0, "“0” is not a date (as an Excel date number it is out of range)."),
        (-5, "“-5” is not a date (as an Excel date number"),
        (3_000_000, "“3000000” is not a date (as an Excel date number"),
        (True, "“True” is not a date."),
        (time(10, 0), "“10:00:00” is not a date."),
        ("32 Jan 2024", "“32 Jan 2024” is not a date."),
        ("5 Foo 2024", "“5 Foo 2024” is not a date (write it"),
    ],
)
def test_parse_date_rejects_with_a_specific_message(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_date(value)
    assert str(info.value).startswith(message)


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),  # never the float's binary expansion
        (1234567.89, Decimal("1234567.89")),
        (Decimal("3.50"), Decimal("3.50")),
        ("1234567.89", Decimal("1234567.89")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("1 234 567", Decimal(1234567)),
        ("1\u00a0234\u00a0567,5", Decimal("1234567.5")),  # no-break spaces, decimal comma
        ("1\u202f234", Decimal(1234)),
        ("1'234'567.50", Decimal("1234567.50")),
        ("1,234", Decimal(1234)),  # a comma before three digits groups thousands
        ("1,5", Decimal("1.5")),
        ("12,50", Decimal("12.50")),
        ("1.234", Decimal("1.234")),  # a lone point is a decimal point
        ("1.234.567", Decimal(1234567)),
        (".5", Decimal("0.5")),
        ("-1,234.5", Decimal("-1234.5")),
        ("−42", Decimal(-42)),  # the minus sign
        ("(1,234.00)", Decimal("-1234.00")),
        ("+7", Decimal(7)),
        ("۱۲۳۴۵", Decimal(12345)),
        ("۱٬۲۳۴٬۵۶۷٫۸۹", Decimal("1234567.89")),  # Persian digits and separators
        ("١٢٣٫٤", Decimal("123.4")),
        ("１２３４", Decimal(1234)),  # full-width
        ("100万", Decimal(1000000)),
        ("1.5亿", Decimal(150000000)),
        ("3千", Decimal(3000)),
        ("5百", Decimal(500)),
        ("1亿2000万", Decimal(120000000)),
        ("3千5百", Decimal(3500)),
        ("2万5000", Decimal(25000)),
        ("100万元", Decimal(1000000)),
        ("¥1,000", Decimal(1000)),
        ("￥1,000", Decimal(1000)),
        ("$ 1,234.50", Decimal("1234.50")),
        ("€1.234,50", Decimal("1234.50")),
        ("1 500 ₽", Decimal(1500)),
        ("1,500,000 ریال", Decimal(1500000)),
        ("۲۵۰٬۰۰۰ تومان", Decimal(250000)),
        ("1 200 L", Decimal(1200)),
        ("1200 lek", Decimal(1200)),
        ("1200 lekë", Decimal(1200)),
    ],
)
def test_parse_number(value: object, expected: Decimal | None) -> None:
    got = parse_number(value)
    assert got == expected
    if got is not None:
        assert isinstance(got, Decimal)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "1.2.3,4,5",
        "12,34,5",
        "1 2",
        "--5",
        "万",
        "百万千",
        "1e5x",
        "12%",
        "1,2345.6",
        True,
        float("nan"),
        "$",
        "1-2-3",
    ],
)
def test_parse_number_rejects(value: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_number(value)
    assert "is not a number" in str(info.value)
    assert str(value).strip()[:10] in str(info.value)


# -- yes / no --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [True, 1, "yes", "YES", "Y", "true", "1", "x", "X", "✓", "是", "بله", "Да", "po", "Po"]
)
def test_parse_bool_yes(value: object) -> None:
    assert parse_bool(value) is True


@pytest.mark.parametrize(
    "value", [False, 0, "no", "No", "false", "0", "否", "خیر", "خير", "нет", "jo", "JO"]
)
def test_parse_bool_no(value: object) -> None:
    assert parse_bool(value) is False


def test_parse_bool_blank_and_invalid() -> None:
    assert parse_bool(None) is None and parse_bool("  ") is None
    for value in ("maybe", 2, "是否"):
        with pytest.raises(ValueError) as info:
            parse_bool(value)
        assert f"“{value}” is not yes or no." == str(info.value)


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  \t ", None),
        ("  Acme  ", "Acme"),
        ("e\u0301", "é"),  # NFC
        (13812345678.0, "13812345678"),  # a phone Excel stored as a number
        (12.0, "12"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (42, "42"),
        (Decimal("3.50"), "3.50"),
        (Decimal("1E+3"), "1000"),
        (date(2024, 3, 31), "2024-03-31"),
        (datetime(2024, 3, 31), "2024-03-31"),
        (datetime(2024, 3, 31, 9, 5), "2024-03-31 09:05:00"),
        (True, "TRUE"),
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_text(value: object, expected: str | None) -> None:
    assert cell_text(value) == expected
