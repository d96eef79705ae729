"""The main pages in English, Chinese and Persian, as a person sees them (and the README shows).

Run by ``make screenshots``, which sets ``BAZA_SCREENSHOTS=docs/screenshots`` and copies the
English dashboard to ``static/img/dashboard.png`` (the picture on the landing page). In the
normal suite nothing is written; the pages are still opened in each language and checked for
the right language, direction and no sideways scroll.
"""

from __future__ import annotations

import pytest

from tests.browser.demo import CUSTOMERS, demo_company, log_in

pytestmark = pytest.mark.browser

DEMO = {
    "en": ("Acme Trading", None),
    "zh": (
        "华信贸易有限公司",
        {"owner": "王丽", "admin": "陈杰", "manager": "李伟", "sales": "张敏"},
    ),
    "fa": (
        "بازرگانی آریا",
        {
            "owner": "مریم احمدی",
            "admin": "علی رضایی",
            "manager": "سارا کریمی",
            "sales": "رضا محمدی",
        },
    ),
}
PAGES = [
    ("dashboard", "/dashboard"),
    ("team", "/users"),
    ("billing", "/billing/plan/business"),
    ("audit", "/audit"),
    ("company", "/settings/company"),
    ("customers", "/customers?view=all"),
    ("contacts", "/contacts?view=all"),
]


def _no_sideways_scroll(page: object) -> None:
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{page.url}: {scroll - client}px of sideways scroll"


@pytest.mark.parametrize("lang", list(DEMO))
def test_main_pages_in_three_languages(app, new_page, screenshot, lang):
    name, people = DEMO[lang]
    demo_company(
        app,
        name=name,
        email=f"owner@{lang}.example.com",
        people=people,
        language=lang,
        customers=True,
    )
    page = new_page(locale=lang)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    _no_sideways_scroll(page)
    screenshot(page, f"{lang}-landing")
    log_in(page, f"owner@{lang}.example.com")
    for slug, url in PAGES:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == lang
        _no_sideways_scroll(page)
        screenshot(page, f"{lang}-{slug}")
    # a customer's card, opened from the list as a person would
    page.goto("/customers?view=all")
    page.locator("table").get_by_role("link", name=CUSTOMERS[lang][0][0], exact=True).click()
    page.wait_for_url("**/customers/*")
    _no_sideways_scroll(page)
    screenshot(page, f"{lang}-card")
