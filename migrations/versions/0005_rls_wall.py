"""the app logs in as its own role; narrowest rights and policies on the global tables

Revision ID: 0005_rls_wall
Revises: 0004_user_sessions
Create Date: 2026-11-29 18:00:00

PostgreSQL only (a no-op on SQLite). The app role (``DATABASE_APP_ROLE``) becomes a LOGIN role
with the password the app will use: the one in its resolved URL, which by default is derived
from SECRET_KEY (``config.resolve_database``). The downgrade restores 0001's grants but leaves
LOGIN alone: a role belongs to the whole server, other databases on it may log in with it.
"""

from alembic import op
from flask import current_app
from sqlalchemy.engine import make_url

from saas.tenancy import rls

revision = "0005_rls_wall"
down_revision = "0004_user_sessions"
branch_labels = None
depends_on = None


def _role() -> str:
    return current_app.config.get("DATABASE_APP_ROLE") or "baza_app"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    role = _role()
    app_url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if app_url.username == role:
        rls.set_login(bind, role, app_url.password)
    for statement in rls.global_tables_sql(role):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in rls.global_tables_undo_sql(_role()):
        op.execute(statement)
