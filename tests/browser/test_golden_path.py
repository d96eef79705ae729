"""The golden path as a person clicks it, in a real Chromium against a live server.

signup → dashboard → Team → invite → Outbox → accept in another browser → colleague's dashboard;
the owner makes the colleague a Viewer, deactivates them, and they can no longer log in.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, run_jobs

pytestmark = pytest.mark.browser

COLLEAGUE = "colleague@acme.example.com"


def _expect():
    from playwright.sync_api import expect

    return expect


def test_golden_path_in_the_browser(app, new_page, console, screenshot):
    expect = _expect()
    owner = new_page()

    # Sign up the company.
    owner.goto("/signup")
    owner.get_by_label("Company name").fill("Acme")
    owner.get_by_label("Your name").fill("Ada Owner")
    owner.get_by_label("Work email").fill("ada@acme.example.com")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Create my company").click()

    expect(owner).to_have_url(re.compile(r"/dashboard$"))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Hello, Ada Owner")
    expect(owner.get_by_role("status")).to_contain_text("Welcome to Baza!")
    expect(owner.locator("#dashboard-plan")).to_contain_text("1 of 2 seats used")
    screenshot(owner, "dashboard")

    # Team → Invite a colleague, as a sales representative.
    nav = owner.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Team").click()
    expect(owner).to_have_url(re.compile(r"/users$"))
    owner.get_by_role("link", name="Invite a colleague").click()
    expect(owner).to_have_url(re.compile(r"/users/invite$"))
    owner.get_by_label("Email").fill(COLLEAGUE)
    owner.get_by_label("Role").select_option(label="Sales representative")
    owner.get_by_role("button", name="Send the invitation").click()  # htmx post → HX-Redirect

    expect(owner).to_have_url(re.compile(r"/users$"))
    expect(owner.get_by_role("status")).to_contain_text(f"give {COLLEAGUE} this link yourself")
    invitation = owner.locator("#users-invitations tbody tr", has_text=COLLEAGUE)
    expect(invitation).to_contain_text("Sales representative")
    expect(invitation).to_contain_text("pending")
    expect(owner.locator("#users-seats")).to_contain_text("2 of 2 seats used")
    screenshot(owner, "team")

    # No SMTP: once the worker has run, the mail waits in the Outbox.
    run_jobs(app)
    nav.get_by_role("link", name="Outbox").click()
    row = owner.locator("#mail-outbox tbody tr", has_text=COLLEAGUE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("kept here (no mail server)")
    row.get_by_role("link").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(
        "Ada Owner invites you to Acme on Baza"
    )
    link = owner.locator("#mail-body a[href*='/invite/']")
    expect(link).to_have_count(1)  # the link in the mail is clickable
    href = link.get_attribute("href")

    # The colleague follows the link in their own browser.
    colleague = new_page()
    colleague.goto(href)
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Join Acme")
    expect(colleague.get_by_text("You were invited as Sales representative")).to_be_visible()
    colleague.get_by_label("Your name").fill("Bob Sales")
    colleague.get_by_label("Choose a password").fill(PASSWORD)
    colleague.get_by_role("button", name="Join the company").click()
    expect(colleague).to_have_url(re.compile(r"/dashboard$"))
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Hello, Bob Sales")
    expect(colleague.get_by_role("status")).to_contain_text("Welcome to Acme!")
    colleague_nav = colleague.get_by_role("navigation", name="Main")
    expect(colleague_nav.get_by_role("link", name="Team")).to_have_count(0)  # sales: no Team

    # Back as the owner: the colleague becomes a viewer.
    nav.get_by_role("link", name="Team").click()
    member = owner.locator("#users-table tbody tr", has_text=COLLEAGUE)
    expect(member).to_contain_text("Sales representative")
    member.get_by_role("link", name="Bob Sales").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Bob Sales")
    owner.get_by_label("Role").select_option(label="Viewer")
    owner.get_by_role("button", name="Save").click()
    expect(owner).to_have_url(re.compile(r"/users$"))
    expect(owner.get_by_role("status")).to_contain_text("Bob Sales has been updated.")
    # The role cell is the row's role select (changed in place: tests/browser/test_team_inplace.py).
    expect(member.get_by_label("Role of Bob Sales").locator("option:checked")).to_have_text(
        "Viewer"
    )

    # Deactivate from the Team table; the button asks first (hx-confirm → window.confirm).
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    owner.on("dialog", accept)
    member.get_by_role("button", name="Deactivate").click()
    expect(owner.get_by_role("status")).to_contain_text(
        "Bob Sales has been deactivated and can no longer log in."
    )
    assert dialogs and dialogs[0].startswith("Deactivate Bob Sales?"), dialogs
    expect(member).to_contain_text("deactivated")
    expect(member.get_by_role("button", name="Reactivate")).to_be_visible()

    # The colleague's session is over, and logging in again is refused.
    colleague.goto("/dashboard")
    expect(colleague).to_have_url(re.compile(r"/login\?next=(/|%2F)dashboard$"))
    colleague.get_by_label("Email").fill(COLLEAGUE)
    colleague.get_by_label("Password").fill(PASSWORD)
    # The refusal is a 4xx page: Chromium logs it as a failed resource load.
    console.allow(r"Failed to load resource: the server responded with a status of 4\d\d")
    colleague.get_by_role("button", name="Log in").click()
    expect(colleague.get_by_role("alert")).to_contain_text("This user has been deactivated.")
    expect(colleague).to_have_url(re.compile(r"/login"))
    colleague.goto("/dashboard")
    expect(colleague).to_have_url(re.compile(r"/login\?next="))


def test_language_switcher_turns_the_login_page_persian(new_page, screenshot):
    expect = _expect()
    page = new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    page.get_by_label("Language").select_option(label="فارسی")  # submits itself (baza.js)

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.locator("html[dir=rtl]").count() == 1
    expect(page.locator("#lang-select")).to_have_value("fa")
    screenshot(page, "login-fa")


def test_the_watch_catches_csp_violations(new_page, console):
    """The CSP check of these tests is live: inline script is refused, and the watch sees it."""
    expect = _expect()
    page = new_page()
    page.goto("/login")
    page.evaluate(
        """() => {
        const s = document.createElement("script");
        s.textContent = "document.body.dataset.inline = 'ran'";
        document.body.append(s);
    }"""
    )
    expect(page.locator("body")).not_to_have_attribute("data-inline", "ran")
    for _ in range(50):  # the violation event is dispatched asynchronously
        if console.csp:
            break
        page.wait_for_timeout(20)
    assert any("script-src" in entry for entry in console.csp), console.csp
    console.csp.clear()
