"""The Contacts page's queries on a seeded PostgreSQL database: EXPLAIN (ANALYZE, BUFFERS) of the
page query ``contacts.search.list_contacts`` sends, and in-process timings of the page plus its
row count (3 warm-ups, then p50/p95 of N runs), as a login bound by row-level security.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench \\
    BENCH_APP_URL=postgresql://<member of baza_app>:<pw>@127.0.0.1:5432/bench \\
    SECRET_KEY=... .venv/bin/python -m tests.benchmarks.contact_search 20 \\
        "owner|all|name|barlow" "rep|mine|name|" "owner|all|name|+۳۵۵ ۶۹ ۴۲۹"

Each case is ``who|view|sort|q``: ``owner`` (the first user holding customers.view_all and
customers.assign) or ``rep`` (the user owning most customers) of tenant 1. Markdown on stdout
(docs/PERFORMANCE.md, "Contacts").
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from flask import g
from sqlalchemy import event, select, text

from saas import create_app
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import tenant_context


def main(n: int, cases: list[str]) -> None:
    app = create_app(
        {
            "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
            "DATABASE_APP_URL": os.environ["BENCH_APP_URL"],
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            "REDIS_URL": None,
        }
    )
    from saas.contacts import search

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append((statement, parameters))

    with app.test_request_context("/"), tenant_context(1):
        users = list(db.session.scalars(select(User).order_by(User.id)))
        owner = next(u for u in users if u.can("customers.view_all") and u.can("customers.assign"))
        g.actor_id = owner.id
        busiest = db.session.execute(
            text(
                "SELECT owner_id FROM customers WHERE tenant_id = 1 AND owner_id IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
        rep = db.session.get(User, busiest)
        for spec in cases:
            who, view, sort, q = spec.split("|", 3)
            actor = owner if who == "owner" else rep
            times = []
            for i in range(n + 3):
                captured.clear()
                event.listen(db.engine, "before_cursor_execute", capture)
                started = time.perf_counter()
                page = search.list_contacts(actor=actor, view=view, q=q or None, sort=sort)
                total = search.count_contacts(actor, view, q or None)
                elapsed = time.perf_counter() - started
                event.remove(db.engine, "before_cursor_execute", capture)
                if i >= 3:
                    times.append(elapsed)
                db.session.rollback()
            stmt, params = next(s for s in captured if "JOIN contacts" in s[0])
            p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if n > 1 else times[0]
            print(
                f"\n## {who} view={view} sort={sort} q={q!r}: {len(page.items)} rows, count "
                f"{total}; in-process p50 {statistics.median(times) * 1000:.1f} ms, "
                f"p95 {p95 * 1000:.1f} ms (n={n})\n```"
            )
            with db.engine.connect() as conn, conn.begin():
                conn.execute(text("SELECT set_config('app.tenant_id', '1', true)"))
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + stmt, params)
                print("\n".join(row[0] for row in plan))
            print("```", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
