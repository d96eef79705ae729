"""list_preferences: a user's columns and page size per list

Revision ID: 0020_list_preferences
Revises: 0021_customer_segments
Create Date: 2026-11-30 00:30:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0020_list_preferences"
down_revision = "0021_customer_segments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "list_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=True),
        sa.Column("page_size", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_list_preferences_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_list_preferences_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_preferences")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_list_preferences_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "list_name",
            name=op.f("uq_list_preferences_tenant_id_user_id_list_name"),
        ),
    )
    with op.batch_alter_table("list_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_list_preferences_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("list_preferences"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("list_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_preferences_tenant_id"))
    op.drop_table("list_preferences")
