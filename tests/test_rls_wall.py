"""The second wall under attack: what injected SQL could do as the app's own database login.

Issue 5, finding 7: the app logged in as the tables' owner and only ``SET ROLE``d, so
``RESET ROLE`` climbed out; with no tenant set, the app role read every account's email and
password hash, updated plan limits, read another tenant's name and ``alembic_version``, and
could re-point ``users.account_id`` at another tenant's account. Each attack below runs raw SQL
on the app's engine, exactly as injected SQL would, and must be refused.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from saas import create_app
from saas.extensions import db
from saas.tenancy import rls
from tests.conftest import TEST_DB, add_member, as_owner, is_postgres, make_company

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="row-level security and roles exist on PostgreSQL only (CI runs it)"
)


def _tenant(tid: int | None = None, account: int | None = None, email: str | None = None):
    """SQL setting the per-transaction values the policies read (what rls.py does)."""
    values = {"tenant_id": tid, "account_id": account, "login_email": email}
    return [
        text(f"SELECT set_config('app.{k}', :v, true)").bindparams(v="" if v is None else str(v))
        for k, v in values.items()
    ]


def _as_app(app, *statements, tenant: int | None = None, account: int | None = None):
    """Run ``statements`` in one transaction on the app's engine; return the last result rows."""
    with app.app_context(), db.engine.connect() as conn, conn.begin():
        for stmt in _tenant(tenant, account):
            conn.execute(stmt)
        result = None
        for stmt in statements:
            result = conn.execute(text(stmt) if isinstance(stmt, str) else stmt)
        return result.all() if result is not None and result.returns_rows else result


def _refused(app, *statements, tenant: int | None = None) -> None:
    with pytest.raises(DBAPIError) as exc:
        _as_app(app, *statements, tenant=tenant)
    # 42501 insufficient_privilege: a missing grant, a row-security check, the membership guard
    assert exc.value.orig.sqlstate == "42501", exc.value


@pytest.fixture
def two(app):
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta")
    with as_owner() as conn:
        ids = dict(conn.execute(text("SELECT email, id FROM accounts")).all())
    return a, b, ids


def test_the_app_logs_in_as_a_role_that_owns_nothing_and_cannot_bypass(app):
    (who,) = _as_app(
        app,
        "SELECT session_user, r.rolsuper, r.rolbypassrls, "
        "(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) "
        "FROM pg_roles r WHERE r.rolname = session_user",
    )
    assert who == (app.config["DATABASE_APP_ROLE"], False, False, 0)


def test_reset_role_climbs_nowhere(app, two):
    a, _b, _ids = two
    rows = _as_app(
        app, "RESET ROLE", "SELECT current_user, count(*) FROM users", tenant=a.tenant_id
    )
    assert rows == [(app.config["DATABASE_APP_ROLE"], 1)]  # still the app role, own tenant only
    assert _as_app(app, "RESET ROLE", "SELECT name FROM users") == []
    _refused(app, "RESET ROLE", "SELECT * FROM alembic_version")


def test_accounts_emails_and_hashes_are_not_readable_without_a_login(app, two):
    a, _b, _ids = two
    assert _as_app(app, "SELECT email, password_hash FROM accounts") == []
    # in a tenant: only its own members
    assert _as_app(app, "SELECT email FROM accounts", tenant=a.tenant_id) == [(a.owner.email,)]


def test_plans_are_read_only(app, two):
    assert len(_as_app(app, "SELECT code FROM plans")) == 3
    _refused(app, "UPDATE plans SET max_users = NULL")
    _refused(
        app,
        "INSERT INTO plans (code, name, price_monthly, currency, position) "
        "VALUES ('x', 'X', 0, 'EUR', 9)",
    )
    _refused(app, "DELETE FROM plans")
    with as_owner() as conn:
        assert conn.scalar(text("SELECT max_users FROM plans WHERE code = 'free'")) == 2


def test_another_tenants_row_is_invisible_and_untouchable(app, two):
    a, b, _ids = two
    assert _as_app(app, "SELECT name FROM tenants") == []
    assert _as_app(app, "SELECT name FROM tenants", tenant=a.tenant_id) == [("Alpha",)]
    gone = _as_app(
        app,
        text("UPDATE tenants SET name = 'pwned' WHERE id = :b").bindparams(b=b.tenant_id),
        tenant=a.tenant_id,
    )
    assert gone.rowcount == 0
    _refused(
        app, text("DELETE FROM tenants WHERE id = :a").bindparams(a=a.tenant_id), tenant=a.tenant_id
    )
    _refused(
        app,
        "INSERT INTO tenants (name, plan_id, created_at, default_currency, timezone, seat_lock) "
        "SELECT 'Fake', id, now(), 'EUR', 'UTC', 0 FROM plans LIMIT 1",
        tenant=a.tenant_id,
    )
    with as_owner() as conn:
        assert conn.scalar(text("SELECT name FROM tenants WHERE id = :b"), {"b": b.tenant_id}) == (
            "Beta"
        )


def test_alembic_version_is_not_granted(app):
    _refused(app, "SELECT * FROM alembic_version")
    _refused(app, "UPDATE alembic_version SET version_num = 'x'")


def test_a_membership_cannot_be_repointed_to_another_tenants_account(app, two):
    a, b, ids = two
    b_owner = ids[b.owner.email]
    # re-point A's owner row at B's owner: B's email and hash would become visible in A
    _refused(
        app,
        text("UPDATE users SET account_id = :acc WHERE id = :u").bindparams(
            acc=b_owner, u=a.owner.id
        ),
        tenant=a.tenant_id,
    )
    # nor a new membership in A for B's account
    _refused(
        app,
        text(
            "INSERT INTO users (account_id, name, role_id, is_active, language, calendar, "
            "created_at, tenant_id) SELECT :acc, 'x', id, true, 'en', 'gregorian', now(), :t "
            "FROM roles WHERE key = 'sales'"
        ).bindparams(acc=b_owner, t=a.tenant_id),
        tenant=a.tenant_id,
    )
    assert _as_app(app, "SELECT email FROM accounts", tenant=a.tenant_id) == [(a.owner.email,)]


def test_accounts_are_visible_for_the_login_email_and_the_acting_account_only(app, two):
    a, b, ids = two
    with app.app_context(), db.engine.connect() as conn, conn.begin():
        for stmt in _tenant(email=b.owner.email):
            conn.execute(stmt)
        assert conn.execute(text("SELECT email FROM accounts")).all() == [(b.owner.email,)]
    with app.app_context(), db.engine.connect() as conn, conn.begin():
        for stmt in _tenant(account=ids[a.owner.email]):
            conn.execute(stmt)
        assert conn.execute(text("SELECT email FROM accounts")).all() == [(a.owner.email,)]
        # and only the acting account may change its row
        changed = conn.execute(
            text("UPDATE accounts SET password_hash = 'x' WHERE id = :b"),
            {"b": ids[b.owner.email]},
        )
        assert changed.rowcount == 0


def test_members_of_the_current_tenant_are_visible(app, two):
    a, _b, _ids = two
    sales = add_member(app, a, "sales")
    rows = _as_app(app, "SELECT email FROM accounts ORDER BY email", tenant=a.tenant_id)
    assert rows == sorted([(a.owner.email,), (sales.email,)])


def test_sweeps_list_tenants_through_the_definer_function(app, two):
    a, b, _ids = two
    with app.app_context():
        assert rls.tenant_ids(db.session) == sorted([a.tenant_id, b.tenant_id])
    # the function is the only way: granted to the app role, not to PUBLIC
    with as_owner() as conn:
        granted = conn.scalar(
            text("SELECT has_function_privilege('public', 'baza_tenant_ids()', 'EXECUTE')")
        )
    assert granted is False


def test_the_app_refuses_to_run_as_the_owner(app):
    """Pointing the app's login at the owner (here a superuser) fails at the first connection."""
    owner_app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": TEST_DB,
            "DATABASE_APP_URL": TEST_DB,
            "REDIS_URL": app.config["REDIS_URL"] or "redis://127.0.0.1:1/0",
        }
    )
    with owner_app.app_context():
        with pytest.raises(rls.UnsafeDatabaseLogin, match="superuser"), db.engine.connect():
            pass
        db.engine.dispose()


def test_the_app_refuses_a_role_that_owns_a_table(app):
    role = f"baza_test_owner_{os.getpid()}"  # roles are server-wide: one per test run
    owner = create_engine(TEST_DB)
    try:
        with owner.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOBYPASSRLS"))
            conn.execute(text("CREATE TABLE owned_by_test_role (id int)"))
            conn.execute(text(f"ALTER TABLE owned_by_test_role OWNER TO {role}"))
        url = owner.url.set(username=role, password="x")
        probe = create_engine(url)
        event.listen(probe, "connect", lambda c, r: rls.check_login(c))
        with pytest.raises(rls.UnsafeDatabaseLogin, match="owner"), probe.connect():
            pass
        probe.dispose()
    finally:
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS owned_by_test_role"))
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


def test_the_migration_stores_the_password_the_app_logs_in_with(app):
    """The server's SCRAM verifier matches the app URL's password (this machine trusts local
    logins, so a wrong password would go unnoticed by the other tests)."""
    import base64
    import hashlib
    import hmac

    password = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).password
    with as_owner() as conn:
        stored = conn.scalar(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
            {"r": app.config["DATABASE_APP_ROLE"]},
        )
    if stored.startswith("md5"):  # password_encryption = md5 on older set-ups
        role = app.config["DATABASE_APP_ROLE"]
        assert stored == "md5" + hashlib.md5((password + role).encode()).hexdigest()
        return
    method, rest = stored.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iter_salt, keys = rest.split("$")
    iterations, salt = iter_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    assert base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
