"""Issue 9, "Mail that fails must not look sent": a test button, a banner, undelivered invitations.

Before: a host that does not resolve was saved without a check; inviting flashed "Invitation
sent" and Team showed "pending" while the Outbox said "failed, will retry".
"""

from __future__ import annotations

from sqlalchemy import select

from saas.auth.models import Invitation, User
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from saas.users import service as users_service
from tests.conftest import add_member, csrf, login, make_company, run_jobs
from tests.smtp import free_port, point_company_smtp, queue_notice, smtp_server

HX = {"HX-Request": "true"}


def _test_button(client):
    return client.post(
        "/settings/company/smtp/test",
        data={"csrf_token": csrf(client, "/settings/company")},
        headers=HX,
    )


def test_the_test_button_sends_through_the_saved_server(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    assert "Send a test message" in client.get("/settings/company").get_data(as_text=True)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        resp = _test_button(client)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="smtp-test-result"' in page
    assert 'data-ok="true"' in page and company.owner.email in page
    assert [m["To"] for m in inbox.messages] == [company.owner.email]


def test_the_test_button_says_what_failed_in_words(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    point_company_smtp(app, company.tenant_id, "127.0.0.1", free_port())  # nothing listens
    page = _test_button(client).get_data(as_text=True)
    assert 'data-ok="false"' in page and "could not be reached" in page
    assert "Errno" not in page and "refused" not in page.lower()


def test_the_test_button_without_htmx_redirects_with_the_result(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    resp = client.post(
        "/settings/company/smtp/test", data={"csrf_token": csrf(client, "/settings/company")}
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "No mail server is set up." in page


def _fail_some_mail(app, company):
    point_company_smtp(app, company.tenant_id, "127.0.0.1", free_port())
    queue_notice(app, company.tenant_id)
    run_jobs(app)


def test_admins_see_a_banner_on_team_and_dashboard_when_mail_fails(app, client):
    company = make_company(app, plan="team")
    viewer = add_member(app, company, "viewer")
    login(client, company.owner.email)
    assert 'id="mail-health"' not in client.get("/dashboard").get_data(as_text=True)
    _fail_some_mail(app, company)
    for url in ("/dashboard", "/users"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="mail-health"' in page, url
        assert "could not be reached" in page
    client.post("/logout", data={"csrf_token": csrf(client, "/dashboard")})
    login(client, viewer.email)
    assert 'id="mail-health"' not in client.get("/dashboard").get_data(as_text=True)


def test_an_undelivered_invitation_offers_its_link(app, client):
    company = make_company(app, plan="team")
    admin = add_member(app, company, "admin")
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none")
    try:
        with app.test_request_context("/"):
            enter_tenant(company.tenant_id)
            owner = db.session.get(User, company.owner.id)
            users_service.invite(actor=owner, email="lost@acme.example.com", role="sales")
            users_service.invite(actor=owner, email="fine@acme.example.com", role="sales")
            db.session.commit()
        run_jobs(app)  # nothing listens on the installation's port: both fail
    finally:
        app.config.update(saved)
    with app.app_context(), tenant_context(company.tenant_id):
        from saas.mail.models import MailMessage

        # the other one went out on a later try
        db.session.execute(
            MailMessage.__table__.update()
            .where(MailMessage.to_addr == "fine@acme.example.com")
            .values(status="sent", error=None)
        )
        db.session.commit()
        ids = dict(db.session.execute(select(Invitation.email, Invitation.id)).all())
        lost_id, fine_id = ids["lost@acme.example.com"], ids["fine@acme.example.com"]
    login(client, company.owner.email)
    page = client.get("/users").get_data(as_text=True)
    assert f'data-undelivered="{lost_id}"' in page
    assert f'data-undelivered="{fine_id}"' not in page
    assert "not delivered — copy the link instead" in page
    assert f'id="invitation-link-{lost_id}"' in page and "/invite/" in page
    # the link is a key to an account with the invitation's role: not for every team manager
    client.post("/logout", data={"csrf_token": csrf(client, "/users")})
    login(client, admin.email)
    page = client.get("/users").get_data(as_text=True)
    assert f'data-undelivered="{lost_id}"' in page and "/invite/" not in page
