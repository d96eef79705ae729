"""HTML → PDF with WeasyPrint, reading nothing but the app's own static files.

The fetcher allows ``data:`` URLs (the company logo is inlined) and ``file:`` URLs inside
``static/`` (the vendored fonts); anything else — http(s), other files — is refused, so a
printout never reaches the network or the disk beyond those files, whatever the text holds.
One ``FontConfiguration`` per process keeps Pango's font set-up between sheets (speed).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from saas.config import ROOT

STATIC = (ROOT / "static").resolve()


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlparse(url).path)).resolve()
                if path.is_relative_to(STATIC) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"printouts read only static files and data: URLs, not {url[:80]}")

    return StaticOnlyFetcher(allowed_protocols=("data", "file"))


@functools.cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def document(html: str) -> Any:
    """Lay ``html`` out as a WeasyPrint document (pages, not yet a PDF)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=_fetcher()).render(
        font_config=_font_config()
    )


def to_pdf(documents: list[Any]) -> bytes:
    """One PDF of the pages of ``documents`` in order (each keeps its own page numbers)."""
    first, pages = documents[0], [page for doc in documents for page in doc.pages]
    return first.copy(pages).write_pdf()


def pdf(html: str) -> bytes:
    return to_pdf([document(html)])
