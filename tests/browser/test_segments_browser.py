"""Segments in a real browser: narrow the list with a query, save it as a shared segment from
the toolbar (keyboard: Enter submits), reload it from its URL, tick the page, "Select all N
matching", batch-assign them all; the Segments page passes axe."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.demo import demo_company, log_in
from tests.browser.test_accessibility import axe_violations
from tests.test_batch_query import TIRANA, _insert

pytestmark = pytest.mark.browser


def test_save_a_segment_reload_it_and_batch_assign_all_matching(app, new_page):
    company = demo_company(app, email="ada@segments.example.com")
    sales = company.members["sales"]
    _insert(app, company.owner, 60, city="Tirana")
    _insert(app, company.owner, 3, city="Durres")
    page = new_page()
    log_in(page, "ada@segments.example.com")
    page.goto("/customers?view=pool&query=" + quote(json.dumps({"and": [TIRANA]})))

    page.locator("#segments-popover summary").click()
    page.locator("#segments-popover input[name=shared]").check()
    page.locator("#segment-name").fill("Tirana pool")
    page.locator("#segment-name").press("Enter")
    page.wait_for_url(re.compile(r"segment=\d+"))
    expect(page.locator("#segments-popover summary")).to_contain_text("Tirana pool")
    page.reload()
    expect(page.locator("#segments-popover summary")).to_contain_text("Tirana pool")
    expect(page.locator("#row-count")).to_contain_text("60")

    # Gmail-like: "Select all 60 matching" appears once the whole page is ticked
    matching = page.locator("[data-batch-matching]")
    expect(matching).to_be_hidden()
    page.locator("input[data-select-all]").check()
    expect(matching).to_be_visible()
    page.locator("#batch-scope").check()
    expect(page.locator("[data-batch-count]")).to_contain_text("All 60 customers matching")
    page.locator("select[data-batch-action]").select_option("assign")
    page.locator("select[name=user_id]").select_option(str(sales.id))
    page.locator("#batch-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Assign: done for 60 of 60.")

    page.goto("/customers/segments")
    expect(page.locator("#segment-list")).to_contain_text("Tirana pool")
    assert axe_violations(page) == []
