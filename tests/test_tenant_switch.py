"""Switching tenant carries no ORM object across: the identity map would answer past scoping."""

from __future__ import annotations

from sqlalchemy import select

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from tests.conftest import make_company


def test_get_inside_another_tenant_does_not_return_the_loaded_object(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context(), tenant_context(a.tenant_id):
        a_owner = db.session.get(User, a.owner.id)  # held: stays in the identity map
        assert a_owner is not None
        with tenant_context(b.tenant_id):
            assert db.session.get(User, a.owner.id) is None
            assert db.session.scalars(select(User.id)).all() == [b.owner.id]
        # back in A, A's user is found again (re-read, not carried)
        assert db.session.get(User, a.owner.id).tenant_id == a.tenant_id


def test_enter_tenant_switch_drops_the_other_tenants_objects(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context():
        enter_tenant(a.tenant_id)
        user = db.session.get(User, a.owner.id)
        enter_tenant(b.tenant_id)
        assert user not in db.session
        assert db.session.get(User, a.owner.id) is None
        enter_tenant(None)


def test_pending_changes_are_written_in_their_own_tenant_before_switching(app):
    a = make_company(app, "Acme")
    b = make_company(app, "Bolt")
    with app.test_request_context():
        enter_tenant(a.tenant_id)
        db.session.get(User, a.owner.id).name = "Renamed in A"
        enter_tenant(b.tenant_id)
        db.session.commit()
        enter_tenant(a.tenant_id)
        assert db.session.get(User, a.owner.id).name == "Renamed in A"
        enter_tenant(b.tenant_id)
        assert db.session.get(User, b.owner.id).name == "Bolt Owner"
