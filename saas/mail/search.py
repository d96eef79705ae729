"""Read-side queries over outgoing mail."""

from __future__ import annotations

from sqlalchemy import select

from saas.auth.models import User
from saas.errors import NotFound
from saas.extensions import db
from saas.mail.models import MailMessage


def recent_messages(limit: int = 200) -> list[MailMessage]:
    """The current tenant's latest messages, newest first."""
    return list(
        db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc()).limit(limit))
    )


#: Messages whose body is a key to an account (a reset or invitation link): in the app only
#: the owner may read them; the inviter gets the invitation link when inviting.
SECRET_KINDS = frozenset({"password_reset", "invitation"})


def body_visible_to(viewer: User, msg: MailMessage) -> bool:
    """Whether ``viewer`` may read the body of ``msg`` (a reset link is an account key)."""
    return msg.kind not in SECRET_KINDS or viewer.role.key == "owner"


def get_message(message_id: int) -> MailMessage:
    """One message of the current tenant, else ``NotFound``."""
    msg = db.session.get(MailMessage, message_id)
    if msg is None:
        raise NotFound()
    return msg
