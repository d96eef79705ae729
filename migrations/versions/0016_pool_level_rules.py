"""pool level rules: a customer level's own return periods

Revision ID: 0016_pool_level_rules
Revises: 0015_contacts
Create Date: 2026-11-29 22:20:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0016_pool_level_rules"
down_revision = "0015_contacts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pool_level_rules",
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("followup_days", sa.Integer(), nullable=True),
        sa.Column("unwon_days", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "level_id"],
            ["customer_list_entries.tenant_id", "customer_list_entries.id"],
            name=op.f("fk_pool_level_rules_tenant_id_level_id_customer_list_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_pool_level_rules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_level_rules")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pool_level_rules_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "level_id", name=op.f("uq_pool_level_rules_tenant_id_level_id")
        ),
    )
    with op.batch_alter_table("pool_level_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pool_level_rules_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("pool_level_rules"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("pool_level_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_level_rules_tenant_id"))
    op.drop_table("pool_level_rules")
