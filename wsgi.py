"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi``."""

import gc

from saas import create_app

app = create_app()

# What is loaded by now (SQLAlchemy's mappers, Flask, Babel, the routes …) lives as long as
# the process: freezing it keeps the collector's full passes from walking it again. Without
# this, one request in a few hundred stalled ~90 ms in a full collection (docs/PERFORMANCE.md).
gc.collect()
gc.freeze()
