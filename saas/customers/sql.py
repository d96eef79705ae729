"""Reviewed raw SQL of the customers package: the trigram candidates of the duplicate check.

PostgreSQL only: ``pg_trgm``'s ``%`` operator (similarity above
``pg_trgm.similarity_threshold``) served by the GIN index ``ix_customers_name_key_trgm``
(``gin (name_key gin_trgm_ops)``, revision 0012), ordered by ``similarity`` and bounded by
``LIMIT``. Every value is a bound parameter.

Under row-level security the app role's plan could not use that index: ``%`` is not
LEAKPROOF, so PostgreSQL may not evaluate it inside an index scan before the policy, and the
check read every customer of the tenant (1.9 s at 200,000 customers, docs/PERFORMANCE.md).
The lookup therefore runs in ``baza_duplicate_candidates`` (revision 0025), a SECURITY DEFINER
function owned by the tables' owner, like the quick search's ``baza_customer_search``: it
answers nothing unless the tenant it is given is the session's ``app.tenant_id`` (the same
rule as the policy), reads live customers of that tenant only and returns their ids.
"""

from __future__ import annotations

from sqlalchemy import text

from saas.extensions import db

#: Trigram similarity a candidate needs (0-1). Below what rapidfuzz's threshold could accept,
#: so the index hands over every name worth scoring, and high enough to keep the set small.
TRIGRAM_THRESHOLD = 0.4

_CANDIDATES = text(
    "SELECT customer_id FROM baza_duplicate_candidates(CAST(:tenant_id AS integer), "
    "CAST(:key AS text), CAST(:threshold AS real), CAST(:limit AS integer))"
)


def trigram_candidates(tenant_id: int, key: str, limit: int) -> list[int]:
    """Ids of the tenant's live customers whose ``name_key`` is most like ``key`` (PostgreSQL),
    most similar first."""
    rows = db.session.execute(
        _CANDIDATES,
        {"tenant_id": tenant_id, "key": key, "threshold": TRIGRAM_THRESHOLD, "limit": limit},
    )
    return [row[0] for row in rows]


def candidates_function_sql(role: str) -> list[str]:
    """``baza_duplicate_candidates`` (SECURITY DEFINER, see the module's docstring) and its grant
    to ``role``: revision 0025 runs these as the tables' owner."""
    from saas.tenancy.rls import _ident

    r = _ident(role)
    return [
        "CREATE OR REPLACE FUNCTION baza_duplicate_candidates(p_tenant integer, p_key text, "
        "p_threshold real, p_limit integer) RETURNS TABLE (customer_id integer) "
        "LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 20 "
        "AS $fn$ BEGIN "
        "IF p_tenant IS NULL OR p_key IS NULL OR p_tenant IS DISTINCT FROM "
        "NULLIF(current_setting('app.tenant_id', true), '')::integer THEN RETURN; END IF; "
        "PERFORM set_config('pg_trgm.similarity_threshold', p_threshold::text, true); "
        "RETURN QUERY EXECUTE 'SELECT c.id FROM customers c WHERE c.tenant_id = $1 "
        "AND c.deleted_at IS NULL AND c.name_key % $2 "
        "ORDER BY similarity(c.name_key, $2) DESC, c.id DESC LIMIT $3' "
        "USING p_tenant, p_key, least(greatest(p_limit, 0), 1000); "
        "END $fn$",
        "REVOKE ALL ON FUNCTION baza_duplicate_candidates(integer, text, real, integer) "
        "FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION baza_duplicate_candidates(integer, text, real, integer) TO {r}",
    ]
