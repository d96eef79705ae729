"""Isolation by construction: the schema rules, automatic scoping, the RLS wall, raw SQL."""

import ast
import pathlib

import pytest
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint, select, text

from saas.auth.models import Role, User
from saas.errors import CrossTenantWrite, TenantContextMissing
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from saas.tenancy.models import TenantScoped
from tests.conftest import is_postgres, make_company

#: Tables without tenant_id, on purpose (docs/ARCHITECTURE.md lists them).
GLOBAL_TABLES = {"plans", "tenants", "accounts", "alembic_version"}
ROOT = pathlib.Path(__file__).resolve().parent.parent


def tenant_tables():
    return [t for t in db.metadata.sorted_tables if t.name not in GLOBAL_TABLES]


def test_every_tenant_table_follows_the_rules(app):
    problems = []
    for table in tenant_tables():
        cols = table.c
        if "tenant_id" not in cols:
            problems.append(f"{table.name}: no tenant_id")
            continue
        if [c.name for c in table.primary_key.columns] != ["id"]:
            problems.append(f"{table.name}: primary key is not the single id")
        uniques = [
            [c.name for c in con.columns]
            for con in table.constraints
            if isinstance(con, UniqueConstraint)
        ] + [[c.name for c in ix.columns] for ix in table.indexes if ix.unique]
        if ["tenant_id", "id"] not in uniques:
            problems.append(f"{table.name}: no UNIQUE(tenant_id, id)")
        for cols_ in uniques:
            if cols_[0] != "tenant_id":
                problems.append(f"{table.name}: unique {cols_} does not start with tenant_id")
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            target = fk.referred_table.name
            local = [c.name for c in fk.columns]
            if target in GLOBAL_TABLES:
                continue
            remote = [e.column.name for e in fk.elements]
            if local[0] != "tenant_id" or remote[0] != "tenant_id" or len(local) != 2:
                problems.append(
                    f"{table.name}: FK {local} → {target}{remote} is not (tenant_id, x_id)"
                )
    assert problems == []


def test_every_tenant_model_uses_the_mixin(app):
    mapped = {
        m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)
    }
    assert {t.name for t in tenant_tables()} == mapped


def test_schema_refuses_a_row_pointing_into_another_tenant(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    from sqlalchemy.exc import IntegrityError

    with app.test_request_context(), tenant_context(a.tenant_id):
        b_owner_role = None
        with tenant_context(b.tenant_id):
            b_owner_role = db.session.scalar(select(Role.id).where(Role.key == "owner"))
        user = db.session.get(User, a.owner.id)
        user.role_id = b_owner_role  # a role id of tenant B
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_queries_are_scoped_to_the_current_tenant(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context():
        with tenant_context(a.tenant_id):
            assert {u.id for u in db.session.scalars(select(User))} == {a.owner.id}
            assert db.session.get(User, b.owner.id) is None
            # relationship loads and joins are scoped too
            assert all(
                r.tenant_id == a.tenant_id
                for r in db.session.scalars(select(Role).join(User, User.role_id == Role.id))
            )
        with tenant_context(b.tenant_id):
            assert {u.id for u in db.session.scalars(select(User))} == {b.owner.id}


def test_bulk_update_is_scoped(app):
    from sqlalchemy import update

    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context():
        with tenant_context(a.tenant_id):
            db.session.execute(update(User).values(name="renamed"))
            db.session.commit()
        with tenant_context(b.tenant_id):
            assert db.session.get(User, b.owner.id).name == "Bolt Owner"


def test_no_tenant_in_context_fails_loudly(app):
    make_company(app, "Acme")
    with app.test_request_context():
        enter_tenant(None)
        with pytest.raises(TenantContextMissing):
            db.session.scalars(select(User)).all()
        with pytest.raises(TenantContextMissing):
            db.session.add(Role(name="x", permissions=[]))
            db.session.flush()
        db.session.rollback()


def test_a_job_without_tenant_fails_loudly(app):
    from saas.mail.service import send_message

    with app.app_context(), pytest.raises(TenantContextMissing):
        send_message(1)


def test_writing_another_tenants_row_is_refused(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context(), tenant_context(a.tenant_id):
        db.session.add(Role(tenant_id=b.tenant_id, name="sneaky", permissions=[]))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


@pytest.mark.skipif(not is_postgres(), reason="row-level security exists on PostgreSQL only")
def test_rls_returns_nothing_without_a_tenant(app):
    a = make_company(app, "Acme")
    with app.app_context():
        enter_tenant(None)
        with db.engine.connect() as conn:  # the app's own connection: runs as the app role
            assert (
                conn.execute(text("SELECT current_user")).scalar()
                == app.config["DATABASE_APP_ROLE"]
            )
            for table in tenant_tables():
                assert conn.execute(text(f"SELECT count(*) FROM {table.name}")).scalar() == 0, (
                    table.name
                )
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a.tenant_id)}
            )
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
            conn.rollback()
            # the setting was transaction-local: the next transaction sees nothing again
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0


@pytest.mark.skipif(not is_postgres(), reason="row-level security exists on PostgreSQL only")
def test_rls_is_forced_on_every_tenant_table_and_the_app_role_cannot_bypass(app, owner_engine):
    with owner_engine.connect() as conn:
        rows = dict(
            conn.execute(
                text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity "
                    "FROM pg_class WHERE relkind = 'r'"
                )
            ).all()
        )
        role = conn.execute(
            text("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = :r"),
            {"r": app.config["DATABASE_APP_ROLE"]},
        ).one()
    assert role == (False, False)
    for table in tenant_tables():
        assert rows.get(table.name) is True, table.name


@pytest.mark.skipif(not is_postgres(), reason="row-level security exists on PostgreSQL only")
def test_rls_refuses_inserting_into_another_tenant(app):
    from sqlalchemy.exc import ProgrammingError

    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a.tenant_id)})
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(
                text("INSERT INTO roles (tenant_id, name, permissions) VALUES (:t, 'x', '[]')"),
                {"t": b.tenant_id},
            )


#: The reviewed raw-SQL modules, each with the reason it needs SQL the ORM cannot write.
#: Adding one is a reviewed change (see docs/ARCHITECTURE.md "Raw SQL"): values only as bound
#: parameters, identifiers only through ``rls._ident``, the tenant filter written out and a test
#: that runs the query as another tenant. Search (FTS5, pg_trgm) goes in ``saas/<feature>/sql.py``.
ALLOWED_RAW_SQL: dict[str, str] = {
    "saas/tenancy/rls.py": "row-level security DDL, roles and per-transaction set_config",
    "saas/customers/sql.py": "pg_trgm similarity operator for duplicate-check candidates",
    "saas/demo/sql.py": "demo data bulk-loaded as the owner (COPY), bypassing ORM hooks on purpose",
}


def _raw_sql_calls(path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("text", "exec_driver_sql"):
                sql = (
                    ast.literal_eval(node.args[0])
                    if node.args and isinstance(node.args[0], ast.Constant)
                    else None
                )
                if sql is None or sql.strip().upper() != "SELECT 1":
                    lines.append(node.lineno)
    return lines


def test_raw_sql_only_in_the_reviewed_modules():
    """``text()``/``exec_driver_sql`` live only in the modules of ``ALLOWED_RAW_SQL``."""
    offenders = []
    for path in sorted((ROOT / "saas").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel not in ALLOWED_RAW_SQL:
            offenders += [f"{rel}:{line}" for line in _raw_sql_calls(path)]
    assert offenders == []


def test_every_reviewed_sql_module_exists_has_a_reason_and_still_needs_raw_sql():
    for rel, reason in ALLOWED_RAW_SQL.items():
        assert len(reason.split()) >= 3, f"{rel}: say why it needs raw SQL"
        assert _raw_sql_calls(ROOT / rel), f"{rel} has no raw SQL left: remove its entry"
