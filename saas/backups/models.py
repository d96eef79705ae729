"""The ``backups`` table: one row per backup file a company keeps (made now, or weekly)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.progress.models import JobStatus
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class BackupKind(StrEnum):
    """``manual``: "Back up now" (downloadable for a day); ``weekly``: the scheduler's, kept
    for the company's ``backup_weeks``."""

    MANUAL = "manual"
    WEEKLY = "weekly"


class Backup(TenantScoped, db.Model):
    """A backup file of the company (stored under ``backups/`` through saas/storage.py).
    Bookkeeping, not audited: making, downloading and restoring are audited as events."""

    __tablename__ = "backups"
    __table_args__ = tenant_args(
        tenant_fk("created_by_id", "users"),
        tenant_fk("job_id", "jobs"),
        # one weekly backup per ISO week (NULL for manual ones: any number)
        UniqueConstraint("tenant_id", "week"),
        Index("ix_backups_tenant_created", "tenant_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(8), default=BackupKind.MANUAL)
    #: ``2026-W48`` for a weekly backup, NULL for a manual one
    week: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    #: the tracked job that builds it (its progress bar)
    job_id: Mapped[int | None]
    #: who asked (NULL: the scheduler)
    created_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    #: a manual backup's download ends here (the file is deleted); NULL for weekly ones
    expires_at: Mapped[datetime | None]
    #: rows per table and files, as in the manifest
    counts: Mapped[dict | None] = mapped_column(JSON)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
