"""Web sessions end on the server, and a logged-in user never leaks into public flows."""

import re

from sqlalchemy import select

from saas.audit.models import AuditEntry
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.users import service as users_service
from tests.conftest import PASSWORD, csrf, csrf_from, login, make_company, run_jobs


def test_a_cookie_copied_before_logout_opens_nothing_after(app, client):
    """Issue 5 finding 11: logout must end the session server-side."""
    company = make_company(app)
    login(client, company.owner.email)
    assert client.get("/dashboard").status_code == 200
    cookie = client.get_cookie("session").value
    copy = app.test_client()
    copy.set_cookie("session", cookie)
    assert copy.get("/dashboard").status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf(client, "/dashboard")})
    assert resp.status_code == 303
    assert copy.get("/dashboard").status_code == 302


def test_the_csrf_token_is_rotated_at_login(app, client):
    company = make_company(app)
    before = csrf(client, "/login")
    resp = client.post(
        "/login", data={"email": company.owner.email, "password": PASSWORD, "csrf_token": before}
    )
    assert resp.status_code == 303
    after = csrf(client, "/dashboard")
    assert after != before
    # the token seen before login no longer passes
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert client.get("/dashboard").status_code == 200


def _invite(app, company, email):
    with app.test_request_context("/"):
        from flask import g

        with tenant_context(company.tenant_id):
            owner = db.session.get(User, company.owner.id)
            g.actor_id = owner.id
            inv = users_service.invite(actor=owner, email=email, role="sales")
            url = users_service.invitation_url(inv)
            db.session.commit()
    return re.sub(r"^http://localhost", "", url)


def test_opening_an_invitation_while_logged_in_asks_first(app, client):
    """Issue 5 finding 10: opening an invitation link logged the current user out."""
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta")
    link = _invite(app, b, "new@beta.example.com")
    login(client, a.owner.email)
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Log out and continue" in html
    assert client.get("/dashboard").status_code == 200  # still logged in
    resp = client.post(link, data={"action": "logout", "csrf_token": csrf_from(html)})
    assert resp.status_code == 303
    assert client.get("/dashboard").status_code == 302
    form = client.get(link).get_data(as_text=True)
    assert 'name="password"' in form


def test_accepting_while_logged_in_elsewhere_records_the_new_user(app, client):
    """Issue 5 finding 10: logged in to A, accepting B's invitation gave a 500 (audit actor)."""
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta")
    link = _invite(app, b, "new@beta.example.com")
    login(client, a.owner.email)
    with client.session_transaction() as sess:
        logged_in = dict(sess)
    # a stale form posted without the confirmation still creates nothing under A's name
    anon = app.test_client()
    page = anon.get(link).get_data(as_text=True)
    with anon.session_transaction() as sess:
        csrf_value = sess.get("csrf_token")
        sess.update({k: v for k, v in logged_in.items() if k != "csrf_token"})
        sess["csrf_token"] = csrf_value
    resp = anon.post(
        link, data={"name": "New", "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 200  # the confirmation page, no 500, nothing created
    with app.app_context(), tenant_context(b.tenant_id):
        assert db.session.scalar(select(User).where(User.name == "New")) is None


def test_accepting_while_logged_in_to_the_same_company_records_the_new_user(app):
    b = make_company(app, "Beta")
    link = _invite(app, b, "new@beta.example.com")
    with app.test_request_context("/"):
        from flask import g

        with tenant_context(b.tenant_id):
            before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
            g.actor_id = b.owner.id  # as if the owner were logged in while the link is used
            inv = users_service.load_invitation(link.rsplit("/", 1)[1])
            user = users_service.accept_invitation(
                invitation=inv, name="New", password=PASSWORD, language="en"
            )
            db.session.flush()
            uid = user.id
            actors = set(
                db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.id > before))
            )
            db.session.commit()
    assert b.owner.id not in actors and uid in actors


def test_reset_request_while_logged_in_elsewhere_is_fine(app, client):
    """Issue 5 finding 10: logged in to A, asking a reset for a B account gave a 500."""
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta")
    login(client, a.owner.email)
    token = csrf(client, "/password/forgot")
    resp = client.post("/password/forgot", data={"email": b.owner.email, "csrf_token": token})
    assert resp.status_code == 200
    run_jobs(app)
    with app.app_context(), tenant_context(b.tenant_id):
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "auth.password_reset_requested")
        )
        assert entry is not None and entry.actor_id is None
