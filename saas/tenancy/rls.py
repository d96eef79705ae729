"""The one reviewed module with raw SQL: PostgreSQL row-level security and its plumbing.

Second wall behind the ORM scoping: every tenant table has ``FORCE ROW LEVEL SECURITY`` and a
policy that compares ``tenant_id`` with ``current_setting('app.tenant_id', true)`` — no tenant
set, no rows. The app runs as a role without BYPASSRLS that owns nothing; the tenant is set per
transaction (``set_config(..., true)``), never per connection, so a pooled connection cannot
carry one request's tenant into the next.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

POLICY = "tenant_isolation"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"unsafe SQL identifier: {name!r}")
    return name


def _is_pg(bind: object) -> bool:
    return getattr(getattr(bind, "dialect", None), "name", None) == "postgresql"


def apply_to_session(session: Session, tenant_id: int | None) -> None:
    """Set ``app.tenant_id`` for the session's open transaction (PostgreSQL only)."""
    conn = session.connection()
    if _is_pg(conn):
        conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"),
            {"t": "" if tenant_id is None else str(tenant_id)},
        )


def install(engine: Engine, app_role: str | None) -> None:
    """Make ``engine``'s connections run as ``app_role`` and carry the tenant per transaction."""
    if not _is_pg(engine):
        return
    if app_role:
        role = _ident(app_role)

        @event.listens_for(engine, "connect")
        def _set_role(dbapi_conn: object, record: object) -> None:
            cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cur.execute(f"SET ROLE {role}")
            cur.close()
            dbapi_conn.commit()  # type: ignore[attr-defined]


def _after_begin(session: Session, transaction: object, connection: object) -> None:
    if not _is_pg(connection):
        return
    from saas.tenancy.context import current_tenant_id

    tid = current_tenant_id()
    connection.execute(  # type: ignore[attr-defined]
        text("SELECT set_config('app.tenant_id', :t, true)"),
        {"t": "" if tid is None else str(tid)},
    )


event.listen(Session, "after_begin", _after_begin)


# --- used by migrations (run as the tables' owner) -------------------------------------------


def enable_sql(table: str) -> list[str]:
    """Statements that put ``table`` behind the fail-closed tenant policy."""
    t = _ident(table)
    cond = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {t}",
        f"CREATE POLICY {POLICY} ON {t} USING ({cond}) WITH CHECK ({cond})",
    ]


def app_role_sql(role: str) -> list[str]:
    """Statements that create the app's role (if missing) and grant it data access only."""
    r = _ident(role)
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN "  # noqa: S608 (identifier checked)
        f"CREATE ROLE {r} NOLOGIN NOBYPASSRLS; END IF; END $$",
        f"GRANT {r} TO CURRENT_USER",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
        f"ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


def unscoped_count(connection: object, table: str) -> int:
    """Count rows of ``table`` with whatever tenant the connection has (tests and health only)."""
    sql = text(f"SELECT count(*) FROM {_ident(table)}")  # noqa: S608 (identifier checked)
    return connection.execute(sql).scalar_one()  # type: ignore[attr-defined]
