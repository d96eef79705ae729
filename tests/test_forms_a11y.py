"""Forms that say what is wrong where it is wrong, and always leave a way forward.

Field errors sit on their field (``aria-invalid``, the message linked by ``aria-describedby``),
hints are linked to their input, the skip link lands on a focusable main region, creating an API
token is POST-redirect-GET with the secret shown once, and used links point to the way in.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from saas.auth.models import ApiToken
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, csrf, csrf_from, login, make_company, run_jobs


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def _describedby(tag: str) -> list[str]:
    match = re.search(r'aria-describedby="([^"]*)"', tag)
    return match.group(1).split() if match else []


def _text_of(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(2)).strip()


def _signup(client, **fields):
    data = {
        "company": "Acme",
        "name": "Ada",
        "email": "ada@acme.example.com",
        "password": PASSWORD,
        **fields,
    }
    return client.post("/signup", data={**data, "csrf_token": csrf(client, "/signup")})


def test_hint_is_linked_to_its_input(client):
    page = client.get("/signup").get_data(as_text=True)
    password = _input(page, "password")
    assert "password-hint" in _describedby(password)
    assert "At least 8 characters" in _text_of(page, "password-hint")
    assert "aria-invalid" not in password


def test_invalid_field_is_marked_and_its_message_linked(client):
    resp = _signup(client, password="short")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    password = _input(page, "password")
    assert 'aria-invalid="true"' in password
    ids = _describedby(password)
    assert "password-hint" in ids  # the hint stays linked next to the error
    errors = [i for i in ids if i != "password-hint"]
    assert errors and "at least 8 characters" in _text_of(page, errors[0])
    assert "aria-invalid" not in _input(page, "company")


def test_duplicate_email_error_sits_on_the_email_field_with_ways_forward(app, client):
    make_company(app, email="ada@acme.example.com")
    # (with the account's own password this would add a company to it: one person, two shops)
    resp = _signup(app.test_client(), company="Other", password="not the account's password")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    field = re.search(r'<div class="field has-error" id="email-field">(.*?)\n</div>', page, re.S)
    assert field, "the error is not on the email field"
    assert 'aria-invalid="true"' in field.group(1) and "already has a Baza account" in field.group(
        1
    )
    assert 'href="/login"' in field.group(1) and 'href="/password/forgot"' in field.group(1)
    assert 'class="alert alert-error"' not in page  # no form-level alert above the form


def test_skip_link_lands_on_a_focusable_main(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="#main"' in page
    assert re.search(r'<main id="main" tabindex="-1">', page)


def test_wrong_current_password_is_marked_on_its_field(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    resp = client.post(
        "/settings/password",
        data={
            "password-current": "not it at all",
            "password-new": "another long one",
            "csrf_token": csrf(client, "/settings/profile"),
        },
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    current = _input(page, "password-current")
    assert 'aria-invalid="true"' in current
    assert "current password is wrong" in _text_of(page, _describedby(current)[-1])


def _token_count(app, company) -> int:
    with app.app_context(), tenant_context(company.tenant_id):
        return db.session.scalar(select(func.count(ApiToken.id)))


def test_creating_a_token_redirects_and_shows_the_secret_once(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    resp = client.post(
        "/settings/tokens",
        data={"name": "Export", "csrf_token": csrf(client, "/settings/tokens")},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/settings/tokens")
    # The secret travels to the next page encrypted, not readable in the cookie.
    page = client.get("/settings/tokens").get_data(as_text=True)
    secret = _text_of(page, "new-token")
    assert secret.startswith("baza_")
    assert 'data-copy="new-token"' in page  # the copy button (shown by baza.js)
    cookie = client.get_cookie("session")
    assert cookie is None or secret not in cookie.value
    # Reloading shows the list, not the secret again, and creates nothing.
    again = client.get("/settings/tokens").get_data(as_text=True)
    assert secret not in again and 'id="new-token"' not in again
    assert _token_count(app, company) == 1
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_token_page_links_to_a_readable_api_reference(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert 'href="/settings/api"' in page
    docs = client.get("/settings/api")
    html = docs.get_data(as_text=True)
    assert docs.status_code == 200 and "<html" in html
    assert "GET /api/v1/me" in html and "POST /api/v1/invitations" in html
    assert re.search(r"<code[^>]*>email</code>", html)  # request body fields are listed


def test_used_reset_link_points_to_login_and_a_new_link(app, client):
    company = make_company(app)
    client.post(
        "/password/forgot",
        data={"email": company.owner.email, "csrf_token": csrf(client, "/password/forgot")},
    )
    run_jobs(app)
    from saas.mail.models import MailMessage

    with app.app_context(), tenant_context(company.tenant_id):
        body = db.session.scalar(select(MailMessage.body_text))
    link = re.search(r"http://localhost(/password/reset/\S+)", body).group(1)
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"password": "a new long password", "csrf_token": csrf_from(page)})
    used = client.get(link)
    html = used.get_data(as_text=True)
    assert used.status_code == 404 and "already been used" in html
    assert 'href="/login"' in html and 'href="/password/forgot"' in html


def test_used_invitation_link_points_to_login(app, client):
    from saas.auth.models import User
    from saas.tenancy.context import enter_tenant
    from saas.users import service

    company = make_company(app)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        inv = service.invite(actor=owner, email="bob@acme.example.com", role="sales")
        url = service.invitation_url(inv)
        service.accept_invitation(invitation=inv, name="Bob", password=PASSWORD, language="en")
        db.session.commit()
    resp = client.get(url.replace("http://localhost", ""))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "already been used" in html
    assert 'href="/login"' in html and 'href="/password/forgot"' in html
