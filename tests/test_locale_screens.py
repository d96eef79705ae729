"""Screens in people's words: names instead of codes, live data lists, RTL-safe values."""

from __future__ import annotations

import re

from sqlalchemy import select

from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import PASSWORD, add_member, as_owner, csrf, login, make_company


def _set_language(app, company, member_id, language):
    from saas.auth.models import User
    from saas.tenancy.context import enter_tenant

    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        db.session.get(User, member_id).language = language
        db.session.commit()


def _options(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', block)


def test_company_settings_list_current_currencies_and_canonical_zones(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    html = client.get("/settings/company").get_data(as_text=True)
    currencies = _options(html, "company-default_currency")
    assert {"EUR", "USD", "ALL", "IRR", "CNY"} <= set(currencies)
    assert not {"ADP", "AFA", "ATS", "DEM", "FRF"} & set(currencies)  # dead currencies
    assert ">Euro (EUR)<" in html  # named, not a bare code
    zones = _options(html, "company-timezone")
    assert {"UTC", "Europe/Tirane", "Asia/Tehran", "America/New_York"} <= set(zones)
    assert not {"Africa/Asmera", "US/Eastern", "Etc/GMT+5", "Europe/Kiev"} & set(zones)
    assert '<optgroup label="Europe">' in html  # grouped by region
    assert "Tirane (Albania)" in html  # city (country), in the reader's language
    assert "?zones=all" not in html  # no country yet: every zone is listed


def test_a_company_with_a_country_sees_its_zones_first(app, client):
    company = make_company(app)
    with app.app_context():
        from saas.tenancy.context import tenant_context

        with tenant_context(company.tenant_id):
            tenant = db.session.get(Tenant, company.tenant_id)
            tenant.default_country, tenant.timezone = "AL", "Europe/Tirane"
            db.session.commit()
    login(client, company.owner.email)
    html = client.get("/settings/company").get_data(as_text=True)
    assert set(_options(html, "company-timezone")) == {"UTC", "Europe/Tirane"}
    # the page was 56,655 bytes with 307 bare currency codes and 554 raw zone ids
    assert len(html.encode()) < 30_000, len(html.encode())
    every = client.get("/settings/company?zones=all")
    assert "America/New_York" in _options(every.get_data(as_text=True), "company-timezone")
    assert "?zones=all" in html
    # a zone from the full list saves although the short list did not show it
    token = csrf(client, "/settings/company")
    resp = client.post(
        "/settings/company",
        data={
            "company-name": "Acme",
            "company-default_currency": "ALL",
            "company-default_country": "AL",
            "company-timezone": "America/New_York",
            "company-csrf_token": token,
        },
    )
    assert resp.status_code == 303
    again = client.get("/settings/company").get_data(as_text=True)
    assert "America/New_York" in _options(again, "company-timezone")  # the choice stays listed
    profile = client.get("/settings/profile").get_data(as_text=True)
    assert set(_options(profile, "profile-timezone")) == {"", "UTC", "Europe/Tirane"}


def test_currency_names_follow_the_users_language(app, client):
    company = make_company(app)
    _set_language(app, company, company.owner.id, "ru")
    login(client, company.owner.email)
    html = client.get("/settings/company").get_data(as_text=True)
    assert "евро (EUR)" in html


def test_company_settings_save_a_zone_and_currency(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/company")
    resp = client.post(
        "/settings/company",
        data={
            "company-name": "Acme",
            "company-default_currency": "ALL",
            "company-default_country": "AL",
            "company-timezone": "Europe/Tirane",
            "company-csrf_token": token,
        },
    )
    assert resp.status_code == 303
    resp = client.post(
        "/settings/company",
        data={
            "company-name": "Acme",
            "company-default_currency": "ATS",
            "company-default_country": "AL",
            "company-timezone": "Europe/Tirane",
            "company-csrf_token": token,
        },
    )
    assert resp.status_code == 422  # a dead currency is not offered, and not accepted


def test_signup_guesses_company_defaults_from_the_browser_zone(app, client):
    html = client.get("/signup").get_data(as_text=True)
    assert 'name="timezone"' in html and "data-browser-timezone" in html
    token = csrf(client, "/signup")
    resp = client.post(
        "/signup",
        data={
            "company": "Tirana Shop",
            "name": "Ana",
            "email": "ana@tirana.example.com",
            "password": PASSWORD,
            "timezone": "Europe/Tirane",
            "csrf_token": token,
        },
        headers={"Accept-Language": "sq"},
    )
    assert resp.status_code == 303
    with as_owner() as conn:  # the app role cannot search tenants by name
        tid = conn.scalar(select(Tenant.id).where(Tenant.name == "Tirana Shop"))
    with app.app_context():
        from saas.tenancy.context import tenant_context

        with tenant_context(tid):
            tenant = db.session.get(Tenant, tid)
            assert (tenant.timezone, tenant.default_currency, tenant.default_country) == (
                "Europe/Tirane",
                "ALL",
                "AL",
            )


def test_roles_show_translated_permissions_grouped_by_area(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    html = client.get("/roles").get_data(as_text=True)
    assert "See every customer of the company" in html
    assert ">customers.view_all<" not in html  # no permission codes as text
    assert "Data and reports" in html and "Customers" in html
    _set_language(app, company, company.owner.id, "fa")
    html = client.get("/roles").get_data(as_text=True)
    assert "customers.view_all<" not in html
    new = client.get("/roles/new").get_data(as_text=True)
    assert "(customers.view_all)" not in new


def test_the_owners_own_edit_page_offers_no_role_select(app, client):
    company = make_company(app, plan="team")
    member = add_member(app, company, "sales")
    login(client, company.owner.email)
    own = client.get(f"/users/{company.owner.id}").get_data(as_text=True)
    assert 'name="role"' not in own
    assert "The owner&#39;s role cannot be changed." in own or "The owner's role" in own
    other = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="role"', other)
    token = csrf(client, f"/users/{company.owner.id}")
    resp = client.post(f"/users/{company.owner.id}", data={"manager": "", "csrf_token": token})
    assert resp.status_code in (200, 303)


def test_persian_pages_isolate_latin_values(app, client):
    company = make_company(app, plan="team")
    add_member(app, company, "sales", email="rep@acme.example.com")
    _set_language(app, company, company.owner.id, "fa")
    login(client, company.owner.email)
    team = client.get("/users").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in team
    assert "<bdi>rep@acme.example.com</bdi>" in team
    tokens = client.get("/settings/tokens").get_data(as_text=True)
    assert "<bdi>/api/v1/openapi.json</bdi>" in tokens
    settings = client.get("/settings/company").get_data(as_text=True)
    sender = re.search(r'<input[^>]*name="smtp-sender"[^>]*>', settings).group(0)
    assert 'dir="ltr"' in sender
