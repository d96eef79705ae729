# ruff: noqa: RUF001 - Cyrillic letters are the point
"""The live duplicate panel: typing a name in the new-customer form lists the company's
matching customers (a colleague's too, by name and holder only) without a page load."""

from __future__ import annotations

import pytest

from tests.browser.test_team_inplace import _expect, _log_in
from tests.conftest import add_member, make_company

pytestmark = pytest.mark.browser


def test_typing_a_name_shows_the_duplicates(app, new_page, screenshot):
    from tests.test_duplicates import _as, _create

    expect = _expect()
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    _as(app, bob, lambda a: setattr(a, "name", "Bob"))
    bobs = _create(app, bob, "ООО Ромашка")
    mine = _create(app, ann, "Alfa Bank")

    page = new_page()
    _log_in(page, ann.email)
    page.goto("/customers/new")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Name", exact=True).press_sequentially("Ромашка", delay=20)
    panel = page.locator("#duplicates")
    expect(panel).to_contain_text("ООО Ромашка")
    expect(panel).to_contain_text("held by Bob")
    expect(panel).to_contain_text("same name")
    expect(panel.locator(f'a[href$="/customers/{bobs}"]')).to_have_count(0)

    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Name", exact=True).press_sequentially("Alfa Banka", delay=20)
    expect(panel).to_contain_text("similar name")
    expect(panel.locator(f'a[href$="/customers/{mine}"]')).to_have_count(1)
    screenshot(page, "customer-duplicates-panel")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
