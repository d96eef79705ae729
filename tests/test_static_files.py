"""Static files: versioned URLs are immutable for a year; text is compressed."""

from __future__ import annotations

import gzip
import re

import brotli

from tests.conftest import login, make_company


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\?v=[^"]+)"', html)


def test_versioned_static_files_are_immutable_for_a_year(client):
    urls = _asset_urls(client.get("/login").get_data(as_text=True))
    assert any("htmx.min.js" in u for u in urls) and any("baza.css" in u for u in urls)
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    # Without the version, or with a stale one, the browser must revalidate.
    for url in ("/static/css/baza.css", "/static/css/baza.css?v=0"):
        assert client.get(url).headers["Cache-Control"] == "no-cache", url


def test_text_responses_are_compressed(app, client):
    css_url = next(u for u in _asset_urls(client.get("/login").get_data(as_text=True)))
    htmx_url = "/static/vendor/htmx.min.js"
    raw = client.get(htmx_url).data
    assert len(raw) > 40_000
    br = client.get(htmx_url, headers={"Accept-Encoding": "br, gzip"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"]
    assert brotli.decompress(br.data) == raw and len(br.data) < len(raw) / 2
    gz = client.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert b".topbar" in gzip.decompress(gz.data)
    # API JSON (bearer-authenticated: nothing a third-party page can make a browser send)
    company = make_company(app)
    login(client, company.owner.email)
    spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.status_code == 200 and spec.headers["Content-Encoding"] == "gzip"


def test_html_pages_are_not_compressed(client):
    """A page holds the session's CSRF token next to reflected input: compressing it is BREACH."""
    page = client.get("/login?next=/users", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
