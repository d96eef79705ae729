"""RQ queues, the ``@job`` wrapper, and enqueue-after-commit.

A job takes ids, never ORM objects. ``@job("mail")`` makes the function run in its own app
context, inside the tenant given as its first (required) argument, and commit once at the end
(rollback on error). A job that belongs to no tenant (a sweep over all of them) says so:
``@job("default", tenant=False)``; it takes no tenant id and runs with none current.
``enqueue_after_commit`` holds the job until the current transaction commits and drops it on
rollback, so a worker never looks for a row that is not there yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g
from redis import RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.extensions import db
from saas.redis_conn import get_redis
from saas.tenancy.context import enter_tenant

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "documents")


def get_queue(name: str = "default") -> Queue:
    """The RQ queue ``name`` on the app's Redis."""
    return Queue(name, connection=get_redis())


def _check_tenant_arg(fn: Callable, args: tuple[Any, ...]) -> None:
    if getattr(fn, "tenant_scoped", False) and (
        not args or not isinstance(args[0], int) or isinstance(args[0], bool)
    ):
        raise TypeError(f"{fn.__name__} is a tenant job: its first argument is the tenant id")


def job(queue: str, *, retries: int = 3, tenant: bool = True) -> Callable:
    """Declare an RQ job on ``queue``: ``fn(tenant_id, *ids, actor_id=None)``.

    ``tenant=False`` declares a job of no tenant: ``fn(*args)``, run with no tenant current
    (it reaches tenants only through ``tenancy.sweep.for_each_tenant``).
    """

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def run(*args: Any, actor_id: int | None = None, **kw: Any) -> Any:
            _check_tenant_arg(run, args)
            with current_app.app_context():
                enter_tenant(args[0] if tenant else None)
                g.actor_id = actor_id
                try:
                    result = fn(*args, **kw)
                    db.session.commit()
                    return result
                except BaseException:
                    db.session.rollback()
                    raise

        run.queue_name = queue  # type: ignore[attr-defined]
        run.retries = retries  # type: ignore[attr-defined]
        run.tenant_scoped = tenant  # type: ignore[attr-defined]
        return run

    return decorator


def enqueue_after_commit(
    fn: Callable, *args: Any, job_id: str | None = None, **kwargs: Any
) -> None:
    """Enqueue ``fn(*args, **kwargs)`` on its queue once the current transaction commits."""
    _check_tenant_arg(fn, args)
    session = db.session()
    pending = session.info.setdefault("pending_jobs", [])
    pending.append((fn, args, kwargs, job_id))


@event.listens_for(Session, "after_commit")
def _release_jobs(session: Session) -> None:
    """Enqueue the committed transaction's jobs; a Redis failure is logged, never raised.

    The rows are committed: the request succeeded, and it must say so. A mail whose job was
    lost stays ``queued`` and the scheduler's sweep enqueues it again once Redis is back.
    """
    pending = session.info.pop("pending_jobs", None)
    for fn, args, kwargs, job_id in pending or ():
        retries = getattr(fn, "retries", 0)
        try:
            get_queue(fn.queue_name).enqueue(
                fn,
                *args,
                job_id=job_id,
                retry=Retry(max=retries, interval=[10, 60, 300][:retries]) if retries else None,
                **kwargs,
            )
        except RedisError:
            log.exception("could not enqueue %s after commit (Redis down?)", fn.__name__)


@event.listens_for(Session, "after_rollback")
def _drop_jobs(session: Session) -> None:
    session.info.pop("pending_jobs", None)
