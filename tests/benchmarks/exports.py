"""Export speed and memory (issue 8 "Speed": 1,000,000 customers to xlsx and CSV, memory flat).

    python -m tests.benchmarks.exports [--size 1000000] [--formats xlsx,csv] [--contacts none]

The database is ``BENCH_DATABASE_URL`` (else a SQLite file in a temp directory; default size
1,000,000 on PostgreSQL, 100,000 on SQLite). It is seeded with the ``demo`` command (as
``customer_list.py`` does): demo tenant 1 with ``--size`` customers and demo tenant 2 with a
tenth of it, so one run compares the peak memory of two sizes — flat memory means the same
peak for both. Each export runs in a fresh subprocess (the peak RSS, ``ru_maxrss``, is then the
export's own): the real job function ``exports.service.run_export`` (keyset pages of the list
as the owner sees "All", typed cells, progress committed per page, the file stored, the
audit entry) with the columns No., Name, Stage, City, Owner, Created. Beside it the floor: a
bare loop over the same rows read raw (one SQL query with the two joins, streamed) written with
openpyxl's write-only workbook (``csv.writer`` for CSV), in its own subprocess too.
``tests/test_benchmark_exports.py`` runs a tiny size in the suite so this file cannot rot.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks import subprocesses

ROOT = subprocesses.ROOT
COLUMNS = ["number", "name", "stage", "city", "owner", "created_at"]

FLOOR_SQL = (
    "SELECT c.number, c.name, e.name, c.city, u.name, c.created_at FROM customers c "
    "LEFT JOIN customer_list_entries e ON e.id = c.stage_id "
    "LEFT JOIN users u ON u.id = c.owner_id "
    "WHERE c.tenant_id = :t AND c.deleted_at IS NULL ORDER BY c.number DESC"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the children (one export each, in a fresh process) --------------------------------------


def child_baza(url: str, tenant_id: int, fmt: str, contacts: str) -> dict[str, Any]:
    """The app's export job for tenant ``tenant_id``'s owner: seconds, rows, peak MB."""
    from flask import g

    from saas import create_app, progress
    from saas.auth.models import User
    from saas.exports import service
    from saas.extensions import db
    from saas.storage import get_storage
    from saas.tenancy.context import enter_tenant

    app = create_app({"DATABASE_URL": url})
    with app.test_request_context("/"):
        enter_tenant(tenant_id)
        owner = next(
            u
            for u in db.session.scalars(db.select(User).order_by(User.id))
            if u.can("customers.view_all") and u.can("customers.export")
        )
        g.actor_id = owner.id
        record = progress.create_job(service.KIND, actor=owner)
        db.session.commit()
        record_id, owner_id = record.id, owner.id
        spec = service.Spec(format=fmt, contacts=contacts, view="all", cols=COLUMNS)
        base = subprocesses.peak_mb()
        started, cpu = time.perf_counter(), _cpu()
        service.run_export(tenant_id, record_id, actor_id=owner_id, spec=spec.as_dict())
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        db.session.remove()
        record = db.session.get(progress.JobRecord, record_id)
        result = record.result or {}
        path = get_storage().local_path(tenant_id, result["file"])
        return {
            "seconds": seconds,
            "cpu": cpu,
            "rows": result["count"],
            "status": str(record.status),
            "bytes": path.stat().st_size,
            "base_mb": base,
            "peak_mb": subprocesses.peak_mb(),
        }


def child_floor(url: str, tenant_id: int, fmt: str) -> dict[str, Any]:
    """The floor: the same rows read raw (streamed) into a bare write-only workbook / CSV."""
    import csv
    from datetime import datetime

    from openpyxl import Workbook
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    base = subprocesses.peak_mb()
    out = Path(tempfile.mkdtemp(prefix="baza-bench-floor-")) / f"floor.{fmt}"
    started, cpu = time.perf_counter(), _cpu()
    rows = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(
            text(FLOOR_SQL), {"t": tenant_id}
        )
        if fmt == "xlsx":
            book = Workbook(write_only=True)
            ws = book.create_sheet("Customers")
            ws.append(["No.", "Name", "Stage", "City", "Owner", "Created"])
            for row in result:
                values = list(row)
                if isinstance(values[5], str):
                    values[5] = datetime.fromisoformat(values[5])
                ws.append(values)
                rows += 1
            book.save(out)
        else:
            with open(out, "w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\r\n")
                writer.writerow(["No.", "Name", "Stage", "City", "Owner", "Created"])
                for row in result:
                    writer.writerow(row)
                    rows += 1
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": rows,
        "bytes": out.stat().st_size,
        "base_mb": base,
        "peak_mb": subprocesses.peak_mb(),
    }


# --- the parent ------------------------------------------------------------------------------


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    return subprocesses.child("tests.benchmarks.exports", env, *args)


def seed(
    env: dict[str, str],
    size: int,
    echo: Callable[[str], None],
    flask: Callable[..., str] | None = None,
) -> list[tuple[int, int]]:
    """Demo tenant 1 with ``size`` customers, demo tenant 2 with a tenth: [(tenant, size)]."""
    from tests.benchmarks import customer_list

    if flask is None:
        customer_list._flask(env, "db", "upgrade")

        def flask(*args: str) -> str:
            return customer_list._flask(env, *args)

    started = time.monotonic()
    pw = customer_list.PASSWORD
    flask("demo", "--tenants", "1", "--customers", str(size), "--password", pw, "--contacts", "1")
    small = max(1, size // 10)
    out = flask(
        "demo", "--tenants", "2", "--customers", str(small), "--password", pw, "--contacts", "1"
    )
    tenants = [int(t) for t in re.findall(r"\(tenant (\d+)\)", out)]
    echo(f"seeded {size:,} + {small:,} customers in {time.monotonic() - started:,.0f} s")
    return [(tenants[0], size), (tenants[1], small)]


def report(results: list[dict[str, Any]], title: str) -> str:
    lines = [
        title,
        f"{'rows':>10} {'format':<6} {'Baza s':>8} {'floor s':>8} {'ratio':>6} "
        f"{'Baza CPU':>8} {'floor CPU':>9} "
        f"{'Baza MB':>8} {'floor MB':>8} {'start MB':>8} {'rows/s':>9} {'file MB':>8}",
    ]
    for r in results:
        b, f = r["baza"], r["floor"]
        lines.append(
            f"{b['rows']:>10,} {r['format']:<6} {b['seconds']:>8.1f} {f['seconds']:>8.1f} "
            f"{b['seconds'] / max(f['seconds'], 1e-9):>5.1f}x {b['cpu']:>8.1f} {f['cpu']:>9.1f} "
            f"{b['peak_mb']:>8.0f} "
            f"{f['peak_mb']:>8.0f} {b['base_mb']:>8.0f} "
            f"{b['rows'] / max(b['seconds'], 1e-9):>9,.0f} {b['bytes'] / 1e6:>8.1f}"
        )
    return "\n".join(lines)


def run(
    *,
    database_url: str,
    size: int,
    formats: tuple[str, ...] = ("xlsx", "csv"),
    contacts: str = "none",
    instance: Path | None = None,
    echo: Callable[[str], None] = print,
    flask: Callable[..., str] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Seed, export each size and format in a subprocess (Baza, then the floor); the results
    and the printed table."""
    from saas.config import normalize_db_url
    from tests.benchmarks import customer_list

    database_url = normalize_db_url(database_url)
    instance = instance or Path(tempfile.mkdtemp(prefix="baza-bench-export-"))
    env = customer_list._env(database_url, instance, os.environ.get("SECRET_KEY", "bench"), 0)
    tenants = seed(env, size, echo, flask)
    results = []
    for tenant_id, rows in tenants:
        for fmt in formats:
            baza = _child(env, "baza", database_url, str(tenant_id), fmt, contacts)
            floor = _child(env, "floor", database_url, str(tenant_id), fmt)
            echo(f"{rows:,} {fmt}: Baza {baza['seconds']:.1f} s, floor {floor['seconds']:.1f} s")
            results.append({"format": fmt, "size": rows, "baza": baza, "floor": floor})
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    table = report(
        results,
        f"\nExports on {backend} (columns {', '.join(COLUMNS)}; contacts {contacts}); "
        "each export in its own process: wall and CPU seconds, peak RSS",
    )
    return results, table


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        kind, url, tenant, fmt, *rest = argv[1:]
        if kind == "baza":
            out = child_baza(url, int(tenant), fmt, rest[0] if rest else "none")
        else:
            out = child_floor(url, int(tenant), fmt)
        print(json.dumps(out))
        return
    url = os.environ.get("BENCH_DATABASE_URL")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000 if url else 100_000)
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--contacts", default="none", choices=("none", "rows", "sheet"))
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="baza-bench-export-"))
    _results, table = run(
        database_url=url or f"sqlite:///{instance}/bench.sqlite",
        size=args.size,
        formats=tuple(f for f in args.formats.split(",") if f),
        contacts=args.contacts,
        instance=instance,
    )
    print(table)


if __name__ == "__main__":
    main()
