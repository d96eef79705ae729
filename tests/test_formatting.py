"""One format helper: dates by locale, zone and calendar; numbers and money with Babel."""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import flask_babel
import pytest
from flask_login import login_user

from saas import formatting
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant
from tests.conftest import csrf, login, make_company

LATIN_DIGIT = re.compile(r"[0-9]")
WHEN = datetime(2026, 11, 22, 14, 4)  # UTC


@contextmanager
def as_user(app, language="en", timezone=None, calendar="gregorian", company="Acme"):
    company = make_company(app, company)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        user = db.session.get(User, company.owner.id)
        user.language, user.timezone, user.calendar = language, timezone, calendar
        login_user(user)
        flask_babel.refresh()
        yield user
        db.session.rollback()


def test_english_in_europe_is_not_us_style(app):
    with as_user(app, "en", "Europe/Tirane"):
        text = formatting.user_datetime(WHEN)
        assert text == "22 Nov 2026, 15:04"
        assert formatting.user_date(date(2026, 11, 22)) == "22 Nov 2026"
        assert "11/22/26" not in text


def test_english_in_new_york_reads_the_us_way_but_unambiguously(app):
    with as_user(app, "en", "America/New_York"):
        assert formatting.user_datetime(WHEN).replace("\u202f", " ") == "Nov 22, 2026, 9:04 AM"


def test_the_company_zone_applies_when_the_user_has_none(app):
    with as_user(app, "en", None) as user:
        user.tenant.timezone = "Asia/Tokyo"
        flask_babel.refresh()
        assert "11:04" in formatting.user_datetime(WHEN)  # Tokyo is UTC+9


def test_persian_numbers_money_and_jalali_dates_use_persian_digits(app):
    with as_user(app, "fa", "Asia/Tehran", "jalali"):
        assert formatting.number(2) == "۲"
        assert formatting.number(1234) == "\u06f1\u066c\u06f2\u06f3\u06f4"  # 1,234 in Persian
        price = formatting.money(Decimal("49.00"), "EUR")
        assert "۴۹" in price and not LATIN_DIGIT.search(price)
        day = formatting.user_date(WHEN)
        assert day.startswith("۱۴۰۵/") and not LATIN_DIGIT.search(day)
        # values stored as ISO text in the audit log format the same way
        assert formatting.user_datetime(WHEN.isoformat()) == formatting.user_datetime(WHEN)


def test_money_in_its_currency(app):
    with as_user(app, "en", "America/New_York"):
        assert formatting.money(49, "EUR") == "€49.00"
        assert formatting.money("1234.6", "JPY") == "¥1,235"
    with as_user(app, "en", "Europe/Tirane", company="Beta"):
        assert formatting.money(49, "EUR") == "49.00\xa0€"  # CLDR's English for Europe


def test_persian_pages_show_counts_and_money_in_persian_digits(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/profile")
    client.post(
        "/settings/profile",
        data={
            "profile-name": "Owner",
            "profile-language": "fa",
            "profile-timezone": "Asia/Tehran",
            "profile-calendar": "gregorian",
            "profile-csrf_token": token,
        },
    )
    team = client.get("/users").get_data(as_text=True)
    assert "\u06f1" in team and "\u06f2" in team  # "1 of 2 seats" in Persian digits
    seats = re.search(r'id="users-seats"[^>]*>(.*?)</', team, re.S)
    assert seats and not LATIN_DIGIT.search(seats.group(1)), seats
    billing = client.get("/billing").get_data(as_text=True)
    prices = re.findall(r'<p class="price">(.*?)<', billing)
    assert prices and all("€" in p and not LATIN_DIGIT.search(p) for p in prices), prices


def test_no_message_formats_a_number_with_percent_d():
    """``%(n)d`` writes Latin digits in every language: pass ``n|number`` into ``%(n)s``."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    pattern = re.compile(r"%\(\w+\)d")
    offenders = [
        f"{path.relative_to(root)}:{i}"
        for folder, glob in (("saas", "*.py"), ("templates", "*.*"))
        for path in sorted((root / folder).rglob(glob))
        if "translations" not in path.parts
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("language", ["en", "fa", "ru", "sq", "zh", "de", "hi", "ar", "es"])
def test_whole_numbers_are_written_as_babel_writes_them(language):
    """``number`` writes ints itself (the list's No. column, once per row) without Babel's
    per-call pattern parsing; it must equal Babel's format_decimal (with Persian digits for
    Persian), Indian grouping (hi: 12,34,567) and negative patterns included."""
    from babel.numbers import format_decimal

    from saas.formatting import NATIVE_DIGITS, _integer

    rng = random.Random(language)
    values = [0, 1, -1, 999, 1000, -1000, 12345, 1234567, -987654321, 10**15]
    values += [rng.randint(-(10**12), 10**12) for _ in range(300)]
    digits = NATIVE_DIGITS.get(language)
    for value in values:
        expected = format_decimal(value, locale=language, numbering_system="default")
        assert _integer(value, language) == (expected.translate(digits) if digits else expected)
