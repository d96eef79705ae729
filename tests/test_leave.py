"""Leaving a company: that membership ends, the account's other companies stay."""

from sqlalchemy import select

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.auth import tokens
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from saas.users import seats
from tests.conftest import PASSWORD, add_member, csrf, login, make_company
from tests.test_companies import _two_companies


def _token(app, tenant_id, user_id):
    with app.test_request_context("/"):
        enter_tenant(tenant_id)
        _row, secret = tokens.create_token(actor=db.session.get(User, user_id), name="script")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _leave(client, password=PASSWORD):
    return client.post(
        "/settings/profile/leave",
        data={"leave-current_password": password, "csrf_token": csrf(client, "/settings/profile")},
    )


def _membership(app, tenant_id, account_email):
    with app.app_context(), tenant_context(tenant_id):
        user = db.session.scalar(
            select(User).where(User.account.has(email=account_email))  # type: ignore[attr-defined]
        )
        return user.is_active, seats.seats_used()


def test_leaving_one_company_keeps_the_other(app, client):
    a, b, rep = _two_companies(app, client)  # ``client`` is rep, logged in to Beta
    other_browser = app.test_client()
    login(other_browser, rep.email)
    other_browser.post(
        "/login/company",
        data={"tenant": b.tenant_id, "csrf_token": csrf(other_browser, "/login/company")},
    )
    assert "Beta" in other_browser.get("/dashboard").get_data(as_text=True)
    with app.app_context(), tenant_context(b.tenant_id):
        rep_b = db.session.scalar(select(User).where(User.name == "Rep at Beta"))
        rep_b_id = rep_b.id
    beta_token = _token(app, b.tenant_id, rep_b_id)
    alpha_token = _token(app, a.tenant_id, rep.id)
    assert client.get("/api/v1/me", headers=beta_token).status_code == 200
    assert _membership(app, b.tenant_id, rep.email) == (True, 2)

    resp = _leave(client)

    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/login/company")  # Alpha is still open to rep
    chooser = client.get("/login/company").get_data(as_text=True)
    assert "You have left" in chooser and "Alpha" in chooser
    resp = client.post(
        "/login/company", data={"tenant": a.tenant_id, "csrf_token": csrf(client, "/login/company")}
    )
    assert resp.status_code == 303
    assert "Alpha" in client.get("/dashboard").get_data(as_text=True)
    # Beta: the membership is inactive, its seat is free, its sessions and tokens are gone
    assert _membership(app, b.tenant_id, rep.email) == (False, 1)
    assert other_browser.get("/dashboard").status_code == 302
    assert client.get("/api/v1/me", headers=beta_token).status_code == 401
    assert client.get("/api/v1/me", headers=alpha_token).status_code == 200
    # a fresh login goes straight to Alpha, the only company left
    browser = app.test_client()
    resp = login(browser, rep.email)
    assert resp.status_code == 303 and "/login/company" not in resp.headers["Location"]
    assert "Alpha" in browser.get("/dashboard").get_data(as_text=True)
    # the log says rep left, not that somebody deactivated them
    with app.test_request_context("/"), tenant_context(b.tenant_id):
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "users", AuditEntry.object_id == rep_b_id
            )
        ).all()
        sentences = [describe(e).sentence.striptags() for e in entries]
        assert "Rep at Beta left the company" in sentences
        assert not any("deactivated" in s for s in sentences)
        left = next(e for e in entries if e.action == "users.left")
        assert left.actor_id == rep_b_id


def test_leaving_the_only_company_logs_out(app, client):
    company = make_company(app)
    member = add_member(app, company, "sales")
    login(client, member.email)
    resp = _leave(client)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/login")
    assert "You have left" in client.get("/login").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert login(app.test_client(), member.email).status_code == 403  # deactivated
    assert _membership(app, company.tenant_id, member.email) == (False, 1)


def test_the_owner_cannot_leave(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    resp = _leave(client)
    assert resp.status_code == 422
    assert "The owner cannot leave" in resp.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200
    assert _membership(app, company.tenant_id, company.owner.email) == (True, 1)


def test_a_wrong_password_leaves_nothing(app, client):
    company = make_company(app)
    member = add_member(app, company, "sales")
    login(client, member.email)
    resp = _leave(client, "not my password")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "The current password is wrong." in page
    assert 'id="leave-current_password"' in page
    field = page[page.index('id="leave-current_password"') - 300 :][:600]
    assert 'aria-invalid="true"' in field
    assert "<details open>" in page
    assert client.get("/dashboard").status_code == 200
    assert _membership(app, company.tenant_id, member.email) == (True, 2)
