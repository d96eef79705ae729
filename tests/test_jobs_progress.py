"""Long work: a progress record per job, chunked commits, a self-polling fragment and the API,
run by a real RQ SimpleWorker in burst mode."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from saas.auth import tokens
from saas.auth.models import Role, User
from saas.extensions import db
from saas.jobs import job
from saas.mail.models import MailMessage
from saas.progress import JobRecord, JobStatus, create_job, track
from saas.progress.service import KINDS, Kind
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, csrf, login, make_company, run_jobs


def _mail(app, company, statuses: list[str]) -> None:
    with app.app_context(), tenant_context(company.tenant_id):
        db.session.add_all(
            MailMessage(
                kind="test",
                to_addr=f"r{i}@example.com",
                subject=f"S{i}",
                body_text="x",
                status=s,
                attempts=1,
            )
            for i, s in enumerate(statuses)
        )
        db.session.commit()


def _bearer(app, company) -> str:
    with app.test_request_context(), tenant_context(company.tenant_id):
        owner = db.session.get(User, company.owner.id)
        secret = tokens.create_token(actor=owner, name="jobs")[1]
        db.session.commit()
        return secret


def test_resend_all_failed_mail_is_a_tracked_job_with_a_polling_page_and_api(app, client):
    a = make_company(app, "Acme")
    _mail(app, a, ["failed", "failed", "interrupted", "sent", "outbox"])
    login(client, a.owner.email)
    outbox = client.get("/outbox").get_data(as_text=True)
    assert "Resend all 3 failed messages" in outbox
    resp = client.post("/outbox/resend-failed", data={"csrf_token": csrf(client, "/outbox")})
    assert resp.status_code == 303
    url = resp.headers["Location"]
    job_id = int(re.search(r"/jobs/(\d+)$", url).group(1))

    waiting = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert waiting.lstrip().startswith(f'<div id="job-{job_id}"')  # the fragment, not the page
    assert 'hx-trigger="every 1s"' in waiting and 'data-status="queued"' in waiting
    assert '<progress max="3" value="0">' in waiting

    run_jobs(app)  # the tracked job resends; the send jobs it enqueued run too (no SMTP → Outbox)

    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-status="succeeded"' in done and "hx-trigger" not in done  # polling stops
    assert '<progress max="3" value="3">' in done
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "Resending failed mail" in page

    api = client.get(
        f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {_bearer(app, a)}"}
    )
    body = api.get_json()
    assert api.status_code == 200, body
    assert body["status"] == "succeeded" and body["done"] == 3 and body["total"] == 3
    assert body["finished"] is True and body["result"] == {"resent": 3}
    with app.app_context(), tenant_context(a.tenant_id):
        statuses = db.session.scalars(select(MailMessage.status).order_by(MailMessage.id)).all()
    assert "failed" not in statuses and "interrupted" not in statuses


def test_nothing_to_resend_is_a_conflict(app, client):
    a = make_company(app, "Acme")
    login(client, a.owner.email)
    resp = client.post("/outbox/resend-failed", data={"csrf_token": csrf(client, "/outbox")})
    assert resp.status_code == 409


def test_a_job_is_visible_to_its_creator_and_the_kinds_permission_only(app, client):
    a = make_company(app, "Acme", plan="team")
    sales = add_member(app, a, "sales")
    with app.test_request_context(), tenant_context(a.tenant_id):
        record = create_job("mail.resend_failed", actor=db.session.get(User, a.owner.id))
        db.session.commit()
        job_id = record.id
    login(client, sales.email)
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id + 1000}").status_code == 404


def test_the_api_documents_the_job_status(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/jobs/{job_id}"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/JobOut"}
    assert {"status", "done", "total", "finished"} <= set(
        doc["components"]["schemas"]["JobOut"]["properties"]
    )


# --- chunked commits ----------------------------------------------------------------------


@job("default", retries=0)
def import_roles(tenant_id: int, record_id: int, fail_at: int | None = None) -> None:
    """A stand-in for an import: one row per item, 2 items per committed chunk."""
    with track(record_id) as tracker:
        items = list(range(7))
        tracker.set_total(len(items))
        for batch in tracker.batches(items, size=2):
            for i in batch:
                if i == fail_at:
                    raise RuntimeError("bad row")
                db.session.add(Role(name=f"Imported {i}", permissions=[]))
            db.session.flush()
        tracker.record.result = {"imported": len(items)}


@pytest.fixture
def import_kind(monkeypatch):
    monkeypatch.setitem(KINDS, "test.import", Kind("Import", "roles.manage"))


def _start_import(app, company, **kw) -> int:
    from saas.jobs import enqueue_after_commit

    with app.test_request_context(), tenant_context(company.tenant_id):
        record = create_job("test.import", actor=db.session.get(User, company.owner.id))
        enqueue_after_commit(import_roles, company.tenant_id, record.id, **kw)
        db.session.commit()
        return record.id


def _imported(app, company, record_id: int) -> tuple[JobRecord, int]:
    with app.app_context(), tenant_context(company.tenant_id):
        record = db.session.get(JobRecord, record_id)
        rows = db.session.scalar(
            select(func.count()).select_from(Role).where(Role.name.like("Imported %"))
        )
        db.session.expunge(record)
        return record, rows


def test_a_long_job_commits_in_chunks_and_a_failure_keeps_the_committed_ones(app, import_kind):
    a = make_company(app, "Acme")
    record_id = _start_import(app, a, fail_at=5)
    run_jobs(app, queues=("default",))
    record, rows = _imported(app, a, record_id)
    # chunks [0,1] and [2,3] were committed; [4,5] failed at 5 and was rolled back whole
    assert record.status == JobStatus.FAILED and record.finished_at is not None
    assert record.done == 4 and record.total == 7 and rows == 4
    assert "RuntimeError" in record.message


def test_a_long_job_that_succeeds_counts_everything(app, import_kind):
    a = make_company(app, "Acme")
    record_id = _start_import(app, a)
    run_jobs(app, queues=("default",))
    record, rows = _imported(app, a, record_id)
    assert record.status == JobStatus.SUCCEEDED and record.done == 7 and rows == 7
    assert record.result == {"imported": 7} and record.percent == 100


def test_a_record_left_running_by_a_dead_worker_is_failed_by_the_scheduled_sweep(app):
    from datetime import timedelta

    from sqlalchemy import update

    from saas.jobs import get_queue
    from saas.progress.tasks import sweep_stale_jobs
    from saas.utils import utcnow

    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    ids = {}
    for company, age in ((a, timedelta(hours=1)), (b, timedelta(minutes=1))):
        with app.test_request_context(), tenant_context(company.tenant_id):
            record = create_job("mail.resend_failed", actor=None, total=10)
            db.session.flush()
            # what a killed worker leaves: running, 4 done, silent since
            db.session.execute(
                update(JobRecord)
                .where(JobRecord.id == record.id)
                .values(status=JobStatus.RUNNING, done=4, updated_at=utcnow() - age)
            )
            db.session.commit()
            ids[company.name] = record.id
    with app.app_context():
        get_queue("default").enqueue(sweep_stale_jobs)
    run_jobs(app, queues=("default",))
    got = {}
    for company in (a, b):
        with app.app_context(), tenant_context(company.tenant_id):
            r = db.session.get(JobRecord, ids[company.name])
            got[company.name] = (r.status, r.done, r.finished)
    assert got == {
        "Acme": (JobStatus.FAILED, 4, True),
        "Bolt": (JobStatus.RUNNING, 4, False),  # still alive as far as anyone knows
    }
