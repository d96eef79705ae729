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
cookie, ``HX-Request`` and ``HX-Target`` as the page sends them: the pager's page turn asks for
the rows alone; a bearer token for the API).

The raw column is the floor: the SQL the app itself ran for that request (captured in-process
from one request of the same user, every SELECT of it: session, page, owners, choices …),
replayed with psycopg (sqlite3) as the same app role in one transaction that sets the tenant.
app/raw is then what the app adds to its own SQL: Python, templates, HTTP; the last column
says it in milliseconds (app p50 - raw p50).

Scenarios (``scenarios``): "All" first page, 2,000 pages deep by cursor, quick searches (a name
prefix, a contact's name, a phone typed without its spaces), a 2-character Chinese search, a
combined query of 3 conditions with an OR group (``query=``), a column's distinct values
(``GET /api/v1/customers/values``), the duplicate check (``GET /api/v1/duplicates``) and "My
customers" of a rep owning ~5,000. Each is probed in-process first: one whose endpoint or
feature is missing (404, or the answer lacks the customer it must find) is skipped with the
reason, never measured wrongly. ``tests/test_benchmark_list.py`` runs a tiny size in the suite
so this file cannot rot.
"""

from __future__ import annotations

import argparse
import http.client
import json
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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "benchmark password"
PAGE = 50
DEEP_PAGES = 2000
REP_TARGET = 5000
#: Customers a quick search should match (issue 7: ~100).
SEARCH_TARGET = 100


@dataclass
class Scenario:
    name: str
    login: str
    path: str
    #: Text the answer must contain (a customer's No., a name …): proves it is the right one.
    expect: str = ""
    #: A JSON API call (bearer token) rather than an htmx fragment (session cookie).
    api: bool = False
    #: The element the htmx request targets (``HX-Target``) as the page sends it: the pager
    #: asks for ``customer-rows`` (a page turn), a tab or a search for ``customers``.
    target: str = "customers"
    #: Why it is not measured (its endpoint or feature is not there); set by ``probe``.
    skip: str = ""
    #: The app's SELECTs for one request, ``(statement, parameters)``: the raw floor.
    sql: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Result:
    name: str
    app: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    skip: str = ""
    #: The slowest of the scenario's statements (the one EXPLAINed).
    main: tuple[str, Any] | None = None


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
    from saas.cli import die_with_parent

    log = open(Path(env["BAZA_INSTANCE_DIR"]) / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--web-workers",
         str(web_workers)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent(),  # a benchmark killed outright stops serve all the same
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
            proc.kill()  # its children get SIGTERM from the kernel (saas.cli.die_with_parent)
            proc.wait()
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

    def token(self, email: str, password: str) -> str:
        """A bearer token of ``email`` from ``POST /api/v1/auth/token``."""
        self.conn.request(
            "POST", "/api/v1/auth/token",
            body=json.dumps({"email": email, "password": password}),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        resp = self.conn.getresponse()
        body = resp.read().decode()
        if resp.status != 201:
            raise RuntimeError(f"token of {email} failed ({resp.status}): {body[:200]}")
        return json.loads(body)["token"]

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
            from saas.customers.folding import register_sqlite

            self.conn: object = sqlite3.connect(app_url.split("///", 1)[1])
            register_sqlite(self.conn)  # what the app's engine adds to each connection
            self.postgres = False
        else:
            import psycopg

            from saas.database import PG_OPTIONS

            # the app's connection settings: the floor is the same SQL planned the same way
            self.conn = psycopg.connect(
                app_url.replace("postgresql+psycopg", "postgresql"), options=PG_OPTIONS
            )
            self.postgres = True

    def run(self, sql: str, params: tuple) -> list:
        if self.postgres:
            with self.conn.transaction(), self.conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(self.tenant_id),))
                cur.execute(sql, params)
                return cur.fetchall()
        return self.conn.execute(sql.replace("%s", "?"), params).fetchall()  # type: ignore[attr-defined]

    def replay(self, statements: list[tuple[str, Any]], times: list[float] | None = None) -> int:
        """Run the captured ``statements`` in one transaction inside the tenant; rows read.
        ``times`` (one slot per statement) accumulates each statement's seconds."""
        rows = 0
        if self.postgres:
            with self.conn.transaction(), self.conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(self.tenant_id),))
                for i, (sql, params) in enumerate(statements):
                    start = time.perf_counter()
                    cur.execute(sql, params)
                    rows += len(cur.fetchall())
                    if times is not None:
                        times[i] += time.perf_counter() - start
            return rows
        for i, (sql, params) in enumerate(statements):
            start = time.perf_counter()
            rows += len(self.conn.execute(sql, params).fetchall())  # type: ignore[attr-defined]
            if times is not None:
                times[i] += time.perf_counter() - start
        return rows

    def explain(self, sql: str, params: Any) -> str:
        if self.postgres:
            with self.conn.transaction(), self.conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(self.tenant_id),))
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                rows = cur.fetchall()
        else:
            rows = self.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()  # type: ignore[attr-defined]
        return "\n".join(" | ".join(str(c) for c in r) if len(r) > 1 else str(r[0]) for r in rows)

    def close(self) -> None:
        self.conn.close()  # type: ignore[attr-defined]


_LIVE = "tenant_id = %s AND deleted_at IS NULL"


def _closest(candidates: list[tuple[str, int]], target: int) -> tuple[str, int] | None:
    return min(candidates, key=lambda c: (abs(c[1] - target), c[0]), default=None)


def scenarios(app, tenant_id: int, raw: Raw) -> list[Scenario]:
    """Every scenario of issue 7's "Speed", with the search terms picked from the data: each
    names a customer its answer must show (the newest one that matches)."""
    from babel.numbers import format_decimal

    from saas.pagination import make_cursor

    owner = "owner@demo1.example.com"
    t = (tenant_id,)
    q = urllib.parse.quote

    def one(sql: str, params: tuple = t) -> Any:
        rows = raw.run(sql, params)
        return rows[0] if rows else None

    def no(n: int) -> str:  # as the list shows it to demo tenant 1's users (Chinese)
        return f">{format_decimal(n, locale='zh')}<"

    numbers = f"SELECT number, id FROM customers WHERE {_LIVE} ORDER BY number DESC"
    first_no = one(numbers + " LIMIT 1")[0]
    live = one(f"SELECT count(*) FROM customers WHERE {_LIVE}")[0]
    depth = min(DEEP_PAGES * PAGE, max(0, live - PAGE - 1))
    boundary_no, boundary_id = one(numbers + " LIMIT 1 OFFSET %s", (tenant_id, max(0, depth - 1)))
    deep_next_no = one(
        numbers.replace(" ORDER", " AND number < %s ORDER") + " LIMIT 1", (tenant_id, boundary_no)
    )[0]
    with app.app_context():
        cursor = make_cursor("customers:all:", boundary_no, boundary_id, "next")
    items = [
        Scenario("All, first page", owner, "/customers?view=all", no(first_no)),
        Scenario(
            f"All, {depth // PAGE:,} pages deep", owner,
            f"/customers?view=all&cursor={q(cursor)}", no(deep_next_no), target="customer-rows",
        ),
    ]  # fmt: skip

    # quick search, a name: the beginning of a recent customer's name (3 characters or more,
    # the substring path a user's typing takes) whose matches are closest to ~100, counted the
    # way the search counts them: documents containing the folded term
    from saas.customers.search import like_pattern
    from saas.customers.search import plan as search_plan

    newest_name = one(f"SELECT name FROM customers WHERE {_LIVE} ORDER BY number DESC LIMIT 1")[0]
    counts = []
    for k in range(3, min(len(newest_name), 12) + 1):
        p = search_plan(newest_name[:k])
        if p is None or p.path != "substring" or p.number is not None:
            continue
        if raw.postgres:
            found = "SELECT count(*) FROM baza_customer_search(%s, %s, NULL)"
            n = one(found, (tenant_id, like_pattern(p.term)))[0]
        else:
            found = "SELECT count(*) FROM customer_search WHERE tenant_id = %s AND instr(doc, %s)"
            n = one(found, (tenant_id, p.term))[0]
        counts.append((newest_name[:k], n))
    term, matches = _closest(counts, SEARCH_TARGET) or (newest_name, 1)
    items.append(
        Scenario(
            f"Search a name ({matches:,})", owner,
            f"/customers?view=all&q={q(term)}", no(first_no),
        )
    )  # fmt: skip

    # quick search, a contact's name matching ~100 customers
    people = raw.run(
        "SELECT name, count(DISTINCT customer_id) FROM contacts WHERE tenant_id = %s "
        "GROUP BY name HAVING count(*) BETWEEN %s AND %s",
        (tenant_id, SEARCH_TARGET // 4, SEARCH_TARGET * 4),
    ) or raw.run(
        "SELECT name, count(DISTINCT customer_id) FROM contacts WHERE tenant_id = %s "
        "GROUP BY name ORDER BY count(*) DESC LIMIT 1",
        t,
    )
    if people:
        person, matches = _closest([(r[0], r[1]) for r in people], SEARCH_TARGET)  # type: ignore[misc]
        newest = one(
            f"SELECT max(c.number) FROM customers c JOIN contacts k ON k.customer_id = c.id "
            f"WHERE c.{_LIVE} AND k.name = %s",
            (tenant_id, person),
        )[0]
        items.append(
            Scenario(
                f"Search a contact ({matches:,})", owner,
                f"/customers?view=all&q={q(person)}", no(newest),
            )
        )  # fmt: skip

    # quick search, a phone typed without its spaces (digits only), of a recent customer
    phone = one(
        f"SELECT p.raw, c.number FROM contact_phones p JOIN customers c ON c.id = p.customer_id "
        f"WHERE c.{_LIVE} ORDER BY c.number DESC LIMIT 1"
    )
    if phone:
        typed = "".join(ch for ch in phone[0] if ch.isdigit() or ch == "+")
        items.append(
            Scenario("Search a phone", owner, f"/customers?view=all&q={q(typed)}", no(phone[1]))
        )

    # two Chinese characters: 华信 (issue 7's example) if the data has it, else another pair
    bigram = "华信"
    hit = one(
        f"SELECT max(number), count(*) FROM customers WHERE {_LIVE} AND name LIKE %s",
        (tenant_id, f"%{bigram}%"),
    )
    if not hit or hit[0] is None:
        chinese = one(
            f"SELECT name FROM customers WHERE {_LIVE} AND country = 'CN' AND kind = 'company' "
            "ORDER BY number DESC LIMIT 1"
        )
        bigram = chinese[0][:2] if chinese else ""
        hit = one(
            f"SELECT max(number), count(*) FROM customers WHERE {_LIVE} AND name LIKE %s",
            (tenant_id, f"%{bigram}%"),
        )
    if bigram and hit and hit[0] is not None:
        items.append(
            Scenario(
                f"Search 2 CJK chars ({hit[1]:,})", owner,
                f"/customers?view=all&q={q(bigram)}", no(hit[0]),
            )
        )  # fmt: skip

    # a combined query: kind is company AND (city is A OR city is B)
    newest_city = one(f"SELECT city FROM customers WHERE {_LIVE} ORDER BY number DESC LIMIT 1")[0]
    cities = [
        r[0]
        for r in raw.run(
            f"SELECT city FROM (SELECT city FROM customers WHERE {_LIVE} ORDER BY number DESC "
            "LIMIT 500) AS recent WHERE city IS NOT NULL GROUP BY city "
            "ORDER BY count(*) DESC, city",
            t,
        )
        if r[0] != newest_city
    ][:2]
    if len(cities) == 2:
        tree = {
            "and": [
                {"field": "kind", "op": "is", "value": "company"},
                {"or": [{"field": "city", "op": "is", "value": c} for c in cities]},
            ]
        }
        match = one(
            f"SELECT number FROM customers WHERE {_LIVE} AND kind = 'company' "
            "AND city IN (%s, %s) ORDER BY number DESC LIMIT 1",
            (tenant_id, *cities),
        )
        compact = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        items.append(
            Scenario(
                "Combined query (3, OR)", owner,
                f"/customers?view=all&query={q(compact)}", no(match[0]),
            )
        )  # fmt: skip
        items.append(
            Scenario(
                "Distinct values (city)", owner,
                "/api/v1/customers/values?field=city&view=all", cities[0], api=True,
            )
        )  # fmt: skip

    # the duplicate check of the newest customer's name (it must find that customer)
    items.append(
        Scenario(
            "Duplicate check", owner, f"/api/v1/duplicates?name={q(newest_name)}",
            newest_name, api=True,
        )
    )  # fmt: skip

    # "My customers" of the rep owning closest to REP_TARGET
    owners = raw.run(
        "SELECT c.owner_id, count(*) FROM customers c JOIN users u ON u.id = c.owner_id "
        "JOIN roles r ON r.id = u.role_id WHERE c.tenant_id = %s AND c.deleted_at IS NULL "
        "AND r.key = 'sales' GROUP BY c.owner_id",
        t,
    )
    rep_id, owned = min(owners, key=lambda row: (abs(row[1] - REP_TARGET), row[0]))
    rep_email = one(
        "SELECT a.email FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = %s",
        (rep_id,),
    )[0]
    rep_first_no = one(
        f"SELECT number FROM customers WHERE {_LIVE} AND owner_id = %s ORDER BY number DESC "
        "LIMIT 1",
        (tenant_id, rep_id),
    )[0]
    items.append(
        Scenario(f"My customers ({owned:,})", rep_email, "/customers?view=mine", no(rep_first_no))
    )
    return items


def _answer_has(body: str, expect: str, api: bool) -> bool:
    if not expect:
        return True
    if api:
        try:
            body = json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return False
    return expect in body


def probe(app, items: list[Scenario], password: str = PASSWORD) -> None:
    """Ask each scenario once in-process, as its user: skip it (with the reason) when its
    endpoint or feature is not there; else keep the SELECTs the app ran for it (the floor)."""
    from sqlalchemy import event

    from saas.extensions import db

    clients: dict[str, Any] = {}
    tokens: dict[str, str] = {}
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    for sc in items:
        client = clients.get(sc.login)
        if client is None:
            client = clients[sc.login] = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            resp = client.post(
                "/login", data={"email": sc.login, "password": password, "csrf_token": token}
            )
            if resp.status_code not in (302, 303):
                raise RuntimeError(f"login of {sc.login} failed ({resp.status_code})")
        headers = {"HX-Request": "true", "HX-Target": sc.target}
        if sc.api:
            if sc.login not in tokens:
                resp = client.post(
                    "/api/v1/auth/token", json={"email": sc.login, "password": password}
                )
                tokens[sc.login] = resp.get_json()["token"]
            headers = {"Authorization": f"Bearer {tokens[sc.login]}"}
        client.get(sc.path, headers=headers)  # warm
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            resp = client.get(sc.path, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        body = resp.get_data(as_text=True)
        if resp.status_code in (404, 405):
            sc.skip = f"{sc.path.split('?')[0]} answers {resp.status_code}: not on main yet"
        elif resp.status_code != 200:
            sc.skip = f"answered {resp.status_code}: {body[:120]!r}"
        elif not _answer_has(body, sc.expect, sc.api):
            sc.skip = f"the answer lacks {sc.expect!r}: this search is not on main yet"
        sc.sql = [
            (sql, params)
            for sql, params in seen
            if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "set_config" not in sql
        ]


def measure(
    base: str, raw: Raw, items: list[Scenario], requests: int, password: str = PASSWORD
) -> list[Result]:
    results = []
    browsers: dict[str, Browser] = {}
    tokens: dict[str, str] = {}
    for sc in items:
        res = Result(sc.name, skip=sc.skip)
        results.append(res)
        if sc.skip:
            continue
        if sc.login not in browsers:
            browsers[sc.login] = Browser(base)
            browsers[sc.login].login(sc.login, password)
        browser = browsers[sc.login]
        headers = {"HX-Request": "true", "HX-Target": sc.target}
        if sc.api:
            if sc.login not in tokens:
                tokens[sc.login] = Browser(base).token(sc.login, password)
            headers = {"Authorization": f"Bearer {tokens[sc.login]}"}
        for i in range(requests + 3):  # three warm-ups
            start = time.perf_counter()
            status, body = browser.request("GET", sc.path, headers=headers)
            took = time.perf_counter() - start
            if status != 200 or not _answer_has(body, sc.expect, sc.api):
                raise RuntimeError(f"{sc.name}: {status}, expected {sc.expect!r} in the answer")
            if i >= 3:
                res.app.append(took)
        per_statement = [0.0] * len(sc.sql)
        for i in range(requests + 3):
            start = time.perf_counter()
            raw.replay(sc.sql, per_statement if i >= 3 else None)
            took = time.perf_counter() - start
            if i >= 3:
                res.raw.append(took)
        if sc.sql:  # the slowest statement reading customers (else the slowest of all)
            ranked = sorted(range(len(sc.sql)), key=per_statement.__getitem__, reverse=True)
            core = [i for i in ranked if "FROM customers" in sc.sql[i][0]] or ranked
            res.main = sc.sql[core[0]]
    return results


def report(results: list[Result], title: str) -> str:
    lines = [title, f"{'scenario':<32} {'app p50':>8} {'app p95':>8} {'raw p50':>8} "
             f"{'raw p95':>8} {'app/raw p95':>11} {'app-raw p50':>11}"]  # fmt: skip
    for r in results:
        if r.skip:
            lines.append(f"{r.name:<32} skipped: {r.skip}")
            continue
        # the last column: milliseconds the app adds to its own SQL (Python, templates, HTTP)
        lines.append(
            f"{r.name:<32} {p(r.app, 50):>8.1f} {p(r.app, 95):>8.1f} {p(r.raw, 50):>8.2f} "
            f"{p(r.raw, 95):>8.2f} {p(r.app, 95) / p(r.raw, 95):>10.1f}x "
            f"{p(r.app, 50) - p(r.raw, 50):>11.1f}"
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
        probe(app, items)
        with serve(env, web_workers) as base:
            results = measure(base, raw, items, requests)
        backend = "PostgreSQL" if raw.postgres else "SQLite"
        table = report(
            results,
            f"\nCustomer lists on {backend}: demo tenant 1 of {tenants} with {customers:,} "
            f"customers; {requests} requests each, milliseconds",
        )
        if explain:
            plans = [
                f"\n-- {r.name}\n{r.main[0]}\n{raw.explain(*r.main)}" for r in results if r.main
            ]
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
