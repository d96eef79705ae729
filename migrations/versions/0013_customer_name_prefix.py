"""customers: the name_key index serves prefix searches on PostgreSQL (varchar_pattern_ops)

Revision ID: 0013_customer_name_prefix
Revises: 0012_duplicates
Create Date: 2026-11-29 21:00:00

The quick search of the Customers page matches a name prefix with ``name_key LIKE 'key%'``.
PostgreSQL turns that into an index range scan only when the index compares bytes (the "C"
collation or a ``*_pattern_ops`` class); a database created in en_US.UTF-8 would scan the
table. ``varchar_pattern_ops`` serves the duplicate check's equality lookup as well, so the
index is rebuilt with it rather than doubled. SQLite: nothing changes (its BINARY index already
orders bytes; the query adds a range for it).
"""

from alembic import op

revision = "0013_customer_name_prefix"
down_revision = "0012_duplicates"
branch_labels = None
depends_on = None


def _rebuild(ops: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_customers_tenant_name_key")
    op.execute(f"CREATE INDEX ix_customers_tenant_name_key ON customers (tenant_id, name_key{ops})")


def upgrade():
    _rebuild(" varchar_pattern_ops")


def downgrade():
    _rebuild("")
