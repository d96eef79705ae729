"""Migrations run both ways on the test database (SQLite or PostgreSQL) and carry data."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from saas.crypto import decrypt
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import is_postgres, make_company


def test_smtp_passwords_are_encrypted_by_0002_and_restored_by_its_downgrade(app, owner_engine):
    company = make_company(app)
    with app.app_context():
        downgrade(revision="0001")
        try:
            with owner_engine.begin() as conn:
                conn.execute(
                    text("UPDATE tenants SET smtp_password = 'plain pw' WHERE id = :t"),
                    {"t": company.tenant_id},
                )
        finally:
            upgrade()
        db.session.remove()
        columns = {c["name"] for c in inspect(owner_engine).get_columns("tenants")}
        assert "smtp_password" not in columns and "smtp_password_encrypted" in columns
        with tenant_context(company.tenant_id):  # the app sees only the current tenant's row
            stored = db.session.scalar(
                select(Tenant.smtp_password_encrypted).where(Tenant.id == company.tenant_id)
            )
        assert stored and "plain pw" not in stored
        assert decrypt(stored, purpose="smtp") == "plain pw"


def test_models_and_migrations_agree(app, owner_engine):
    """A model change without its Alembic revision fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from saas.customers.search import is_fts_table

    def for_this_database(obj, name, type_, reflected, compare_to):
        """An index the model declares for one dialect only (``Index(...).ddl_if(dialect=)``,
        e.g. the pg_trgm GIN index) is expected on that database only; SQLite's FTS5 search
        index (revision 0029) has no model."""
        if type_ == "table" and reflected and is_fts_table(name):
            return False
        only = getattr(obj, "_ddl_if", None)
        return only is None or only.dialect in (None, conn.dialect.name)

    with owner_engine.connect() as conn:
        opts = {"compare_type": True, "include_object": for_this_database}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    assert diff == []


@pytest.mark.skipif(not is_postgres(), reason="roles and row security exist on PostgreSQL only")
def test_the_wall_revision_downgrades_to_the_old_grants_and_upgrades_again(app, owner_engine):
    def app_may(privilege: str, table: str) -> bool:
        with owner_engine.connect() as conn:
            return conn.scalar(
                text("SELECT has_table_privilege(:r, :t, :p)"),
                {"r": app.config["DATABASE_APP_ROLE"], "t": table, "p": privilege},
            )

    assert not app_may("UPDATE", "plans") and not app_may("SELECT", "alembic_version")
    with app.app_context():
        downgrade(revision="0004_user_sessions")
        try:
            assert app_may("UPDATE", "plans") and app_may("SELECT", "alembic_version")
        finally:
            upgrade()
    assert not app_may("UPDATE", "plans") and not app_may("SELECT", "alembic_version")
