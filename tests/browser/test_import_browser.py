"""Import in Chromium: the Customers page's "Import" link, upload an xlsx, accept the suggested
columns, run, watch the result arrive in place (htmx polling), download the rejected rows."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import PASSWORD, make_company, run_jobs

pytestmark = pytest.mark.browser


def _serious(page: object) -> list[dict]:
    """axe's WCAG A/AA violations that matter (contrast, serious, critical) on the page now."""
    from tests.browser.test_accessibility import axe_violations

    return [
        v
        for v in axe_violations(page)
        if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")
    ]


def test_upload_map_run_see_counts_and_download_rejected(app, new_page, tmp_path):
    from playwright.sync_api import expect

    company = make_company(app, "Acme", plan="business")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company", "Contact", "Email", "City"])
    sheet.append(["Alpha Trade", "Ann Lee", "ann@alpha.example", "Tirana"])
    sheet.append(["Beta Ltd", "Bo Chen", "bo@beta.example", "Durres"])
    sheet.append(["", "", "nobody@nowhere.example", "Vlore"])  # no name: rejected
    path = tmp_path / "customers.xlsx"
    workbook.save(path)

    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(company.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.get_by_role("navigation").get_by_role("link", name="Customers").click()
    page.get_by_role("main").get_by_role("link", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/imports$"))
    expect(page.get_by_text("No imports yet")).to_be_visible()
    assert _serious(page) == []
    page.get_by_label("Table (xlsx, xls, csv or vcf)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and choose columns").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping$"))
    # the suggestion: Company → Name, Contact → Contact name, Email → Email, City → City
    expect(page.get_by_label("Company")).to_have_value("name")
    expect(page.get_by_label("Contact", exact=True)).to_have_value("contact.name")
    expect(page.get_by_label("Email", exact=True)).to_have_value("contact.email")
    expect(page.get_by_label("City")).to_have_value("city")
    assert _serious(page) == []
    page.get_by_role("button", name="Import 3 rows").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    status = page.locator(".import-status")
    expect(status).to_have_attribute("data-status", "queued")
    page.evaluate("window.__stayed = true")
    run_jobs(app)
    expect(status).to_have_attribute("data-status", "done", timeout=10000)
    assert page.evaluate("window.__stayed") is True  # updated in place by polling
    expect(page.locator('[data-count="created"]')).to_have_text("2")
    expect(page.locator('[data-count="rejected"]')).to_have_text("1")
    assert _serious(page) == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the rejected rows (xlsx)").click()
    rows = list(load_workbook(io.BytesIO(info.value.path().read_bytes())).active.values)
    assert rows[0] == ("Company", "Contact", "Email", "City", "Reason")
    assert rows[1][2] == "nobody@nowhere.example" and rows[1][4]
    page.get_by_role("link", name="Go to the customers").click()
    expect(page.get_by_role("link", name="Alpha Trade")).to_be_visible()
