"""Sweeps over tenants: one helper, a fresh session and context per tenant, failures isolated;
jobs declare whether they belong to a tenant."""

from __future__ import annotations

import logging

import pytest
from flask import g
from sqlalchemy import select

from saas.auth.models import User
from saas.extensions import db
from saas.jobs import enqueue_after_commit, job
from saas.tenancy.context import current_tenant_id, tenant_context
from saas.tenancy.sweep import for_each_tenant
from tests.conftest import make_company


def test_each_tenant_runs_in_its_own_session_and_context(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    seen: dict[int, tuple] = {}
    sessions = []  # held, so no two can share an id()
    held = []

    def work(tid: int) -> int:
        held.append(db.session.get(User, a.owner.id))  # A's user, held across tenants
        sessions.append(db.session())
        names = db.session.scalars(select(User.name)).all()
        seen[tid] = (current_tenant_id(), g.get("actor_id"), names)
        return len(names)

    with app.test_request_context(), tenant_context(a.tenant_id):
        g.actor_id = a.owner.id
        outer = db.session()
        report = for_each_tenant(work)
        assert current_tenant_id() == a.tenant_id  # the caller's context is untouched
    assert seen == {
        a.tenant_id: (a.tenant_id, None, ["Acme Owner"]),
        b.tenant_id: (b.tenant_id, None, ["Bolt Owner"]),
    }
    assert held[0] is not None and held[1] is None  # B's session never saw A's user
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert all(s is not outer for s in sessions)
    assert report.results == {a.tenant_id: 1, b.tenant_id: 1} and report.failed == {}


def test_one_tenants_failure_is_logged_rolled_back_and_does_not_stop_the_rest(app, caplog):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    c = make_company(app, "Core")

    def rename(tid: int) -> str:
        user = db.session.scalars(select(User)).one()
        user.name = "Swept"
        if tid == b.tenant_id:
            db.session.flush()
            raise RuntimeError("boom")
        return user.name

    with app.app_context(), caplog.at_level(logging.ERROR, logger="saas.tenancy.sweep"):
        report = for_each_tenant(rename, name="rename")
    assert set(report.results) == {a.tenant_id, c.tenant_id}
    assert report.failed == {b.tenant_id: "RuntimeError: boom"}
    assert any("rename failed for tenant" in r.getMessage() and r.exc_info for r in caplog.records)
    names = {}
    for company in (a, b, c):
        with app.app_context(), tenant_context(company.tenant_id):
            names[company.name] = db.session.get(User, company.owner.id).name
    assert names == {"Acme": "Swept", "Bolt": "Bolt Owner", "Core": "Swept"}


@job("default", tenant=False)
def _global_job() -> int | None:
    return current_tenant_id()


@job("default")
def _tenant_job(tenant_id: int) -> int | None:
    return current_tenant_id()


def test_tenant_jobs_need_a_tenant_id_and_global_jobs_take_none(app):
    a = make_company(app, "Acme")
    with app.app_context():
        assert _global_job() is None
        assert _tenant_job(a.tenant_id) == a.tenant_id
        with pytest.raises(TypeError):
            _tenant_job(None)
        with pytest.raises(TypeError):
            enqueue_after_commit(_tenant_job, None)
        db.session.rollback()


def test_the_mail_sweep_is_a_job_of_no_tenant():
    from saas.mail.tasks import requeue_stuck_mail

    assert requeue_stuck_mail.tenant_scoped is False


def test_the_mail_sweep_goes_on_past_a_failing_tenant(app, monkeypatch, caplog):
    from datetime import timedelta

    from saas.jobs import get_queue
    from saas.mail import tasks
    from saas.mail.models import MailMessage
    from saas.utils import utcnow
    from tests.conftest import run_jobs

    companies = [make_company(app, n) for n in ("Acme", "Bolt", "Core")]
    for c in companies:
        with app.app_context(), tenant_context(c.tenant_id):
            db.session.add(
                MailMessage(
                    kind="test",
                    to_addr="x@example.com",
                    subject="s",
                    body_text="t",
                    status="sending",
                    created_at=utcnow() - timedelta(hours=1),
                )
            )
            db.session.commit()
    original = tasks._sweep_tenant
    bolt = companies[1].tenant_id

    def flaky(tid, now):
        result = original(tid, now)
        if tid == bolt:
            raise RuntimeError("database hiccup")
        return result

    monkeypatch.setattr(tasks, "_sweep_tenant", flaky)
    with app.app_context():
        job = get_queue("default").enqueue(tasks.requeue_stuck_mail)
    with caplog.at_level(logging.ERROR, logger="saas.tenancy.sweep"):
        run_jobs(app, queues=("default",))
    with app.app_context():
        assert job.get_status(refresh=True) == "finished"
    statuses = {}
    for c in companies:
        with app.app_context(), tenant_context(c.tenant_id):
            statuses[c.name] = db.session.scalar(select(MailMessage.status))
    # Bolt's half-done sweep was rolled back; the others were swept anyway
    assert statuses == {"Acme": "interrupted", "Bolt": "sending", "Core": "interrupted"}
    assert any("failed for tenant" in r.getMessage() for r in caplog.records)
