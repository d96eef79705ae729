"""Read-side queries over the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from saas.audit.models import AuditEntry
from saas.extensions import db

PAGE = 50


@dataclass
class AuditFilter:
    actor_id: int | None = None
    object_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: keyset: show entries with id below this
    before: int | None = None


def search(f: AuditFilter, limit: int = PAGE) -> tuple[list[AuditEntry], int | None]:
    """A page of entries matching ``f``, newest first, and the keyset for the next page."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
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
    if f.before:
        q = q.where(AuditEntry.id < f.before)
    rows = list(db.session.scalars(q.limit(limit + 1)))
    more = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], more


def object_types() -> list[str]:
    """Object types present in the log, for the filter."""
    return sorted(db.session.scalars(select(AuditEntry.object_type).distinct()))
