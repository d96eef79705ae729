"""backups: the company's backup files; tenants.backup_weeks (weekly backups kept N weeks)

Revision ID: 0027_backups
Revises: 0026_imports
Create Date: 2026-11-30 03:40:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0027_backups"
down_revision = "0026_imports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backup_weeks", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "backups",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_backups_tenant_id_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_id"],
            ["jobs.tenant_id", "jobs.id"],
            name=op.f("fk_backups_tenant_id_job_id_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_backups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_backups_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "week", name=op.f("uq_backups_tenant_id_week")),
    )
    with op.batch_alter_table("backups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backups_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_backups_tenant_id"), ["tenant_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("backups"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table("backups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backups_tenant_id"))
        batch_op.drop_index("ix_backups_tenant_created")
    op.drop_table("backups")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("backup_weeks")
