"""Printouts: customer sheets as PDF (WeasyPrint), one at a time or merged for a selection.

``service.py`` builds a sheet (what the card shows, read as the actor), ``render.py`` lays out
HTML with WeasyPrint reading only static files, ``fonts.py`` finds the fonts (Vazirmatn
vendored, Noto CJK from Debian) and warns loudly when Chinese cannot be drawn. Web routes in
``views.py``, API in ``api.py``; the batch job runs on the ``documents`` queue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("printouts", __name__)


def init_app(app: Any) -> None:
    """Routes, the batch action on the Customers page, and the start-up font check (once)."""
    from saas.printouts import api, batch_action, views  # noqa: F401
    from saas.printouts.fonts import check_at_startup

    app.register_blueprint(bp)
    check_at_startup()
