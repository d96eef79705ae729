"""In Chromium: the browser's zone sets the company's defaults; Persian nav labels stay whole."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.browser.conftest import VIEWPORT
from tests.conftest import PASSWORD, as_owner


def test_signup_in_tirana_then_persian_navigation(app, browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server, viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Tirane"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/signup")
        page.get_by_label("Company name").fill("Tirana Traders")
        page.get_by_label("Your name").fill("Ana Owner")
        page.get_by_label("Work email").fill("ana@tirana-traders.example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my company").click()
        expect(page).to_have_url(re.compile(r"/dashboard$"))
        with as_owner() as conn:  # the app role cannot search tenants by name
            tid = conn.scalar(select(Tenant.id).where(Tenant.name == "Tirana Traders"))
        with app.app_context(), tenant_context(tid):
            tenant = db.session.get(Tenant, tid)
            assert (tenant.timezone, tenant.default_currency, tenant.default_country) == (
                "Europe/Tirane",
                "ALL",
                "AL",
            )
        page.goto("/settings/company")
        assert page.locator("#company-timezone").input_value() == "Europe/Tirane"
        screenshot(page, "locale-settings-en")

        page.goto("/settings/profile")
        page.locator("#profile-language").select_option("fa")
        page.get_by_role("button", name="Save").first.click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        for path in ("/audit", "/roles", "/users", "/settings/company"):
            page.goto(path)
            screenshot(page, f"locale-{path.strip('/').replace('/', '-')}-fa")
            lines = page.eval_on_selector_all(
                ".mainnav a",
                """links => links.map(a => {
                    const lh = parseFloat(getComputedStyle(a).lineHeight) || 24;
                    return [a.textContent.trim(), a.getBoundingClientRect().height / lh];
                })""",
            )
            broken = [label for label, rows in lines if rows > 1.5]
            assert lines and not broken, f"{path}: nav labels broken over lines: {broken}"
        page.goto("/audit")
        assert "Ana Owner" in page.locator(".audit-sentence").first.inner_text()
    finally:
        context.close()
