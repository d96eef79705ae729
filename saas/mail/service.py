"""Queue mail for sending after commit; choose the SMTP server; send one message."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

from saas.crypto import decrypt
from saas.extensions import db
from saas.jobs import enqueue_after_commit
from saas.mail.models import MailMessage
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    security: str  # none | starttls | ssl


def queue_mail(
    *, kind: str, to: str, template: str, language: str, **context: object
) -> MailMessage:
    """Render ``mail/<template>.txt``/``.html`` in ``language`` and send it after commit."""
    with force_locale(language):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    msg = MailMessage(kind=kind, to_addr=to, subject=subject, body_text=text, body_html=html)
    db.session.add(msg)
    db.session.flush()
    from saas.mail.tasks import send_mail

    enqueue_after_commit(
        send_mail, require_tenant_id(), msg.id, job_id=f"mail-{msg.tenant_id}-{msg.id}"
    )
    return msg


def smtp_settings_for(tenant: Tenant) -> SmtpSettings | None:
    """The tenant's own SMTP server if it has one, else the instance's, else None (→ Outbox)."""
    cfg = current_app.config
    if tenant.smtp_host:
        return SmtpSettings(
            host=tenant.smtp_host,
            port=tenant.smtp_port or 587,
            user=tenant.smtp_user,
            password=decrypt(tenant.smtp_password_encrypted, purpose="smtp"),
            sender=tenant.smtp_from or cfg["SMTP_FROM"],
            security=tenant.smtp_security or "starttls",
        )
    if cfg.get("SMTP_HOST"):
        return SmtpSettings(
            host=cfg["SMTP_HOST"],
            port=cfg["SMTP_PORT"],
            user=cfg.get("SMTP_USER"),
            password=cfg.get("SMTP_PASSWORD"),
            sender=cfg["SMTP_FROM"],
            security=cfg["SMTP_SECURITY"],
        )
    return None


def deliver(msg: MailMessage, smtp: SmtpSettings) -> None:
    """Send ``msg`` through ``smtp`` (raises on failure)."""
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = msg.to_addr
    email["Subject"] = msg.subject
    email["Message-ID"] = make_msgid(idstring=f"baza-{msg.tenant_id}-{msg.id}")
    email.set_content(msg.body_text)
    if msg.body_html:
        email.add_alternative(msg.body_html, subtype="html")
    context = ssl.create_default_context()
    cls = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
    kwargs = {"context": context} if smtp.security == "ssl" else {}
    with cls(smtp.host, smtp.port, timeout=30, **kwargs) as client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(email)


def send_message(message_id: int) -> str:
    """Send one queued message, or keep it in the Outbox; a handled message is left alone."""
    msg = db.session.get(MailMessage, message_id)
    if msg is None or msg.status in ("sent", "outbox"):
        return msg.status if msg else "missing"
    tenant = db.session.get(Tenant, msg.tenant_id)
    smtp = smtp_settings_for(tenant)
    msg.attempts += 1
    if smtp is None:
        msg.status = "outbox"
        return msg.status
    # Claim it before sending: if the commit after sending fails, a retry must not resend.
    msg.status = "sending"
    db.session.commit()
    try:
        deliver(msg, smtp)
    except (OSError, smtplib.SMTPException) as exc:
        msg.status = "failed"
        msg.error = str(exc)[:2000]
        db.session.commit()
        raise
    msg.status = "sent"
    msg.sent_at = utcnow()
    msg.error = None
    return msg.status
