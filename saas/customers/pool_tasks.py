"""The pool rules' nightly job: in every tenant, return due customers and warn their owners."""

from __future__ import annotations

from datetime import datetime

from saas.customers import pool
from saas.jobs import job
from saas.tenancy.sweep import for_each_tenant


@job("default", retries=0, tenant=False)
def apply_pool_rules(now: str | None = None) -> dict[str, int]:
    """Scheduled nightly: ``pool.run_rules`` in each tenant (its own transaction; one tenant's
    failure is logged and does not stop the others). ``now`` (ISO 8601, naive UTC) sets the
    clock, for tests and for replaying a missed night."""
    clock = datetime.fromisoformat(now) if now else None
    report = for_each_tenant(lambda tid: pool.run_rules(now=clock), name="apply_pool_rules")
    results = report.results.values()
    return {
        "returned": sum(r.returned for r in results),
        "warned": sum(r.warned for r in results),
        "failed": len(report.failed),
    }
