"""contacts: people of a customer, their typed phones (E.164) and emails, relationships

Revision ID: 0015_contacts
Revises: 0013_customer_name_prefix
Create Date: 2026-11-29 20:39:32

``contact_phones.e164`` and ``contact_emails.email_key`` are the duplicate check's match keys,
each behind an index led by ``tenant_id``; ``uq_contacts_primary`` (partial, ``WHERE
is_primary``) keeps at most one primary contact per customer.
"""

import sqlalchemy as sa
from alembic import op

from saas.tenancy import rls

TABLES = ("contacts", "contact_emails", "contact_phones", "contact_relations")


revision = "0015_contacts"
down_revision = "0014_lists"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contacts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("interests", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("photo_key", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_contacts_tenant_id_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_contacts_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "updated_by_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_contacts_tenant_id_updated_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_contacts_tenant_id_id")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_tenant_customer", ["tenant_id", "customer_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contacts_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_contacts_primary",
            ["tenant_id", "customer_id"],
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )

    op.create_table(
        "contact_emails",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_emails_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_contact_emails_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contact_emails_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_emails")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_contact_emails_tenant_id_id")),
    )
    with op.batch_alter_table("contact_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_emails_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_emails_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_contact_emails_tenant_key", ["tenant_id", "email_key"], unique=False
        )

    op.create_table(
        "contact_phones",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_phones_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_contact_phones_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contact_phones_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_phones")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_contact_phones_tenant_id_id")),
    )
    with op.batch_alter_table("contact_phones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_phones_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )
        batch_op.create_index("ix_contact_phones_tenant_e164", ["tenant_id", "e164"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contact_phones_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "contact_relations",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_relations_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "other_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_relations_tenant_id_other_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contact_relations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_relations")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_contact_relations_tenant_id_id")),
    )
    with op.batch_alter_table("contact_relations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_relations_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_relations_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_contact_relations_tenant_other", ["tenant_id", "other_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in rls.enable_sql(table):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table("contact_relations", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_relations_tenant_other")
        batch_op.drop_index(batch_op.f("ix_contact_relations_tenant_id"))
        batch_op.drop_index("ix_contact_relations_tenant_contact")

    op.drop_table("contact_relations")
    with op.batch_alter_table("contact_phones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_phones_tenant_id"))
        batch_op.drop_index("ix_contact_phones_tenant_e164")
        batch_op.drop_index("ix_contact_phones_tenant_contact")

    op.drop_table("contact_phones")
    with op.batch_alter_table("contact_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_emails_tenant_key")
        batch_op.drop_index(batch_op.f("ix_contact_emails_tenant_id"))
        batch_op.drop_index("ix_contact_emails_tenant_contact")

    op.drop_table("contact_emails")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contacts_primary",
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )
        batch_op.drop_index(batch_op.f("ix_contacts_tenant_id"))
        batch_op.drop_index("ix_contacts_tenant_customer")

    op.drop_table("contacts")
