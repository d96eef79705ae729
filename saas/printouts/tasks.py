"""Scheduled upkeep of printouts: merged PDFs past their expiry are deleted."""

from __future__ import annotations

from saas.jobs import job
from saas.printouts.service import expire_printouts
from saas.tenancy.sweep import for_each_tenant


@job("default", retries=0, tenant=False)
def sweep_expired_printouts() -> int:
    """Scheduled hourly: in every tenant, delete the merged PDFs whose link has expired."""
    report = for_each_tenant(lambda tid: expire_printouts(), name="sweep_expired_printouts")
    return sum(report.results.values())
