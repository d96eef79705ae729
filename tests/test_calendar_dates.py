"""Calendar-aware date fields: typed and shown in the user's calendar, stored Gregorian."""
# ruff: noqa: RUF001 - Persian and Arabic-Indic digits are the point of these tests

from __future__ import annotations

import re
from datetime import date

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from saas import formatting
from saas.forms import CalendarDateField
from tests.test_formatting import as_user

LATIN_DIGIT = re.compile(r"[0-9]")


class BirthdayForm(FlaskForm):
    class Meta:
        csrf = False

    birthday = CalendarDateField("Birthday")


def _submit(value: str) -> BirthdayForm:
    form = BirthdayForm(formdata=MultiDict({"birthday": value}))
    form.validate()
    return form


@pytest.mark.parametrize(
    "typed",
    ["1403/05/12", "۱۴۰۳/۰۵/۱۲", "١٤٠٣/٠٥/١٢", "1403-5-12", " 1403.05.12 ", "۱۴۰۳ / ۵ / ۱۲"],
)
def test_a_jalali_user_types_a_persian_date_and_the_same_day_is_stored(app, typed):
    with as_user(app, "fa", "Asia/Tehran", "jalali"):
        form = _submit(typed)
        assert form.birthday.errors == []
        assert form.birthday.data == date(2024, 8, 2)


def test_jalali_round_trip_shows_the_day_back_in_persian_digits(app):
    with as_user(app, "fa", "Asia/Tehran", "jalali"):
        form = BirthdayForm(data={"birthday": date(2024, 8, 2)})
        html = str(form.birthday())
        assert 'value="۱۴۰۳/۰۵/۱۲"' in html
        assert 'type="text"' in html and 'inputmode="numeric"' in html and 'dir="ltr"' in html
        assert not LATIN_DIGIT.search(form.birthday.format_hint)
        # what is shown parses back to the same day: every day of a leap year (1403 is one)
        day = date(2024, 3, 20)  # 1403/01/01
        while day < date(2025, 3, 21):
            shown = formatting.calendar_date(day)
            assert formatting.parse_user_date(shown) == day, shown
            day = date.fromordinal(day.toordinal() + 1)


def test_english_reader_with_jalali_calendar_sees_latin_digits(app):
    with as_user(app, "en", "Asia/Tehran", "jalali"):
        form = BirthdayForm(data={"birthday": date(2024, 8, 2)})
        assert 'value="1403/05/12"' in str(form.birthday())
        assert "1403/05/12" in form.birthday.format_hint


@pytest.mark.parametrize(
    "typed", ["1403/12/31", "1403/13/01", "1403/00/10", "12/05/1403", "soon", "1403/05", "99/1/1"]
)
def test_jalali_nonsense_is_refused_with_the_format(app, typed):
    with as_user(app, "fa", "Asia/Tehran", "jalali"):
        form = _submit(typed)
        assert form.birthday.data is None
        assert form.birthday.errors, typed
        message = form.birthday.errors[0]
        assert "۱۴۰۳/۰۵/۱۲" in message  # the example, in the reader's digits


def test_1403_12_30_exists_1404_12_30_does_not(app):
    # 1403 is a Jalali leap year; 1404 is not
    assert formatting.parse_user_date("1403/12/30", "jalali") == date(2025, 3, 20)
    with pytest.raises(ValueError):
        formatting.parse_user_date("1404/12/30", "jalali")


def test_a_gregorian_user_gets_a_native_date_input(app):
    with as_user(app, "en", "Europe/Tirane", "gregorian"):
        form = BirthdayForm(data={"birthday": date(2024, 8, 2)})
        html = str(form.birthday())
        assert 'type="date"' in html and 'value="2024-08-02"' in html
        assert form.birthday.format_hint is None
        assert _submit("2024-08-02").birthday.data == date(2024, 8, 2)
        assert _submit("2024/8/2").birthday.data == date(2024, 8, 2)
        assert _submit("٢٠٢٤-٠٨-٠٢").birthday.data == date(2024, 8, 2)
        bad = _submit("2023-02-29")
        assert bad.birthday.data is None
        assert bad.birthday.errors == ["Not a date. Type year/month/day, e.g. 2024-08-02."]
        # the invalid text is kept for correcting
        assert 'value="2023-02-29"' in str(bad.birthday())


def test_empty_is_no_date(app):
    with as_user(app, "fa", "Asia/Tehran", "jalali"):
        form = _submit("  ")
        assert form.birthday.data is None and form.birthday.errors == []
