"""Settings → Backups in Chromium: the empty state, "Back up now" shows a progress bar in place
that turns into a Download link once the worker is done (htmx polling, no reload), and the
downloaded file is a backup zip; the page passes axe."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from tests.browser.test_accessibility import axe_violations
from tests.conftest import PASSWORD, make_company, run_jobs

pytestmark = pytest.mark.browser


def test_back_up_now_shows_progress_then_a_download(app, new_page, tmp_path):
    from playwright.sync_api import expect

    company = make_company(app)
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(company.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/settings/company")
    page.get_by_role("link", name="Backups").click()
    expect(page).to_have_url(re.compile(r"/settings/backups$"))
    expect(page.get_by_text("No backups yet.")).to_be_visible()
    page.evaluate("window.__stayed = true")
    page.get_by_role("button", name="Back up now").click()
    status = page.locator("#backup-progress .job-progress")
    expect(status).to_have_attribute("data-status", "queued")
    run_jobs(app)
    expect(status).to_have_attribute("data-status", "succeeded", timeout=5000)
    assert page.evaluate("window.__stayed") is True  # updated in place by polling
    # the finished job's jobFinished event refreshes the list in place: the new backup is there
    expect(page.locator("#backups tbody tr")).to_have_count(1)
    expect(page.get_by_text("No backups yet.")).to_have_count(0)
    assert page.evaluate("window.__stayed") is True
    with page.expect_download() as download:
        status.get_by_role("link", name="Download").click()
    path = tmp_path / "backup.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant_name"] == company.name and "data.xlsx" in archive.namelist()
    page.reload()
    expect(page.locator("#backups tbody tr")).to_have_count(1)
    bad = [
        v
        for v in axe_violations(page)
        if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
