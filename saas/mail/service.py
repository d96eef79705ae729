"""Queue mail for sending after commit; choose the SMTP server; send one message at most once."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from saas import progress
from saas.access import authorize
from saas.auth.models import User
from saas.crypto import decrypt
from saas.errors import Conflict, NotFound
from saas.extensions import db
from saas.jobs import enqueue_after_commit
from saas.mail.errors import DeliveryError
from saas.mail.guard import resolve_public
from saas.mail.models import (
    PROBLEMS,
    SECRET_KINDS,
    MailMessage,
    MailStatus,
)
from saas.progress import JobRecord
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.text import single_line
from saas.utils import utcnow

log = logging.getLogger(__name__)

#: A message is tried this many times (RQ retries and the sweep together), then left ``failed``.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    security: str  # none | starttls | ssl
    #: chosen by a company member: only public addresses (``guard.resolve_public``)
    guarded: bool = True


def queue_mail(
    *, kind: str, to: str, template: str, language: str, **context: object
) -> MailMessage:
    """Render ``mail/<template>.txt``/``.html`` in ``language`` and send it after commit."""
    with force_locale(language):
        subject = render_template(f"mail/{template}.subject.txt", **context)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    msg = MailMessage(
        kind=kind, to_addr=to, subject=single_line(subject)[:300], body_text=text, body_html=html
    )
    db.session.add(msg)
    db.session.flush()
    _enqueue(msg, f"mail-{msg.tenant_id}-{msg.id}")
    return msg


def send_instance_mail(
    *, kind: str, to: str, template: str, language: str, **context: object
) -> None:
    """Render and send at once, through the installation's server only: mail of no company.

    For account-key mail that has no company to keep it in an Outbox (a signup link). Without
    an instance server nothing is sent; a failure raises ``DeliveryError`` (the job retries).
    """
    if kind not in SECRET_KINDS:
        raise ValueError(f"{kind} is not mail of the installation")
    smtp = instance_smtp()
    if smtp is None:
        log.warning("no instance SMTP server: %s mail not sent", kind)
        return
    with force_locale(language):
        subject = render_template(f"mail/{template}.subject.txt", **context)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = to
    email["Subject"] = single_line(subject)[:300]
    email["Message-ID"] = make_msgid(idstring=f"baza-{kind}")
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    send_email(email, smtp)


def _enqueue(msg: MailMessage, job_id: str) -> None:
    from saas.mail.tasks import send_mail

    enqueue_after_commit(send_mail, require_tenant_id(), msg.id, job_id=job_id)


def instance_smtp() -> SmtpSettings | None:
    """The installation's own server (``SMTP_*``), trusted like the rest of its configuration."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=cfg["SMTP_HOST"],
        port=cfg["SMTP_PORT"],
        user=cfg.get("SMTP_USER"),
        password=cfg.get("SMTP_PASSWORD"),
        sender=cfg["SMTP_FROM"],
        security=cfg["SMTP_SECURITY"],
        guarded=False,
    )


def tenant_smtp(tenant: Tenant) -> SmtpSettings | None:
    """The company's own server, if it set one."""
    if not tenant.smtp_host:
        return None
    return SmtpSettings(
        host=tenant.smtp_host,
        port=tenant.smtp_port or 587,
        user=tenant.smtp_user,
        password=decrypt(tenant.smtp_password_encrypted, purpose="smtp"),
        sender=tenant.smtp_from or current_app.config["SMTP_FROM"],
        security=tenant.smtp_security or "starttls",
    )


def smtp_settings_for(tenant: Tenant, kind: str) -> SmtpSettings | None:
    """The server for mail of ``kind``; None keeps it in the Outbox.

    Mail that carries a key to an account (``SECRET_KINDS``) leaves only through the
    installation's server, with the installation's From address: a company member who sets the
    company's SMTP server (or its From/Reply address) must never receive someone else's reset or
    invitation link. Other mail uses the company's server, else the installation's.
    """
    if kind in SECRET_KINDS:
        return instance_smtp()
    return tenant_smtp(tenant) or instance_smtp()


def _build(msg: MailMessage, sender: str) -> EmailMessage:
    try:
        email = EmailMessage()
        email["From"] = sender
        email["To"] = msg.to_addr
        email["Subject"] = msg.subject
        email["Message-ID"] = make_msgid(idstring=f"baza-{msg.tenant_id}-{msg.id}")
        email.set_content(msg.body_text)
        if msg.body_html:
            email.add_alternative(msg.body_html, subtype="html")
        email.as_bytes()  # header problems surface here, not halfway through the SMTP talk
    except Exception as exc:
        raise DeliveryError("invalid_message", repr(exc), retry=False) from exc
    return email


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to a fixed address, while TLS still checks the certificate of the host name."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: object) -> None:
        self._address = address
        super().__init__(host, port, **kwargs)  # type: ignore[arg-type]

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout, self.source_address)


class _PinnedSMTPSSL(smtplib.SMTP_SSL, _PinnedSMTP):
    """Implicit TLS to a fixed address (``SMTP_SSL`` wraps the socket ``_PinnedSMTP`` opens)."""


def _talk(email: EmailMessage, smtp: SmtpSettings, timeout: float) -> None:
    context = ssl.create_default_context()
    kwargs: dict = {"timeout": timeout}
    if smtp.security == "ssl":
        kwargs["context"] = context
    if smtp.guarded:
        address = resolve_public(smtp.host, smtp.port)
        cls: type[smtplib.SMTP] = _PinnedSMTPSSL if smtp.security == "ssl" else _PinnedSMTP
        kwargs["address"] = address
    else:
        cls = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
    with cls(smtp.host, smtp.port, **kwargs) as client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(email)


def deliver(msg: MailMessage, smtp: SmtpSettings, *, timeout: float = 30) -> None:
    """Send ``msg`` through ``smtp``; any failure raises ``DeliveryError`` (detail logged only)."""
    email = _build(msg, smtp.sender)
    send_email(email, smtp, timeout=timeout)


def send_email(email: EmailMessage, smtp: SmtpSettings, *, timeout: float = 30) -> None:
    """One SMTP conversation; failures become ``DeliveryError`` with a key people may read."""
    try:
        _talk(email, smtp, timeout)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError("login", repr(exc)) from exc
    except (ssl.SSLError, ssl.CertificateError, smtplib.SMTPNotSupportedError) as exc:
        raise DeliveryError("tls", repr(exc)) from exc
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
    ) as exc:
        raise DeliveryError("rejected", repr(exc)) from exc
    except (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as exc:
        raise DeliveryError("unreachable", repr(exc)) from exc
    except Exception as exc:
        raise DeliveryError("failed", repr(exc)) from exc


def _claim(message_id: int) -> bool:
    """Move the message to ``sending`` in one conditional UPDATE; True if this worker won it."""
    result = db.session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            or_(
                MailMessage.status == MailStatus.QUEUED,
                and_(MailMessage.status == MailStatus.FAILED, MailMessage.attempts < MAX_ATTEMPTS),
            ),
        )
        .values(status=MailStatus.SENDING, attempts=MailMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_message(message_id: int) -> str:
    """Send one message at most once, or keep it in the Outbox; a handled message is left alone.

    The claim (``queued``/retryable ``failed`` → ``sending``) is committed before SMTP starts. A
    job that finds the message ``sending`` runs after a worker died mid-delivery: the mail may
    have arrived, so it is marked ``interrupted`` for a person to check, never sent again.
    """
    msg = db.session.get(MailMessage, message_id)
    if msg is None:
        return "missing"
    tenant = db.session.get(Tenant, msg.tenant_id)
    smtp = smtp_settings_for(tenant, msg.kind)
    if smtp is None:
        if msg.status in (MailStatus.QUEUED, MailStatus.FAILED):
            msg.status = MailStatus.OUTBOX
            msg.attempts += 1
            msg.error = None
        return msg.status
    if not _claim(message_id):
        db.session.refresh(msg)
        if msg.status == MailStatus.SENDING:
            log.warning("mail %s of tenant %s found mid-delivery: interrupted", msg.id, tenant.id)
            msg.status = MailStatus.INTERRUPTED
        return msg.status
    db.session.commit()  # the claim is durable before a byte goes out
    db.session.refresh(msg)
    try:
        deliver(msg, smtp)
    except DeliveryError as exc:
        log.warning("mail %s of tenant %s not delivered (%s): %s", msg.id, tenant.id, exc.code, exc)
        msg.status = MailStatus.FAILED
        msg.error = exc.code
        db.session.commit()
        if exc.retry and msg.attempts < MAX_ATTEMPTS:
            raise
        return msg.status
    msg.status = MailStatus.SENT
    msg.sent_at = utcnow()
    msg.error = None
    db.session.commit()
    return msg.status


def resend_message(*, actor: User, message_id: int) -> MailMessage:
    """Send a ``failed`` or ``interrupted`` message again, by hand (a person checked first)."""
    authorize(actor, "outbox.view")
    msg = db.session.get(MailMessage, message_id)
    if msg is None:
        raise NotFound()
    if msg.status not in PROBLEMS:
        raise Conflict(
            _("This message was not lost: it needs no resending."), code="not_resendable"
        )
    msg.status = MailStatus.QUEUED
    msg.error = None
    db.session.flush()
    _enqueue(msg, f"mail-{msg.tenant_id}-{msg.id}-resend-{msg.attempts}")
    return msg


def start_resend_failed(*, actor: User) -> JobRecord:
    """Resend every ``failed``/``interrupted`` message, as a tracked job; returns its record."""
    authorize(actor, "outbox.view")
    from saas.mail.tasks import resend_failed_mail

    total = db.session.scalar(
        select(func.count()).select_from(MailMessage).where(MailMessage.status.in_(PROBLEMS))
    )
    if not total:
        raise Conflict(_("No message needs resending."), code="nothing_to_resend")
    return progress.create_job(
        "mail.resend_failed", actor=actor, total=total, fn=resend_failed_mail
    )
