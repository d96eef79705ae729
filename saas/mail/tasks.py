"""RQ jobs of the mail queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import g
from sqlalchemy import select, update

from saas import progress
from saas.auth.models import User
from saas.errors import Conflict, NotFound
from saas.extensions import db
from saas.jobs import enqueue_after_commit, job
from saas.mail import service
from saas.mail.models import PROBLEMS, MailMessage, MailStatus
from saas.mail.service import MAX_ATTEMPTS
from saas.tenancy.sweep import for_each_tenant
from saas.utils import utcnow

__all__ = ["MAX_ATTEMPTS", "requeue_stuck_mail", "resend_failed_mail", "send_mail"]


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


@job("mail", retries=0)
def resend_failed_mail(tenant_id: int, record_id: int) -> None:
    """Tracked: resend each ``failed``/``interrupted`` message, committing every 100."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    with progress.track(record_id) as tracker:
        ids = db.session.scalars(
            select(MailMessage.id).where(MailMessage.status.in_(PROBLEMS)).order_by(MailMessage.id)
        ).all()
        tracker.set_total(len(ids))
        resent = 0
        for batch in tracker.batches(ids, size=100):
            for mid in batch:
                try:
                    service.resend_message(actor=actor, message_id=mid)
                    resent += 1
                except (Conflict, NotFound):
                    continue  # resent by hand meanwhile: nothing to do
        tracker.record.result = {"resent": resent}
