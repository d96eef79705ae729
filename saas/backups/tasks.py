"""Scheduled upkeep of backups: the week's backup of every company that keeps them, and the
deletion of backups past their time."""

from __future__ import annotations

from saas.backups import service
from saas.jobs import job
from saas.tenancy.sweep import for_each_tenant


def _upkeep(tenant_id: int) -> int:
    service.prune_backups()
    return 1 if service.weekly_backup() is not None else 0


@job("default", retries=0, tenant=False)
def backup_upkeep() -> int:
    """Scheduled hourly: in every tenant, queue this week's backup if it keeps weekly backups
    and has none yet (so running twice in a week makes one), and delete expired downloads and
    weekly backups older than its setting. How many backups were queued."""
    report = for_each_tenant(_upkeep, name="backup_upkeep")
    return sum(report.results.values())
