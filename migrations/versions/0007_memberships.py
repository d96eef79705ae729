"""memberships: an account may belong to several companies; invitations carry a language

Revision ID: 0007_memberships
Revises: 0006_jobs
Create Date: 2026-11-29 18:30:00

``accounts.tenant_id`` goes: an account (email, password) belongs to no company, its ``users``
rows are its memberships. ``invitations.language`` is the invitee's language chosen by the
inviter. On PostgreSQL an account may read its own memberships and their companies.
"""

from alembic import op
import sqlalchemy as sa

from saas.tenancy import rls

revision = "0007_memberships"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_accounts_tenant_id_tenants", type_="foreignkey")
        batch_op.drop_index("ix_accounts_tenant_id")
        batch_op.drop_column("tenant_id")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.membership_policies_sql():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in rls.membership_policies_undo_sql():
            op.execute(statement)
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
    # back to one company per account: the first one it joined
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("tenant_id", sa.Integer))
    users = sa.table(
        "users", sa.column("account_id", sa.Integer), sa.column("tenant_id", sa.Integer)
    )
    first = (
        sa.select(sa.func.min(users.c.tenant_id))
        .where(users.c.account_id == accounts.c.id)
        .scalar_subquery()
    )
    op.execute(accounts.update().values(tenant_id=first))
    op.execute(accounts.delete().where(accounts.c.tenant_id.is_(None)))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("tenant_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_accounts_tenant_id", ["tenant_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_accounts_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], ondelete="CASCADE"
        )
