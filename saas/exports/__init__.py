"""Exports: the current list, a segment or the whole base to xlsx or CSV (docs/ARCHITECTURE.md
"Export").

``writers.py`` writes rows (xlsx with openpyxl's write-only workbook, CSV with a BOM) and
neutralises formula injection — shared with the backups; ``service.py`` checks a request,
reads the list's rows by keyset pages, writes, stores, audits, and runs large exports as the
``exports.run`` job on the ``documents`` queue; ``views.py`` the export dialog and the download;
``api.py`` ``/api/v1/exports``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("exports", __name__)


def init_app(app: Any) -> None:
    """Routes (web and API: register before the API blueprint)."""
    from saas.exports import api, views  # noqa: F401

    app.register_blueprint(bp)
