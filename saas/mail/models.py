"""Outgoing mail messages, their states and kinds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args
from saas.utils import utcnow


class MailStatus(StrEnum):
    """Where a message is. Only ``queued`` and a retryable ``failed`` may be claimed for sending."""

    QUEUED = "queued"
    #: claimed by a worker, committed before the SMTP conversation starts
    SENDING = "sending"
    SENT = "sent"
    #: no mail server: kept in the Outbox, read in the app
    OUTBOX = "outbox"
    FAILED = "failed"
    #: a worker died mid-delivery: it may have arrived; a person checks and resends by hand
    INTERRUPTED = "interrupted"


#: Statuses a worker may claim (``failed`` only while attempts remain).
CLAIMABLE = (MailStatus.QUEUED, MailStatus.FAILED)
#: Statuses that mean "this did not reach the recipient and nobody will retry on their own".
PROBLEMS = (MailStatus.FAILED, MailStatus.INTERRUPTED)


#: Kinds of mail whose body is a key to an account (a reset or invitation link). They leave only
#: through the installation's own SMTP server (never a server a company member chose) and only
#: the owner may read them in the Outbox. Every kind that carries a secret link belongs here.
#: ``signup`` (a link that creates a company) and ``signup_existing`` (the note that an address
#: already has an account) belong to no company: they are sent at once, never kept in an Outbox.
SECRET_KINDS = frozenset({"password_reset", "invitation", "signup", "signup_existing"})


class MailMessage(TenantScoped, db.Model):
    """One email. Its status makes sending at-most-once: only a claim moves it to ``sending``."""

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
    #: a ``MailStatus``
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    #: an error key (``saas.mail.errors``), never the server's words: those go to the log only
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def is_secret(self) -> bool:
        return self.kind in SECRET_KINDS

    @property
    def error_text(self) -> str | None:
        """The failure, in the reader's language (a generic sentence, never server output)."""
        from saas.mail.errors import error_text

        return error_text(self.error) if self.error else None
