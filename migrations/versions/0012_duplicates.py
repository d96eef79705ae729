# ruff: noqa: RUF002 - Cyrillic, Arabic and full-width letters are the point
"""duplicates: legal forms out of customers.name_key, a trigram index, the tenant's policy

Revision ID: 0012_duplicates
Revises: 0011_pool_rules
Create Date: 2026-11-29 21:00:00

``name_key`` now drops legal-form words ("Ltd", "ООО", "شرکت", "有限公司" …) and reads ة as ه:
every existing row's key is recomputed with ``saas.customers.normalize.name_key`` (in batches
by id). On PostgreSQL ``pg_trgm`` (a trusted extension) gives the GIN index
``ix_customers_name_key_trgm`` that serves the similar-name candidates.
``tenants.duplicate_policy``: ``warn`` (default) or ``block``.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

from saas.customers.normalize import name_key

revision = "0012_duplicates"
down_revision = "0011_pool_rules"
branch_labels = None
depends_on = None

_BATCH = 5000


def _key_0008(value):
    """``name_key`` as revision 0008 defined it (for the downgrade)."""
    letters = str.maketrans(
        {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0640": None}
        | {"\u200c": None, "\u200d": None}
    )
    out = []
    for ch in unicodedata.normalize("NFKC", value or "").casefold().translate(letters):
        if ch.isdecimal() and not ch.isascii():
            ch = str(unicodedata.decimal(ch))
        category = unicodedata.category(ch)
        arabic_mark = "\u064b" <= ch <= "\u065f" or ch == "\u0670"
        if category[0] in ("L", "N") or category == "Mc" or (category == "Mn" and not arabic_mark):
            out.append(ch)
    return "".join(out)[:200]


def _recompute_keys(key=name_key) -> None:
    conn = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
    )
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # the owner is subject to the forced tenant policy too: lift it meanwhile
        op.execute("ALTER TABLE customers NO FORCE ROW LEVEL SECURITY")
    last = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.name_key)
            .where(customers.c.id > last)
            .order_by(customers.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        changed = [
            {"row_id": rid, "key": new} for rid, name, old in rows if (new := key(name)) != old
        ]
        if changed:
            conn.execute(
                customers.update()
                .where(customers.c.id == sa.bindparam("row_id"))
                .values(name_key=sa.bindparam("key")),
                changed,
            )
        last = rows[-1][0]
    if postgres:
        op.execute("ALTER TABLE customers FORCE ROW LEVEL SECURITY")


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "duplicate_policy", sa.String(length=8), nullable=False, server_default="warn"
            )
        )
    _recompute_keys()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_customers_name_key_trgm",
            "customers",
            ["name_key"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        )


def downgrade():
    _recompute_keys(_key_0008)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_name_key_trgm", table_name="customers")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("duplicate_policy")
