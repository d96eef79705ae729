"""customers: the customer table, a per-tenant customer number, pool permission names

Revision ID: 0008_customers
Revises: 0007_memberships
Create Date: 2026-11-29 20:00:00

``tenants.customer_seq`` is the last customer number given out (one UPDATE … RETURNING per
new customer). Roles' ``pool.claim`` / ``export.run`` become ``customers.pool`` /
``customers.export``.
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

revision = "0008_customers"
down_revision = "0007_memberships"
branch_labels = None
depends_on = None

RENAMED = {"pool.claim": "customers.pool", "export.run": "customers.export"}


def _rename_permissions(mapping: dict[str, str]) -> None:
    roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("permissions", sa.JSON))
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # the owner is subject to the forced tenant policy too: lift it meanwhile
        op.execute("ALTER TABLE roles NO FORCE ROW LEVEL SECURITY")
    for rid, perms in conn.execute(sa.select(roles.c.id, roles.c.permissions)).all():
        new = sorted({mapping.get(p, p) for p in perms or ()})
        if new != sorted(perms or ()):
            conn.execute(roles.update().where(roles.c.id == rid).values(permissions=new))
    if postgres:
        op.execute("ALTER TABLE roles FORCE ROW LEVEL SECURITY")


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_seq", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "customers",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customers_tenant_id_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customers_tenant_id_owner_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "updated_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_customers_tenant_id_updated_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customers_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_customers_tenant_id_number")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customers_tenant_deleted_id", ["tenant_id", "deleted_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_customers_tenant_name_key", ["tenant_id", "name_key"], unique=False
        )
        batch_op.create_index(
            "ix_customers_tenant_owner_id", ["tenant_id", "owner_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customers_tenant_id"), ["tenant_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.enable_sql("customers"):
            op.execute(statement)
    _rename_permissions(RENAMED)


def downgrade():
    _rename_permissions({new: old for old, new in RENAMED.items()})
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_tenant_id"))
        batch_op.drop_index("ix_customers_tenant_owner_id")
        batch_op.drop_index("ix_customers_tenant_name_key")
        batch_op.drop_index("ix_customers_tenant_deleted_id")
    op.drop_table("customers")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("customer_seq")
