"""Engine set-up per database: SQLite pragmas, PostgreSQL login check, fork safety."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import Engine, event

from saas.customers.folding import register_sqlite
from saas.tenancy import rls


def install(app: Flask, engine: Engine) -> None:
    """Wire the engine: SQLite pragmas, PostgreSQL login check, disposal after fork."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: object, record: object) -> None:
            cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            register_sqlite(dbapi_conn)  # baza_fold(text), the combined query's text folding

    rls.install(engine)
    # Gunicorn and RQ fork: a child must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
