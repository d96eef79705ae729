"""The history tab in a browser: Ctrl+Enter adds a note at the top in place, "More" appends the
next page, and a file uploads through the files tab — without a page load, without console or
CSP errors."""

from __future__ import annotations

import pytest
from flask import g

from saas.auth.models import User
from saas.customers import history, notes
from saas.customers import service as customers
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.browser.test_accessibility import axe_violations
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


def _customer_with_notes(app, member, count):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        actor = db.session.get(User, member.id)
        g.actor_id = actor.id
        cid = customers.create_customer(actor=actor, name="Acme Browser Co").id
        for i in range(count):
            notes.add_note(actor=actor, customer_id=cid, text=f"old note {i}")
        db.session.commit()
        return cid


def test_ctrl_enter_adds_a_note_in_place_and_more_loads_older_lines(app, new_page, tmp_path):
    expect = _expect()
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    cid = _customer_with_notes(app, ann, history.PAGE + 2)
    page = new_page()
    _log_in(page, ann.email)
    page.goto(f"/customers/{cid}/history")
    page.evaluate("window.__sameDocument = true")

    box = page.get_by_label("New note")
    box.fill("Called: wants the offer by Friday")
    box.press("Control+Enter")
    first = page.locator("#history-items > li").first
    expect(first).to_contain_text("Called: wants the offer by Friday")
    expect(first).to_have_class("history-item history-note")
    expect(page.get_by_label("New note")).to_have_value("")  # the box came back empty

    expect(page.get_by_text("old note 0", exact=True)).to_have_count(0)
    page.get_by_role("link", name="More").click()
    expect(page.get_by_text("old note 0", exact=True)).to_have_count(1)
    expect(page.locator(".history-change").last).to_contain_text("added the customer")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    _no_serious_axe_violations(page)

    # the files tab: upload without a page load; the list shows the file
    pdf = tmp_path / "Offer 2026.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_role("link", name="Files").click()
    page.get_by_label("File", exact=True).set_input_files(str(pdf))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".attachments-table")).to_contain_text("Offer 2026.pdf")
    expect(page.locator(".attachments-table")).to_contain_text("application/pdf")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    _no_serious_axe_violations(page)


def _no_serious_axe_violations(page):
    bad = [
        v
        for v in axe_violations(page)
        if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
