"""Engine set-up per database: SQLite pragmas, PostgreSQL login check, fork safety."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import Engine, event

from saas.customers.folding import register_sqlite
from saas.tenancy import rls

#: libpq ``options`` of every PostgreSQL connection (the app's and the benchmark's floor). psycopg
#: prepares a statement on its 5th run, and PostgreSQL then plans it once for any parameters
#: (a *generic* plan) after 5 more: with one tenant of a million customers beside tenants of a
#: few thousand, and lists of ids that are 10 or 6,429 long, the generic plan is the wrong one
#: for someone — the 2-character CJK search went from 43 to 63 ms on a warm connection. Every
#: statement is planned for its values instead (planning takes 0.1 to 1.5 ms).
PG_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def engine_options(options: dict, url: str) -> dict:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for ``url``: PostgreSQL connections get ``PG_OPTIONS``."""
    if not url.startswith("postgresql"):
        return options
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("options", PG_OPTIONS)
    return {**options, "connect_args": connect_args}


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
