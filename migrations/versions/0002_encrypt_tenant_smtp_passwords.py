"""encrypt tenant SMTP passwords

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:40:28.632406
"""

from alembic import op
import sqlalchemy as sa

from saas.crypto import decrypt, encrypt

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

tenants = sa.table(
    "tenants",
    sa.column("id", sa.Integer),
    sa.column("smtp_password", sa.String),
    sa.column("smtp_password_encrypted", sa.Text),
)


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_password_encrypted", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(tenants.c.id, tenants.c.smtp_password).where(tenants.c.smtp_password.isnot(None))
    ).all()
    for tenant_id, plain in rows:
        conn.execute(
            tenants.update()
            .where(tenants.c.id == tenant_id)
            .values(smtp_password_encrypted=encrypt(plain, purpose="smtp"))
        )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("smtp_password")


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_password", sa.VARCHAR(length=200), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(tenants.c.id, tenants.c.smtp_password_encrypted).where(
            tenants.c.smtp_password_encrypted.isnot(None)
        )
    ).all()
    for tenant_id, token in rows:
        conn.execute(
            tenants.update()
            .where(tenants.c.id == tenant_id)
            .values(smtp_password=decrypt(token, purpose="smtp"))
        )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("smtp_password_encrypted")
