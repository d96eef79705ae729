"""import_runs and import_rows (Excel/CSV/vCard import), plans.import_max_rows

Revision ID: 0026_imports
Revises: 0025_duplicate_candidates
Create Date: 2026-11-30 03:40:00
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0026_imports"
down_revision = "0025_duplicate_candidates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("import_max_rows", sa.Integer(), server_default="1000", nullable=False)
        )
    op.execute("UPDATE plans SET import_max_rows = 100000 WHERE code <> 'free'")

    op.create_table(
        "import_runs",
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("header_row", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("shape_key", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_import_runs_tenant_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_id"],
            ["jobs.tenant_id", "jobs.id"],
            name=op.f("fk_import_runs_tenant_id_job_id_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_import_runs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_import_runs_tenant_id_id")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_runs_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_import_runs_tenant_shape", ["tenant_id", "shape_key", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_import_runs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "import_rows",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cells", sa.JSON(), nullable=True),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["import_runs.tenant_id", "import_runs.id"],
            name=op.f("fk_import_rows_tenant_id_run_id_import_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_import_rows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rows")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_import_rows_tenant_id_id")),
    )
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_rows_tenant_run_action",
            ["tenant_id", "run_id", "action", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_import_rows_tenant_id"), ["tenant_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("import_runs", "import_rows"):
            for statement in rls.enable_sql(table):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_rows_tenant_id"))
        batch_op.drop_index("ix_import_rows_tenant_run_action")
    op.drop_table("import_rows")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_tenant_id"))
        batch_op.drop_index("ix_import_runs_tenant_shape")
        batch_op.drop_index("ix_import_runs_tenant_created")
    op.drop_table("import_runs")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("import_max_rows")
