"""The card's Contacts tab in a real Chromium: a contact added in place (no page load) with
its phone as a tel: link, a bad phone answered on its field, the tab passing axe, in English
and in Persian (right-to-left)."""

from __future__ import annotations

import pytest
from flask import g

from saas.auth.models import User
from saas.customers import service as customers
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.browser.test_accessibility import axe_violations
from tests.conftest import PASSWORD, make_company

pytestmark = pytest.mark.browser


def _customer(app, company, name):
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        owner = db.session.get(User, company.owner.id)
        g.actor_id = owner.id
        db.session.get(Tenant, company.tenant_id).default_country = "IR"
        customer_id = customers.create_customer(actor=owner, name=name).id
        db.session.commit()
        return customer_id


@pytest.mark.parametrize("language", ["en", "fa"])
def test_add_a_contact_in_place(app, new_page, screenshot, console, language):
    from playwright.sync_api import expect

    company = make_company(app, plan="team")
    with app.app_context(), tenant_context(company.tenant_id):
        db.session.get(User, company.owner.id).language = language
        db.session.commit()
    customer_id = _customer(app, company, "شرکت آریا" if language == "fa" else "Aria Trading")
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(company.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")  # from here on in the owner's language
    page.goto(f"/customers/{customer_id}/contacts")
    page.evaluate("window.__sameDocument = true")

    page.locator("#contacts a.button-primary").click()
    form = page.locator("#contact-new")
    expect(form).to_be_visible()
    # the bad phone is answered 422 (the form with the error on its field): expected
    console.allow(r"status of 422|Response Status Error Code 422")
    form.locator("input[name=name]").fill("محمدرضا شجریان")
    form.locator("input[name='phones-0-number']").fill("0912 123")
    form.locator("button[type=submit]").click()
    phone = page.locator("#contact-new input[name='phones-0-number']")
    expect(phone).to_have_attribute("aria-invalid", "true")
    # the answer's focus lands on the invalid field (not on the name's autofocus): typing goes
    # where the message is, and once it is there htmx has settled, so the fill cannot race it
    expect(phone).to_be_focused()
    phone.fill("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.locator("#contact-new button[type=submit]").click()
    link = page.locator("#contacts a[href='tel:+989121234567']")
    expect(link).to_have_text("0912 123 4567")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert axe_violations(page) == []
    screenshot(page, f"{language}-contacts-tab")
