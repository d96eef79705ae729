"""Signup confirmed by mail (SIGNUP_CONFIRM_EMAIL): /signup tells nobody whether an email is known.

Issue 5 finding 9: signup answered "already has a Baza account" for a known email.
"""

import re
from email.message import EmailMessage

import pytest
from sqlalchemy import text

from saas.jobs import get_queue
from tests.conftest import csrf, csrf_from, login, make_company, run_jobs, without_csrf
from tests.smtp import smtp_server


@pytest.fixture
def inbox(app):
    """Signup confirmation on, the instance SMTP pointed at a real aiosmtpd server."""
    keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SIGNUP_CONFIRM_EMAIL")
    saved = {k: app.config[k] for k in keys}
    with smtp_server() as (controller, handler):
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=controller.port,
            SMTP_SECURITY="none",
            SIGNUP_CONFIRM_EMAIL="auto",  # on: the instance SMTP is set
        )
        try:
            yield handler.messages
        finally:
            app.config.update(saved)


def _form(email, password="a new long secret", company="Initech"):
    return {"company": company, "name": "Peter", "email": email, "password": password}


def _post_signup(client, **form):
    return client.post("/signup", data={**form, "csrf_token": csrf(client, "/signup")})


def _counts(owner_engine):
    with owner_engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("accounts", "tenants", "users", "mail_messages", "audit_entries")
        }


def _queued(app) -> int:
    with app.app_context():
        return get_queue("mail").count


def _body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _link(message: EmailMessage) -> str:
    return re.search(r"http://localhost(/signup/confirm/\S+)", _body(message)).group(1)


def test_known_and_unknown_emails_get_the_same_answer_and_the_right_mail(app, inbox, owner_engine):
    acme = make_company(app)
    before = _counts(owner_engine)
    answers = []
    for email in (acme.owner.email, "peter@initech.example.com"):
        resp = _post_signup(app.test_client(), **_form(email))
        assert _queued(app) == 1  # one job, whatever the email
        answers.append((resp.status_code, without_csrf(resp.get_data(as_text=True))))
        assert _counts(owner_engine) == before  # the request wrote nothing
        run_jobs(app)
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and "Check your mail to finish signing up" in answers[0][1]
    assert "already has a Baza account" not in answers[0][1]

    known, new = inbox
    assert known["To"] == acme.owner.email and new["To"] == "peter@initech.example.com"
    assert "already have a Baza account" in _body(known)
    assert "http://localhost/login" in _body(known)
    assert "http://localhost/password/forgot" in _body(known)
    assert "/signup/confirm/" not in _body(known)
    assert "Initech" in _body(new) and "/signup/confirm/" in _body(new)
    assert "a new long secret" not in _body(new)  # only a hash travels in the link
    assert _counts(owner_engine) == before  # nothing is made before the link is used


def test_the_link_creates_the_company_once_and_logs_in(app, client, inbox, owner_engine):
    _post_signup(client, **_form("peter@initech.example.com"))
    run_jobs(app)
    link = _link(inbox[0])
    page = client.get(link)
    assert page.status_code == 200 and "Initech" in page.get_data(as_text=True)
    assert _counts(owner_engine)["tenants"] == 0  # opening the link creates nothing
    resp = client.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dashboard")
    dash = client.get("/dashboard")
    assert dash.status_code == 200 and "Initech" in dash.get_data(as_text=True)
    relogin = login(app.test_client(), "peter@initech.example.com", "a new long secret")
    assert relogin.status_code == 303

    again = app.test_client()
    for resp in (
        again.get(link),
        again.post(link, data={"csrf_token": csrf(again, "/login")}),
    ):
        html = resp.get_data(as_text=True)
        assert resp.status_code == 409 and "already been used" in html
        assert 'href="/login"' in html and 'href="/password/forgot"' in html
    assert _counts(owner_engine)["tenants"] == 1


def test_a_link_whose_email_was_taken_meanwhile_fails_cleanly(app, client, inbox, owner_engine):
    _post_signup(client, **_form("peter@initech.example.com"))
    run_jobs(app)
    link = _link(inbox[0])
    page = client.get(link)
    make_company(app, "Other", email="peter@initech.example.com")
    resp = client.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert resp.status_code == 409 and "already been used" in resp.get_data(as_text=True)
    assert _counts(owner_engine)["tenants"] == 1


def test_tampered_or_expired_links_are_refused(app, client, inbox, owner_engine):
    _post_signup(client, **_form("peter@initech.example.com"))
    run_jobs(app)
    link = _link(inbox[0])
    assert client.get(link[:-3] + "xyz").status_code == 404
    resp = client.post(link[:-3] + "xyz", data={"csrf_token": csrf(client, "/login")})
    assert resp.status_code == 404
    assert client.get("/signup/confirm/not-a-token").status_code == 404
    app.config["SIGNUP_CONFIRM_SECONDS"], saved = -1, app.config["SIGNUP_CONFIRM_SECONDS"]
    try:
        resp = client.get(link)
    finally:
        app.config["SIGNUP_CONFIRM_SECONDS"] = saved
    assert resp.status_code == 404 and "expired" in resp.get_data(as_text=True)
    assert _counts(owner_engine)["tenants"] == 0


def test_bad_form_is_refused_before_anything_is_queued(app, client, inbox):
    resp = _post_signup(client, **_form("peter@initech.example.com", password="short"))
    assert resp.status_code == 422
    assert _queued(app) == 0


def test_off_signs_up_at_once_even_with_smtp(app, client, inbox, owner_engine):
    app.config["SIGNUP_CONFIRM_EMAIL"] = "off"
    resp = _post_signup(client, **_form("peter@initech.example.com"))
    assert resp.status_code == 303 and _counts(owner_engine)["tenants"] == 1


def test_without_smtp_auto_is_off(app, client, owner_engine):
    assert app.config["SIGNUP_CONFIRM_EMAIL"] == "auto" and not app.config["SMTP_HOST"]
    resp = _post_signup(client, **_form("peter@initech.example.com"))
    assert resp.status_code == 303 and _counts(owner_engine)["tenants"] == 1


def test_setting_accepts_only_on_off_auto(monkeypatch):
    from saas.config import from_env

    monkeypatch.setenv("SIGNUP_CONFIRM_EMAIL", "ON")
    assert from_env()["SIGNUP_CONFIRM_EMAIL"] == "on"
    monkeypatch.setenv("SIGNUP_CONFIRM_EMAIL", "maybe")
    with pytest.raises(ValueError):
        from_env()
