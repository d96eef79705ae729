"""Headers, cookies, CSRF, redirects, rate limits, password storage, error pages."""

import pytest
from sqlalchemy import select

from saas import create_app
from saas.auth.models import Account
from tests.conftest import PASSWORD, add_member, as_owner, csrf, login, make_company


def test_security_headers_and_csp(client):
    resp = client.get("/login")
    h = resp.headers
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert (
        "script-src 'self'" in h["Content-Security-Policy"]
        and "unsafe" not in h["Content-Security-Policy"]
    )
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert "HX-Request" in h["Vary"]
    assert "Strict-Transport-Security" not in h
    html = resp.get_data(as_text=True)
    assert (
        "<script>" not in html
        and " style=" not in html
        and "https://" not in html.split("</head>")[0]
    )


def test_session_cookie_flags(app, client):
    company = make_company(app)
    resp = login(client, company.owner.email)
    cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client()
    resp = https.get("/login", base_url="https://localhost")
    resp = https.post(
        "/login",
        base_url="https://localhost",
        data={
            "email": company.owner.email,
            "password": PASSWORD,
            "csrf_token": _token(https, "https://localhost"),
        },
        headers={"Referer": "https://localhost/login"},
    )
    assert resp.status_code == 303
    assert "Secure" in resp.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in resp.headers


def _token(client, base):
    from tests.conftest import csrf_from

    return csrf_from(client.get("/login", base_url=base).get_data(as_text=True))


def test_forms_and_htmx_posts_need_the_csrf_token(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    assert client.post("/settings/tokens", data={"name": "x"}).status_code == 400
    token = csrf(client, "/settings/tokens")
    resp = client.post(
        "/settings/tokens", data={"name": "x"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    # Accepted (POST-redirect-GET: htmx is told where to go, and the new token is shown there).
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == "/settings/tokens"
    assert "baza_" in client.get("/settings/tokens").get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    assert client.post("/signup", data={"company": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/users", "/users"),
        ("https://evil.example.com/", "/dashboard"),
        ("//evil.example.com/", "/dashboard"),
        ("/\\evil.example.com", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ],
)
def test_next_only_points_inside_the_app(app, client, target, expected):
    company = make_company(app)
    token = csrf(client, "/login")
    resp = client.post(
        f"/login?next={target}",
        data={"email": company.owner.email, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 303 and resp.headers["Location"] == expected


def test_login_redirect_carries_next(client):
    resp = client.get("/users?x=1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/users?x%3D1"


def test_login_is_rate_limited_per_account_and_per_ip(app, client):
    company = make_company(app)
    token = csrf(client, "/login")
    codes = [
        client.post(
            "/login",
            data={"email": company.owner.email, "password": "wrong one!", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.1.0.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert codes == [422] * 5 + [429]
    # another account from one address: the per-IP limit (10/min) trips too
    other = app.test_client()
    t2 = csrf(other, "/login")
    codes = [
        other.post(
            "/login",
            data={"email": f"u{i}@acme.example.com", "password": "x", "csrf_token": t2},
            environ_base={"REMOTE_ADDR": "10.2.0.1"},
        ).status_code
        for i in range(11)
    ]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert "Too many attempts" in other.post(
        "/login",
        data={"email": "z@acme.example.com", "password": "x", "csrf_token": t2},
        environ_base={"REMOTE_ADDR": "10.2.0.1"},
    ).get_data(as_text=True)


def test_passwords_are_argon2id_hashes(app):
    make_company(app)
    with as_owner() as conn:  # the app role sees no account without a login or tenant
        stored = conn.scalar(select(Account.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_errors_are_friendly_pages_never_tracebacks(app, client, monkeypatch):
    page = client.get("/does-not-exist")
    assert page.status_code == 404 and "does not exist" in page.get_data(as_text=True)
    api = client.get("/api/v1/does-not-exist")
    assert api.status_code == 404 and api.json == {
        "error": {"code": "not_found", "message": api.json["error"]["message"]}
    }

    company = make_company(app)
    login(client, company.owner.email)

    def boom(user):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("saas.dashboard.views.next_steps", boom)
    resp = client.get("/dashboard")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert (
        "Something went wrong" in body
        and "secret internals" not in body
        and "Traceback" not in body
    )


def test_only_the_owner_reads_account_links_in_the_outbox(app, client):
    import re

    from tests.conftest import add_member, run_jobs

    company = make_company(app, plan="team")
    admin = add_member(app, company, "admin")
    anon = app.test_client()
    anon.post(
        "/password/forgot",
        data={"email": company.owner.email, "csrf_token": csrf(anon, "/password/forgot")},
    )
    run_jobs(app)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    outbox = admin_client.get("/outbox").get_data(as_text=True)
    ids = re.findall(r'href="/outbox/(\d+)"', outbox)
    assert ids, "the admin sees that mail exists"
    for message_id in ids:
        page = admin_client.get(f"/outbox/{message_id}").get_data(as_text=True)
        assert "/password/reset/" not in page and "/invite/" not in page
        assert "only the company's owner can read it" in page
    login(client, company.owner.email)
    reset = [client.get(f"/outbox/{i}").get_data(as_text=True) for i in ids]
    assert any('<a href="http://localhost/password/reset/' in page for page in reset)


def test_inviter_gets_the_link_when_no_mail_server_is_set(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    page = client.get("/users/invite").get_data(as_text=True)
    import re

    sales = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative', page).group(1)
    resp = client.post(
        "/users/invite",
        data={
            "email": "b@acme.example.com",
            "role": sales,
            "csrf_token": csrf(client, "/users/invite"),
        },
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True)
    assert "No mail server is set up" in html and '<a href="http://localhost/invite/' in html


def test_healthz_reports_ok_and_the_failing_part(app, client):
    assert client.get("/healthz").json == {"status": "ok", "db": "ok", "redis": "ok"}
    broken = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    try:
        resp = broken.test_client().get("/healthz")
    finally:
        # the limiter is one shared extension: give it back the session app's storage
        from saas.extensions import limiter

        limiter.init_app(app)
    assert resp.status_code == 503
    assert (
        resp.json["db"] == "ok"
        and resp.json["redis"].startswith("error")
        and resp.json["status"] == "error"
    )


def test_reset_and_invitation_tokens_never_reach_the_access_log(app, caplog):
    """Issue 5 finding 15 (gunicorn's access log is checked for real in test_serve.py)."""
    import logging
    from datetime import timedelta

    from gunicorn.config import Config

    from saas.access_log import RedactingLogger, install_werkzeug_filter

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/invite/abc.DEF-123?next=/x&token=zzz",
        "PATH_INFO": "/invite/abc.DEF-123",
        "QUERY_STRING": "next=/x&token=zzz",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://baza.example.com/password/reset/tok.en-1",
    }
    resp = type("Resp", (), {"status": "200 OK", "sent": 10, "headers": []})()
    atoms = RedactingLogger(Config()).atoms(resp, [], environ, timedelta(seconds=0))
    line = " ".join(str(v) for v in atoms.values())
    assert "abc.DEF-123" not in line and "tok.en-1" not in line and "zzz" not in line
    assert atoms["r"] == "GET /invite/[redacted]?next=/x&token=[redacted] HTTP/1.1"

    install_werkzeug_filter()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s', "POST /password/reset/s3cr3t HTTP/1.1", 303)
    assert "s3cr3t" not in caplog.text and "/password/reset/[redacted]" in caplog.text


def _post_login(client, email, password, ip="10.9.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client, "/login")},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_an_email_variant_shares_the_account_limit(app, client):
    """Issue 5 finding 8: after 5 failures, the full-width spelling logged in."""
    make_company(app, email="sales@alpha-co.com")
    for i in range(5):
        assert (
            _post_login(client, "sales@alpha-co.com", "wrong!", ip=f"10.3.0.{i}").status_code == 422
        )
    variants = ["sales@ａｌｐｈａ-co.com", " SALES@Alpha-Co.com ", "ｓａｌｅｓ@alpha-co.com"]  # noqa: RUF001
    for i, variant in enumerate(variants):
        assert _post_login(client, variant, PASSWORD, ip=f"10.4.0.{i}").status_code == 429, variant


def test_colleagues_behind_one_address_all_log_in(app):
    """Issue 9: the 11th correct login from one office IP was refused; only failures count."""
    company = make_company(app, plan="business")
    members = [add_member(app, company, "sales", email=f"c{i}@acme.example.com") for i in range(11)]
    for member in members:
        assert _post_login(app.test_client(), member.email, PASSWORD).status_code == 303


def test_a_successful_login_clears_the_account_counter(app, client):
    company = make_company(app)
    email = company.owner.email
    for i in range(4):
        assert _post_login(client, email, "typo!", ip=f"10.5.0.{i}").status_code == 422
    assert _post_login(client, email, PASSWORD, ip="10.5.1.1").status_code == 303
    fresh = app.test_client()
    codes = [_post_login(fresh, email, "typo!", ip=f"10.6.0.{i}").status_code for i in range(5)]
    assert codes == [422] * 5  # the four earlier typos were forgiven by the login


def test_a_rate_limited_login_keeps_the_email_and_says_the_wait(app, client):
    company = make_company(app)
    for _i in range(5):
        _post_login(client, company.owner.email, "wrong!")
    resp = _post_login(client, company.owner.email, "wrong!")
    assert resp.status_code == 429
    wait = int(resp.headers["Retry-After"])
    assert 0 < wait <= 60
    page = resp.get_data(as_text=True)
    assert f'value="{company.owner.email}"' in page  # the form is still there, filled in
    assert "Try again in" in page and ("second" in page or "minute" in page)


def test_signup_limit_keeps_the_form_and_says_the_real_wait(app, client):
    app.config["SIGNUP_RATE_LIMIT"] = "1 per hour"
    try:
        token = csrf(client, "/signup")
        fields = {"company": "Limited", "name": "Lim", "password": "x", "csrf_token": token}
        client.post("/signup", data={**fields, "email": "one@limited.example.com"})
        resp = client.post("/signup", data={**fields, "email": "two@limited.example.com"})
    finally:
        app.config["SIGNUP_RATE_LIMIT"] = "10 per hour"
    assert resp.status_code == 429
    assert 3000 < int(resp.headers["Retry-After"]) <= 3600
    page = resp.get_data(as_text=True)
    assert 'value="two@limited.example.com"' in page and 'value="Limited"' in page
    assert "Try again in" in page and ("hour" in page or "minutes" in page)
    assert "Wait a minute" not in page


def test_an_outdated_password_hash_is_upgraded_at_login(app, client):
    """A hash made with other argon2 costs (older settings, a restored backup) still logs in,
    and is rewritten with the current ones: no 500 from the upgrade's write."""
    from argon2 import PasswordHasher

    company = make_company(app, "Rehash")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    with as_owner() as conn:
        conn.execute(
            Account.__table__.update()
            .where(Account.email == company.owner.email)
            .values(password_hash=old)
        )
    resp = login(client, company.owner.email)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    with as_owner() as conn:
        now = conn.execute(
            select(Account.password_hash).where(Account.email == company.owner.email)
        ).scalar_one()
    assert now != old and now.startswith("$argon2id$")
    assert "m=1024" in now  # the suite's current cost (conftest ARGON2_PARAMS)
