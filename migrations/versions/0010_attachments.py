"""attachments: files on a customer; plans get a per-file and a total size limit

Revision ID: 0010_attachments
Revises: 0009_customer_notes
Create Date: 2026-11-29 21:30:00

``plans.attachment_max_mb`` is the largest file a company may attach (also capped by the
installation's ATTACHMENT_MAX_MB), ``plans.storage_mb`` the total of its files (NULL:
unlimited): free 5 MB / 200 MB, team 25 MB / 10 GB, business 100 MB / unlimited.
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0010_attachments"
down_revision = "0009_customer_notes"
branch_labels = None
depends_on = None

LIMITS = {"free": (5, 200), "team": (25, 10 * 1024), "business": (100, None)}


def upgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attachment_max_mb", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(sa.Column("storage_mb", sa.Integer(), nullable=True))
    plans = sa.table(
        "plans",
        sa.column("code", sa.String),
        sa.column("attachment_max_mb", sa.Integer),
        sa.column("storage_mb", sa.Integer),
    )
    for code, (per_file, total) in LIMITS.items():
        op.execute(
            plans.update()
            .where(plans.c.code == code)
            .values(attachment_max_mb=per_file, storage_mb=total)
        )
    op.create_table(
        "customer_attachments",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_attachments_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "uploaded_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customer_attachments_tenant_id_uploaded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_attachments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_attachments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_attachments_tenant_id_id")),
    )
    with op.batch_alter_table("customer_attachments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_attachments_tenant_customer_id",
            ["tenant_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_customer_attachments_tenant_deleted", ["tenant_id", "deleted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_attachments_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("customer_attachments"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("customer_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_attachments_tenant_id"))
        batch_op.drop_index("ix_customer_attachments_tenant_deleted")
        batch_op.drop_index("ix_customer_attachments_tenant_customer_id")
    op.drop_table("customer_attachments")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("storage_mb")
        batch_op.drop_column("attachment_max_mb")
