"""duplicates: the similar-name lookup runs in a SECURITY DEFINER function (its index under RLS)

As the app role under row-level security, ``name_key % :key`` could not use the trigram index
(``%`` is not LEAKPROOF) and the duplicate check read every customer of the tenant.
``baza_duplicate_candidates`` (saas/customers/sql.py) runs the same query as the tables' owner,
answering only for the session's own tenant. PostgreSQL only.

Revision ID: 0025_duplicate_candidates
Revises: 0023_list_indexes
Create Date: 2026-11-30 02:10:00
"""

from alembic import op
from flask import current_app

revision = "0025_duplicate_candidates"
down_revision = "0023_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    from saas.customers.sql import candidates_function_sql

    role = current_app.config.get("DATABASE_APP_ROLE") or "baza_app"
    for statement in candidates_function_sql(role):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS baza_duplicate_candidates(integer, text, real, integer)"
        )
