"""The Free plan's two seats: at invitation, acceptance, reactivation, and under a race."""

import threading

import pytest
from sqlalchemy import select

from saas.auth.models import Invitation, User
from saas.errors import SeatLimitReached
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from saas.users import service as users_service
from tests.conftest import PASSWORD, add_member, csrf, login, make_company, set_plan_limit


def _invite(app, company, email, role="sales"):
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        inv = users_service.invite(actor=owner, email=email, role=role)
        db.session.commit()
        return inv.id


def test_third_invitation_is_refused_with_an_upgrade_offer(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/users/invite")
    first = client.post(
        "/users/invite",
        data={
            "email": "b@acme.example.com",
            "role": _role(app, company, "sales"),
            "csrf_token": token,
        },
    )
    assert first.status_code == 303
    resp = client.post(
        "/users/invite",
        data={
            "email": "c@acme.example.com",
            "role": _role(app, company, "sales"),
            "csrf_token": token,
        },
    )
    assert resp.status_code == 402
    html = resp.get_data(as_text=True)
    assert "all seats are taken" in html and "/billing" in html
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(Invitation.email)).all() == ["b@acme.example.com"]


def test_api_invitation_on_a_full_plan_is_402_json(app, client):
    company = make_company(app)
    add_member(app, company, "sales")
    token = client.post(
        "/api/v1/auth/token", json={"email": company.owner.email, "password": PASSWORD}
    ).json["token"]
    resp = client.post(
        "/api/v1/invitations",
        json={"email": "x@acme.example.com", "role": "sales"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 402
    assert resp.json["error"]["code"] == "seat_limit" and "Upgrade" in resp.json["error"]["message"]


def test_acceptance_is_refused_when_the_seat_was_taken_meanwhile(app):
    company = make_company(app, plan="team")
    first = _invite(app, company, "b@acme.example.com")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        set_plan_limit("team", 2)
        owner = db.session.get(User, company.owner.id)
        # Withdraw the first invitation, give its seat to someone else, then reopen it:
        # two people now hold a link for one seat.
        inv = users_service.get_invitation(first)
        users_service.revoke_invitation(actor=owner, invitation=inv)
        other = users_service.invite(actor=owner, email="c@acme.example.com", role="sales")
        users_service.accept_invitation(
            invitation=other, name="C", password=PASSWORD, language="en"
        )
        inv.revoked_at = None
        db.session.commit()
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        with pytest.raises(SeatLimitReached):
            users_service.accept_invitation(
                invitation=users_service.get_invitation(first),
                name="B",
                password=PASSWORD,
                language="en",
            )
        db.session.rollback()


def test_acceptance_page_shows_the_refusal(app):
    company = make_company(app)
    inv_id = _invite(app, company, "b@acme.example.com")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        url = users_service.invitation_url(users_service.get_invitation(inv_id)).replace(
            "http://localhost", ""
        )
        # a second active user appears out of band (e.g. plan data changed): no seat left
        set_plan_limit("free", 1)
        db.session.commit()
    c = app.test_client()
    page = c.get(url)
    resp = c.post(url, data={"name": "B", "password": PASSWORD, "csrf_token": _csrf(page)})
    assert resp.status_code == 402 and "Acme has no free seat" in resp.get_data(as_text=True)


def test_reactivation_over_the_limit_is_refused(app, client):
    company = make_company(app)
    member = add_member(app, company, "sales")
    login(client, company.owner.email)
    token = csrf(client, "/users")
    assert (
        client.post(
            f"/users/{member.id}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 303
    )
    _invite(app, company, "new@acme.example.com")  # the freed seat is taken by an invitation
    resp = client.post(f"/users/{member.id}/active", data={"active": "1", "csrf_token": token})
    assert resp.status_code == 402 and "Upgrade" in resp.get_data(as_text=True)
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(User, member.id).is_active is False


def test_two_concurrent_invitations_for_the_last_seat_exactly_one_wins(app):
    company = make_company(app)
    clients = [app.test_client() for _ in range(2)]
    tokens = []
    for c in clients:
        login(c, company.owner.email)
        tokens.append(csrf(c, "/users/invite"))
    role = _role(app, company, "sales")
    barrier = threading.Barrier(2)
    results = [None, None]

    def go(i):
        barrier.wait()
        results[i] = (
            clients[i]
            .post(
                "/users/invite",
                data={"email": f"racer{i}@acme.example.com", "role": role, "csrf_token": tokens[i]},
            )
            .status_code
        )

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [303, 402]
    with app.app_context(), tenant_context(company.tenant_id):
        assert len(db.session.scalars(select(Invitation)).all()) == 1


def _role(app, company, key):
    from saas.auth.models import Role

    with app.app_context(), tenant_context(company.tenant_id):
        return str(db.session.scalar(select(Role.id).where(Role.key == key)))


def _csrf(resp):
    from tests.conftest import csrf_from

    return csrf_from(resp.get_data(as_text=True))


def test_an_admin_at_the_limit_is_told_to_ask_the_owner(app):
    company = make_company(app, plan="team")
    admin = add_member(app, company, "admin")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        set_plan_limit("team", 2)
        actor = db.session.get(User, admin.id)
        with pytest.raises(SeatLimitReached, match="Ask the owner"):
            users_service.invite(actor=actor, email="x@acme.example.com", role="sales")
        db.session.rollback()


def _meanwhile(app, company, fn):
    """Run ``fn(owner)`` to its commit in another session (a second request), in a thread."""
    errors = []

    def run():
        try:
            with app.test_request_context("/"):
                enter_tenant(company.tenant_id)
                fn(db.session.get(User, company.owner.id))
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not errors, errors


def _downgrade_to_free(owner):
    from saas.billing import service as billing

    billing.change_plan(actor=owner, plan_code="free")


@pytest.mark.parametrize("path", ["invite", "reactivate", "resend_expired"])
def test_a_downgrade_committed_while_a_seat_path_waits_is_respected(app, path):
    """Issue 5 finding 3: the plan is read again after the lock, in every seat path."""
    from datetime import timedelta

    from saas.utils import utcnow

    company = make_company(app, plan="team")
    add_member(app, company, "sales")  # owner + sales: 2 seats, a downgrade to Free still fits
    extra = add_member(app, company, "sales", email="extra@acme.example.com")
    expired = _invite(app, company, "late@acme.example.com")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        db.session.get(User, extra.id).is_active = False
        db.session.get(Invitation, expired).expires_at = utcnow() - timedelta(days=1)
        db.session.commit()

    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        assert owner.tenant.plan.code == "team"  # this request has read the plan: 10 seats
        target_user = db.session.get(User, extra.id)
        target_inv = db.session.get(Invitation, expired)
        assert target_user.is_active is False and target_inv.status == "expired"

        _meanwhile(app, company, _downgrade_to_free)  # commits while this request is busy

        with pytest.raises(SeatLimitReached):
            if path == "invite":
                users_service.invite(actor=owner, email="new@acme.example.com", role="sales")
            elif path == "reactivate":
                users_service.set_active(actor=owner, user=target_user, active=True)
            else:
                users_service.resend_invitation(actor=owner, invitation=target_inv)
        db.session.rollback()
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        from saas.users import seats

        assert seats.seats_used() == 2


def test_two_people_accepting_one_invitation_the_loser_hears_it_was_used(app):
    """Issue 5 finding 15: the second acceptance of one invitation is 409 (used), not 402."""
    from saas.errors import Conflict

    company = make_company(app)  # Free: owner + this invitation fill both seats
    inv_id = _invite(app, company, "both@acme.example.com")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        mine = users_service.get_invitation(inv_id)
        assert mine.status == "pending"  # this request has loaded the open invitation

        def accept(_owner):
            users_service.accept_invitation(
                invitation=users_service.get_invitation(inv_id),
                name="First",
                password=PASSWORD,
                language="en",
            )

        _meanwhile(app, company, accept)
        with pytest.raises(Conflict) as refused:
            users_service.accept_invitation(
                invitation=mine, name="Second", password=PASSWORD, language="en"
            )
        assert refused.value.status == 409
        db.session.rollback()
