"""Plans and billing; company settings, logo and mail settings."""

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from saas.auth.models import User
from saas.billing import service as billing
from saas.billing.models import PlanChange
from saas.billing.service import BillingPeriod, billing_period, prorate
from saas.extensions import db
from saas.tenancy.context import enter_tenant, tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import PASSWORD, add_member, csrf, login, make_company


def _plan(app, company):
    with app.app_context(), tenant_context(company.tenant_id):
        return db.session.get(Tenant, company.tenant_id).plan.code


def _confirm_form(html):
    """The hidden fields of the confirm form on a preview page."""
    fields = dict(re.findall(r'<input type="hidden" name="(plan|amount)" value="([^"]*)"', html))
    assert set(fields) == {"plan", "amount"}, "no confirm form on the page"
    return fields


def _changes(app, company):
    with app.app_context(), tenant_context(company.tenant_id):
        return list(db.session.scalars(select(PlanChange)))


def test_switching_plan_previews_first_and_charges_only_on_confirm(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    billing = client.get("/billing").get_data(as_text=True)
    assert 'href="/billing/plan/team"' in billing
    # The "Switch to Team" button only shows what will happen.
    preview = client.get("/billing/plan/team")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    for fact in ("€49.00", "per month", "1 in use of 10", "Takes effect", "days left", "Confirm"):
        assert fact in page, fact
    # An old-style one-click POST (no confirmed amount) also only previews.
    token = csrf(client, "/billing")
    again = client.post("/billing/plan", data={"plan": "team", "csrf_token": token})
    assert again.status_code == 200 and "Confirm" in again.get_data(as_text=True)
    assert _plan(app, company) == "free" and _changes(app, company) == []
    form = _confirm_form(page)
    amount = Decimal(form["amount"])
    assert Decimal("0") < amount <= Decimal("49.00")
    # A stale amount (another day, another price) changes nothing and shows the new figures.
    stale = client.post(
        "/billing/plan", data={"plan": "team", "amount": "1.00", "csrf_token": token}
    )
    assert stale.status_code == 409 and "The amount has changed" in stale.get_data(as_text=True)
    assert _plan(app, company) == "free"
    # Confirming charges the prorated amount that was shown.
    resp = client.post("/billing/plan", data={**form, "csrf_token": token})
    assert resp.status_code == 303
    assert _plan(app, company) == "team"
    page = client.get("/billing").get_data(as_text=True)
    assert "builtin-" in page and "Current plan" in page
    [change] = _changes(app, company)
    assert change.provider == "builtin" and change.amount == amount
    assert isinstance(change.amount, Decimal)
    # now a third user fits
    add_member(app, company, "sales")
    add_member(app, company, "viewer")


def test_billing_period_follows_the_signup_day():
    assert billing_period(date(2026, 1, 1), date(2026, 11, 16)) == BillingPeriod(
        date(2026, 11, 1), date(2026, 12, 1)
    )
    # the 31st in a short month: the last day of that month
    assert billing_period(date(2025, 10, 31), date(2026, 2, 15)) == BillingPeriod(
        date(2026, 1, 31), date(2026, 2, 28)
    )
    assert billing_period(date(2025, 10, 31), date(2026, 2, 28)) == BillingPeriod(
        date(2026, 2, 28), date(2026, 3, 31)
    )
    # across the year end, and on the anniversary itself
    assert billing_period(date(2026, 3, 20), date(2027, 1, 5)) == BillingPeriod(
        date(2026, 12, 20), date(2027, 1, 20)
    )
    assert billing_period(date(2026, 3, 20), date(2026, 4, 20)).start == date(2026, 4, 20)
    assert BillingPeriod(date(2026, 11, 1), date(2026, 12, 1)).days_left(date(2026, 11, 30)) == 1
    assert prorate(Decimal("49.00"), 1, 3) == Decimal("16.33")
    assert prorate(Decimal("149.00"), 1, 2) == Decimal("74.50")


def test_proration_credits_the_old_plan_and_charges_the_new_for_the_days_left(app):
    company = make_company(app)
    today = date(2026, 11, 16)  # signed up on the 1st: 15 of 30 days left in November
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        tenant = db.session.get(Tenant, company.tenant_id)
        tenant.created_at = datetime(2026, 1, 1, 9, 30)
        owner = db.session.get(User, company.owner.id)
        up = billing.preview_plan_change(actor=owner, plan_code="team", today=today)
        assert (up.credit, up.charge, up.amount) == (
            Decimal("0.00"),
            Decimal("24.50"),
            Decimal("24.50"),
        )
        assert (up.days_left, up.period.days, up.effective) == (15, 30, today)
        assert up.refusal is None and up.is_upgrade
        change = billing.change_plan(
            actor=owner, plan_code="team", expected_amount=Decimal("24.50"), today=today
        )
        assert change.amount == Decimal("24.50")
        bigger = billing.preview_plan_change(actor=owner, plan_code="business", today=today)
        assert (bigger.credit, bigger.charge, bigger.amount) == (
            Decimal("24.50"),
            Decimal("74.50"),
            Decimal("50.00"),
        )
        # the last day of the period: one day's worth
        last = billing.preview_plan_change(
            actor=owner, plan_code="business", today=date(2026, 11, 30)
        )
        assert last.amount == Decimal("3.34")  # 4.97 - 1.63, each rounded to the cent
        down = billing.preview_plan_change(actor=owner, plan_code="free", today=today)
        assert down.amount == Decimal("-24.50") and not down.is_upgrade
        change = billing.change_plan(actor=owner, plan_code="free", today=today)
        assert change.amount == Decimal("-24.50")
        assert billing.preview_plan_change(actor=owner, plan_code="free", today=today) is None
        db.session.rollback()


def test_downgrade_below_the_seats_in_use_stays_on_billing_with_the_way_out(app, client):
    company = make_company(app, plan="team")
    add_member(app, company, "sales")
    add_member(app, company, "viewer")
    login(client, company.owner.email)
    token = csrf(client, "/billing")
    for resp in (
        client.get("/billing/plan/free"),
        client.post("/billing/plan", data={"plan": "free", "csrf_token": token}),
        client.post(
            "/billing/plan", data={"plan": "free", "amount": "-24.50", "csrf_token": token}
        ),
    ):
        page = resp.get_data(as_text=True)
        assert resp.status_code == 409
        assert "3 seats are in use" in page
        assert 'id="billing-plans"' in page and "Go to the start page" not in page
        assert 'href="/users#users-invitations"' in page and 'href="/users"' in page
        # one word for one action: the Team page's button says "Withdraw"
        assert "withdraw invitations" in page and "revoke" not in page.lower()
        assert 'name="amount"' not in page  # nothing to confirm
    assert _plan(app, company) == "team" and _changes(app, company) == []


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
        "smtp-host": "localhost",  # must resolve; the tests allow loopback
        "smtp-port": "587",
        "smtp-user": "crm",
        "smtp-password": "s3cret",
        "smtp-sender": "",
        "smtp-security": "starttls",
        "smtp-current_password": PASSWORD,
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
    for step in ("Set up your company", "Invite a colleague", "Make it yours", "Your preferences"):
        assert step in html
    member = add_member(app, company, "sales")
    rep = app.test_client()
    login(rep, member.email)
    html = rep.get("/dashboard").get_data(as_text=True)
    assert "Invite a colleague" not in html and "Make it yours" not in html
    assert "Your preferences" in html


def _done_steps(client):
    html = client.get("/dashboard").get_data(as_text=True)
    steps = re.findall(r'<li class="step( done)?">\s*<div>\s*<strong>([^<]+)</strong>', html)
    assert steps, "no steps on the dashboard"
    return {title for done, title in steps if done}


def test_the_first_customer_step_is_done_once_the_company_has_a_customer(app, client):
    from saas.customers import service as customers
    from tests.conftest import as_member

    company = make_company(app)
    login(client, company.owner.email)
    assert "Add your first customer" in client.get("/dashboard").get_data(as_text=True)
    assert "Add your first customer" not in _done_steps(client)
    as_member(
        app,
        company.owner,
        lambda me: customers.create_customer(actor=me, name="Arta Trade", owner_id=customers.ME),
    )
    assert "Add your first customer" in _done_steps(client)


def test_a_company_placed_by_the_browsers_zone_at_signup_is_set_up(app, client):
    from saas.auth.service import signup

    with app.test_request_context("/"):
        signup(
            company="Arta",
            name="Arta Owner",
            email="owner@arta.example.com",
            password=PASSWORD,
            timezone="Europe/Tirane",
        )
        db.session.commit()
    login(client, "owner@arta.example.com")
    assert _done_steps(client) == {"Set up your company"}


def test_dashboard_checklist_completes(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    assert _done_steps(client) == set()
    token = csrf(client, "/settings/company")
    # A country alone, still in UTC (signup's zone when it cannot guess one), is not set up.
    with app.app_context(), tenant_context(company.tenant_id):  # the app role sees its tenant only
        db.session.get(Tenant, company.tenant_id).default_country = "AL"
        db.session.commit()
    assert _done_steps(client) == set()
    # Country, currency and time zone chosen: done.
    save = {
        "company-name": "Acme",
        "company-default_currency": "ALL",
        "company-default_country": "AL",
        "company-timezone": "Europe/Tirane",
        "company-csrf_token": token,
    }
    assert client.post("/settings/company", data=save).status_code == 303
    assert _done_steps(client) == {"Set up your company"}
    # A logo makes it yours.
    client.post(
        "/settings/company/logo",
        data={"logo-logo": (_image(), "logo.png"), "logo-csrf_token": token},
        content_type="multipart/form-data",
    )
    assert _done_steps(client) == {"Set up your company", "Make it yours"}
    add_member(app, company, "sales")
    with app.app_context():
        enter_tenant(company.tenant_id)
        db.session.get(User, company.owner.id).timezone = "Europe/Tirane"
        db.session.commit()
    assert _done_steps(client) == {
        "Set up your company",
        "Invite a colleague",
        "Make it yours",
        "Your preferences",
    }


def _png_bomb(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of ``width`` x ``height`` white pixels: tiny file, huge image."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + packed pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [13000, 17500])  # 169 and 306 megapixels
def test_a_decompression_bomb_logo_is_refused_before_decoding(app, client, side):
    """Issue 5 finding 5: a 13000x13000 PNG took 1.4 GB; a 306-megapixel one gave a 500."""
    bomb = _png_bomb(side, side)
    assert len(bomb) < 1024 * 1024
    company = make_company(app)
    login(client, company.owner.email)
    token = csrf(client, "/settings/company")
    resp = client.post(
        "/settings/company/logo",
        data={"logo-logo": (io.BytesIO(bomb), "bomb.png"), "logo-csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "too large" in resp.get_data(as_text=True)
    assert client.get("/settings/company/logo.png").status_code == 404


def test_open_image_checks_the_header_before_decoding(app, monkeypatch):
    from PIL import ImageFile

    from saas.errors import ValidationFailed
    from saas.images import open_image

    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    with app.test_request_context("/"), pytest.raises(ValidationFailed) as refused:
        open_image(_png_bomb(5000, 10), max_side=4096, code="attachment")
    assert refused.value.status == 422 and refused.value.code == "attachment"
    assert decoded == []
