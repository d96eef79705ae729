"""audit entries keep the names they refer to, as they were when written

Revision ID: 0003_audit_display
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_audit_display"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("display")
