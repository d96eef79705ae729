"""One person, several companies: memberships, the login chooser, the switch, invitations."""

import re

from sqlalchemy import select

from saas.auth.models import ApiToken, Invitation, User
from saas.extensions import db
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from saas.users import seats
from tests.conftest import PASSWORD, add_member, csrf, csrf_from, login, make_company, run_jobs


def _invite(client, email, language=None):
    page = client.get("/users/invite").get_data(as_text=True)
    role = re.search(r'<option[^>]*value="(\d+)"[^>]*>\s*Sales', page).group(1)
    data = {"email": email, "role": role, "csrf_token": csrf_from(page)}
    if language:
        data["language"] = language
    return client.post("/users/invite", data=data)


def _accept_link(app, company, email):
    with app.app_context(), tenant_context(company.tenant_id):
        body = db.session.scalar(
            select(MailMessage.body_text)
            .where(MailMessage.kind == "invitation", MailMessage.to_addr == email)
            .order_by(MailMessage.id.desc())
        )
    return re.search(r"http://localhost(/invite/\S+)", body).group(1)


def _two_companies(app, client):
    """Alpha's sales rep is invited to Beta and accepts with their existing password."""
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta", plan="team")
    rep = add_member(app, a, "sales", email="rep@example.com")
    owner_b = app.test_client()
    login(owner_b, b.owner.email)
    resp = _invite(owner_b, rep.email)
    assert resp.status_code == 303  # no 409: nothing tells Beta that rep has an account
    run_jobs(app)
    link = _accept_link(app, b, rep.email)
    page = client.get(link).get_data(as_text=True)
    resp = client.post(
        link, data={"name": "Rep at Beta", "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 303
    return a, b, rep


def test_an_existing_account_joins_a_second_company_with_its_password(app, client):
    a, b, rep = _two_companies(app, client)
    assert "Beta" in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        with tenant_context(a.tenant_id):
            in_a = db.session.get(User, rep.id)
            assert in_a.is_active and in_a.name == "Sales Person"
        with tenant_context(b.tenant_id):
            in_b = db.session.scalar(select(User).where(User.account_id == in_a.account_id))
            assert in_b.name == "Rep at Beta" and in_b.role.key == "sales"
            assert seats.seats_used() == 2  # memberships count: Beta's owner and rep


def test_a_wrong_password_for_an_existing_account_joins_nothing(app, client):
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta", plan="team")
    rep = add_member(app, a, "sales", email="rep@example.com")
    owner_b = app.test_client()
    login(owner_b, b.owner.email)
    _invite(owner_b, rep.email)
    run_jobs(app)
    link = _accept_link(app, b, rep.email)
    page = client.get(link).get_data(as_text=True)
    resp = client.post(
        link, data={"name": "X", "password": "some other secret", "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 422
    assert login(app.test_client(), rep.email, "some other secret").status_code == 422


def test_login_with_several_companies_shows_a_chooser(app, client):
    _a, b, rep = _two_companies(app, client)
    browser = app.test_client()
    resp = login(browser, rep.email)
    assert resp.status_code == 303 and "/login/company" in resp.headers["Location"]
    assert browser.get("/dashboard").status_code == 302  # not logged in yet
    page = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Alpha" in page and "Beta" in page
    resp = browser.post(
        "/login/company", data={"tenant": b.tenant_id, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 303
    assert "Beta" in browser.get("/dashboard").get_data(as_text=True)


def test_the_chooser_refuses_a_company_the_account_is_not_in(app, client):
    _a, _b, rep = _two_companies(app, client)
    stranger = make_company(app, "Gamma")
    browser = app.test_client()
    resp = login(browser, rep.email)
    page = browser.get(resp.headers["Location"]).get_data(as_text=True)
    resp = browser.post(
        "/login/company", data={"tenant": stranger.tenant_id, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 404
    assert browser.get("/dashboard").status_code == 302


def test_the_header_switches_company_with_a_post(app, client):
    a, _b, _rep = _two_companies(app, client)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'action="/switch"' in page
    assert client.get("/switch").status_code == 405
    assert client.post("/switch", data={"tenant": a.tenant_id}).status_code == 400  # no CSRF
    resp = client.post("/switch", data={"tenant": a.tenant_id, "csrf_token": csrf_from(page)})
    assert resp.status_code == 303
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hello, Sales Person" in page  # Alpha's membership, with its own name
    # a company the account is not in answers like any unknown id
    other = make_company(app, "Gamma")
    resp = client.post(
        "/switch", data={"tenant": other.tenant_id, "csrf_token": csrf(client, "/dashboard")}
    )
    assert resp.status_code == 404


def test_deactivation_in_one_company_leaves_the_other(app, client):
    a, _b, rep = _two_companies(app, client)
    owner_a = app.test_client()
    login(owner_a, a.owner.email)
    token = csrf(owner_a, "/users")
    assert (
        owner_a.post(
            f"/users/{rep.id}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 303
    )
    browser = app.test_client()
    resp = login(browser, rep.email)  # one active company left: straight in
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dashboard")
    assert "Beta" in browser.get("/dashboard").get_data(as_text=True)


def test_api_tokens_name_their_company(app, client):
    a, _b, rep = _two_companies(app, client)
    api = app.test_client()
    resp = api.post("/api/v1/auth/token", json={"email": rep.email, "password": PASSWORD})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "choose_company"
    resp = api.post(
        "/api/v1/auth/token",
        json={"email": rep.email, "password": PASSWORD, "tenant_id": a.tenant_id},
    )
    assert resp.status_code == 201 and resp.json["token"].startswith(f"baza_{a.tenant_id}_")
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {resp.json['token']}"})
    assert me.json["tenant"]["name"] == "Alpha"


def test_a_reset_revokes_the_tokens_of_every_membership(app, client):
    a, b, rep = _two_companies(app, client)
    api = app.test_client()
    for company in (a, b):
        resp = api.post(
            "/api/v1/auth/token",
            json={"email": rep.email, "password": PASSWORD, "tenant_id": company.tenant_id},
        )
        assert resp.status_code == 201
    from saas.auth import service as auth_service

    with app.test_request_context("/"):
        account = auth_service.check_credentials(email=rep.email, password=PASSWORD)
        token = auth_service.signer("reset").dumps(
            {"a": account.id, "f": account.password_fingerprint()}
        )
        auth_service.reset_password(token=token, password="a brand new secret")
        db.session.commit()
    with app.app_context():
        for company in (a, b):
            with tenant_context(company.tenant_id):
                assert (
                    db.session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).all()
                    == []
                )


def test_the_invitee_language_is_chosen_by_the_inviter(app, client):
    """Issue 9: mail, accept page and the new account speak the language the inviter chose."""
    b = make_company(app, "Beta", plan="team")
    login(client, b.owner.email)
    page = client.get("/users/invite").get_data(as_text=True)
    assert 'name="language"' in page
    assert _invite(client, "neu@example.com", language="ru").status_code == 303
    run_jobs(app)
    with app.app_context(), tenant_context(b.tenant_id):
        inv = db.session.scalar(select(Invitation).where(Invitation.email == "neu@example.com"))
        assert inv.language == "ru"
        mail = db.session.scalar(select(MailMessage).where(MailMessage.kind == "invitation"))
        subject = mail.subject
    assert "invites you" not in subject and "Baza" in subject, subject  # Russian, not English
    link = _accept_link(app, b, "neu@example.com")
    visitor = app.test_client()
    page = visitor.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru"' in page
    resp = visitor.post(
        link, data={"name": "Neu", "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 303
    with app.app_context(), tenant_context(b.tenant_id):
        assert db.session.scalar(select(User.language).where(User.name == "Neu")) == "ru"


def test_invitations_are_rate_limited_per_inviter(app, client):
    b = make_company(app, "Beta", plan="business")
    login(client, b.owner.email)
    app.config["INVITE_RATE_LIMIT"] = "3 per hour"
    try:
        codes = [_invite(client, f"p{i}@example.com").status_code for i in range(4)]
    finally:
        app.config["INVITE_RATE_LIMIT"] = "30 per hour"
    assert codes == [303, 303, 303, 429]


def test_inviting_an_existing_member_of_this_company_is_refused(app, client):
    b = make_company(app, "Beta", plan="team")
    member = add_member(app, b, "sales")
    login(client, b.owner.email)
    resp = _invite(client, member.email)
    assert resp.status_code == 422 and "already a member" in resp.get_data(as_text=True)


def test_a_logged_in_account_joins_an_invitation_for_itself_with_one_click(app, client):
    a = make_company(app, "Alpha")
    b = make_company(app, "Beta", plan="team")
    owner_b = app.test_client()
    login(owner_b, b.owner.email)
    _invite(owner_b, a.owner.email)
    run_jobs(app)
    link = _accept_link(app, b, a.owner.email)
    login(client, a.owner.email)
    page = client.get(link).get_data(as_text=True)
    assert 'value="join"' in page
    resp = client.post(link, data={"action": "join", "csrf_token": csrf_from(page)})
    assert resp.status_code == 303
    assert "Beta" in client.get("/dashboard").get_data(as_text=True)
