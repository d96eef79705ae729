"""Mail that fails must not look sent (issue 9), clicked in Chromium.

The owner tests the company's mail server in place (htmx, no page load); a failing mail server
shows on the dashboard and Team, and the invitation row offers its link to copy.
"""

from __future__ import annotations

import re

import pytest

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant
from saas.users import service as users_service
from tests.conftest import PASSWORD, make_company, run_jobs
from tests.smtp import free_port, point_company_smtp, smtp_server

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_send_a_test_message_in_place(app, new_page, screenshot):
    from playwright.sync_api import expect

    company = make_company(app)
    page = new_page()
    _login(page, company.owner.email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        page.goto("/settings/company")
        page.evaluate("window.__stayed = true")
        page.get_by_role("button", name="Send a test message").click()
        result = page.locator("#smtp-test-result")
        expect(result).to_contain_text(f"A test message was sent to {company.owner.email}")
        assert page.evaluate("window.__stayed") is True  # swapped in place, no reload
        screenshot(page, "mail-test-ok")
    assert [m["To"] for m in inbox.messages] == [company.owner.email]
    page.get_by_role("button", name="Send a test message").click()  # the server is gone now
    expect(page.locator("#smtp-test-result")).to_contain_text("could not be reached")


@pytest.mark.parametrize("language", ["en", "zh", "fa"])
def test_failing_mail_shows_where_people_look(app, new_page, screenshot, language):
    from playwright.sync_api import expect

    company = make_company(app, plan="team")
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none")
    try:
        with app.test_request_context("/"):
            enter_tenant(company.tenant_id)
            owner = db.session.get(User, company.owner.id)
            owner.language = language
            users_service.invite(actor=owner, email="lost@acme.example.com", role="sales")
            db.session.commit()
        run_jobs(app)  # nothing listens there: the invitation fails
    finally:
        app.config.update(saved)
    page = new_page()
    _login(page, company.owner.email)
    expect(page.locator("#mail-health")).to_be_visible()
    screenshot(page, f"mail-health-dashboard-{language}")
    page.goto("/users")
    expect(page.locator("#mail-health")).to_be_visible()
    row = page.locator("#users-invitations tbody tr", has_text="lost@acme.example.com")
    link = row.locator("input.copy-source")
    expect(link).to_have_value(re.compile(r"/invite/"))
    row.locator("button[data-copy]").click()
    screenshot(page, f"mail-undelivered-invitation-{language}")
