"""customers: contact frequency (get in touch every N days) and purchase preferences

Revision ID: 0018_customer_contact_frequency
Revises: 0017_customer_shares
Create Date: 2026-11-29 22:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_customer_contact_frequency"
down_revision = "0017_customer_shares"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("contact_frequency_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("purchase_preferences", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("purchase_preferences")
        batch.drop_column("contact_frequency_days")
