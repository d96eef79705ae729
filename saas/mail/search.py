"""Read-side queries over outgoing mail."""

from __future__ import annotations

from sqlalchemy import select

from saas.errors import NotFound
from saas.extensions import db
from saas.mail.models import MailMessage


def recent_messages(limit: int = 200) -> list[MailMessage]:
    """The current tenant's latest messages, newest first."""
    return list(
        db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc()).limit(limit))
    )


def get_message(message_id: int) -> MailMessage:
    """One message of the current tenant, else ``NotFound``."""
    msg = db.session.get(MailMessage, message_id)
    if msg is None:
        raise NotFound()
    return msg
