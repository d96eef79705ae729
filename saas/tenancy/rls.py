"""The one reviewed module with raw SQL: PostgreSQL row-level security and its plumbing.

Second wall behind the ORM scoping: every tenant table has ``FORCE ROW LEVEL SECURITY`` and a
policy that compares ``tenant_id`` with ``current_setting('app.tenant_id', true)`` — no tenant
set, no rows. ``app.account_id`` (the acting account) and ``app.login_email`` (the email being
looked up at login, reset or signup) are set the same way for the policies of global tables.
The app logs in as its own role: not superuser, no BYPASSRLS, owning nothing (``install``
refuses any other login). The settings are per transaction (``set_config(..., true)``), never
per connection, so a pooled connection cannot carry one request's tenant into the next.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, event, select, text
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


#: The three settings in one statement: one round trip per transaction, not three.
_APPLY = text(
    "SELECT set_config('app.tenant_id', :tenant_id, true), "
    "set_config('app.account_id', :account_id, true), "
    "set_config('app.login_email', :login_email, true)"
)


def _apply(conn: object) -> None:
    settings = _settings()
    conn.execute(  # type: ignore[attr-defined]
        _APPLY,
        {
            "tenant_id": settings["app.tenant_id"],
            "account_id": settings["app.account_id"],
            "login_email": settings["app.login_email"],
        },
    )


def apply_to_session(session: Session, tenant_id: int | None = None) -> None:
    """Re-apply the tenant/account settings to the session's open transaction (PostgreSQL)."""
    conn = session.connection()
    if _is_pg(conn):
        _apply(conn)


class UnsafeDatabaseLogin(RuntimeError):
    """The app's database login could climb the wall (superuser, BYPASSRLS or an owner)."""


_LOGIN_CHECK = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls,
       EXISTS (SELECT 1 FROM pg_class c
               WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace)
FROM pg_roles r WHERE r.rolname = session_user
"""


def check_login(dbapi_conn: object) -> None:
    """Raise ``UnsafeDatabaseLogin`` unless the connection's login is bound by row security."""
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    try:
        cur.execute(_LOGIN_CHECK)
        name, superuser, bypass, owns = cur.fetchone()
    finally:
        cur.close()
        dbapi_conn.commit()  # type: ignore[attr-defined]
    reasons = [
        why
        for why, bad in (("superuser", superuser), ("BYPASSRLS", bypass), ("owner", owns))
        if bad
    ]
    if reasons:
        raise UnsafeDatabaseLogin(
            f"the app must not log in to PostgreSQL as {name!r} ({', '.join(reasons)}): "
            "set DATABASE_URL to the tables' owner and let the app derive its own login, "
            "or set DATABASE_APP_URL to a role without those rights (see README)"
        )


def install(engine: Engine) -> None:
    """Refuse every PostgreSQL connection whose login is not bound by row security.

    The app logs in as its own role (``config.resolve_database``); it never ``SET ROLE``s down
    from a stronger login, so injected SQL has nothing to ``RESET ROLE`` back to.
    """
    if not _is_pg(engine):
        return

    @event.listens_for(engine, "connect")
    def _check(dbapi_conn: object, record: object) -> None:
        check_login(dbapi_conn)


def tenant_ids(session: Session) -> list[int]:
    """Every tenant's id, for sweeps over all tenants (the app role cannot list ``tenants``)."""
    if _is_pg(session.connection()):
        return list(session.scalars(text("SELECT baza_tenant_ids()")))
    from saas.tenancy.models import Tenant

    return list(session.scalars(select(Tenant.id).order_by(Tenant.id)))


def reserve_id(session: Session, table: str) -> int | None:
    """The next id of ``table`` taken from its sequence (PostgreSQL), else None.

    Signup needs the new tenant's id before the insert: the row must belong to the tenant in
    context to be inserted and read back (``RETURNING``) under the ``tenants`` policies.
    """
    if not _is_pg(session.connection()):
        return None
    seq = f"{_ident(table)}_id_seq"
    return session.scalar(text("SELECT nextval(CAST(:s AS regclass))"), {"s": seq})


def can_login(connection: object, role: str) -> bool:
    """True if ``role`` exists and may log in."""
    sql = text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r")
    return bool(connection.execute(sql, {"r": role}).scalar())  # type: ignore[attr-defined]


def set_login(connection: object, role: str, password: str | None) -> None:
    """Let ``role`` log in (with ``password`` if given); the server quotes both."""
    fmt = "ALTER ROLE %I WITH LOGIN PASSWORD %L" if password else "ALTER ROLE %I WITH LOGIN"
    sql = connection.execute(  # type: ignore[attr-defined]
        text("SELECT format(CAST(:f AS text), CAST(:r AS text), CAST(:p AS text))"),
        {"f": fmt, "r": _ident(role), "p": password or ""},
    ).scalar_one()
    connection.execute(text(sql))  # type: ignore[attr-defined]


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
    """Let an account see its own memberships in every company (revision 0007_memberships).

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


_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
_ACCOUNT = "NULLIF(current_setting('app.account_id', true), '')::integer"
_EMAIL = "NULLIF(current_setting('app.login_email', true), '')"


def global_tables_sql(role: str) -> list[str]:
    """The app role's narrowest rights on the global tables (revision 0005_rls_wall).

    ``plans`` read-only; ``alembic_version`` not at all; ``tenants``: its own row (insert only
    the id reserved for it at signup); ``accounts``: the email being logged in, the acting
    account, the current tenant's members; a ``users`` row is created only for the acting
    account and never re-pointed. ``baza_tenant_ids()`` lists tenants for sweeps. ``tenants``
    and ``accounts`` ENABLE (not FORCE) row security: the owner, who runs migrations and
    ``baza_tenant_ids()``, sees every row.
    """
    r = _ident(role)
    member = (
        "EXISTS (SELECT 1 FROM users u WHERE u.account_id = accounts.id "  # noqa: S608 (constant)
        f"AND u.tenant_id = {_TENANT})"
    )
    return [
        f"REVOKE ALL ON alembic_version FROM {r}",
        f"REVOKE ALL ON plans FROM {r}",
        f"GRANT SELECT ON plans TO {r}",
        f"REVOKE ALL ON tenants FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE ON tenants TO {r}",
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_self_read ON tenants FOR SELECT USING (id = {_TENANT})",
        f"CREATE POLICY tenant_self_update ON tenants FOR UPDATE USING (id = {_TENANT}) "
        f"WITH CHECK (id = {_TENANT})",
        f"CREATE POLICY tenant_signup ON tenants FOR INSERT WITH CHECK (id = {_TENANT})",
        "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY account_read ON accounts FOR SELECT "
        f"USING (email = {_EMAIL} OR id = {_ACCOUNT} OR {member})",
        f"CREATE POLICY account_signup ON accounts FOR INSERT WITH CHECK (email = {_EMAIL})",
        f"CREATE POLICY account_self_update ON accounts FOR UPDATE USING (id = {_ACCOUNT}) "
        f"WITH CHECK (id = {_ACCOUNT})",
        f"CREATE POLICY account_self_delete ON accounts FOR DELETE USING (id = {_ACCOUNT})",
        # The owner (and a superuser) pass: data migrations may move memberships.
        "CREATE OR REPLACE FUNCTION baza_users_account_guard() RETURNS trigger "  # noqa: S608
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), "
        "'USAGE') THEN RETURN NEW; END IF; "
        "IF TG_OP = 'UPDATE' AND NEW.account_id = OLD.account_id THEN RETURN NEW; END IF; "
        f"IF TG_OP = 'INSERT' AND NEW.account_id = {_ACCOUNT} THEN RETURN NEW; END IF; "
        "RAISE EXCEPTION 'a membership belongs to the account that created it' "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        "CREATE TRIGGER users_account_guard BEFORE INSERT OR UPDATE OF account_id ON users "
        "FOR EACH ROW EXECUTE FUNCTION baza_users_account_guard()",
        "CREATE OR REPLACE FUNCTION baza_tenant_ids() RETURNS SETOF integer LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = public, pg_temp "
        "AS $$ SELECT id FROM tenants ORDER BY id $$",
        "REVOKE ALL ON FUNCTION baza_tenant_ids() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION baza_tenant_ids() TO {r}",
    ]


def global_tables_undo_sql(role: str) -> list[str]:
    """Undo ``global_tables_sql``: the rights revision 0001 gave (DML on every table)."""
    r = _ident(role)
    return [
        "DROP FUNCTION IF EXISTS baza_tenant_ids()",
        "DROP TRIGGER IF EXISTS users_account_guard ON users",
        "DROP FUNCTION IF EXISTS baza_users_account_guard()",
        *(
            f"DROP POLICY IF EXISTS {p} ON accounts"
            for p in (
                "account_read",
                "account_signup",
                "account_self_update",
                "account_self_delete",
            )
        ),
        "ALTER TABLE accounts DISABLE ROW LEVEL SECURITY",
        *(
            f"DROP POLICY IF EXISTS {p} ON tenants"
            for p in ("tenant_self_read", "tenant_self_update", "tenant_signup")
        ),
        "ALTER TABLE tenants DISABLE ROW LEVEL SECURITY",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON plans, tenants, alembic_version TO {r}",
    ]
