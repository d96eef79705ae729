"""query: the text folding function baza_fold(text) on PostgreSQL (SQLite: per connection)

Revision ID: 0024_query_fold
Revises: 0018_customer_contact_frequency
Create Date: 2026-11-30 00:40:00
"""

from alembic import op

revision = "0024_query_fold"
down_revision = "0018_customer_contact_frequency"
branch_labels = None
depends_on = None

# Kept here as written (a revision never changes): saas/customers/folding.py has the same.
# Arabic yeh/alef maksura/kaf/teh marbuta/heh-yeh, Persian and Arabic-Indic digits; then the
# characters translate() drops (tatweel, ZWNJ, ZWJ).
_FROM = (
    "\u064a\u0649\u0643\u0629\u06c0"
    + "".join(chr(c) for c in (*range(0x06F0, 0x06FA), *range(0x0660, 0x066A)))
    + "\u0640\u200c\u200d"
)
_TO = "\u06cc\u06cc\u06a9\u0647\u0647" + "0123456789" * 2


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: saas.customers.folding.register_sqlite on every connection
    op.execute(
        "CREATE OR REPLACE FUNCTION baza_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT translate(lower(normalize($1, NFKC)), '{_FROM}', '{_TO}') $$"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS baza_fold(text)")
