"""The browser's own print of a customer card and of the customers list (print.css): the
content only — no navigation, buttons or forms —, the full width, table headers repeated."""

from __future__ import annotations

import pytest

from saas.customers import service as customers
from tests.browser.demo import demo_company, log_in
from tests.conftest import as_member

pytestmark = pytest.mark.browser

HIDDEN_IN_PRINT = (".topbar", ".card-actions", "nav.tabs", "button", ".batch-bar", ".quick-search")


def _displayed(page, selector: str) -> list[str]:
    """Selectors' elements that would be printed (display is not none)."""
    return page.eval_on_selector_all(
        selector,
        "els => els.filter(e => getComputedStyle(e).display !== 'none')"
        ".map(e => e.outerHTML.slice(0, 80))",
    )


def test_printing_a_card_and_the_list_shows_the_content_only(app, new_page):
    company = demo_company(app, email="ada@print.example.com")
    cid = as_member(
        app,
        company.owner,
        lambda actor: customers.create_customer(actor=actor, name="华信贸易有限公司").id,
    )
    page = new_page()
    log_in(page, "ada@print.example.com")
    page.set_viewport_size({"width": 1280, "height": 900})
    for url, content in ((f"/customers/{cid}", "h1"), ("/customers?view=all", "#customer-list")):
        page.goto(url)
        page.emulate_media(media="screen")
        assert _displayed(page, ".topbar"), "the screen shows the navigation"
        page.emulate_media(media="print")
        for selector in HIDDEN_IN_PRINT:
            assert _displayed(page, selector) == [], (url, selector)
        assert _displayed(page, content), (url, content)
        width = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
        assert width >= 1200, (url, width)  # full width, not the screen's 1100 px column
        if content == "#customer-list":
            display = page.evaluate(
                "() => getComputedStyle(document.querySelector('#customer-list thead')).display"
            )
            assert display == "table-header-group"  # repeated on every printed page
    # the card's Print button is there on screen and links to the PDF
    page.emulate_media(media="screen")
    page.goto(f"/customers/{cid}")
    assert page.locator(f'a[href="/customers/{cid}/sheet.pdf"]').count() == 1
