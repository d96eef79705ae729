"""One place that turns values into text for people: dates, numbers, money.

Every template and every describer formats through these functions (also Jinja filters:
``user_date``, ``user_datetime``, ``number``, ``money``), so a value reads the same way on
every page:

- the language is the user's (Flask-Babel's ``get_locale``); the *formatting* locale adds the
  territory of the user's time zone when CLDR knows that variant, so English for a company in
  Europe/Tirane reads "22 Nov 2026, 15:04" (en_150), not the US "11/22/26, 3:04 PM";
- dates are shown in the user's zone and calendar (Gregorian, or Jalali via jdatetime);
- numbers and money use the locale's own digits (``numbering_system="default"``), so Persian
  shows counts and prices in Persian digits, never a mix of digit systems on one page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from babel import Locale, localedata
from babel.core import get_global
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, get_group_symbol
from babel.units import format_unit
from flask import has_request_context
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup

#: Locales whose dates read with their own digits (Babel writes dates with Latin ones).
NATIVE_DIGITS = {"fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}

#: Time-zone regions whose English reads best as CLDR's "English (Europe)".
_REGIONAL_FALLBACK = {"Europe": "150"}


def _language() -> str:
    return str(get_locale() or "en")


def _zone_name() -> str:
    zone = get_timezone()
    return getattr(zone, "key", None) or str(zone or "UTC")


@functools.cache
def _formatting_locale(language: str, zone: str) -> Locale:
    """``language`` with the territory of ``zone`` when CLDR has that variant, else ``language``."""
    territory = get_global("zone_territories").get(zone)
    candidates = [f"{language}_{territory}"] if territory else []
    if fallback := _REGIONAL_FALLBACK.get(zone.split("/")[0]):
        candidates.append(f"{language}_{fallback}")
    for name in candidates:
        if localedata.exists(name):
            return Locale.parse(name)
    return Locale.parse(language)


def formatting_locale() -> Locale:
    """The locale numbers and dates are written in for the current user."""
    return _formatting_locale(_language(), _zone_name())


def native_digits(text: str) -> str:
    """``text`` with Latin digits replaced by the locale's own (Persian), else unchanged."""
    digits = NATIVE_DIGITS.get(_language())
    return text.translate(digits) if digits else text


def to_local(value: datetime) -> datetime:
    """A UTC datetime (naive means UTC) in the user's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(get_timezone())


def user_calendar() -> str:
    """The calendar the current user reads and types dates in: ``gregorian`` or ``jalali``."""
    return _calendar()


def _calendar() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return getattr(current_user, "calendar", "gregorian") or "gregorian"
    return "gregorian"


def user_date(value: date | datetime | str | None, with_time: bool = False) -> str:
    """A date (or UTC datetime) in the user's zone, calendar, locale and digits."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = to_local(value)
    else:
        with_time = False
    if _calendar() == "jalali":
        locale = "fa_IR" if _language() == "fa" else "en_US"
        if isinstance(value, datetime):
            j = jdatetime.datetime.fromgregorian(datetime=value.replace(tzinfo=None), locale=locale)
            text = j.strftime("%Y/%m/%d %H:%M" if with_time else "%Y/%m/%d")
        else:
            text = jdatetime.date.fromgregorian(date=value, locale=locale).strftime("%Y/%m/%d")
    elif with_time:
        loc = formatting_locale()
        # medium date + short time: never the ambiguous all-numeric "11/22/26"
        pattern = loc.datetime_formats["medium"].format(
            loc.time_formats["short"].pattern, loc.date_formats["medium"].pattern
        )
        text = format_datetime(value, pattern, tzinfo=value.tzinfo, locale=loc)
    else:
        text = format_date(value, "medium", locale=formatting_locale())
    return native_digits(text)


def country_name(code: str | None) -> str:
    """An ISO 3166 alpha-2 code as the country's name in the user's language."""
    if not code:
        return ""
    return Locale.parse(_language()).territories.get(code.upper(), code)


#: Persian (U+06F0…) and Arabic-Indic (U+0660…) digits to Latin ones.
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_DATE_PARTS = re.compile(
    r"^\s*(\d{1,4})\s*[-/.\u066b\u060c\s]\s*(\d{1,2})\s*[-/.\u066b\u060c\s]\s*(\d{1,2})\s*$"
)


def parse_user_date(text: str, calendar: str | None = None) -> date:
    """A date typed in ``calendar`` (default: the user's) as the Gregorian ``date`` it names.

    Takes year/month/day with ``/``, ``-`` or ``.`` between (``1403/05/12``, ``2024-08-02``),
    in Latin, Persian or Arabic-Indic digits. ``ValueError`` for anything else
    or for a day the calendar has not (1403/12/31 is not a day; 1403/12/30 is).
    """
    match = _DATE_PARTS.match((text or "").translate(LATIN_DIGITS))
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    if year < 100:
        raise ValueError(text)
    if (calendar or _calendar()) == "jalali":
        return jdatetime.date(year, month, day).togregorian()
    return date(year, month, day)


def calendar_date(value: date, calendar: str | None = None) -> str:
    """``value`` the way a date field shows it for typing: ``1403/05/12`` (Jalali, in the
    user's digits) or ISO ``2024-08-02`` (what ``<input type=date>`` takes)."""
    if (calendar or _calendar()) == "jalali":
        return native_digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))
    return value.isoformat()


def user_datetime(value: date | datetime | str | None) -> str:
    return user_date(value, with_time=True)


@functools.cache
def _integer_style(language: str) -> tuple[int, int, str, tuple[str, str], dict[int, str] | None]:
    """How ``language`` writes a whole number: its pattern's primary and secondary grouping,
    group symbol, negative prefix and suffix, and its digits, all read from Babel once."""
    locale = Locale.parse(language)
    pattern = locale.decimal_formats[None]
    primary, secondary = pattern.grouping
    group = get_group_symbol(locale, numbering_system="default")
    negative = (pattern.prefix[1], pattern.suffix[1])
    return primary, secondary, group, negative, NATIVE_DIGITS.get(language)


def _integer(value: int, language: str) -> str:
    """``format_decimal`` of a whole number, without parsing a pattern per call: the list
    writes one per row (No.); tests/test_formatting.py checks it equals Babel's."""
    primary, secondary, group, negative, digits = _integer_style(language)
    text = str(-value if value < 0 else value)
    if len(text) > primary:
        head, parts = text[:-primary], [text[-primary:]]
        while len(head) > secondary:
            parts.append(head[-secondary:])
            head = head[:-secondary]
        parts.append(head)
        text = group.join(reversed(parts))
    if value < 0:
        text = negative[0] + text + negative[1]
    return text.translate(digits) if digits else text


def number(value: int | float | Decimal | str | None) -> str:
    """A number with the locale's separators and digits (Persian digits for Persian)."""
    if value is None or value == "":
        return ""
    # The language alone decides (no time-zone lookup: service messages call this before any
    # user is loaded). Babel picks the separators; the digits it always writes in Latin.
    language = _language()
    if type(value) is int:
        return _integer(value, language)
    return native_digits(format_decimal(value, locale=language, numbering_system="default"))


def number_formatter() -> Callable[[Any], str]:
    """``number`` with the language looked up once: for the many numbers of one page."""
    language = _language()

    def format_one(value: Any) -> str:
        return _integer(value, language) if type(value) is int else number(value)

    return format_one


def money(value: int | float | Decimal | str | None, currency: str) -> str:
    """An amount in ``currency`` written the locale's way (€49.00 in English)."""
    if value is None or value == "":
        return ""
    return native_digits(
        format_currency(
            Decimal(str(value)), currency, locale=formatting_locale(), numbering_system="default"
        )
    )


def isolate(value: object) -> Markup:
    """``value`` as its own direction run (``<bdi>``): an email or path inside a sentence keeps
    its order in right-to-left text (not ``.api/v1/openapi.json/``)."""
    return Markup("<bdi>{}</bdi>").format(value)


_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte", "digital-gigabyte")


def filesize(value: int | None) -> str:
    """A size in bytes as the reader writes it ("512 byte", "1.5 MB"; Persian digits in Persian)."""
    if value is None:
        return ""
    size, unit = float(value), 0
    while size >= 1024 and unit < len(_SIZE_UNITS) - 1:
        size, unit = size / 1024, unit + 1
    text = format_unit(
        round(size, 1) if unit else int(size),
        _SIZE_UNITS[unit],
        length="short",
        format="#,##0.#",
        locale=_language(),
    )
    return native_digits(text)


def init_app(app: object) -> None:
    """Register the filters on ``app``'s Jinja environment."""
    env = app.jinja_env  # type: ignore[attr-defined]
    env.filters["user_date"] = user_date
    env.filters["user_datetime"] = user_datetime
    env.filters["number"] = number
    env.filters["money"] = money
    env.filters["isolate"] = isolate
    env.filters["filesize"] = filesize
    env.filters["country_name"] = country_name
