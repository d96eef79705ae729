"""Every `flask` command through Click's runner (`serve` runs for real in test_serve.py)."""

from __future__ import annotations

import re

from sqlalchemy import select

from saas.extensions import db
from tests.conftest import PASSWORD, csrf, login, make_company, run_jobs


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_tenant_makes_a_company_whose_owner_can_log_in(app, client):
    result = _invoke(
        app,
        "create-tenant",
        "--company", "Cli Co",
        "--name", "Cleo",
        "--email", "cleo@cli.example.com",
        "--password", "long enough pw",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created tenant" in result.output and "cleo@cli.example.com" in result.output
    assert login(client, "cleo@cli.example.com", "long enough pw").status_code == 303


def test_create_tenant_refuses_a_taken_email_with_a_message(app):
    make_company(app, "Taken", email="taken@cli.example.com")
    args = ["--company", "Other", "--name", "O", "--email", "taken@cli.example.com"]
    result = _invoke(app, "create-tenant", *args, "--password", "long enough pw")
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    result = _invoke(
        app, "create-tenant", "--company", "X", "--name", "Y", "--email", "not-an-email"
    )
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_set_password_changes_it_and_reports_errors(app, client):
    make_company(app, "Pw", email="pw@cli.example.com")
    result = _invoke(app, "set-password", "nobody@cli.example.com", "--password", "long enough pw")
    assert result.exit_code == 1 and "No user with this email" in result.output
    result = _invoke(app, "set-password", "pw@cli.example.com", "--password", "short")
    assert result.exit_code == 1 and "at least 8" in result.output
    result = _invoke(app, "set-password", "PW@cli.example.com", "--password", "brand new secret")
    assert result.exit_code == 0, result.output
    assert login(client, "pw@cli.example.com", PASSWORD).status_code != 303
    assert login(client, "pw@cli.example.com", "brand new secret").status_code == 303


def test_worker_in_burst_mode_runs_the_queued_mail(app, client):
    from saas.mail.models import MailMessage
    from saas.tenancy.context import tenant_context

    company = make_company(app, "Work")
    login(client, company.owner.email)
    page = client.get("/users/invite").get_data(as_text=True)
    role = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative', page).group(1)
    client.post(
        "/users/invite",
        data={
            "email": "new@work.example.com",
            "role": role,
            "csrf_token": csrf(client, "/users/invite"),
        },
    )
    result = _invoke(app, "worker", "--burst", "mail")
    assert result.exit_code == 0, result.output
    with app.app_context(), tenant_context(company.tenant_id):
        statuses = db.session.scalars(select(MailMessage.status)).all()
    assert statuses and set(statuses) == {"outbox"}
    run_jobs(app)  # nothing left


def test_scheduler_registers_the_mail_sweep(app, monkeypatch):
    from rq.cron import CronScheduler

    started = []
    monkeypatch.setattr(CronScheduler, "start", lambda self: started.append(self))
    result = _invoke(app, "scheduler")
    assert result.exit_code == 0, result.output
    (cron,) = started
    names = [getattr(j, "func_name", None) or repr(j) for j in cron.get_jobs()]
    assert any("requeue_stuck_mail" in n for n in names), names
