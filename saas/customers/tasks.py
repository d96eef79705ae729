"""Scheduled work on customers: the nightly sweep (expired shares, the trash purge, import
uploads never started)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from saas.customers import sharing
from saas.tenancy.sweep import for_each_tenant
from saas.utils import utcnow


def nightly(now: str | None = None) -> dict[str, int]:
    """Scheduled nightly: in every tenant, delete shares past their ``until``, purge
    customers in the trash for more than ``sharing.TRASH_DAYS`` days (both audited) and
    delete import uploads never started for ``imports.service.ABANDONED_AFTER`` (each tenant
    in its own transaction; running it twice changes nothing more).

    ``now`` (ISO datetime, UTC) stands in for the clock: tests pass it through a real worker.
    """
    from saas.imports import service as imports

    at = datetime.fromisoformat(now) if now else utcnow()

    def one(_tid: int) -> dict[str, Any]:
        return {
            "shares": sharing.sweep_expired_shares(at),
            "purged": sharing.purge_trash(at),
            "uploads": imports.sweep_abandoned(at),
        }

    report = for_each_tenant(one, name="customers.nightly")
    return {
        "shares": sum(r["shares"] for r in report.results.values()),
        "purged": sum(r["purged"] for r in report.results.values()),
        "uploads": sum(r["uploads"] for r in report.results.values()),
        "failed": len(report.failed),
    }
