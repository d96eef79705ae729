"""The one reviewed module with raw SQL: PostgreSQL row-level security and its plumbing.

Second wall behind the ORM scoping: every tenant table has ``FORCE ROW LEVEL SECURITY`` and a
policy that compares ``tenant_id`` with ``current_setting('app.tenant_id', true)`` — no tenant
set, no rows. ``app.account_id`` (the acting account) and ``app.login_email`` (the email being
looked up at login, reset or signup) are set the same way for the policies of global tables.
The app runs as a role without BYPASSRLS that owns nothing; the settings are per transaction
(``set_config(..., true)``), never per connection, so a pooled connection cannot carry one
request's tenant into the next.
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


def _settings() -> dict[str, str]:
    """The per-transaction settings the policies read, from the app context."""
    from saas.tenancy.context import current_account_id, current_login_email, current_tenant_id

    tid, aid = current_tenant_id(), current_account_id()
    return {
        "app.tenant_id": "" if tid is None else str(tid),
        "app.account_id": "" if aid is None else str(aid),
        "app.login_email": current_login_email() or "",
    }


def _apply(conn: object) -> None:
    for name, value in _settings().items():
        conn.execute(  # type: ignore[attr-defined]
            text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value}
        )


def apply_to_session(session: Session, tenant_id: int | None = None) -> None:
    """Re-apply the tenant/account settings to the session's open transaction (PostgreSQL)."""
    conn = session.connection()
    if _is_pg(conn):
        _apply(conn)


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
    if _is_pg(connection):
        _apply(connection)


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


_ACCOUNT_ID = "NULLIF(current_setting('app.account_id', true), '')::integer"


def membership_policies_sql() -> list[str]:
    """Let an account see its own memberships in every company (revision 0005_memberships).

    One person may belong to several companies: the login chooser and the company switcher list
    the acting account's ``users`` rows and their tenants' names, across tenants. Permissive
    SELECT policies beside the tenant policy: nothing else of another tenant becomes visible.
    """
    own = f"account_id = {_ACCOUNT_ID}"
    return [
        "DROP POLICY IF EXISTS own_memberships ON users",
        f"CREATE POLICY own_memberships ON users FOR SELECT USING ({own})",
        "DROP POLICY IF EXISTS member_tenants ON tenants",
        "CREATE POLICY member_tenants ON tenants FOR SELECT USING (EXISTS ("  # noqa: S608 (constant)
        f"SELECT 1 FROM users u WHERE u.tenant_id = tenants.id AND u.{own}))",
    ]


def membership_policies_undo_sql() -> list[str]:
    """Undo ``membership_policies_sql``."""
    return [
        "DROP POLICY IF EXISTS own_memberships ON users",
        "DROP POLICY IF EXISTS member_tenants ON tenants",
    ]
