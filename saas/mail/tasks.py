"""RQ jobs of the mail queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from saas.extensions import db
from saas.jobs import get_queue, job
from saas.mail import service
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from saas.utils import utcnow


@job("mail")
def send_mail(tenant_id: int, message_id: int) -> str:
    """Send message ``message_id`` of ``tenant_id`` (idempotent: sent mail is not sent again)."""
    return service.send_message(message_id)


@job("default", retries=0)
def requeue_stuck_mail(tenant_id: None) -> int:
    """Scheduled: re-enqueue messages left ``queued`` or ``failed`` for over 5 minutes."""
    cutoff = utcnow() - timedelta(minutes=5)
    count = 0
    for tid in db.session.scalars(select(Tenant.id)).all():
        with tenant_context(tid):
            stuck = db.session.scalars(
                select(MailMessage.id).where(
                    MailMessage.status.in_(("queued", "failed")),
                    MailMessage.created_at < cutoff,
                    MailMessage.attempts < 5,
                )
            ).all()
        for mid in stuck:
            get_queue("mail").enqueue(send_mail, tid, mid)
            count += 1
    return count
