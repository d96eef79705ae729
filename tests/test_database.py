"""Engine settings per database (saas/database.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from saas.database import PG_OPTIONS, engine_options
from saas.extensions import db
from tests.conftest import is_postgres


def test_postgresql_connections_plan_each_statement_for_its_values():
    pg = "postgresql+psycopg://baza_app@db/baza"
    assert engine_options({"pool_pre_ping": True}, pg) == {
        "pool_pre_ping": True,
        "connect_args": {"options": PG_OPTIONS},
    }
    # an operator's own libpq options win; other connect arguments are kept
    mine = {"connect_args": {"options": "-c work_mem=64MB", "connect_timeout": 5}}
    assert engine_options(mine, pg) == mine
    assert engine_options({"pool_pre_ping": True}, "sqlite:///x.db") == {"pool_pre_ping": True}


@pytest.mark.skipif(not is_postgres(), reason="plan_cache_mode is a PostgreSQL setting")
def test_the_apps_connections_never_use_a_generic_plan(app):
    with app.app_context():
        for _ in range(2):  # a fresh connection and one back from the pool
            with db.engine.connect() as conn:
                assert conn.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
