"""contacts: search keys (contact_terms) and a name index for the Contacts page

Revision ID: 0022_contact_search
Revises: 0020_list_preferences
Create Date: 2026-11-30 00:30:00

``contact_terms`` holds every search key of a contact (words of its name and position, the
whole name, CJK suffixes, its E.164 phones and email keys: ``saas.contacts.search.keys``),
behind ``(tenant_id, term)``; on PostgreSQL ``term`` is collated "C", so a prefix is a
byte-ordered range scan with leakproof operators (row-level security keeps the index usable).
Existing contacts get their keys here, in batches by id. ``ix_contacts_tenant_name`` serves the
page sorted by name.
"""

import sqlalchemy as sa
from alembic import op

from saas.contacts.search import keys
from saas.tenancy import rls

revision = "0022_contact_search"
down_revision = "0020_list_preferences"
branch_labels = None
depends_on = None

_BATCH = 5000
_READ = ("contacts", "contact_phones", "contact_emails", "contact_terms")


def _backfill() -> None:
    conn = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("customer_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("position", sa.String),
    )
    phones = sa.table("contact_phones", sa.column("contact_id"), sa.column("e164"))
    emails = sa.table("contact_emails", sa.column("contact_id"), sa.column("email_key"))
    terms = sa.table(
        "contact_terms",
        sa.column("tenant_id"),
        sa.column("contact_id"),
        sa.column("customer_id"),
        sa.column("kind"),
        sa.column("term"),
    )
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # the owner is subject to the forced tenant policy too: lift it meanwhile
        for table in _READ:
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    last = 0
    while True:
        rows = conn.execute(
            sa.select(contacts).where(contacts.c.id > last).order_by(contacts.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        first, last = rows[0].id, rows[-1].id
        numbers: dict[int, list[str]] = {}
        for cid, e164 in conn.execute(
            sa.select(phones.c.contact_id, phones.c.e164).where(
                phones.c.contact_id.between(first, last)
            )
        ):
            numbers.setdefault(cid, []).append(e164)
        addresses: dict[int, list[str]] = {}
        for cid, key in conn.execute(
            sa.select(emails.c.contact_id, emails.c.email_key).where(
                emails.c.contact_id.between(first, last)
            )
        ):
            addresses.setdefault(cid, []).append(key)
        out = [
            {
                "tenant_id": r.tenant_id,
                "contact_id": r.id,
                "customer_id": r.customer_id,
                "kind": kind,
                "term": term,
            }
            for r in rows
            for kind, term in keys(
                r.name, r.position, numbers.get(r.id, ()), addresses.get(r.id, ())
            )
        ]
        if out:
            conn.execute(terms.insert(), out)
    if postgres:
        for table in _READ:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    term_type = sa.String(length=100, collation="C") if postgres else sa.String(length=100)
    op.create_table(
        "contact_terms",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("term", term_type, nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_terms_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_contact_terms_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contact_terms_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_terms")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_contact_terms_tenant_id_id")),
    )
    if postgres:
        for statement in rls.enable_sql("contact_terms"):
            op.execute(statement)
    _backfill()
    with op.batch_alter_table("contact_terms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_terms_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_terms_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_contact_terms_tenant_term", ["tenant_id", "term"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_tenant_name", ["tenant_id", "name", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_tenant_name")
    with op.batch_alter_table("contact_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_terms_tenant_term")
        batch_op.drop_index(batch_op.f("ix_contact_terms_tenant_id"))
        batch_op.drop_index("ix_contact_terms_tenant_contact")
    op.drop_table("contact_terms")
