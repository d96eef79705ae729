"""customers: the owner index ends with No. (every list orders by No., not id)

"Mine", the pool and a rep's customers are now ordered by No. like "All" (docs/PERFORMANCE.md):
``(tenant_id, owner_id, number)`` serves them in order, as ``(tenant_id, owner_id, id)`` served
the id order; it replaces that index (every other use only needs its first two columns).

Revision ID: 0023_list_indexes
Revises: 0019_customer_search
Create Date: 2026-11-30 00:45:00
"""

from alembic import op

revision = "0023_list_indexes"
down_revision = "0019_customer_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_customers_tenant_owner_number", "customers", ["tenant_id", "owner_id", "number"]
    )
    op.drop_index("ix_customers_tenant_owner_id", table_name="customers")


def downgrade():
    op.create_index("ix_customers_tenant_owner_id", "customers", ["tenant_id", "owner_id", "id"])
    op.drop_index("ix_customers_tenant_owner_number", table_name="customers")
