"""Exporting from the Customers page in Chromium, keyboard only: the toolbar's Export link, the
dialog's radio groups, the job page's Download button, the file saved by the browser (a CSV
with a BOM holding the Chinese and Persian names); the dialog passes axe."""

from __future__ import annotations

from pathlib import Path

import pytest

from saas.customers import service as customers
from tests.browser.demo import demo_company, log_in
from tests.browser.test_accessibility import axe_violations
from tests.conftest import as_member

pytestmark = pytest.mark.browser


def test_export_the_list_with_the_keyboard_and_download_it(app, new_page, tmp_path, screenshot):
    company = demo_company(app, email="ada@export.example.com")

    def build(actor):
        customers.create_customer(actor=actor, name="华信贸易有限公司", city="上海")
        customers.create_customer(actor=actor, name="بازرگانی کیان", city="=cmd")

    as_member(app, company.owner, build)
    page = new_page()
    log_in(page, "ada@export.example.com")
    page.goto("/customers?view=all&sort=name")
    screenshot(page, "export-toolbar")
    link = page.get_by_role("link", name="Export", exact=True)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/export?**")
    assert axe_violations(page) == []
    screenshot(page, "export-dialog")
    # keyboard only: the first radio has the focus; arrows move within a group, Tab between
    assert page.evaluate("() => document.activeElement.value") == "list"
    page.keyboard.press("Tab")  # the format group: xlsx is checked
    page.keyboard.press("ArrowDown")  # → CSV
    assert page.locator("input[name=format][value=csv]").is_checked()
    page.keyboard.press("Tab")  # contacts: none
    page.keyboard.press("Tab")  # the Export button
    page.keyboard.press("Enter")
    page.wait_for_url("**/jobs/*")
    download_link = page.get_by_role("link", name="Download")
    screenshot(page, "export-job")
    with page.expect_download() as info:
        download_link.click()
    saved = Path(tmp_path) / "export.csv"
    info.value.save_as(saved)
    assert info.value.suggested_filename.startswith("customers-")
    assert info.value.suggested_filename.endswith(".csv")
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert "华信贸易有限公司" in text and "بازرگانی کیان" in text and "'=cmd" in text
