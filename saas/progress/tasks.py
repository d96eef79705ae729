"""Scheduled upkeep of progress records."""

from __future__ import annotations

from saas.jobs import job
from saas.progress.service import fail_stale_jobs
from saas.tenancy.sweep import for_each_tenant


@job("default", retries=0, tenant=False)
def sweep_stale_jobs() -> int:
    """Scheduled: in every tenant, records left ``running`` by a dead worker become ``failed``."""
    report = for_each_tenant(lambda tid: fail_stale_jobs(), name="sweep_stale_jobs")
    return sum(report.results.values())
