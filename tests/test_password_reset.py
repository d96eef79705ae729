"""Forgotten password: an emailed, expiring, single-use link."""

import re

from sqlalchemy import select

from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, csrf, csrf_from, login, make_company, run_jobs


def _request_reset(app, client, email):
    resp = client.post(
        "/password/forgot", data={"email": email, "csrf_token": csrf(client, "/password/forgot")}
    )
    assert resp.status_code == 200 and "Check your mail" in resp.get_data(as_text=True)
    run_jobs(app)


def _reset_link(app, company):
    with app.app_context(), tenant_context(company.tenant_id):
        body = db.session.scalar(
            select(MailMessage.body_text).where(MailMessage.kind == "password_reset")
        )
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_reset_link_changes_the_password_once(app, client):
    company = make_company(app)
    _request_reset(app, client, company.owner.email)
    link = _reset_link(app, company)
    page = client.get(link)
    assert page.status_code == 200
    resp = client.post(
        link,
        data={
            "password": "a brand new secret",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 303
    assert login(app.test_client(), company.owner.email, PASSWORD).status_code == 422
    assert login(app.test_client(), company.owner.email, "a brand new secret").status_code == 303
    used = client.get(link)
    assert used.status_code == 404 and "already been used" in used.get_data(as_text=True)


def test_unknown_email_gets_the_same_answer_and_no_mail(app, client):
    company = make_company(app)
    _request_reset(app, client, "nobody@acme.example.com")
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(MailMessage)).all() == []


def test_expired_link_is_refused(app, client):
    company = make_company(app)
    _request_reset(app, client, company.owner.email)
    link = _reset_link(app, company)
    saved = app.config["PASSWORD_RESET_SECONDS"]
    app.config["PASSWORD_RESET_SECONDS"] = -1
    try:
        resp = client.get(link)
    finally:
        app.config["PASSWORD_RESET_SECONDS"] = saved
    assert resp.status_code == 404 and "expired" in resp.get_data(as_text=True)


def test_tampered_link_is_refused(app, client):
    company = make_company(app)
    _request_reset(app, client, company.owner.email)
    link = _reset_link(app, company)
    assert client.get(link[:-3] + "xyz").status_code == 404


def test_password_change_logs_out_other_sessions(app, client):
    company = make_company(app)
    other = app.test_client()
    login(client, company.owner.email)
    login(other, company.owner.email)
    token = csrf(client, "/settings/profile")
    resp = client.post(
        "/settings/password",
        data={
            "password-current": PASSWORD,
            "password-new": "another long secret",
            "password-csrf_token": token,
        },
    )
    assert resp.status_code == 303
    assert client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302
