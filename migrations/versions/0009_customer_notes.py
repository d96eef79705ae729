"""customer_notes: quick timestamped notes on a customer (its history tab)

Revision ID: 0009_customer_notes
Revises: 0008_customers
Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0009_customer_notes"
down_revision = "0008_customers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customer_notes",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customer_notes_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_notes_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_notes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_notes_tenant_id_id")),
    )
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_notes_tenant_customer_id",
            ["tenant_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_customer_notes_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("customer_notes"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_notes_tenant_id"))
        batch_op.drop_index("ix_customer_notes_tenant_customer_id")
    op.drop_table("customer_notes")
