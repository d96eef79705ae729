"""Reviewed raw SQL of the customers package: the trigram candidates of the duplicate check.

PostgreSQL only: ``pg_trgm``'s ``%`` operator (similarity above
``pg_trgm.similarity_threshold``) served by the GIN index ``ix_customers_name_key_trgm``
(``gin (name_key gin_trgm_ops)``, revision 0012), ordered by ``similarity`` and bounded by
``LIMIT``. Every value is a bound parameter; the tenant is named explicitly on top of the
row-level security policy.
"""

from __future__ import annotations

from sqlalchemy import text

from saas.extensions import db

#: Trigram similarity a candidate needs (0-1). Below what rapidfuzz's threshold could accept,
#: so the index hands over every name worth scoring, and high enough to keep the set small.
TRIGRAM_THRESHOLD = 0.4

_CANDIDATES = text(
    "SELECT id FROM customers "
    "WHERE tenant_id = :tenant_id AND deleted_at IS NULL AND name_key % :key "
    "ORDER BY similarity(name_key, :key) DESC, id DESC "
    "LIMIT :limit"
)


def trigram_candidates(tenant_id: int, key: str, limit: int) -> list[int]:
    """Ids of the tenant's live customers whose ``name_key`` is most like ``key`` (PostgreSQL)."""
    db.session.execute(
        text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
        {"t": str(TRIGRAM_THRESHOLD)},
    )
    rows = db.session.execute(_CANDIDATES, {"tenant_id": tenant_id, "key": key, "limit": limit})
    return [row[0] for row in rows]
