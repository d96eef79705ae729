"""Issue 6 end to end in a real browser, in English and in Persian (right to left): create a
customer into the pool, see the duplicate warning while typing its name again, a rep claims it
from the pool, shares it read-only, and the colleague it is shared with sees it but cannot edit.

Locators use names, ids and URLs, not labels, so the same flow runs in both languages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant
from tests.browser.demo import demo_company, log_in
from tests.conftest import add_member

pytestmark = pytest.mark.browser

NAMES = {"en": "Tirana Olive Oil Ltd", "fa": "شرکت روغن زیتون تیرانا"}
RETYPED = {"en": "tirana olive oil", "fa": "روغن زيتون تيرانا"}  # Arabic ي: still a match


@pytest.mark.parametrize("language", ["en", "fa"])
def test_create_duplicate_claim_share_read_only(app, new_page, screenshot, language):
    domain = f"flow-{language}.example.com"
    company = demo_company(app, email=f"ada@{domain}", language=language)
    extra = add_member(app, company, "sales", email=f"reza@{domain}")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        for user in db.session.scalars(db.select(User)):
            user.language = language
        db.session.get(User, extra.id).name = "Reza Karimi"
        db.session.commit()
    name = NAMES[language]
    locale = "fa" if language == "fa" else "en-US"

    # 1. the owner adds a customer to the pool
    owner = new_page(locale=locale)
    log_in(owner, f"ada@{domain}")
    expect(owner.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    owner.goto("/customers/new")
    owner.locator("input[name=name]").fill(name)
    owner.locator("input[name=to_pool]").check()
    owner.locator("form:has(input[name=name]) [type=submit]").first.click()
    owner.wait_for_url(re.compile(r"/customers\?view=pool"))
    expect(owner.locator("#customer-list")).to_contain_text(name)

    # 2. typing it again shows the duplicate warning (live, htmx)
    owner.goto("/customers/new")
    owner.locator("input[name=name]").press_sequentially(RETYPED[language], delay=20)
    expect(owner.locator("#duplicates")).to_contain_text(name)
    screenshot(owner, f"flow-duplicate-{language}")

    # 3. a rep claims it from the pool, in place
    rep = new_page(locale=locale)
    log_in(rep, f"sales@{domain}")
    rep.goto("/customers?view=pool")
    row = rep.locator("#customer-list tbody tr", has_text=name)
    row.locator("form[action$='/claim'] button").click()
    expect(row.locator("form[action$='/claim']")).to_have_count(0)
    cid = int(row.get_attribute("id").split("-")[1])

    # 4. the rep shares it read-only with a colleague
    rep.goto(f"/customers/{cid}/sharing")
    form = rep.locator("form.share-form")
    form.locator("select[name=user_ids]").select_option(str(extra.id))
    form.locator("select[name=access]").select_option("read")
    form.locator("[type=submit]").click()
    expect(rep.locator("#sharing")).to_contain_text("Reza Karimi")
    screenshot(rep, f"flow-shared-{language}")

    # 5. the colleague sees it under "Shared with me" and cannot edit it
    colleague = new_page(locale=locale)
    log_in(colleague, f"reza@{domain}")
    colleague.goto("/customers?view=shared")
    expect(colleague.locator("#customer-list")).to_contain_text(name)
    colleague.goto(f"/customers/{cid}")
    expect(colleague.locator("h1")).to_contain_text(name)
    expect(colleague.locator(f"a[href='/customers/{cid}/edit']")).to_have_count(0)
    refused = colleague.request.get(f"/customers/{cid}/edit")
    assert refused.status in (403, 404)
    screenshot(colleague, f"flow-read-only-{language}")
