"""customer_search: the quick search's document per customer (trigram and CJK bigram indexes)

Revision ID: 0019_customer_search
Revises: 0022_contact_search
Create Date: 2026-11-30 00:40:00

Creates ``customer_search`` (one folded document per customer, see ``saas/customers/search.py``),
fills it for every existing customer in id batches (the documents are computed in Python, as the
app computes them), then builds the indexes — after the load, which is much faster than keeping
GIN indexes up to date row by row. PostgreSQL: GIN ``gin_trgm_ops`` on ``doc``, GIN on ``grams``
(text[]), row-level security like every tenant table, and the SECURITY DEFINER lookup
``baza_customer_search`` granted to the app role (RLS keeps non-leakproof ``LIKE``/``@>`` from
using an index as that role).
"""

import time

import sqlalchemy as sa
from alembic import op
from flask import current_app
from sqlalchemy.dialects import postgresql

from saas.tenancy import rls

revision = "0019_customer_search"
down_revision = "0022_contact_search"
branch_labels = None
depends_on = None

BATCH = 20_000


def _backfill(bind) -> None:
    """Documents of every customer, in windows of ``BATCH`` ids, per tenant within a window."""
    from saas.customers import search

    table = search.CustomerSearch.__table__
    customers = sa.table("customers", sa.column("id"), sa.column("tenant_id"))
    top = bind.scalar(sa.select(sa.func.max(customers.c.id))) or 0
    done, started = 0, time.monotonic()
    for low in range(0, top + 1, BATCH):
        high = low + BATCH
        tenants = bind.scalars(
            sa.select(customers.c.tenant_id)
            .where(customers.c.id >= low, customers.c.id < high)
            .distinct()
        ).all()
        for tid in tenants:
            docs = search.documents_in_range(bind, tid, low, high)
            if docs:
                bind.execute(sa.insert(table), search.rows_for(tid, docs))
            done += len(docs)
        if tenants and (low // BATCH) % 10 == 0:
            print(f"customer_search: {done:,} documents ({time.monotonic() - started:,.0f} s)")


def upgrade():
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.create_table(
        "customer_search",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column(
            "grams",
            sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_search_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_search_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_search")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_search_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", name=op.f("uq_customer_search_tenant_id_customer_id")
        ),
    )
    _backfill(bind)
    with op.batch_alter_table("customer_search", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_search_tenant_id"), ["tenant_id"], unique=False
        )
    if pg:
        op.create_index(
            "ix_customer_search_doc_trgm",
            "customer_search",
            ["doc"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"doc": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_customer_search_grams",
            "customer_search",
            ["grams"],
            unique=False,
            postgresql_using="gin",
        )
        for statement in rls.enable_sql("customer_search"):
            op.execute(statement)
        from saas.customers.search import function_sql

        role = current_app.config.get("DATABASE_APP_ROLE") or "baza_app"
        for statement in function_sql(role):
            op.execute(statement)
        op.execute("ANALYZE customer_search")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS baza_customer_search(integer, text, text)")
        op.drop_index("ix_customer_search_grams", table_name="customer_search")
        op.drop_index("ix_customer_search_doc_trgm", table_name="customer_search")
    with op.batch_alter_table("customer_search", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_search_tenant_id"))
    op.drop_table("customer_search")
