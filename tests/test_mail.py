"""Mail leaves through a real SMTP server on loopback, after commit, once; else the Outbox."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from saas.auth.models import User
from saas.extensions import db
from saas.jobs import get_queue
from saas.mail.models import MailMessage
from saas.mail.tasks import send_mail
from saas.settings.service import update_smtp
from saas.tenancy.context import enter_tenant, tenant_context
from saas.users import service as users_service
from tests.conftest import PASSWORD, make_company, run_jobs


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _configure_tenant_smtp(app, company, port):
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        update_smtp(
            actor=owner,
            current_password=PASSWORD,
            host="127.0.0.1",
            port=port,
            user=None,
            password=None,
            sender="Acme <crm@acme.example.com>",
            security="none",
        )
        db.session.commit()


def _invite(app, company, email="bob@acme.example.com"):
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        queued = len(get_queue("mail"))
        users_service.invite(actor=owner, email=email, role="sales")
        assert len(get_queue("mail")) == queued  # nothing leaves before the commit
        db.session.commit()
        assert len(get_queue("mail")) == queued + 1


def _notice(app, company, to="bob@acme.example.com"):
    """Queue an ordinary (non-secret) mail: it may go through the company's own server."""
    from saas.mail.service import queue_mail

    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        queue_mail(
            kind="notice",
            to=to,
            template="invitation",
            language="en",
            company=company.name,
            inviter="Acme Owner",
            url="http://localhost/invite/x",
            days=7,
        )
        db.session.commit()


def _statuses(app, company):
    with app.app_context(), tenant_context(company.tenant_id):
        return db.session.scalars(select(MailMessage.status)).all()


def test_ordinary_mail_goes_through_the_tenants_smtp_server(app, smtp_server):
    controller, inbox = smtp_server
    company = make_company(app)
    _configure_tenant_smtp(app, company, controller.port)
    _notice(app, company)
    run_jobs(app)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "bob@acme.example.com"
    assert mail["From"] == "Acme <crm@acme.example.com>"
    assert "Acme" in mail["Subject"]
    assert "/invite/" in mail.get_body(("plain",)).get_content()
    assert mail.get_body(("html",)) is not None
    assert _statuses(app, company) == ["sent"]


def test_sending_twice_does_not_send_twice(app, smtp_server):
    controller, inbox = smtp_server
    company = make_company(app)
    _configure_tenant_smtp(app, company, controller.port)
    _notice(app, company)
    run_jobs(app)
    with app.app_context(), tenant_context(company.tenant_id):
        message_id = db.session.scalar(select(MailMessage.id))
        get_queue("mail").enqueue(send_mail, company.tenant_id, message_id)  # a duplicate delivery
    run_jobs(app)
    assert len(inbox.messages) == 1


def test_instance_smtp_is_used_when_the_tenant_has_none(app, smtp_server):
    controller, inbox = smtp_server
    company = make_company(app)
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SECURITY="none")
    try:
        _invite(app, company)
        run_jobs(app)
    finally:
        app.config.update(saved)
    assert [m["To"] for m in inbox.messages] == ["bob@acme.example.com"]


def test_without_smtp_mail_is_kept_in_the_outbox(app, client):
    company = make_company(app)
    _invite(app, company)
    run_jobs(app)
    assert _statuses(app, company) == ["outbox"]


def test_a_rolled_back_request_sends_nothing(app):
    company = make_company(app)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        users_service.invite(actor=owner, email="bob@acme.example.com", role="sales")
        db.session.rollback()
        assert len(get_queue("mail")) == 0
    assert _statuses(app, company) == []


def test_unreachable_server_marks_failed_and_retries(app):
    company = make_company(app)
    _configure_tenant_smtp(app, company, _free_port())  # nothing listens there
    _notice(app, company)
    run_jobs(app)
    assert _statuses(app, company) == ["failed"]
    with app.app_context(), tenant_context(company.tenant_id):
        msg = db.session.scalar(select(MailMessage))
        assert msg.attempts == 1 and msg.error == "unreachable"


def test_scheduled_sweep_resends_stuck_mail_and_flags_interrupted_sends(app):
    from datetime import timedelta

    from sqlalchemy import update

    from saas.mail.tasks import requeue_stuck_mail
    from saas.utils import utcnow

    company = make_company(app, plan="team")
    _invite(app, company, "stuck@acme.example.com")
    _invite(app, company, "cut@acme.example.com")
    with app.app_context():
        from saas.redis_conn import get_redis

        get_redis().flushdb()  # the first delivery of both jobs was lost
        with tenant_context(company.tenant_id):
            old = utcnow() - timedelta(hours=1)
            db.session.execute(update(MailMessage).values(created_at=old))
            db.session.execute(
                update(MailMessage)
                .where(MailMessage.to_addr == "cut@acme.example.com")
                .values(status="sending")
            )
            db.session.commit()
        get_queue("default").enqueue(requeue_stuck_mail)  # what the scheduler does
    run_jobs(app)
    with app.app_context(), tenant_context(company.tenant_id):
        statuses = dict(db.session.execute(select(MailMessage.to_addr, MailMessage.status)).all())
    assert statuses == {"stuck@acme.example.com": "outbox", "cut@acme.example.com": "interrupted"}
