"""Import speed and memory (issue 8 "Speed": a 100,000-row, 12-column xlsx end to end, the
duplicate check against a base of 100,000 customers, beside the time just to read the file).

    python -m tests.benchmarks.imports [--rows 100000] [--base 100000]

The database is ``BENCH_DATABASE_URL`` (else a SQLite file in a temp directory). It is seeded
with the ``demo`` command (demo tenant 1 with ``--base`` customers, one contact each, as the
other benchmarks do); the file is ``tests.import_corpus.benchmark_xlsx`` (Company, Contact,
Position, Mobile, Phone, Email, City, Address, Industry, Level, Birthday, Notes; every row a
new customer with its contact, two phones and an email). Three fresh subprocesses, so each peak
RSS (``ru_maxrss``) is its own:

- **upload**: what the request does — ``imports.service.upload`` (store, ``open_table``: sniff,
  header, one pass counting rows and checking every cell, preview, suggested mapping) and
  ``service.start`` with the suggested mapping (``create_missing`` on, the company in CN so
  the national phone numbers read);
- **job**: the worker's part — the real job function ``imports.apply.run_import`` (chunks of
  500: parse, one IN lookup per key kind against the base, numbers, inserts of customers,
  contacts, phones, emails, search documents, audit entries, the undo log; one commit per
  chunk with its progress);
- **floor**: the same reader alone — ``open_table`` and one walk over ``Table.rows()``.

Wall time end to end = upload + job; the job's CPU time is beside it (on a shared machine
the wall time includes waiting for a CPU). ``tests/test_benchmark_imports.py`` runs a tiny size in
the suite so this file cannot rot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks import subprocesses

ROOT = subprocesses.ROOT


def _owner(tenant_id: int) -> Any:
    from saas.auth.models import User
    from saas.extensions import db

    return next(
        u
        for u in db.session.scalars(db.select(User).order_by(User.id))
        if u.can("import.run") and u.can("settings.manage") and u.can("customers.assign")
    )


# --- the children (each in a fresh process) --------------------------------------------------


def child_upload(url: str, tenant_id: int, path: str) -> dict[str, Any]:
    """The request's part: upload (store + read + suggest) and start with the suggestion."""
    from flask import g

    from saas import create_app
    from saas.extensions import db
    from saas.imports import service
    from saas.tenancy.context import enter_tenant
    from saas.tenancy.models import Tenant

    app = create_app({"DATABASE_URL": url})
    with app.test_request_context("/"):
        enter_tenant(tenant_id)
        owner = _owner(tenant_id)
        g.actor_id = owner.id
        db.session.get(Tenant, tenant_id).default_country = "CN"
        db.session.commit()
        base = subprocesses.peak_mb()
        data = Path(path).read_bytes()
        started = time.perf_counter()
        upload = service.upload(actor=owner, filename=Path(path).name, data=data)
        mapping = {str(i): t for i, t in enumerate(upload.suggested)}
        run = service.start(actor=owner, run_id=upload.run.id, mapping=mapping, create_missing=True)
        # the job runs in the "job" child, not on a queue
        db.session.info.pop("pending_jobs", None)
        db.session.commit()
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "run_id": run.id,
            "job_id": run.job_id,
            "rows": run.total_rows,
            "mapped": sum(1 for t in run.mapping or [] if t),
            "owner_id": owner.id,
            "base_mb": base,
            "peak_mb": subprocesses.peak_mb(),
        }


def child_job(url: str, tenant_id: int, run_id: int, job_id: int, owner_id: int) -> dict[str, Any]:
    """The worker's part: the import job function, in this process."""
    from saas import create_app
    from saas.extensions import db
    from saas.imports.apply import run_import
    from saas.imports.models import ImportRun
    from saas.tenancy.context import enter_tenant

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        base = subprocesses.peak_mb()
        started, cpu = time.perf_counter(), time.process_time()
        run_import(tenant_id, run_id, job_id, actor_id=owner_id)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        enter_tenant(tenant_id)
        run = db.session.get(ImportRun, run_id)
        return {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "status": str(run.status),
            "created": run.created,
            "updated": run.updated,
            "skipped": run.skipped,
            "rejected": run.rejected,
            "base_mb": base,
            "peak_mb": subprocesses.peak_mb(),
        }


def child_floor(path: str) -> dict[str, Any]:
    """The floor: the same reader opening the file and walking its rows, nothing else."""
    from saas import create_app
    from saas.imports.reading import open_table

    app = create_app({"DATABASE_URL": "sqlite://"})
    with app.test_request_context("/"):
        base = subprocesses.peak_mb()
        started = time.perf_counter()
        table = open_table(path, Path(path).name, max_rows=10_000_000)
        opened = time.perf_counter() - started
        rows = sum(1 for _row in table.rows())
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "open_seconds": opened,
            "rows": rows,
            "base_mb": base,
            "peak_mb": subprocesses.peak_mb(),
        }


# --- the parent ------------------------------------------------------------------------------


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    return subprocesses.child("tests.benchmarks.imports", env, *args)


def seed(
    env: dict[str, str],
    base: int,
    echo: Callable[[str], None],
    flask: Callable[..., str] | None = None,
) -> int:
    """Demo tenant 1 with ``base`` customers (one contact each); its id."""
    import re

    from tests.benchmarks import customer_list

    if flask is None:
        customer_list._flask(env, "db", "upgrade")

        def flask(*args: str) -> str:
            return customer_list._flask(env, *args)

    started = time.monotonic()
    pw = customer_list.PASSWORD
    out = flask(
        "demo", "--tenants", "1", "--customers", str(base), "--password", pw, "--contacts", "1"
    )
    echo(f"seeded a base of {base:,} customers in {time.monotonic() - started:,.0f} s")
    return int(re.findall(r"\(tenant (\d+)\)", out)[0])


def report(r: dict[str, Any], title: str) -> str:
    up, job, floor = r["upload"], r["job"], r["floor"]
    total = up["seconds"] + job["seconds"]
    return "\n".join(
        [
            title,
            f"{'rows':>9} {'base':>9} {'upload s':>9} {'job s':>8} {'job CPU s':>9} {'total s':>8} "
            f"{'rows/s':>8} {'floor s':>8} {'ratio':>6} {'job MB':>7} {'start MB':>8} "
            f"{'upload MB':>9} {'floor MB':>8}",
            f"{up['rows']:>9,} {r['base']:>9,} {up['seconds']:>9.1f} {job['seconds']:>8.1f} "
            f"{job['cpu_seconds']:>9.1f} {total:>8.1f} {up['rows'] / max(total, 1e-9):>8,.0f} "
            f"{floor['seconds']:>8.1f} "
            f"{total / max(floor['seconds'], 1e-9):>5.1f}x {job['peak_mb']:>7.0f} "
            f"{job['base_mb']:>8.0f} {up['peak_mb']:>9.0f} {floor['peak_mb']:>8.0f}",
            f"result: {job['created']:,} created, {job['updated']:,} updated, "
            f"{job['skipped']:,} skipped, {job['rejected']:,} rejected ({job['status']}); "
            f"{up['mapped']} of 12 columns mapped by the suggestion; the floor opened the file "
            f"(sniff, header, counting pass) in {floor['open_seconds']:.1f} s",
        ]
    )


def run(
    *,
    database_url: str,
    rows: int,
    base: int,
    instance: Path | None = None,
    echo: Callable[[str], None] = print,
    flask: Callable[..., str] | None = None,
) -> tuple[dict[str, Any], str]:
    """Seed, write the file, then upload, job and floor each in a subprocess."""
    from saas.config import normalize_db_url
    from tests import import_corpus
    from tests.benchmarks import customer_list

    database_url = normalize_db_url(database_url)
    instance = instance or Path(tempfile.mkdtemp(prefix="baza-bench-import-"))
    env = customer_list._env(database_url, instance, os.environ.get("SECRET_KEY", "bench"), 0)
    env["IMPORT_MAX_MB"] = "500"
    tenant_id = seed(env, base, echo, flask)
    started = time.monotonic()
    path = import_corpus.benchmark_xlsx(instance, rows=rows)
    size_mb = path.stat().st_size / 1e6
    echo(f"wrote {rows:,} rows ({size_mb:.1f} MB) in {time.monotonic() - started:,.0f} s")
    floor = _child(env, "floor", str(path))
    echo(f"floor: {floor['seconds']:.1f} s")
    up = _child(env, "upload", database_url, str(tenant_id), str(path))
    echo(f"upload: {up['seconds']:.1f} s")
    job = _child(
        env,
        "job",
        database_url,
        str(tenant_id),
        str(up["run_id"]),
        str(up["job_id"]),
        str(up["owner_id"]),
    )
    echo(f"job: {job['seconds']:.1f} s")
    result = {"base": base, "file_mb": size_mb, "upload": up, "job": job, "floor": floor}
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    table = report(
        result,
        f"\nImport of a {rows:,}-row 12-column xlsx ({size_mb:.1f} MB) on {backend}, "
        f"duplicates checked against {base:,} customers; each part in its own process, peak RSS",
    )
    return result, table


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        kind, *rest = argv[1:]
        if kind == "upload":
            out = child_upload(rest[0], int(rest[1]), rest[2])
        elif kind == "job":
            out = child_job(rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[4]))
        else:
            out = child_floor(rest[0])
        print(json.dumps(out))
        return
    url = os.environ.get("BENCH_DATABASE_URL")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=100_000)
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="baza-bench-import-"))
    _result, table = run(
        database_url=url or f"sqlite:///{instance}/bench.sqlite",
        rows=args.rows,
        base=args.base,
        instance=instance,
    )
    print(table)


if __name__ == "__main__":
    main()
