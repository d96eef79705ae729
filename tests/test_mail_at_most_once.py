"""Issue 5, finding 6: mail is sent at most once, and every failure is recorded.

A worker killed mid-delivery left the message ``sending``; RQ's retry then sent it again. A
company name with a line break made the email library raise inside ``deliver``, leaving the
message ``sending`` forever with no error. Now a message is claimed by one conditional UPDATE
committed before SMTP starts; a job that finds it ``sending`` marks it ``interrupted`` (a person
checks and resends by hand) instead of sending; any failure in delivery is recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import update

from saas.extensions import db
from saas.jobs import get_queue
from saas.mail.models import MailMessage
from saas.mail.tasks import requeue_stuck_mail, send_mail
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import TEST_DB, csrf, login, make_company, run_jobs
from tests.smtp import Inbox, messages, point_company_smtp, queue_notice, smtp_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


WORKER = """
from rq import SimpleWorker
from saas import create_app
from saas.jobs import get_queue
from saas.redis_conn import get_redis

app = create_app()
with app.app_context():
    SimpleWorker([get_queue("mail")], connection=get_redis()).work(burst=True)
"""


def _set(app, tenant_id, **values):
    with app.app_context(), tenant_context(tenant_id):
        db.session.execute(update(MailMessage).values(**values))
        db.session.commit()


def _retry(app, tenant_id):
    """What RQ's retry and the scheduled sweep do after a lost worker."""
    with app.app_context():
        for m in messages(app, tenant_id):
            get_queue("mail").enqueue(send_mail, tenant_id, m.id)
        get_queue("default").enqueue(requeue_stuck_mail)
    run_jobs(app)


class SlowInbox(Inbox):
    """Stores the message, then takes its time to say so: the sender is killed meanwhile.

    That is the case at-most-once is about: the mail has arrived, the sender never heard.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.in_data = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        result = await super().handle_DATA(server, session, envelope)
        self.in_data.set()
        await asyncio.sleep(self.seconds)
        return result


def test_a_worker_killed_mid_delivery_does_not_send_twice(app):
    company = make_company(app)
    with smtp_server(SlowInbox(seconds=3)) as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        env = {
            **os.environ,
            "DATABASE_URL": TEST_DB,
            "REDIS_URL": app.config["REDIS_URL"],
            "SMTP_ALLOW_PRIVATE_HOSTS": "1",
        }
        # An RQ worker process that delivers in-process (RQ's forking Worker puts its work horse
        # in a new session, so SIGKILL goes to the process that really talks SMTP).
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert inbox.in_data.wait(60), "the worker never reached DATA"
            assert [m.status for m in messages(app, company.tenant_id)] == ["sending"]
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        assert len(inbox.messages) == 1  # it arrived; the killed worker never heard so
        _retry(app, company.tenant_id)
        time.sleep(0.2)
        assert len(inbox.messages) == 1
    [msg] = messages(app, company.tenant_id)
    assert msg.status == "interrupted"


def test_a_job_finding_the_message_sending_does_not_send(app):
    company = make_company(app)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        _set(app, company.tenant_id, status="sending")  # its first worker died
        run_jobs(app)
        assert inbox.messages == []
    assert [m.status for m in messages(app, company.tenant_id)] == ["interrupted"]


def test_an_interrupted_message_is_resent_by_hand(app, client):
    company = make_company(app)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        _set(app, company.tenant_id, status="interrupted")
        [msg] = messages(app, company.tenant_id)
        login(client, company.owner.email)
        page = client.get(f"/outbox/{msg.id}").get_data(as_text=True)
        assert "Send again" in page
        resp = client.post(
            f"/outbox/{msg.id}/resend", data={"csrf_token": csrf(client, f"/outbox/{msg.id}")}
        )
        assert resp.status_code == 303
        run_jobs(app)
        assert len(inbox.messages) == 1
    assert [m.status for m in messages(app, company.tenant_id)] == ["sent"]


@pytest.mark.parametrize(
    "subject", ["Welcome\r\nBcc: spy@evil.example.com", "Line\nbreak", "Carriage\rreturn"]
)
def test_a_message_that_cannot_be_written_is_recorded_failed(app, subject):
    company = make_company(app)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        _set(app, company.tenant_id, subject=subject)  # as older rows could hold
        run_jobs(app)
        assert inbox.messages == []
    [msg] = messages(app, company.tenant_id)
    assert (msg.status, msg.error) == ("failed", "invalid_message")


def test_any_exception_while_sending_is_recorded(app, monkeypatch):
    import smtplib

    def explode(*args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(smtplib.SMTP, "send_message", explode)
    company = make_company(app)
    with smtp_server() as (controller, _inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        run_jobs(app)
    [msg] = messages(app, company.tenant_id)
    assert (msg.status, msg.error) == ("failed", "failed")


def test_single_line_fields_drop_line_breaks_and_control_characters(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    resp = client.post(
        "/settings/company",
        data={
            "company-name": "Acme\r\nBcc: spy@evil.example.com\x07",
            "company-default_currency": "EUR",
            "company-default_country": "",
            "company-timezone": "Europe/Tirane",
            "csrf_token": csrf(client, "/settings/company"),
        },
    )
    assert resp.status_code == 303
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(Tenant, company.tenant_id).name == "Acme Bcc: spy@evil.example.com"


def test_the_claim_is_taken_once(app):
    """Two jobs for one message (a duplicate enqueue): one sends, the other finds it handled."""
    company = make_company(app)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        [msg] = messages(app, company.tenant_id)
        with app.app_context():
            get_queue("mail").enqueue(send_mail, company.tenant_id, msg.id)
        run_jobs(app)
        assert len(inbox.messages) == 1
    assert [m.status for m in messages(app, company.tenant_id)] == ["sent"]
