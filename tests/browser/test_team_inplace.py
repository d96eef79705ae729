"""The Team page updates in place: a row's role changes without a page load, the message
arrives in the flash region, and the invite form checks the email as the user leaves it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.auth.models import Invitation, User
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, add_member, make_company

pytestmark = pytest.mark.browser


def _expect():
    from playwright.sync_api import expect

    return expect


def _log_in(page, email):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def test_change_a_role_in_place(app, new_page, screenshot):
    expect = _expect()
    company = make_company(app, plan="team")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    page = new_page()
    _log_in(page, company.owner.email)
    page.goto("/users")
    # A marker on the window survives only if the page is never reloaded.
    page.evaluate("window.__sameDocument = true")

    row = page.locator(f"#user-{bob.id}")
    expect(row.locator("select option:checked")).to_have_text("Sales representative")
    row.get_by_label("Role of Sales Person").select_option(label="Viewer")
    row.get_by_role("button", name="Change").click()

    expect(page.get_by_role("status")).to_contain_text("Sales Person is now Viewer")
    expect(page.locator(f"#user-{bob.id} select option:checked")).to_have_text("Viewer")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    screenshot(page, "team-role-in-place")
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(User, bob.id).role.key == "viewer"

    # Deactivate in place too: the row turns inactive, the seat count follows.
    page.on("dialog", lambda dialog: dialog.accept())
    expect(page.locator("#users-seats")).to_contain_text("2 of 10 seats used")
    page.locator(f"#user-{bob.id}").get_by_role("button", name="Deactivate").click()
    expect(page.locator(f"#user-{bob.id}")).to_have_class("inactive")
    expect(page.locator("#users-seats")).to_contain_text("1 of 10 seats used")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_invite_checks_the_email_on_leaving_the_field(app, new_page):
    expect = _expect()
    company = make_company(app, plan="team")
    page = new_page()
    _log_in(page, company.owner.email)
    page.goto("/users/invite")
    email = page.get_by_label("Email")
    email.fill("not an address")
    email.press("Tab")  # leaving the field fires "change": the server checks it
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("not an address")
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(Invitation)).all() == []
