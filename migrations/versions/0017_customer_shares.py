"""customer_shares: customers shared with users (read or write, optionally until a date)

Revision ID: 0017_customer_shares
Revises: 0016_pool_level_rules
Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0017_customer_shares"
down_revision = "0016_pool_level_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customer_shares",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access", sa.String(length=8), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customer_shares_tenant_id_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_shares_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customer_shares_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_shares_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_shares")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_shares_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "customer_id",
            "user_id",
            name=op.f("uq_customer_shares_tenant_id_customer_id_user_id"),
        ),
    )
    with op.batch_alter_table("customer_shares", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_shares_tenant_user_customer",
            ["tenant_id", "user_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_customer_shares_tenant_until", ["tenant_id", "until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_shares_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("customer_shares"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("customer_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_shares_tenant_id"))
        batch_op.drop_index("ix_customer_shares_tenant_until")
        batch_op.drop_index("ix_customer_shares_tenant_user_customer")
    op.drop_table("customer_shares")
