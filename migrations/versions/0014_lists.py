"""lists: tenant-editable customer lists (levels, stages, industries, sources, tags, return
reasons), tags on customers, custom fields and their typed values

Revision ID: 0014_lists
Revises: 0013_customer_name_prefix
Create Date: 2026-11-29 20:40:00

Every existing tenant gets the default entries (``saas.customers.lists.DEFAULTS``), named in its
owner's language where the catalog has them, and each existing customer the first stage entry
of its ``stage`` category.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from babel.support import Translations

from saas.tenancy import rls

revision = "0014_lists"
down_revision = "0013_customer_name_prefix"
branch_labels = None
depends_on = None

NEW_TABLES = ("customer_list_entries", "customer_tags", "custom_fields", "customer_field_values")
#: Tenant tables read or written by the data part (the owner meets their forced policy too).
TOUCHED = ("users", "roles", "customers")


def _gettext(language):
    import saas
    from saas.customers.lists import default_rows

    folder = Path(saas.__file__).parent / "translations"
    translations = Translations.load(str(folder), [language or "en"], domain="messages")
    return default_rows(translations.gettext)


def _seed_defaults():
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        for table in TOUCHED:
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    entries = sa.table(
        "customer_list_entries",
        sa.column("tenant_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("name", sa.String),
        sa.column("colour", sa.String),
        sa.column("category", sa.String),
        sa.column("position", sa.Integer),
    )
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("role_id", sa.Integer),
        sa.column("language", sa.String),
    )
    roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("key", sa.String))
    tenants = sa.table("tenants", sa.column("id", sa.Integer))
    for (tenant_id,) in conn.execute(sa.select(tenants.c.id).order_by(tenants.c.id)).all():
        language = conn.scalar(
            sa.select(users.c.language)
            .join(roles, roles.c.id == users.c.role_id)
            .where(users.c.tenant_id == tenant_id, roles.c.key == "owner")
            .order_by(users.c.id)
            .limit(1)
        )
        rows = [dict(row, tenant_id=tenant_id) for row in _gettext(language)]
        conn.execute(entries.insert(), rows)
    customers = sa.table(
        "customers",
        sa.column("tenant_id", sa.Integer),
        sa.column("stage", sa.String),
        sa.column("stage_id", sa.Integer),
    )
    first_stage = (
        sa.select(sa.func.min(sa.literal_column("e.id")))
        .select_from(entries.alias("e"))
        .where(
            sa.literal_column("e.tenant_id") == customers.c.tenant_id,
            sa.literal_column("e.kind") == "stage",
            sa.literal_column("e.category") == customers.c.stage,
        )
        .scalar_subquery()
    )
    conn.execute(customers.update().values(stage_id=first_stage))
    if postgres:
        for table in TOUCHED:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade():
    op.create_table(
        "custom_fields",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("unique", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_custom_fields_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_custom_fields_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_custom_fields_tenant_id_key")),
    )
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_fields_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_custom_fields_tenant_position", ["tenant_id", "position"], unique=False
        )

    op.create_table(
        "customer_list_entries",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_list_entries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_list_entries")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_list_entries_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "name", name=op.f("uq_customer_list_entries_tenant_id_kind_name")
        ),
    )
    with op.batch_alter_table("customer_list_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_list_entries_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_list_entries_tenant_kind_position",
            ["tenant_id", "kind", "position"],
            unique=False,
        )

    op.create_table(
        "customer_field_values",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value_text", sa.String(length=200), nullable=True),
        sa.Column("value_long", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("unique_key", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_field_values_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "field_id"],
            ["custom_fields.tenant_id", "custom_fields.id"],
            name=op.f("fk_customer_field_values_tenant_id_field_id_custom_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_field_values_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_field_values")),
        sa.UniqueConstraint(
            "tenant_id",
            "field_id",
            "unique_key",
            name=op.f("uq_customer_field_values_tenant_id_field_id_unique_key"),
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_field_values_tenant_id_id")),
    )
    with op.batch_alter_table("customer_field_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_field_values_customer",
            ["tenant_id", "customer_id", "field_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_customer_field_values_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_field_values_value_bool",
            ["tenant_id", "field_id", "value_bool", "customer_id"],
            unique=False,
            postgresql_where=sa.text("value_bool IS NOT NULL"),
            sqlite_where=sa.text("value_bool IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_customer_field_values_value_date",
            ["tenant_id", "field_id", "value_date", "customer_id"],
            unique=False,
            postgresql_where=sa.text("value_date IS NOT NULL"),
            sqlite_where=sa.text("value_date IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_customer_field_values_value_number",
            ["tenant_id", "field_id", "value_number", "customer_id"],
            unique=False,
            postgresql_where=sa.text("value_number IS NOT NULL"),
            sqlite_where=sa.text("value_number IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_customer_field_values_value_text",
            ["tenant_id", "field_id", "value_text", "customer_id"],
            unique=False,
            postgresql_where=sa.text("value_text IS NOT NULL"),
            sqlite_where=sa.text("value_text IS NOT NULL"),
        )

    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_customer_tags_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "tag_id"],
            ["customer_list_entries.tenant_id", "customer_list_entries.id"],
            name=op.f("fk_customer_tags_tenant_id_tag_id_customer_list_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_tags")),
        sa.UniqueConstraint(
            "tenant_id",
            "customer_id",
            "tag_id",
            name=op.f("uq_customer_tags_tenant_id_customer_id_tag_id"),
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_tags_tenant_id_id")),
    )
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tags_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_customer_tags_tenant_tag_customer",
            ["tenant_id", "tag_id", "customer_id"],
            unique=False,
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("industry_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_tenant_id_industry_id_customer_list_entries"),
            "customer_list_entries",
            ["tenant_id", "industry_id"],
            ["tenant_id", "id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_tenant_id_stage_id_customer_list_entries"),
            "customer_list_entries",
            ["tenant_id", "stage_id"],
            ["tenant_id", "id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_tenant_id_source_id_customer_list_entries"),
            "customer_list_entries",
            ["tenant_id", "source_id"],
            ["tenant_id", "id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_tenant_id_level_id_customer_list_entries"),
            "customer_list_entries",
            ["tenant_id", "level_id"],
            ["tenant_id", "id"],
        )

    _seed_defaults()
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TABLES:
            for statement in rls.enable_sql(table):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customers_tenant_id_level_id_customer_list_entries"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_customers_tenant_id_source_id_customer_list_entries"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_customers_tenant_id_stage_id_customer_list_entries"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_customers_tenant_id_industry_id_customer_list_entries"),
            type_="foreignkey",
        )
        batch_op.drop_column("stage_id")
        batch_op.drop_column("source_id")
        batch_op.drop_column("industry_id")
        batch_op.drop_column("level_id")

    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_tags_tenant_tag_customer")
        batch_op.drop_index(batch_op.f("ix_customer_tags_tenant_id"))

    op.drop_table("customer_tags")
    with op.batch_alter_table("customer_field_values", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_customer_field_values_value_text",
            postgresql_where=sa.text("value_text IS NOT NULL"),
            sqlite_where=sa.text("value_text IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_customer_field_values_value_number",
            postgresql_where=sa.text("value_number IS NOT NULL"),
            sqlite_where=sa.text("value_number IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_customer_field_values_value_date",
            postgresql_where=sa.text("value_date IS NOT NULL"),
            sqlite_where=sa.text("value_date IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_customer_field_values_value_bool",
            postgresql_where=sa.text("value_bool IS NOT NULL"),
            sqlite_where=sa.text("value_bool IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_customer_field_values_tenant_id"))
        batch_op.drop_index("ix_customer_field_values_customer")

    op.drop_table("customer_field_values")
    with op.batch_alter_table("customer_list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_list_entries_tenant_kind_position")
        batch_op.drop_index(batch_op.f("ix_customer_list_entries_tenant_id"))

    op.drop_table("customer_list_entries")
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_index("ix_custom_fields_tenant_position")
        batch_op.drop_index(batch_op.f("ix_custom_fields_tenant_id"))

    op.drop_table("custom_fields")
