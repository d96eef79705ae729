"""customer_segments: saved list states (view, search, query tree, sort, columns) by name

Revision ID: 0021_customer_segments
Revises: 0024_query_fold
Create Date: 2026-11-30 00:30:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0021_customer_segments"
down_revision = "0024_query_fold"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customer_segments",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=16), nullable=False),
        sa.Column("q", sa.String(length=200), nullable=True),
        sa.Column("query", sa.JSON(), nullable=True),
        sa.Column("sort", sa.String(length=100), nullable=True),
        sa.Column("cols", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customer_segments_tenant_id_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_segments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_segments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_segments_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "created_by_id",
            "name",
            name=op.f("uq_customer_segments_tenant_id_created_by_id_name"),
        ),
    )
    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_segments_tenant_shared", ["tenant_id", "shared"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_segments_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("customer_segments"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_segments_tenant_id"))
        batch_op.drop_index("ix_customer_segments_tenant_shared")
    op.drop_table("customer_segments")
