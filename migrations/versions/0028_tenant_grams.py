"""customer_search.grams: each CJK bigram stored with its tenant (``7:华信``)

Revision ID: 0028_tenant_grams
Revises: 0027_backups
Create Date: 2026-11-30 10:00:00

The 2-character CJK search looked a bigram up in the GIN index on ``grams`` and, as the planner
liked it, ANDed the bitmap with the tenant's whole ``tenant_id`` index: a big tenant read every
one of its index entries (14 ms per 250,000, measured), and a small tenant's search read a big
tenant's matches. Stored as ``<tenant>:<bigram>`` (``search.gram_key``), one GIN key
is exactly the tenant's matches. Bare bigrams are 2 characters; keyed ones are longer, so the
rewrite is idempotent (a database created at 0019 by this code is keyed already). The lookup
``baza_customer_search`` asks for the key and keeps the tenant check out of the index choice.
"""

from alembic import op
from flask import current_app

revision = "0028_tenant_grams"
down_revision = "0027_backups"
branch_labels = None
depends_on = None

_PG_REWRITE = """
UPDATE customer_search SET grams = ARRAY(
    SELECT CASE WHEN char_length(u.g) = 2 THEN tenant_id::text || ':' || u.g ELSE u.g END
    FROM unnest(grams) WITH ORDINALITY AS u(g, i) ORDER BY u.i)
WHERE EXISTS (SELECT 1 FROM unnest(grams) AS v(g) WHERE char_length(v.g) = 2)
"""

_SQLITE_REWRITE = """
UPDATE customer_search SET grams = (
    SELECT json_group_array(CASE WHEN length(j.value) = 2
                                 THEN tenant_id || ':' || j.value ELSE j.value END)
    FROM (SELECT value FROM json_each(customer_search.grams) ORDER BY key) AS j)
WHERE EXISTS (SELECT 1 FROM json_each(customer_search.grams) WHERE length(value) = 2)
"""

_PG_UNDO = """
UPDATE customer_search SET grams = ARRAY(
    SELECT substr(u.g, strpos(u.g, ':') + 1)
    FROM unnest(grams) WITH ORDINALITY AS u(g, i) ORDER BY u.i)
WHERE cardinality(grams) > 0
"""

_SQLITE_UNDO = """
UPDATE customer_search SET grams = (
    SELECT json_group_array(substr(j.value, instr(j.value, ':') + 1))
    FROM (SELECT value FROM json_each(customer_search.grams) ORDER BY key) AS j)
WHERE json_array_length(grams) > 0
"""

_OLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION baza_customer_search(p_tenant integer, p_like text, "
    "p_gram text) RETURNS TABLE (customer_id integer) LANGUAGE plpgsql STABLE "
    "SECURITY DEFINER SET search_path = public, pg_temp ROWS 100 AS $fn$ BEGIN "
    "IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM "
    "NULLIF(current_setting('app.tenant_id', true), '')::integer THEN RETURN; END IF; "
    "IF p_gram IS NOT NULL THEN RETURN QUERY EXECUTE "
    "'SELECT s.customer_id FROM customer_search s "
    "WHERE s.tenant_id = $1 AND s.grams @> ARRAY[$2]::text[]' USING p_tenant, p_gram; "
    "ELSIF p_like IS NOT NULL THEN RETURN QUERY EXECUTE "
    "'SELECT s.customer_id FROM customer_search s "
    "WHERE s.tenant_id = $1 AND s.doc LIKE $2' USING p_tenant, p_like; "
    "END IF; END $fn$"
)


def _rewrite(sql_pg: str, sql_sqlite: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(sql_sqlite)
        return
    # the owner is subject to the forced tenant policy too: lift it meanwhile; the GIN index
    # is rebuilt after the rewrite (much faster than keeping it up to date row by row)
    op.execute("ALTER TABLE customer_search NO FORCE ROW LEVEL SECURITY")
    op.execute("DROP INDEX IF EXISTS ix_customer_search_grams")
    op.execute(sql_pg)
    op.execute("CREATE INDEX ix_customer_search_grams ON customer_search USING gin (grams)")
    op.execute("ALTER TABLE customer_search FORCE ROW LEVEL SECURITY")
    op.execute("ANALYZE customer_search")


def upgrade():
    _rewrite(_PG_REWRITE, _SQLITE_REWRITE)
    if op.get_bind().dialect.name == "postgresql":
        from saas.customers.search import function_sql

        role = current_app.config.get("DATABASE_APP_ROLE") or "baza_app"
        for statement in function_sql(role):
            op.execute(statement)


def downgrade():
    _rewrite(_PG_UNDO, _SQLITE_UNDO)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_OLD_FUNCTION)
