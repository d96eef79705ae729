"""Read-side queries over the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from saas.audit.models import AuditEntry
from saas.extensions import db
from saas.pagination import PAGE, Page, paginate


@dataclass
class AuditFilter:
    actor_id: int | None = None
    object_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: opaque keyset cursor (``saas.pagination``)
    cursor: str | None = None


def search(f: AuditFilter, limit: int = PAGE) -> Page[AuditEntry]:
    """A page of entries matching ``f``, newest first (by time, then id), with its cursors."""
    q = select(AuditEntry)
    if f.actor_id:
        q = q.where(AuditEntry.actor_id == f.actor_id)
    if f.object_type:
        q = q.where(AuditEntry.object_type == f.object_type)
    if f.date_from:
        q = q.where(AuditEntry.created_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        q = q.where(
            AuditEntry.created_at < datetime.combine(f.date_to + timedelta(days=1), time.min)
        )
    return paginate(
        q,
        name="audit",
        key=AuditEntry.created_at,
        id_col=AuditEntry.id,
        cursor=f.cursor,
        limit=limit,
    )


def object_types() -> list[str]:
    """Object types present in the log, for the filter."""
    return sorted(db.session.scalars(select(AuditEntry.object_type).distinct()))
