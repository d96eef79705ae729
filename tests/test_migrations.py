"""Migrations run both ways on the test database (SQLite or PostgreSQL) and carry data."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from saas.crypto import decrypt
from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import make_company


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
        stored = db.session.scalar(
            select(Tenant.smtp_password_encrypted).where(Tenant.id == company.tenant_id)
        )
        assert stored and "plain pw" not in stored
        assert decrypt(stored, purpose="smtp") == "plain pw"


def test_models_and_migrations_agree(app, owner_engine):
    """A model change without its Alembic revision fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with owner_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
        )
    assert diff == []
