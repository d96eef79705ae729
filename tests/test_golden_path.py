"""signup → invite → accept → login → change role → deactivate, through the HTTP client."""

import re

from sqlalchemy import select

from saas.auth.models import User
from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, csrf, csrf_from, login, run_jobs


def _signup(client, company="Acme", email="ada@acme.example.com"):
    token = csrf(client, "/signup")
    return client.post(
        "/signup",
        data={
            "company": company,
            "name": "Ada Owner",
            "email": email,
            "password": PASSWORD,
            "csrf_token": token,
        },
    )


def test_golden_path_signup_invite_accept_role_deactivate(app, client):
    resp = _signup(client)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dashboard")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Acme" in dashboard and "Invite a colleague" in dashboard  # empty state says what to do
    assert "1 of 2 seats used" in dashboard

    # Invite a colleague as sales.
    page = client.get("/users/invite").get_data(as_text=True)
    sales_id = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative', page).group(1)
    resp = client.post(
        "/users/invite",
        data={"email": "bob@acme.example.com", "role": sales_id, "csrf_token": csrf_from(page)},
    )
    assert resp.status_code == 303
    team = client.get("/users").get_data(as_text=True)
    assert "bob@acme.example.com" in team and "pending" in team

    # The mail is released after commit and kept in the Outbox (no SMTP configured).
    run_jobs(app)
    outbox = client.get("/outbox").get_data(as_text=True)
    assert "bob@acme.example.com" in outbox and 'data-status="outbox"' in outbox
    message_id = re.search(r'href="/outbox/(\d+)"', outbox).group(1)
    body = client.get(f"/outbox/{message_id}").get_data(as_text=True)
    accept_path = re.search(r"http://localhost(/invite/[\w.\-]+)", body).group(1)

    # The colleague accepts in another browser.
    colleague = app.test_client()
    form = colleague.get(accept_path)
    assert form.status_code == 200 and "Join Acme" in form.get_data(as_text=True)
    resp = colleague.post(
        accept_path,
        data={
            "name": "Bob Sales",
            "password": PASSWORD,
            "csrf_token": csrf_from(form.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 303
    assert "Hello, Bob Sales" in colleague.get("/dashboard").get_data(as_text=True)
    # The link is single-use.
    assert colleague.get(accept_path).status_code == 404

    # Log out and in again.
    colleague.post("/logout", data={"csrf_token": csrf(colleague, "/dashboard")})
    assert colleague.get("/dashboard").status_code == 302
    assert login(colleague, "bob@acme.example.com").status_code == 303
    assert colleague.get("/users").status_code == 403  # sales cannot manage users

    # The owner makes Bob a viewer.
    with app.app_context(), tenant_context(_tenant_of(app, "bob@acme.example.com")):
        bob = db.session.scalar(select(User).where(User.name == "Bob Sales"))
        bob_id, viewer_id = bob.id, _role_id(bob.tenant_id, "viewer")
    edit = client.get(f"/users/{bob_id}").get_data(as_text=True)
    resp = client.post(
        f"/users/{bob_id}", data={"role": viewer_id, "manager": "", "csrf_token": csrf_from(edit)}
    )
    assert resp.status_code == 303
    assert "Viewer" in client.get("/users").get_data(as_text=True)

    # Deactivate: Bob's session ends and he cannot log in again.
    resp = client.post(
        f"/users/{bob_id}/active", data={"active": "0", "csrf_token": csrf_from(edit)}
    )
    assert resp.status_code == 303
    assert colleague.get("/dashboard").status_code == 302
    resp = login(colleague, "bob@acme.example.com")
    assert resp.status_code == 403 and "deactivated" in resp.get_data(as_text=True)
    assert "deactivated" in client.get("/users").get_data(as_text=True)


def _tenant_of(app, email):
    from saas.auth import service as auth_service
    from saas.auth.models import Account
    from saas.tenancy.context import email_lookup

    with email_lookup(email):
        account_id = db.session.scalar(select(Account.id).where(Account.email == email))
    return auth_service.memberships(account_id)[0].tenant_id


def _role_id(tenant_id, key):
    from saas.auth.models import Role

    return db.session.scalar(select(Role.id).where(Role.key == key))


def test_mail_rows_are_tenant_owned(app, client):
    _signup(client)
    with app.app_context(), tenant_context(_tenant_of(app, "ada@acme.example.com")):
        assert db.session.scalars(select(MailMessage)).all() == []


def test_signup_refuses_bad_input_and_keeps_what_was_typed(client):
    token = csrf(client, "/signup")
    resp = client.post(
        "/signup",
        data={
            "company": "Acme",
            "name": "Ada",
            "email": "not-an-email",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "not a valid email" in html and 'value="Acme"' in html
    resp = client.post(
        "/signup",
        data={
            "company": "Acme",
            "name": "Ada",
            "email": "a@acme.example.com",
            "password": "short",
            "csrf_token": token,
        },
    )
    assert resp.status_code == 422 and "at least 8 characters" in resp.get_data(as_text=True)


def test_signup_with_taken_email_and_another_password_is_refused(client):
    assert _signup(client).status_code == 303
    other = client.application.test_client()
    token = csrf(other, "/signup")
    resp = other.post(
        "/signup",
        data={
            "company": "Other",
            "name": "Ada",
            "email": "ada@acme.example.com",
            "password": "not the same password",
            "csrf_token": token,
        },
    )
    assert resp.status_code == 422 and "already has a Baza account" in resp.get_data(as_text=True)


def test_signup_with_an_existing_account_and_its_password_adds_a_company(client):
    """One person, several companies: the owner of one shop opens a second one."""
    assert _signup(client).status_code == 303
    other = client.application.test_client()
    resp = _signup(other, company="Second Shop")
    assert resp.status_code == 303
    assert "Second Shop" in other.get("/dashboard").get_data(as_text=True)
