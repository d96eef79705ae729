"""A tracked job in Chromium: "Resend all failed messages" leads to a progress page that
updates itself (htmx polling) until the job has finished, with no reload."""

from __future__ import annotations

import re

import pytest

from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, make_company, run_jobs

pytestmark = pytest.mark.browser


def test_resend_all_failed_shows_live_progress(app, new_page):
    from playwright.sync_api import expect

    company = make_company(app)
    with app.app_context(), tenant_context(company.tenant_id):
        db.session.add_all(
            MailMessage(
                kind="test",
                to_addr=f"r{i}@example.com",
                subject=f"Lost {i}",
                body_text="x",
                status="failed",
                attempts=1,
            )
            for i in range(2)
        )
        db.session.commit()
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(company.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/outbox")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Resend all 2 failed messages").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    status = page.locator(".job-progress")
    expect(status).to_have_attribute("data-status", "queued")
    page.evaluate("window.__stayed = true")
    run_jobs(app)
    expect(status).to_have_attribute("data-status", "succeeded", timeout=5000)
    expect(page.locator("progress")).to_have_attribute("value", "2")
    assert page.evaluate("window.__stayed") is True  # updated in place by polling
