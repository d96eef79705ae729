"""Forgotten password: an emailed, expiring, single-use link."""

import re

from sqlalchemy import select

from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, csrf, csrf_from, login, make_company, run_jobs, without_csrf


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


def _api_token(client, email, password=PASSWORD):
    resp = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.json['token']}"}


def _change_password(client, *, end_others):
    data = {
        "password-current": PASSWORD,
        "password-new": "another long secret",
        "password-csrf_token": csrf(client, "/settings/profile"),
    }
    if end_others:
        data["password-end_others"] = "y"
    return client.post("/settings/password", data=data)


def test_password_change_can_sign_out_other_sessions_and_revoke_tokens(app, client):
    company = make_company(app)
    other = app.test_client()
    login(client, company.owner.email)
    login(other, company.owner.email)
    bearer = _api_token(app.test_client(), company.owner.email)
    page = client.get("/settings/profile").get_data(as_text=True)
    assert 'name="password-end_others"' in page and "checked" in page  # offered, on by default
    assert _change_password(client, end_others=True).status_code == 303
    assert client.get("/dashboard").status_code == 200  # this session stays
    assert other.get("/dashboard").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


def test_password_change_without_the_box_keeps_other_sessions_and_tokens(app, client):
    company = make_company(app)
    other = app.test_client()
    login(client, company.owner.email)
    login(other, company.owner.email)
    bearer = _api_token(app.test_client(), company.owner.email)
    assert _change_password(client, end_others=False).status_code == 303
    assert other.get("/dashboard").status_code == 200
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200


def test_reset_ends_every_session_and_revokes_every_token(app, client):
    """Issue 5 finding 4: API tokens survived a password reset."""
    company = make_company(app)
    browser = app.test_client()
    login(browser, company.owner.email)
    bearer = _api_token(app.test_client(), company.owner.email)
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    _request_reset(app, client, company.owner.email)
    link = _reset_link(app, company)
    page = client.get(link).get_data(as_text=True)
    resp = client.post(link, data={"password": "a brand new secret", "csrf_token": csrf_from(page)})
    assert resp.status_code == 303
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert browser.get("/dashboard").status_code == 302


def test_forgot_password_does_the_same_work_for_known_and_unknown_emails(app, client):
    """Issue 5 finding 9: the request only queues a job; the lookup happens in the worker."""
    from saas.jobs import get_queue
    from saas.redis_conn import get_redis

    company = make_company(app)
    pages = []
    for email in (company.owner.email, "nobody@acme.example.com"):
        token = csrf(client, "/password/forgot")
        resp = client.post("/password/forgot", data={"email": email, "csrf_token": token})
        pages.append(without_csrf(resp.get_data(as_text=True)).replace(email, "EMAIL"))
        with app.app_context():
            assert len(get_queue("mail")) == 1  # one job queued in both cases …
            get_redis().flushdb()
            with tenant_context(company.tenant_id):  # … and nothing written by the request
                assert db.session.scalars(select(MailMessage)).all() == []
    assert pages[0] == pages[1]
