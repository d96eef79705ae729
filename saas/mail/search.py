"""Read-side queries over outgoing mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from saas.auth.models import User
from saas.errors import NotFound
from saas.extensions import db
from saas.mail.models import PROBLEMS, SECRET_KINDS, MailMessage
from saas.pagination import PAGE, Page, paginate
from saas.utils import utcnow


def outbox_page(cursor: str | None = None, limit: int = PAGE) -> Page[MailMessage]:
    """A page of the current tenant's messages, newest first, with its cursors."""
    return paginate(
        select(MailMessage),
        name="outbox",
        key=MailMessage.created_at,
        id_col=MailMessage.id,
        cursor=cursor,
        limit=limit,
    )


def problem_count() -> int:
    """Messages of the current tenant that failed or were interrupted (all time)."""
    return db.session.scalar(
        select(func.count()).select_from(MailMessage).where(MailMessage.status.in_(PROBLEMS))
    )


def body_visible_to(viewer: User, msg: MailMessage) -> bool:
    """Whether ``viewer`` may read the body of ``msg`` (a reset link is an account key)."""
    return msg.kind not in SECRET_KINDS or viewer.role.key == "owner"


def get_message(message_id: int) -> MailMessage:
    """One message of the current tenant, else ``NotFound``."""
    msg = db.session.get(MailMessage, message_id)
    if msg is None:
        raise NotFound()
    return msg


@dataclass(frozen=True)
class MailHealth:
    """Company mail that did not arrive lately (``mail_health`` gives None if all is well)."""

    failures: int
    last_error: str | None

    @property
    def last_error_text(self) -> str | None:
        from saas.mail.errors import error_text

        return error_text(self.last_error) if self.last_error else None


def mail_health(*, hours: int = 24) -> MailHealth | None:
    """Messages of the current tenant from the last ``hours`` still failed or interrupted."""
    since = utcnow() - timedelta(hours=hours)
    problems = (MailMessage.status.in_(PROBLEMS), MailMessage.created_at >= since)
    count = db.session.scalar(select(func.count(MailMessage.id)).where(*problems)) or 0
    if not count:
        return None
    last = db.session.scalar(
        select(MailMessage.error).where(*problems).order_by(MailMessage.id.desc()).limit(1)
    )
    return MailHealth(failures=count, last_error=last)


def undelivered_recipients(kind: str) -> set[str]:
    """Addresses whose latest mail of ``kind`` failed or was interrupted (not known to arrive)."""
    latest = (
        select(func.max(MailMessage.id))
        .where(MailMessage.kind == kind)
        .group_by(MailMessage.to_addr)
        .scalar_subquery()
    )
    return set(
        db.session.scalars(
            select(MailMessage.to_addr).where(
                MailMessage.id.in_(latest), MailMessage.status.in_(PROBLEMS)
            )
        )
    )
