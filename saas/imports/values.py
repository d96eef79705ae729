# ruff: noqa: RUF001, RUF002, RUF003 - Chinese, Persian, Russian and full-width text is the point
"""Reading one cell's value as a date, a number, a yes/no or clean text.

Each parser takes what the reader gave (str, int, float, Decimal, date, datetime, bool or
None), returns None for a blank cell and raises ``ValueError`` with a translated message that
names the value ("“31/02/2024” is not a date.") when it cannot read it.

Dates: Excel serials, ISO, Y/m/d, d.m.Y (day first), d/m/Y or m/d/Y (day first unless only
m/d/Y is a real date), 2023年1月1日, Jalali (a year below 1700, or ``jalali=True`` for two-digit
years), month names in English; Persian, Arabic and full-width digits anywhere.
Numbers: thousands separators of every kind, decimal comma or point, Persian/Arabic separators
(٬ ٫), Chinese units (万, 亿, 千, 百), currency signs and words stripped; Decimal from the text,
never through a float.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import jdatetime
from flask_babel import gettext as _

_DIGITS = str.maketrans(
    {
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
        "\u066b": ".",  # Arabic decimal separator ٫
        "\u066c": ",",  # Arabic thousands separator ٬
        "\u060c": ",",  # Arabic comma ،
    }
)
_EXCEL_EPOCH = date(1899, 12, 30)
#: Excel's largest serial (9999-12-31).
_MAX_SERIAL = 2_958_465
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def _ascii_digits(value: str) -> str:
    return unicodedata.normalize("NFKC", value).translate(_DIGITS)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- dates -----------------------------------------------------------------------------------


def _not_a_date(value: Any) -> ValueError:
    return ValueError(_("“%(value)s” is not a date.", value=_show(value)))


def _show(value: Any) -> str:
    shown = str(value).strip()
    return shown if len(shown) <= 60 else shown[:57] + "…"


def _from_serial(serial: float, original: Any) -> date:
    if not 1 <= serial <= _MAX_SERIAL:
        raise ValueError(
            _(
                "“%(value)s” is not a date (as an Excel date number it is out of range).",
                value=_show(original),
            )
        )
    days = int(serial)
    if days < 61:  # Excel's 1900 leap-year bug: serial 60 is the non-existent 29 Feb 1900
        days += 1
    return _EXCEL_EPOCH + timedelta(days=days)


def _make(year: int, month: int, day: int, *, jalali: bool, original: Any) -> date:
    try:
        if jalali:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except ValueError as exc:
        raise _not_a_date(original) from exc


def _year(text: str, *, jalali: bool) -> tuple[int, bool]:
    """A year from 2 or 4 digits, and whether it is a Jalali one."""
    year = int(text)
    if len(text) <= 2:
        if jalali:
            return (1400 + year if year < 50 else 1300 + year), True
        return (2000 + year if year < 69 else 1900 + year), False
    return year, year < 1700


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_CJK = re.compile(r"(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DMY = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_NAMED_DMY = re.compile(r"(\d{1,2})[\s\-]+([a-z]+)\.?[\s\-,]+(\d{4})")
_NAMED_MDY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?[\s,]+(\d{4})")
_TIME_TAIL = re.compile(
    r"(?:[ t]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?)?(?:z|[+-]\d{2}:?\d{2})?"
)


def parse_date(value: Any, *, jalali: bool = False) -> date | None:
    """``value`` as a date; None for a blank cell; ``ValueError`` naming the value otherwise."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool | time):
        raise _not_a_date(value)
    if isinstance(value, int | float | Decimal):
        if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral()):
            digits = str(int(value))
            if len(digits) == 8 and digits[:2] in ("19", "20"):
                return _make(
                    int(digits[:4]), int(digits[4:6]), int(digits[6:]), jalali=False, original=value
                )
        return _from_serial(float(value), value)
    s = _ascii_digits(str(value)).strip().lower()
    match = _CJK.fullmatch(s)
    if match:
        year, is_jalali = _year(match.group(1), jalali=jalali)
        return _make(
            year, int(match.group(2)), int(match.group(3)), jalali=is_jalali, original=value
        )
    match = _ISO.match(s)
    if match and _TIME_TAIL.fullmatch(s[match.end() :]):
        year, is_jalali = _year(match.group(1), jalali=jalali)
        return _make(
            year, int(match.group(2)), int(match.group(3)), jalali=is_jalali, original=value
        )
    match = _DMY.match(s)
    if match and _TIME_TAIL.fullmatch(s[match.end() :]):
        first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
        year, is_jalali = _year(match.group(4), jalali=jalali)
        if sep == "." or first > 12:
            return _make(year, second, first, jalali=is_jalali, original=value)
        try:  # ambiguous: day first, unless only month first is a real date
            return _make(year, second, first, jalali=is_jalali, original=value)
        except ValueError:
            return _make(year, first, second, jalali=is_jalali, original=value)
    if re.fullmatch(r"\d{8}", s) and s[:2] in ("19", "20"):
        return _make(int(s[:4]), int(s[4:6]), int(s[6:]), jalali=False, original=value)
    if re.fullmatch(r"\d{5}(?:\.\d+)?", s):
        return _from_serial(float(s), value)
    for pattern, order in ((_NAMED_DMY, "dmy"), (_NAMED_MDY, "mdy")):
        match = pattern.fullmatch(s)
        if match:
            if order == "dmy":
                day, month_name, year_text = match.groups()
            else:
                month_name, day, year_text = match.groups()
            month = _MONTHS.get(month_name)
            if month is None:
                break
            return _make(int(year_text), month, int(day), jalali=False, original=value)
    raise ValueError(
        _(
            "“%(value)s” is not a date (write it for example as 2024-03-31 or 31.03.2024).",
            value=_show(value),
        )
    )


# -- numbers ---------------------------------------------------------------------------------

_CURRENCY = re.compile(
    r"(?:ریال|تومان|تومن|руб\.?|р\.|lekë|leke|lek|usd|eur|cny|rmb|rub|irr|irt|all|元|[¥$€₽£₺﷼L])",
    re.IGNORECASE,
)
_UNITS = {
    "亿": Decimal(100_000_000),
    "万": Decimal(10_000),
    "千": Decimal(1_000),
    "百": Decimal(100),
}
_PLAIN = re.compile(r"\d+(?:\.\d+)?")


def _not_a_number(value: Any) -> ValueError:
    return ValueError(_("“%(value)s” is not a number.", value=_show(value)))


def _plain_number(s: str, original: Any) -> Decimal:
    """A number without units: separators resolved, then exact Decimal."""
    s = s.replace("'", "").replace("’", "")
    s = re.sub(r"(?<=\d)[\s\u00a0\u202f\u2009]+(?=\d{3}(?:\D|$))", "", s)
    if re.search(r"\s", s):
        raise _not_a_number(original)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.startswith(("-", "−")):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if s.endswith("-"):
        negative, s = not negative, s[:-1]
    if "," in s and "." in s:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        whole, _sep, frac = s.rpartition(decimal_sep)
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})*", whole):
            raise _not_a_number(original)
        s = whole.replace(thousands, "") + "." + frac
    elif "," in s:
        if s.count(",") > 1 or re.fullmatch(r"\d{1,3},\d{3}", s):
            if not re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
                raise _not_a_number(original)
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
    elif s.count(".") > 1:
        if not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
            raise _not_a_number(original)
        s = s.replace(".", "")
    if s.startswith("."):
        s = "0" + s
    if not _PLAIN.fullmatch(s):
        raise _not_a_number(original)
    try:
        number = Decimal(s)
    except InvalidOperation as exc:
        raise _not_a_number(original) from exc
    return -number if negative else number


def parse_number(value: Any) -> Decimal | None:
    """``value`` as an exact Decimal; None for a blank cell; ``ValueError`` otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_a_number(value)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_a_number(value)
        return value
    if not isinstance(value, str):
        raise _not_a_number(value)
    s = _ascii_digits(value).strip()
    s = _CURRENCY.sub("", s).strip()
    if not s:
        raise _not_a_number(value)
    if any(unit in s for unit in _UNITS):
        total = Decimal(0)
        rest = s
        negative = rest.startswith(("-", "−"))
        if negative:
            rest = rest[1:]
        last_unit: Decimal | None = None
        position = 0
        for match in re.finditer(r"([\d.,\s]*)\s*([亿万千百])\s*", rest):
            if match.start() != position:
                raise _not_a_number(value)
            unit = _UNITS[match.group(2)]
            if last_unit is not None and unit >= last_unit:
                raise _not_a_number(value)
            digits = match.group(1).strip()
            if not digits:
                raise _not_a_number(value)
            total += _plain_number(digits, value) * unit
            last_unit = unit
            position = match.end()
        if last_unit is None:
            raise _not_a_number(value)
        tail = rest[position:].strip()
        if tail:
            total += _plain_number(tail, value)
        return -total if negative else total
    return _plain_number(s, value)


# -- yes/no ----------------------------------------------------------------------------------

_TRUE = frozenset(
    [
        "yes",
        "y",
        "true",
        "t",
        "1",
        "on",
        "x",
        "✓",
        "✔",
        "√",
        "是",
        "是的",
        "对",
        "有",
        "بله",
        "بلی",
        "آری",
        "درست",
        "да",
        "д",
        "истина",
        "po",
        "true",
    ]
)
_FALSE = frozenset(
    [
        "no",
        "n",
        "false",
        "f",
        "0",
        "off",
        "✗",
        "✘",
        "×",
        "否",
        "不",
        "不是",
        "无",
        "خیر",
        "نه",
        "نخیر",
        "غلط",
        "нет",
        "н",
        "ложь",
        "jo",
    ]
)


def parse_bool(value: Any) -> bool | None:
    """``value`` as yes (True) or no (False); None for a blank cell; ``ValueError`` otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = _ascii_digits(value).strip().lower().replace("ي", "ی").rstrip(".!")
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise ValueError(_("“%(value)s” is not yes or no.", value=_show(value)))


# -- text ------------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A cell as clean text: None for blank, numbers without ".0", dates ISO, stripped, NFC."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        if value == value.to_integral() and value.is_finite():
            return format(value.quantize(Decimal(1)), "f")
        return format(value, "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    s = unicodedata.normalize("NFC", str(value)).strip()
    return s or None
