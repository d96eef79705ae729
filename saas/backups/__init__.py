"""Backup and restore of a whole company (issue 8).

``tables.py`` finds the tenant tables in the metadata, says which are left out and why, and
turns values into xlsx cells and back exactly; ``service.py`` builds a backup (a zip of
``data.xlsx``, ``files/…`` and ``manifest.json``) as a tracked job on the ``documents`` queue,
lists, downloads and expires them, and runs the weekly backups; ``restore.py`` checks an
uploaded backup and loads it into a new, empty company with new ids. Only the company's owner
may do any of it. Web page in ``views.py`` (Settings → Backups), API in ``api.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("backups", __name__)


def init_app(app: Any) -> None:
    """The routes (web and API: call before the API blueprint is registered)."""
    from saas.backups import api, views  # noqa: F401

    app.register_blueprint(bp)
