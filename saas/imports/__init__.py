"""Import of customer tables (xlsx, xls, csv, vcf).

Reading (``reading.py``: formats, encodings, the header row, limits; ``values.py``: dates,
numbers, yes/no; ``suggest.py``: which column is what) and running (``service.py``: upload,
mapping, start, undo, results; ``apply.py``: the RQ jobs that write customers and contacts in
committed chunks with an undo log; ``targets.py``: what a column can become). Pages in
``views.py``, API in ``api.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("imports", __name__)


def init_app(app: Any) -> None:
    """Routes (pages and API: before the API blueprint is registered) and the navigation."""
    from flask_babel import lazy_gettext as _l

    from saas import navigation
    from saas.imports import api, views  # noqa: F401

    navigation.register(
        navigation.NavItem(
            "imports", "imports.index", _l("Import"), 40, "import.run", current=("imports.",)
        )
    )
    app.register_blueprint(bp)
