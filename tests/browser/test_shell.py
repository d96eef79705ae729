"""The app shell on a phone: at 390 px the navigation folds behind a real Menu button that opens
and closes with the keyboard, in English and in Persian (right to left); on a desktop every
section is in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.demo import demo_company, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 800}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_phone_menu_folds_and_opens_with_the_keyboard(app, new_page, screenshot, language):
    demo_company(app, email="ada@shell.example.com", language=language)
    page = new_page(locale="fa" if language == "fa" else "en-US")
    log_in(page, "ada@shell.example.com")
    page.set_viewport_size(PHONE)
    page.goto("/customers")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    toggle = page.locator(".nav-toggle")
    nav = page.locator("#appnav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    # folded: the bar is one row (brand + Menu), no sideways scroll
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] <= 80, bar
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= PHONE["width"]
    screenshot(page, f"shell-phone-closed-{language}")

    # keyboard: Tab from the skip link reaches brand, then Menu; Enter opens it
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    customers = nav.locator("a[data-nav=customers]")
    expect(customers).to_be_visible()
    expect(customers).to_have_attribute("aria-current", "page")
    expect(nav.locator("a[data-nav=team]")).to_be_visible()  # the owner administers
    # the links stack as tap targets inside the viewport
    box = customers.bounding_box()
    assert box["height"] >= 40 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, f"shell-phone-open-{language}")
    page.keyboard.press("Tab")  # focus moves into the menu
    assert page.evaluate("() => document.activeElement.closest('#appnav') !== null")
    page.keyboard.press("Escape")  # closes and returns focus to the button
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('nav-toggle')")
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    nav.locator("a[data-nav=dashboard]").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator(".nav-toggle")).to_have_attribute("aria-expanded", "false")


def test_desktop_shows_every_section_without_a_menu_button(app, new_page):
    demo_company(app, email="ada@desk.example.com")
    page = new_page()
    log_in(page, "ada@desk.example.com")
    page.goto("/customers")
    expect(page.locator(".nav-toggle")).to_be_hidden()
    for name in ("dashboard", "customers", "team", "roles", "audit", "outbox", "company"):
        expect(page.locator(f"#appnav a[data-nav={name}]")).to_be_visible()


def test_without_javascript_the_phone_menu_is_open(browser, live_server, app):
    demo_company(app, email="ada@nojs.example.com")
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.locator("input[name=email]").fill("ada@nojs.example.com")
        from tests.conftest import PASSWORD

        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_url("**/dashboard")
        expect(page.locator(".nav-toggle")).to_be_hidden()
        expect(page.locator("#appnav a[data-nav=customers]")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_batch_claim_from_the_pool_with_select_all(app, new_page, screenshot):
    from saas.auth.models import User
    from saas.customers import service
    from saas.extensions import db
    from saas.tenancy.context import enter_tenant

    company = demo_company(app, email="ada@batch.example.com")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        for name in ("Pool one", "Pool two", "Pool three"):
            service.create_customer(actor=owner, name=name, owner_id=None)
        db.session.commit()
    page = new_page()
    log_in(page, "ada@batch.example.com")
    page.goto("/customers?view=pool")
    expect(page.locator(".tabs a[aria-current=page] .count")).to_have_text("3")
    select_all = page.locator("input[data-select-all]")
    expect(select_all).to_be_visible()
    select_all.check()
    expect(page.locator("[data-batch-count]")).to_have_text("3 selected")
    page.locator("[data-batch-action]").select_option("claim")
    expect(page.locator(".batch-params[data-for=return]")).to_be_hidden()
    page.get_by_role("button", name="Apply to the selected").click()
    expect(page.locator("#flash")).to_contain_text("Claim: done for 3 of 3.")
    expect(page.locator(".tabs a[href*='view=mine'] .count")).to_have_text("3")
    screenshot(page, "customers-batch-done")
    # quick search narrows the list and the counts as one types
    page.goto("/customers?view=mine")
    page.locator("#customer-q").fill("pool t")
    expect(page.locator("#customer-list tbody tr")).to_have_count(2)
    expect(page.locator(".tabs a[aria-current=page] .count")).to_have_text("2")
