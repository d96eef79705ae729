"""Run a piece of work once per tenant: each in its own app context, session and transaction.

Every sweep over tenants (the mail sweep, pool rules) goes through :func:`for_each_tenant`, so
no ORM object, tenant id or half-done transaction of one tenant reaches the next one, and one
tenant's failure is logged and rolled back without stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from saas.extensions import db
from saas.tenancy.context import enter_tenant

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What a sweep did: each tenant's result, and the tenants whose work failed."""

    results: dict[int, Any] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def tenant_ids() -> list[int]:
    """Every tenant's id: the one place a sweep lists tenants.

    The app role sees only the current tenant's row of ``tenants`` (PostgreSQL row-level
    security), so this goes through the reviewed SECURITY DEFINER function
    ``baza_tenant_ids()`` (``rls.tenant_ids``; a plain select on SQLite).
    """
    from saas.tenancy import rls

    return rls.tenant_ids(db.session())


def for_each_tenant(fn: Callable[[int], Any], *, name: str | None = None) -> SweepReport:
    """Call ``fn(tenant_id)`` for every tenant, each in a fresh app context and transaction.

    Inside ``fn`` the tenant is current, there is no actor, and ``db.session`` is a session of
    that tenant alone; it is committed when ``fn`` returns and rolled back (and the error
    logged) when it raises. Jobs enqueued with ``enqueue_after_commit`` leave with the commit.
    """
    label = name or getattr(fn, "__qualname__", "sweep")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        ids = tenant_ids()
        db.session.rollback()
    report = SweepReport()
    for tid in ids:
        with app.app_context():
            enter_tenant(tid)
            g.actor_id = None
            try:
                report.results[tid] = fn(tid)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                log.exception("%s failed for tenant %s", label, tid)
                report.failed[tid] = f"{type(exc).__name__}: {exc}"
    return report
