"""The public landing page: what Baza is, a picture of it, the plans and the way in."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent


def test_landing_page_says_what_baza_is_shows_it_lists_the_plans_and_the_way_in(
    app, client, owner_engine
):
    html = client.get("/").get_data(as_text=True)
    assert "Baza replaces the customer spreadsheet" in html
    assert "What Baza does" in html
    # a screenshot of the product, served from static/img, described for screen readers
    img = re.search(r'<img src="(/static/img/dashboard\.png\?v=[^"]+)"[^>]*alt="([^"]+)"', html)
    assert img and "dashboard" in img.group(2)
    assert client.get(img.group(1)).status_code == 200
    with Image.open(ROOT / "static" / "img" / "dashboard.png") as shot:
        assert shot.format == "PNG" and shot.size == (1280, 800)
    # the plans come from the plans table
    plans = html[html.index('id="landing-plans"') :]
    for label, price, seats in (
        ("Free", "€0.00", "2 users"),
        ("Team", "€49.00", "10 users"),
        ("Business", "€149.00", "Unlimited users"),
    ):
        assert label in plans and price in plans and seats in plans, label
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE plans SET price_monthly = 59 WHERE code = 'team'"))
    try:
        assert "€59.00" in client.get("/").get_data(as_text=True)
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text("UPDATE plans SET price_monthly = 49 WHERE code = 'team'"))
    # the way in
    assert html.count('href="/signup"') >= 2 and html.count('href="/login"') >= 2


def test_landing_page_speaks_the_visitors_language(client):
    html = client.get("/", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert 'lang="fa"' in html and 'dir="rtl"' in html
    assert "Sign up your company" not in html  # translated (the catalog has it)
