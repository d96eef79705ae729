"""The ``jobs`` table: one row per tracked piece of long work."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class JobStatus(StrEnum):
    """Where a tracked job is. ``succeeded`` and ``failed`` are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class JobRecord(TenantScoped, db.Model):
    """Progress of one long job. Bookkeeping, not audited: the work it does is audited."""

    __tablename__ = "jobs"
    __table_args__ = tenant_args(
        tenant_fk("created_by", "users"),
        Index("ix_jobs_tenant_created", "tenant_id", "created_at"),
    )

    #: what the job does, e.g. ``mail.resend_failed`` (see ``progress.service.KINDS``)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    #: None while unknown (the bar is indeterminate)
    total: Mapped[int | None]
    #: a short technical note (why it failed); people read the status, translated on display
    message: Mapped[str | None] = mapped_column(String(300))
    result: Mapped[dict | None] = mapped_column(JSON)
    created_by: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.finished else None
        return min(100, self.done * 100 // self.total)
