"""ORM bulk update()/delete() of audited models leave one audit entry per affected row."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlalchemy import delete, select, update

from saas.audit.models import AuditEntry
from saas.auth.models import Role, User
from saas.extensions import db
from saas.jobs import get_queue
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from saas.utils import utcnow
from tests.conftest import make_company, run_jobs


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_bulk_update_writes_an_entry_per_row_with_old_and_new_values(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context(), tenant_context(a.tenant_id):
        g.actor_id = a.owner.id
        sales_name = db.session.scalar(select(Role.name).where(Role.key == "sales"))
        db.session.execute(
            update(Role).where(Role.key.in_(("sales", "viewer"))).values(name=Role.name + " X")
        )
        db.session.commit()
        entries = _entries("roles.updated")
        by_id = {e.object_id: e for e in entries}
        roles = {r.id: r.key for r in db.session.scalars(select(Role))}
        assert sorted(roles[i] for i in by_id) == ["sales", "viewer"]
        sales = next(e for e in entries if roles[e.object_id] == "sales")
        assert sales.changes == {"name": [sales_name, f"{sales_name} X"]}
        assert sales.actor_id == a.owner.id and sales.tenant_id == a.tenant_id
    with app.app_context(), tenant_context(b.tenant_id):
        assert _entries("roles.updated") == []  # B's roles were not touched, nor logged


def test_bulk_update_of_unchanged_or_unaudited_columns_writes_nothing(app):
    a = make_company(app, "Acme")
    with app.test_request_context(), tenant_context(a.tenant_id):
        db.session.execute(update(User).values(last_login_at=utcnow()))  # excluded column
        db.session.execute(update(Role).where(Role.key == "nope").values(name="x"))  # no rows
        db.session.commit()
        assert (
            db.session.scalar(
                select(db.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action.like("%.updated"))
            )
            == 0
        )


def test_bulk_delete_writes_an_entry_per_deleted_row(app):
    a = make_company(app, "Acme")
    with app.test_request_context(), tenant_context(a.tenant_id):
        g.actor_id = a.owner.id
        ids = [Role(name=f"Temp {i}", permissions=[]) for i in range(2)]
        db.session.add_all(ids)
        db.session.flush()
        ids = sorted(r.id for r in ids)
        db.session.execute(delete(Role).where(Role.name.like("Temp %")))
        db.session.commit()
        assert sorted(e.object_id for e in _entries("roles.deleted")) == ids


def test_the_mail_sweeps_bulk_update_is_audited(app):
    from saas.mail.tasks import requeue_stuck_mail

    a = make_company(app, "Acme")
    with app.test_request_context(), tenant_context(a.tenant_id):
        msg = MailMessage(
            kind="test",
            to_addr="x@example.com",
            subject="s",
            body_text="t",
            status="sending",
            created_at=utcnow() - timedelta(hours=1),
        )
        db.session.add(msg)
        db.session.commit()
        mid = msg.id
    with app.app_context():
        get_queue("default").enqueue(requeue_stuck_mail)
    run_jobs(app, queues=("default",))
    with app.app_context(), tenant_context(a.tenant_id):
        entries = [e for e in _entries("mail_messages.updated") if e.object_id == mid]
        assert [e.changes for e in entries] == [{"status": ["sending", "interrupted"]}]
        assert entries[0].actor_id is None  # the system did it
