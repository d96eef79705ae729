"""Plans and billing; company settings, logo and mail settings."""

import io
from decimal import Decimal

from PIL import Image
from sqlalchemy import select

from saas.billing.models import PlanChange
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import add_member, csrf, login, make_company


def _plan(app, company):
    with app.app_context(), tenant_context(company.tenant_id):
        return db.session.get(Tenant, company.tenant_id).plan.code


def test_owner_upgrades_and_the_provider_records_it(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/billing")
    resp = client.post("/billing/plan", data={"plan": "team", "csrf_token": token})
    assert resp.status_code == 303
    assert _plan(app, company) == "team"
    page = client.get("/billing").get_data(as_text=True)
    assert "builtin-" in page and "Current plan" in page
    with app.app_context(), tenant_context(company.tenant_id):
        change = db.session.scalar(select(PlanChange))
        assert (
            change.provider == "builtin"
            and change.amount == Decimal("49.00")
            and isinstance(change.amount, Decimal)
        )
    # now a third user fits
    add_member(app, company, "sales")
    add_member(app, company, "viewer")


def test_downgrade_below_the_seats_in_use_is_refused(app, client):
    company = make_company(app, plan="team")
    add_member(app, company, "sales")
    add_member(app, company, "viewer")
    login(client, company.owner.email)
    resp = client.post(
        "/billing/plan", data={"plan": "free", "csrf_token": csrf(client, "/billing")}
    )
    assert resp.status_code == 409
    assert "3 seats are in use" in resp.get_data(as_text=True)
    assert _plan(app, company) == "team"


def test_unknown_plan_and_non_owner(app, client):
    company = make_company(app, plan="team")
    admin = add_member(app, company, "admin")
    login(client, company.owner.email)
    assert (
        client.post(
            "/billing/plan", data={"plan": "platinum", "csrf_token": csrf(client, "/billing")}
        ).status_code
        == 404
    )
    other = app.test_client()
    login(other, admin.email)
    assert other.get("/billing").status_code == 403  # admin = owner minus billing
    assert (
        other.post(
            "/billing/plan", data={"plan": "business", "csrf_token": csrf(other, "/dashboard")}
        ).status_code
        == 403
    )
    assert _plan(app, company) == "team"


def test_company_settings(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/company")
    resp = client.post(
        "/settings/company",
        data={
            "company-name": "Acme Sh.p.k.",
            "company-default_currency": "ALL",
            "company-default_country": "AL",
            "company-timezone": "Europe/Tirane",
            "company-csrf_token": token,
        },
    )
    assert resp.status_code == 303
    with app.app_context(), tenant_context(company.tenant_id):
        tenant = db.session.get(Tenant, company.tenant_id)
        assert (tenant.name, tenant.default_currency, tenant.default_country, tenant.timezone) == (
            "Acme Sh.p.k.",
            "ALL",
            "AL",
            "Europe/Tirane",
        )
    bad = client.post(
        "/settings/company",
        data={
            "company-name": "",
            "company-default_currency": "XXX1",
            "company-default_country": "AL",
            "company-timezone": "Mars/Base",
            "company-csrf_token": token,
        },
    )
    assert bad.status_code == 422
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(Tenant, company.tenant_id).name == "Acme Sh.p.k."


def _image(fmt="PNG", size=(900, 300)):
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, fmt)
    out.seek(0)
    return out


def test_logo_upload_is_checked_resized_and_served_only_to_the_tenant(app, client):
    company = make_company(app)
    other_company = make_company(app, "Bolt")
    login(client, company.owner.email)
    token = csrf(client, "/settings/company")
    resp = client.post(
        "/settings/company/logo",
        data={"logo-logo": (_image("JPEG"), "logo.jpg"), "logo-csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    served = client.get("/settings/company/logo.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(served.data)).size) == 512
    # not an image
    resp = client.post(
        "/settings/company/logo",
        data={
            "logo-logo": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg"),
            "logo-csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "PNG, JPEG" in resp.get_data(as_text=True)
    other = app.test_client()
    login(other, other_company.owner.email)
    assert (
        other.get("/settings/company/logo.png").status_code == 404
    )  # Bolt has no logo; Acme's is not theirs
    client.post("/settings/company/logo/delete", data={"csrf_token": token})
    assert client.get("/settings/company/logo.png").status_code == 404


def test_smtp_settings_keep_the_password_unless_replaced(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/company")
    data = {
        "smtp-host": "smtp.acme.example.com",
        "smtp-port": "587",
        "smtp-user": "crm",
        "smtp-password": "s3cret",
        "smtp-sender": "",
        "smtp-security": "starttls",
        "smtp-csrf_token": token,
    }
    assert client.post("/settings/company/smtp", data=data).status_code == 303
    page = client.get("/settings/company").get_data(as_text=True)
    assert "s3cret" not in page and "your own server" in page
    assert (
        client.post("/settings/company/smtp", data={**data, "smtp-password": ""}).status_code == 303
    )
    with app.app_context(), tenant_context(company.tenant_id):
        stored = db.session.get(Tenant, company.tenant_id).smtp_password_encrypted
        assert "s3cret" not in stored  # encrypted at rest
        from saas.crypto import decrypt

        assert decrypt(stored, purpose="smtp") == "s3cret"
    assert (
        client.post("/settings/company/smtp", data={**data, "smtp-port": "70000"}).status_code
        == 422
    )


def test_dashboard_empty_state_guides_the_next_steps(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    html = client.get("/dashboard").get_data(as_text=True)
    for step in ("Set up your company", "Invite a colleague", "Make it yours"):
        assert step in html
    member = add_member(app, company, "sales")
    rep = app.test_client()
    login(rep, member.email)
    html = rep.get("/dashboard").get_data(as_text=True)
    assert "Invite a colleague" not in html and "Make it yours" in html
