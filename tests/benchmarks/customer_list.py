"""Customer lists over HTTP at a million customers, beside the same SQL run raw (issue 7 "Speed").

    python -m tests.benchmarks.customer_list [--customers 1000000] [--tenants 10] [--requests 50]
                                             [--fresh] [--explain]

The database is ``BENCH_DATABASE_URL`` (else ``TEST_DATABASE_URL``, else a SQLite file in a temp
directory, 100,000 customers by default). It is seeded with the ``demo`` command — demo tenant 1
gets ``--customers``, tenants 2..``--tenants`` a few thousand each — which is idempotent, so a
second run reuses the data (``--fresh`` wipes the schema first). The app is then served as
``make run`` serves it (``flask serve``: gunicorn, 2 workers x 4 threads, logging in to
PostgreSQL as the non-owner app role with row-level security on) and each scenario is requested
``--requests`` times (after a warm-up) by a logged-in browser-like client (keep-alive, session
cookie, ``HX-Request`` as the pager sends it). The raw column runs the scenario's SQL with
psycopg (sqlite3) as the same app role, inside a transaction that sets the tenant: the floor.

Scenarios are ``SCENARIOS`` entries (name, who logs in, URL, raw SQL): the search issue adds its
quick/CJK/combined searches, distinct values and the duplicate check there.
``tests/test_benchmark_list.py`` runs a tiny size in the suite so this file cannot rot.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "benchmark password"
PAGE = 50
DEEP_PAGES = 2000
REP_TARGET = 5000


@dataclass
class Scenario:
    name: str
    login: str
    path: str
    #: The SQL the page needs, written as a person would (the floor), with its parameters.
    sql: str
    params: tuple
    #: Text the answer must contain (the first row's No.): proves the page is the right one.
    expect: str = ""


@dataclass
class Result:
    name: str
    app: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)


def p(samples: list[float], q: int) -> float:
    """The q-th percentile in milliseconds."""
    if len(samples) == 1:
        return samples[0] * 1000
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(database_url: str, instance: Path, secret: str, port: int) -> dict[str, str]:
    drop = ("DATABASE_URL", "DATABASE_APP_URL", "DATABASE_MIGRATION_URL", "REDIS_URL", "SMTP_HOST")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DATABASE_URL=database_url,
        BAZA_INSTANCE_DIR=str(instance),
        TENANTS_DIR=str(instance / "tenants"),
        SECRET_KEY=secret,
        PORT=str(port),
    )
    return env


def _flask(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def seed(
    env: dict[str, str],
    customers: int,
    tenants: int,
    echo: Callable[[str], None],
    flask: Callable[..., str] | None = None,
) -> int:
    """Migrate and seed with ``flask demo`` (``flask`` runs a command); demo tenant 1's id."""
    if flask is None:
        _flask(env, "db", "upgrade")

        def flask(*args: str) -> str:
            return _flask(env, *args)

    started = time.monotonic()
    out = flask(
        "demo", "--tenants", "1", "--customers", str(customers), "--password", PASSWORD,
        "--contacts", "2",
    )  # fmt: skip
    echo(
        f"seeded demo tenant 1 with {customers:,} customers in {time.monotonic() - started:,.0f} s"
    )
    if tenants > 1:
        small = max(100, min(5000, customers // 100))
        flask("demo", "--tenants", str(tenants), "--customers", str(small), "--contacts", "2")
        echo(f"tenants 2..{tenants}: {small:,} customers each")
    return int(re.search(r"\(tenant (\d+)\)", out).group(1))  # type: ignore[union-attr]


@contextmanager
def serve(env: dict[str, str], web_workers: int = 2) -> Iterator[str]:
    """``flask serve`` (what ``make run`` starts) until the block ends; its base URL."""
    log = open(Path(env["BAZA_INSTANCE_DIR"]) / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--web-workers",
         str(web_workers)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 240  # a shared, loaded machine boots workers slowly
        while True:
            try:
                conn = http.client.HTTPConnection(base, timeout=60)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("flask serve did not start: see serve.log")
            time.sleep(0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class Browser:
    """One keep-alive connection with a session cookie, as a logged-in browser tab."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.conn = http.client.HTTPConnection(base, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # gunicorn closes a keep-alive connection idle for 2 s: open another (a warm-up
            # request pays for it, never a measured one)
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.base, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        text = resp.read().decode()
        for header in resp.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, text

    def login(self, email: str, password: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
        status, _page = self.request("POST", "/login", body=form)
        if status not in (302, 303):
            raise RuntimeError(f"login of {email} failed ({status})")


class Raw:
    """The floor: the scenario's SQL on a connection of the app's own database login."""

    def __init__(self, app_url: str, tenant_id: int) -> None:
        self.tenant_id = tenant_id
        if app_url.startswith("sqlite"):
            self.conn: object = sqlite3.connect(app_url.split("///", 1)[1])
            self.postgres = False
        else:
            import psycopg

            self.conn = psycopg.connect(app_url.replace("postgresql+psycopg", "postgresql"))
            self.postgres = True

    def run(self, sql: str, params: tuple) -> list:
        if self.postgres:
            with self.conn.transaction(), self.conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(self.tenant_id),))
                cur.execute(sql, params)
                return cur.fetchall()
        return self.conn.execute(sql.replace("%s", "?"), params).fetchall()  # type: ignore[attr-defined]

    def explain(self, sql: str, params: tuple) -> str:
        if self.postgres:
            rows = self.run("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        else:
            rows = self.run("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" | ".join(str(c) for c in r) if len(r) > 1 else str(r[0]) for r in rows)

    def close(self) -> None:
        self.conn.close()  # type: ignore[attr-defined]


#: The lists as a person would write them: newest No. first
#: (what ``customers.service.list_customers`` asks for), one keyset boundary each.
_ALL_SQL = (
    "SELECT * FROM customers WHERE tenant_id = %s AND deleted_at IS NULL{extra} "
    "ORDER BY number DESC LIMIT 51"
)
_MINE_SQL = (
    "SELECT * FROM customers WHERE tenant_id = %s AND deleted_at IS NULL AND owner_id = %s "
    "ORDER BY number DESC LIMIT 51"
)


def scenarios(app, tenant_id: int, raw: Raw) -> list[Scenario]:
    """First page of "All", a page ``DEEP_PAGES`` deep, "My customers" of a rep owning ~5,000."""
    from babel.numbers import format_decimal

    from saas.pagination import make_cursor

    owner = "owner@demo1.example.com"
    numbers = _ALL_SQL.format(extra="").replace("*", "number, id")
    first_no = raw.run(numbers, (tenant_id,))[0][0]
    live = raw.run(
        "SELECT count(*) FROM customers WHERE tenant_id = %s AND deleted_at IS NULL", (tenant_id,)
    )[0][0]
    depth = min(DEEP_PAGES * PAGE, max(0, live - PAGE - 1))
    boundary_no, boundary_id = raw.run(
        numbers.replace("LIMIT 51", "LIMIT 1 OFFSET %s"), (tenant_id, max(0, depth - 1))
    )[0]
    deep_next_no = raw.run(
        numbers.replace(" ORDER", " AND number < %s ORDER"), (tenant_id, boundary_no)
    )[0][0]
    with app.app_context():
        cursor = make_cursor("customers:all:", boundary_no, boundary_id, "next")
    owners = raw.run(
        "SELECT c.owner_id, count(*) FROM customers c JOIN users u ON u.id = c.owner_id "
        "JOIN roles r ON r.id = u.role_id WHERE c.tenant_id = %s AND c.deleted_at IS NULL "
        "AND r.key = 'sales' GROUP BY c.owner_id",
        (tenant_id,),
    )
    rep_id, owned = min(owners, key=lambda row: (abs(row[1] - REP_TARGET), row[0]))
    rep_email = raw.run(
        "SELECT a.email FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = %s",
        (rep_id,),
    )
    rep_first_no = raw.run(_MINE_SQL.replace("*", "number"), (tenant_id, rep_id))[0][0]
    q = urllib.parse.quote

    def no(n: int) -> str:  # as the list shows it to demo tenant 1's users (Chinese)
        return f">{format_decimal(n, locale='zh')}<"

    return [
        Scenario(
            "All, first page", owner, "/customers?view=all",
            _ALL_SQL.format(extra=""), (tenant_id,), no(first_no),
        ),
        Scenario(
            f"All, {depth // PAGE:,} pages deep", owner,
            f"/customers?view=all&cursor={q(cursor)}",
            _ALL_SQL.format(extra=" AND number < %s"), (tenant_id, boundary_no),
            no(deep_next_no),
        ),
        Scenario(
            f"My customers ({owned:,})", rep_email[0][0], "/customers?view=mine",
            _MINE_SQL, (tenant_id, rep_id), no(rep_first_no),
        ),
    ]  # fmt: skip


def measure(
    base: str, raw: Raw, items: list[Scenario], requests: int, password: str = PASSWORD
) -> list[Result]:
    results = []
    browsers: dict[str, Browser] = {}
    for sc in items:
        if sc.login not in browsers:
            browsers[sc.login] = Browser(base)
            browsers[sc.login].login(sc.login, password)
        browser = browsers[sc.login]
        res = Result(sc.name)
        for i in range(requests + 3):  # three warm-ups
            start = time.perf_counter()
            status, body = browser.request("GET", sc.path, headers={"HX-Request": "true"})
            took = time.perf_counter() - start
            if status != 200 or (sc.expect and sc.expect not in body):
                raise RuntimeError(f"{sc.name}: {status}, expected {sc.expect!r} in the answer")
            if i >= 3:
                res.app.append(took)
        for i in range(requests + 3):
            start = time.perf_counter()
            rows = raw.run(sc.sql, sc.params)
            took = time.perf_counter() - start
            assert rows, sc.name
            if i >= 3:
                res.raw.append(took)
        results.append(res)
    return results


def report(results: list[Result], title: str) -> str:
    lines = [title, f"{'scenario':<28} {'app p50':>8} {'app p95':>8} {'raw p50':>8} "
             f"{'raw p95':>8} {'app/raw p95':>11}"]  # fmt: skip
    for r in results:
        lines.append(
            f"{r.name:<28} {p(r.app, 50):>8.1f} {p(r.app, 95):>8.1f} {p(r.raw, 50):>8.2f} "
            f"{p(r.raw, 95):>8.2f} {p(r.app, 95) / p(r.raw, 95):>10.1f}x"
        )
    return "\n".join(lines)


def run(
    *,
    database_url: str,
    customers: int,
    tenants: int = 10,
    requests: int = 50,
    instance: Path | None = None,
    secret: str = "bench",
    explain: bool = False,
    echo: Callable[[str], None] = print,
    app=None,
    flask: Callable[..., str] | None = None,
    web_workers: int = 2,
) -> tuple[list[Result], str]:
    """Seed, serve, measure; the results and the printed table (and plans with ``explain``).

    ``app`` and ``flask`` (runs a ``flask`` command) let the tests use their app and database.
    """
    from saas import create_app
    from saas.config import normalize_db_url, resolve_database

    database_url = normalize_db_url(database_url)
    instance = instance or Path(tempfile.mkdtemp(prefix="baza-bench-list-"))
    env = _env(database_url, instance, secret, _free_port())
    tenant_id = seed(env, customers, tenants, echo, flask)
    own_app = app is None
    if own_app:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret})
    app_url, _owner = resolve_database(app.config)
    raw = Raw(app_url, tenant_id)
    try:
        items = scenarios(app, tenant_id, raw)
        with serve(env, web_workers) as base:
            results = measure(base, raw, items, requests)
        backend = "PostgreSQL" if raw.postgres else "SQLite"
        table = report(
            results,
            f"\nCustomer lists on {backend}: demo tenant 1 of {tenants} with {customers:,} "
            f"customers; {requests} requests each, milliseconds",
        )
        if explain:
            plans = [f"\n-- {sc.name}\n{sc.sql}\n{raw.explain(sc.sql, sc.params)}" for sc in items]
            table += "\n" + "\n".join(plans)
    finally:
        raw.close()
        if own_app:
            with app.app_context():
                from saas.extensions import db

                db.engine.dispose()
    return results, table


def _wipe(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    from saas.config import normalize_db_url

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000 if url else 100_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="wipe the database first")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE) plans")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="baza-bench-list-"))
    url = normalize_db_url(url or f"sqlite:///{instance}/bench.sqlite")
    if args.fresh and url.startswith("postgresql"):
        _wipe(url)
    _results, table = run(
        database_url=url, customers=args.customers, tenants=args.tenants,
        requests=args.requests, instance=instance, explain=args.explain,
        secret=os.environ.get("SECRET_KEY", "bench"),
    )  # fmt: skip
    print(table)


if __name__ == "__main__":
    main()
