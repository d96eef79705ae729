"""RQ jobs of the mail queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from saas.extensions import db
from saas.jobs import enqueue_after_commit, job
from saas.mail import service
from saas.mail.models import MailMessage, MailStatus
from saas.mail.service import MAX_ATTEMPTS
from saas.tenancy.sweep import for_each_tenant
from saas.utils import utcnow

__all__ = ["MAX_ATTEMPTS", "requeue_stuck_mail", "send_mail"]


@job("mail")
def send_mail(tenant_id: int, message_id: int) -> str:
    """Send message ``message_id`` of ``tenant_id`` at most once (see ``service.send_message``)."""
    return service.send_message(message_id)


@job("default", retries=0, tenant=False)
def requeue_stuck_mail() -> int:
    """Scheduled: re-enqueue mail left ``queued``/``failed`` for 5 minutes (up to 5 attempts).

    A message still ``sending`` after 30 minutes lost its worker mid-delivery: it may or may not
    have arrived, so it becomes ``interrupted`` for a person to check instead of being resent.
    Each tenant is swept in its own transaction (``for_each_tenant``): one tenant's error is
    logged and does not stop the others.
    """
    now = utcnow()
    report = for_each_tenant(lambda tid: _sweep_tenant(tid, now), name="requeue_stuck_mail")
    return sum(report.results.values())


def _sweep_tenant(tid: int, now: datetime) -> int:
    stuck = db.session.scalars(
        select(MailMessage.id).where(
            MailMessage.status.in_((MailStatus.QUEUED, MailStatus.FAILED)),
            MailMessage.created_at < now - timedelta(minutes=5),
            MailMessage.attempts < MAX_ATTEMPTS,
        )
    ).all()
    db.session.execute(
        update(MailMessage)
        .where(
            MailMessage.status == MailStatus.SENDING,
            MailMessage.created_at < now - timedelta(minutes=30),
        )
        .values(status=MailStatus.INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    for mid in stuck:
        enqueue_after_commit(send_mail, tid, mid, job_id=f"mail-{tid}-{mid}-retry")
    return len(stuck)
