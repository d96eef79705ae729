"""Flask commands: ``serve`` (the whole product), ``worker``, ``scheduler``, ``create-tenant``,
``set-password``, ``demo`` (saas/demo).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from saas.jobs import QUEUES

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(create_tenant)
    app.cli.add_command(set_password)

    from saas.demo import demo

    app.cli.add_command(demo)


@click.command()
@with_appcontext
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option("--port", type=int, default=None, help="Default: $PORT or 5000.")
@click.option("--web-workers", type=int, default=2, show_default=True)
def serve(host: str, port: int | None, web_workers: int) -> None:
    """Run web (gunicorn), RQ worker and RQ scheduler together; Ctrl-C stops all of them."""
    from saas.redis_conn import ensure_embedded

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # SIGHUP too: a closed terminal must not leave web, worker and scheduler running unsupervised.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    port = port or current_app.config["PORT"]
    ensure_embedded(current_app._get_current_object())  # children join; serve stops it
    env = dict(os.environ, REDIS_URL=current_app.config["REDIS_URL"])
    py = sys.executable
    commands = {
        "web": [
            py, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers),
            "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5",
            "--logger-class", "saas.access_log.RedactingLogger", "wsgi:app",
        ],
        "worker": [py, "-m", "flask", "--app", "wsgi", "worker"],
        "scheduler": [py, "-m", "flask", "--app", "wsgi", "scheduler"],
    }  # fmt: skip
    procs: dict[str, subprocess.Popen] = {}
    preexec = die_with_parent()
    exit_code = 0
    try:
        for name, cmd in commands.items():
            if stopping:
                break
            procs[name] = subprocess.Popen(cmd, env=env, preexec_fn=preexec)  # noqa: S603
        else:
            click.echo(
                f"Baza is running on http://{host}:{port} (web, worker, scheduler). "
                "Ctrl-C stops it."
            )
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    click.echo(
                        f"{name} exited with {proc.returncode}; stopping everything.", err=True
                    )
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        stop_children(list(procs.values()))
    sys.exit(exit_code)


def stop_children(procs: list[subprocess.Popen], timeout: float = 10) -> None:
    """SIGTERM every process still running, wait ``timeout`` seconds for all, SIGKILL the rest."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``signum`` to the child when this process dies.

    Linux's ``PR_SET_PDEATHSIG``: a ``serve`` killed outright (SIGKILL, the OOM killer, a crash)
    cannot stop its children itself; they get SIGTERM instead of running on under init. ``None``
    elsewhere. The parent's pid is checked after the call: it may have died before it.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


@click.command()
@with_appcontext
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker on QUEUES (default: all)."""
    from rq import Worker

    from saas.redis_conn import get_redis

    w = Worker(list(queues or QUEUES), connection=get_redis())
    w.work(burst=burst, with_scheduler=not burst)


def scheduled_jobs() -> list[tuple[Any, dict[str, Any]]]:
    """What the scheduler runs: ``(function, CronScheduler.register keywords)``."""
    from saas.backups.tasks import backup_upkeep
    from saas.customers.pool_tasks import apply_pool_rules
    from saas.customers.tasks import nightly
    from saas.mail.tasks import requeue_stuck_mail
    from saas.printouts.tasks import sweep_expired_printouts
    from saas.progress.tasks import sweep_stale_jobs

    return [
        (requeue_stuck_mail, {"interval": 300}),
        (sweep_stale_jobs, {"interval": 600}),
        (sweep_expired_printouts, {"interval": 3600}),  # merged PDFs past their link's expiry
        (backup_upkeep, {"interval": 3600}),  # the week's backups, expired ones deleted
        (apply_pool_rules, {"cron": "10 2 * * *"}),  # nightly, 02:10 UTC
        # expired shares, the trash purge (UTC)
        (nightly, {"cron": "17 3 * * *"}),
    ]


@click.command()
@with_appcontext
def scheduler() -> None:
    """Run the RQ cron scheduler (exactly one per installation)."""
    from rq.cron import CronScheduler

    from saas.redis_conn import get_redis

    cron = CronScheduler(connection=get_redis())
    for fn, when in scheduled_jobs():
        cron.register(fn, "default", **when)
    cron.start()


@click.command("create-tenant")
@with_appcontext
@click.option("--company", required=True)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_tenant(company: str, name: str, email: str, password: str) -> None:
    """Create a company with its owner (as the signup page does)."""
    from saas.auth.service import signup
    from saas.errors import ServiceError
    from saas.extensions import db

    try:
        user = signup(company=company, name=name, email=email, password=password)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created tenant {user.tenant_id} with owner {user.email}.")


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(email: str, password: str) -> None:
    """Set a user's password (the operator's way in when no mail server is configured)."""
    from saas.auth.service import set_password_by_operator
    from saas.errors import ServiceError
    from saas.extensions import db

    try:
        set_password_by_operator(email=email, password=password)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Password of {email} changed.")
