"""The audit log table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class AuditEntry(TenantScoped, db.Model):
    """One change (or event) recorded in the same transaction as the change itself."""

    __tablename__ = "audit_entries"
    __table_args__ = tenant_args(
        tenant_fk("actor_id", "users"),
        Index("ix_audit_entries_tenant_created", "tenant_id", "created_at"),
        Index("ix_audit_entries_tenant_object", "tenant_id", "object_type", "object_id"),
    )

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The user who made the change; NULL for the system (signup, scheduled jobs).
    actor_id: Mapped[int | None]
    #: ``<object_type>.created|updated|deleted`` or a named event such as ``auth.login``.
    action: Mapped[str] = mapped_column(String(64))
    #: Table name of the object (``users``, ``roles``, ``tenants`` …).
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None]
    #: {field: [old, new]}; secrets are masked.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Names as they were when the entry was written (actor, object, referenced rows), so the
    #: log reads the same after renames and deletions (``saas/audit/describe.py``).
    display: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship(
        primaryjoin="foreign(AuditEntry.actor_id) == User.id", viewonly=True
    )
