"""The Contacts page in a real Chromium: the navigation's entry, an active search by a phone
typed in Persian digits (the list swapped in place, the URL pushed with the search), the row
opening its customer's Contacts tab, the back button restoring the search; axe finds nothing."""

from __future__ import annotations

import pytest
from flask import g

from saas.auth.models import User
from saas.contacts import service as contacts
from saas.customers import service as customers
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.browser.test_accessibility import axe_violations
from tests.conftest import PASSWORD, make_company

pytestmark = pytest.mark.browser


def _world(app, company):
    """Two customers with a contact each (Iranian numbers); the ids of the one searched for."""
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        owner = db.session.get(User, company.owner.id)
        g.actor_id = owner.id
        db.session.get(Tenant, company.tenant_id).default_country = "IR"
        aria = customers.create_customer(actor=owner, name="Aria Trading").id
        kian = customers.create_customer(actor=owner, name="Kian Steel").id
        wanted = contacts.create_contact(
            actor=owner,
            customer_id=aria,
            name="Sara Ahmadi",
            position="Purchasing manager",
            phones=[{"number": "0912 345 6789"}],
            emails=["sara@aria.example"],
        ).id
        contacts.create_contact(
            actor=owner, customer_id=kian, name="Reza Karimi", phones=[{"number": "0935 111 2233"}]
        )
        db.session.commit()
        return aria, wanted


def test_search_contacts_by_a_persian_phone_and_open_the_customer(app, new_page, screenshot):
    from playwright.sync_api import expect

    company = make_company(app, plan="team")
    aria, wanted = _world(app, company)
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(company.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    page.get_by_role("link", name="Contacts", exact=True).first.click()
    page.wait_for_url("**/contacts")
    rows = page.locator("#contact-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".list-count")).to_have_text("2 contacts")
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Search contacts").type("۰۹۱۲ ۳۴۵", delay=30)  # active search as you type
    expect(rows).to_have_count(1)
    expect(page.locator(f"#contact-row-{wanted}")).to_contain_text("Sara Ahmadi")
    expect(page.locator(f"#contact-row-{wanted} a[href='tel:+989123456789']")).to_have_text(
        "0912 345 6789"
    )
    expect(
        page.locator(f"#contact-row-{wanted} a[href='mailto:sara@aria.example']")
    ).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert "q=" in page.url  # the URL holds the search (bookmark, share, reload)
    assert axe_violations(page) == []
    screenshot(page, "en-contacts-search")

    searched = page.url
    page.locator(f"#contact-row-{wanted} a", has_text="Sara Ahmadi").click()
    page.wait_for_url(f"**/customers/{aria}/contacts*")
    expect(page.locator(f"#contact-{wanted}")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Aria Trading")

    page.go_back()
    page.wait_for_url(searched)
    expect(page.locator("#contact-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Search contacts")).to_have_value("۰۹۱۲ ۳۴۵")
