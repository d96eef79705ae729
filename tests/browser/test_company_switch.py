"""One person, two companies, in a real Chromium: the login chooser and the header's switch."""

from __future__ import annotations

import re

import pytest

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant
from saas.users import service as users_service
from tests.conftest import PASSWORD, add_member, make_company

pytestmark = pytest.mark.browser

REP = "rep@example.com"


def _two_companies(app) -> None:
    alpha = make_company(app, "Alpha Bakery")
    beta = make_company(app, "Beta Books", plan="team")
    add_member(app, alpha, "sales", email=REP)
    with app.test_request_context("/"):
        enter_tenant(beta.tenant_id)
        owner = db.session.get(User, beta.owner.id)
        inv = users_service.invite(actor=owner, email=REP, role="viewer")
        users_service.accept_invitation(invitation=inv, name="Rep at Beta", password=PASSWORD)
        db.session.commit()


def test_login_chooser_and_company_switch(app, new_page, screenshot):
    from playwright.sync_api import expect

    _two_companies(app)
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(REP)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/login/company"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a company")
    screenshot(page, "company-chooser")
    page.get_by_role("button", name="Alpha Bakery").click()

    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator(".brand")).to_contain_text("Alpha Bakery")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Sales Person")

    switch = page.get_by_label("Company")
    expect(switch).to_have_value(re.compile(r"\d+"))
    switch.select_option(label="Beta Books")
    page.get_by_role("button", name="Switch").click()

    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator(".brand")).to_contain_text("Beta Books")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Rep at Beta")
    expect(page.get_by_role("status")).to_contain_text("You are now working in Beta Books")
    screenshot(page, "company-switched")
    # Each membership keeps its own role: a viewer at Beta sees no Team page.
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Team")
    ).to_have_count(0)
