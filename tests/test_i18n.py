"""Five languages, right-to-left Persian, Jalali dates, per-user language."""

import pathlib

import pytest
from babel.messages.pofile import read_po

from tests.conftest import csrf, login, make_company

ROOT = pathlib.Path(__file__).resolve().parent.parent
LANGS = ("zh", "fa", "sq", "ru")


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_is_translated(lang):
    template = read_po((ROOT / "saas/translations/messages.pot").open("rb"))
    catalog = read_po((ROOT / f"saas/translations/{lang}/LC_MESSAGES/messages.po").open("rb"))
    missing = []
    for msg in template:
        if not msg.id:
            continue
        found = catalog.get(msg.id, context=msg.context)
        strings = (
            [found.string]
            if found and isinstance(found.string, str)
            else list(found.string if found else [])
        )
        if not found or not all(strings) or found.fuzzy:
            missing.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    assert missing == [], (
        f"{len(missing)} untranslated in {lang}: run `make messages` and translate"
    )


def test_catalog_is_current():
    """The .pot holds every string of the code: re-extract and compare."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pot") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "-F",
                "babel.cfg",
                "-k",
                "_l",
                "-k",
                "lazy_gettext",
                "-o",
                out.name,
                ".",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with open(out.name, "rb") as fh:
            fresh = {(m.id, m.context) for m in read_po(fh) if m.id}
    current = {
        (m.id, m.context)
        for m in read_po((ROOT / "saas/translations/messages.pot").open("rb"))
        if m.id
    }
    assert fresh - current == set(), "new strings: run `make messages` and translate them"


def test_persian_pages_are_right_to_left(client):
    html = client.get("/login", headers={"Accept-Language": "fa-IR,fa;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="fa" dir="rtl">' in html
    assert "ورود" in html  # "Log in"


@pytest.mark.parametrize(
    ("header", "lang", "word"),
    [
        ("zh-CN,zh;q=0.9", "zh", "登录"),
        ("ru", "ru", "Войти"),
        ("sq-AL", "sq", "Hyr"),
        ("de-DE", "en", "Log in"),
    ],
)
def test_before_login_pages_follow_accept_language(client, header, lang, word):
    html = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="ltr">' in html
    assert word in html


def test_switcher_overrides_the_browser(client):
    token = csrf(client, "/login")
    resp = client.post(
        "/language",
        data={"lang": "ru", "next": "/login", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert '<html lang="ru"' in client.get("/login", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    # an outside `next` is ignored
    resp = client.post(
        "/language", data={"lang": "fa", "next": "https://evil.example.com/", "csrf_token": token}
    )
    assert resp.headers["Location"] == "/"


def test_user_language_and_jalali_dates(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/profile")
    resp = client.post(
        "/settings/profile",
        data={
            "profile-name": "Owner",
            "profile-language": "fa",
            "profile-timezone": "Asia/Tehran",
            "profile-calendar": "jalali",
            "profile-csrf_token": token,
        },
    )
    assert resp.status_code == 303
    html = client.get("/settings/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'dir="rtl"' in html
    import jdatetime

    year = str(jdatetime.date.today().year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"{year}/" in html  # today's date in the Jalali calendar, with Persian digits
    audit = client.get("/audit").get_data(as_text=True)
    assert f"{year}/" in audit


def test_mail_is_written_in_the_inviters_language(app):
    from sqlalchemy import select

    from saas.auth.models import User
    from saas.extensions import db
    from saas.mail.models import MailMessage
    from saas.tenancy.context import enter_tenant
    from saas.users import service

    company = make_company(app)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        owner.language = "ru"
        service.invite(actor=owner, email="b@acme.example.com", role="sales")
        msg = db.session.scalar(select(MailMessage))
        assert "приглаш" in (msg.subject + msg.body_text).lower()
        db.session.rollback()


def test_no_translation_call_hides_inside_an_f_string():
    """pybabel does not extract ``_()`` inside f-strings: such text would never be translated."""
    import ast

    offenders = []
    for path in sorted((ROOT / "saas").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                for sub in ast.walk(node):
                    name = getattr(getattr(sub, "func", None), "id", None)
                    if isinstance(sub, ast.Call) and name in (
                        "_",
                        "_l",
                        "gettext",
                        "lazy_gettext",
                        "ngettext",
                    ):
                        offenders.append(f"{path.relative_to(ROOT)}:{sub.lineno}")
    assert offenders == []


def test_words_with_two_meanings_are_translated_apart(app):
    """The customer stage "Active" is not a user being enabled; a list's "Position" (its
    order) is not a contact's job title; a customer's "Owner" is not the company's owner role:
    each has a message context of its own."""
    from flask_babel import force_locale, gettext, pgettext

    with app.test_request_context("/"), force_locale("zh"):
        assert pgettext("customer stage", "Active") != gettext("Active")
        assert pgettext("sort order", "Position") != gettext("Position")
        # a customer's owner (负责人, who works it) is not the company's owner role (所有者)
        assert (pgettext("customer", "Owner"), gettext("Owner")) == ("负责人", "所有者")
    with app.test_request_context("/"), force_locale("zh"):
        from saas.customers.lists import default_rows

        names = {row["name"] for row in default_rows(gettext, pgettext)}
        assert pgettext("customer stage", "Active") in names and "Active" not in names


def test_templates_follow_a_forced_or_refreshed_locale_within_a_request(app):
    """Templates translate through a per-request cached catalogue (saas/web.py
    ``translations``); ``force_locale`` (mail in the recipient's language) and ``refresh`` (a
    user who just changed language) must still switch it, and back."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    page = "{{ _('Customers') }} {{ ngettext('%(num)s customer', '%(num)s customers', 2) }}"
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert render_template_string(page).startswith("客户 ")
        with force_locale("fa"):
            assert render_template_string(page).startswith("مشتریان ")
        assert render_template_string(page).startswith("客户 ")
        session["lang"] = "ru"  # the user chose Russian in this very request
        assert render_template_string(page).startswith("客户 ")  # cached until refreshed
        refresh()
        assert render_template_string(page).startswith("Клиенты ")
