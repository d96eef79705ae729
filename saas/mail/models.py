"""Outgoing mail messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args
from saas.utils import utcnow


class MailMessage(TenantScoped, db.Model):
    """One email. Its status makes sending idempotent: a job finding it sent does nothing."""

    __tablename__ = "mail_messages"
    __audit__ = True
    __audit_exclude__ = ("body_text", "body_html", "error")
    __table_args__ = tenant_args(Index("ix_mail_messages_tenant_status", "tenant_id", "status"))

    #: invitation | password_reset | …
    kind: Mapped[str] = mapped_column(String(32))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: queued → sent | outbox (no SMTP configured) | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
