"""Real SMTP servers on loopback for the mail tests (aiosmtpd), and small mail helpers."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import enter_tenant, tenant_context
from saas.tenancy.models import Tenant


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(handler=None):
    """(controller, handler) of a running SMTP server on 127.0.0.1."""
    handler = handler or Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def point_company_smtp(app: Flask, tenant_id: int, host: str, port: int) -> None:
    """Store a company SMTP server directly (as any earlier code path could have left it)."""
    with app.app_context(), tenant_context(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        tenant.smtp_host, tenant.smtp_port, tenant.smtp_security = host, port, "none"
        tenant.smtp_from = "Attacker <mallory@evil.example.com>"
        db.session.commit()


def queue_notice(app: Flask, tenant_id: int, to: str = "bob@acme.example.com") -> None:
    """Queue an ordinary (non-secret) mail: it may leave through the company's own server."""
    from saas.mail.service import queue_mail

    with app.test_request_context("/"):
        enter_tenant(tenant_id)
        queue_mail(
            kind="notice",
            to=to,
            template="invitation",
            language="en",
            company="Acme",
            inviter="Acme Owner",
            url="http://localhost/invite/x",
            days=7,
        )
        db.session.commit()


def messages(app: Flask, tenant_id: int) -> list[MailMessage]:
    with app.app_context(), tenant_context(tenant_id):
        rows = db.session.scalars(select(MailMessage).order_by(MailMessage.id)).all()
        db.session.expunge_all()
        return list(rows)
