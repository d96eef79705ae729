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
    """Routes (pages and API: before the API blueprint is registered). Import is reached from
    the Customers page (its toolbar and its empty state), which the navigation marks current
    on the import pages; the top bar has no entry of its own (it must fit long names)."""
    from saas.imports import api, views  # noqa: F401

    app.register_blueprint(bp)
