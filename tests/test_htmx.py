"""htmx answers: a fragment, ``HX-Trigger`` and the flash out of band; 422 re-renders; the same
URLs work as plain form posts (no JavaScript)."""

from __future__ import annotations

import json
import re

from flask import flash
from sqlalchemy import select

from saas import htmx
from saas.auth.models import Invitation, User
from saas.extensions import db
from saas.roles import service as roles_service
from saas.tenancy.context import tenant_context
from saas.users import service as users_service
from tests.conftest import add_member, csrf, login, make_company

HX = {"HX-Request": "true"}


def _owner_client(app, plan="team"):
    company = make_company(app, plan=plan)
    client = app.test_client()
    assert login(client, company.owner.email).status_code == 303
    return company, client


def _role_id(app, company, key):
    with app.app_context(), tenant_context(company.tenant_id):
        return roles_service.find_role(key).id


def _user(app, company, user_id):
    with app.app_context(), tenant_context(company.tenant_id):
        user = db.session.get(User, user_id)
        return user.role.key, user.is_active


def _oob_flash(body: str) -> str:
    match = re.search(
        r'<div id="flash"[^>]*hx-swap-oob="innerHTML"[^>]*>(.*?)</div>\s*$', body, re.S
    )
    assert match, f"no out-of-band flash in:\n{body}"
    return match.group(1)


def test_respond_renders_fragment_trigger_and_oob_flash(app):
    with app.test_request_context("/", headers=HX):
        flash("Saved it.", "success")
        resp = htmx.respond(
            "users/_seats.html",
            events="thingChanged",
            oob=False,
            tenant=type("T", (), {"plan": type("P", (), {"max_users": None, "label": "Biz"})})(),
            seats_used=3,
        )
        body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert body.lstrip().startswith('<p class="muted" id="users-seats">')
    assert json.loads(resp.headers["HX-Trigger"]) == {"thingChanged": None}
    assert "Saved it." in _oob_flash(body)
    assert "HX-Request" in resp.headers.get("Vary", "")


def test_render_adds_no_flash_when_there_is_none(app):
    with app.test_request_context("/", headers=HX):
        resp = htmx.respond(None)
    assert resp.get_data(as_text=True) == ""


def test_change_role_in_place_swaps_the_row(app):
    company, client = _owner_client(app)
    bob = add_member(app, company, "sales")
    admin = _role_id(app, company, "admin")
    team = client.get("/users").get_data(as_text=True)
    # The row carries a real form (works without JS) that htmx posts and swaps in place.
    assert f'action="/users/{bob.id}/role"' in team
    assert f'hx-target="#user-{bob.id}"' in team
    resp = client.post(
        f"/users/{bob.id}/role",
        data={"role": admin, "csrf_token": csrf(client, "/users")},
        headers=HX,
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert body.lstrip().startswith(f'<tr id="user-{bob.id}"')
    assert "<html" not in body
    assert re.search(rf'<option value="{admin}" selected>', body)
    assert "userChanged" in json.loads(resp.headers["HX-Trigger"])
    assert "is now Admin" in _oob_flash(body)
    assert 'id="users-seats" hx-swap-oob="true"' in body
    assert _user(app, company, bob.id) == ("admin", True)
    # The flash was delivered with the fragment: the next page does not repeat it.
    assert "is now" not in client.get("/users").get_data(as_text=True)


def test_change_role_without_javascript_redirects(app):
    company, client = _owner_client(app)
    bob = add_member(app, company, "sales")
    resp = client.post(
        f"/users/{bob.id}/role",
        data={"role": _role_id(app, company, "viewer"), "csrf_token": csrf(client, "/users")},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/users")
    assert "is now" in client.get("/users").get_data(as_text=True)
    assert _user(app, company, bob.id) == ("viewer", True)


def test_refused_role_change_keeps_the_row_and_says_why(app):
    company, _owner = _owner_client(app)
    admin = add_member(app, company, "admin")
    bob = add_member(app, company, "sales")
    admin_client = app.test_client()
    login(admin_client, admin.email)
    token = csrf(admin_client, "/users")
    # An admin may not hand out the owner role: the row comes back unchanged, with the reason.
    resp = admin_client.post(
        f"/users/{bob.id}/role",
        data={"role": _role_id(app, company, "owner"), "csrf_token": token},
        headers=HX,
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert body.lstrip().startswith(f'<tr id="user-{bob.id}"')
    assert "owner role cannot be given" in _oob_flash(body)
    assert _user(app, company, bob.id) == ("sales", True)


def test_deactivate_swaps_the_row_and_the_seat_count(app):
    company, client = _owner_client(app)
    bob = add_member(app, company, "sales")
    team = client.get("/users").get_data(as_text=True)
    assert "2 of 10 seats used" in team
    resp = client.post(
        f"/users/{bob.id}/active",
        data={"active": "0", "csrf_token": csrf(client, "/users")},
        headers=HX,
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert body.lstrip().startswith(f'<tr id="user-{bob.id}" class="inactive"')
    assert "Reactivate" in body
    assert "1 of 10 seats used" in body  # the seat count, out of band
    assert "deactivated" in _oob_flash(body)
    assert _user(app, company, bob.id) == ("sales", False)


def test_resend_swaps_the_invitation_row_and_withdraw_removes_it(app):
    company, client = _owner_client(app)
    with app.test_request_context("/"):
        from saas.tenancy.context import enter_tenant

        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        inv = users_service.invite(actor=owner, email="new@acme.example.com", role="sales")
        db.session.commit()
        inv_id = inv.id
    token = csrf(client, "/users")
    resp = client.post(f"/invitations/{inv_id}/resend", data={"csrf_token": token}, headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert body.lstrip().startswith(f'<tr id="invitation-{inv_id}"')
    assert "sent again" in _oob_flash(body)

    resp = client.post(f"/invitations/{inv_id}/revoke", data={"csrf_token": token}, headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<tr" not in body  # the row is replaced by nothing
    assert "1 of 10 seats used" in body and "withdrawn" in _oob_flash(body)
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(Invitation, inv_id).revoked_at is not None


def test_invite_errors_re_render_the_fragment_with_422(app):
    company, client = _owner_client(app)
    token = csrf(client, "/users/invite")
    sales = _role_id(app, company, "sales")
    data = {"email": "not-an-email", "role": sales, "csrf_token": token}
    resp = client.post("/users/invite", data=data, headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert body.lstrip().startswith('<form id="users-invite"') and "<html" not in body
    assert 'aria-invalid="true"' in body and 'value="not-an-email"' in body
    # Without JavaScript: the whole page, same status, input kept.
    resp = client.post("/users/invite", data=data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "<html" in page and 'value="not-an-email"' in page


def test_invite_service_refusal_lands_on_the_email_field(app):
    company, client = _owner_client(app)
    token = csrf(client, "/users/invite")
    data = {
        "email": "twice@acme.example.com",
        "role": _role_id(app, company, "sales"),
        "csrf_token": token,
    }
    assert client.post("/users/invite", data=data, headers=HX).status_code == 204
    resp = client.post("/users/invite", data=data, headers=HX)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    field = re.search(r'<div class="field has-error" id="email-field">(.*?)</div>', body, re.S)
    assert field and 'aria-invalid="true"' in field.group(1)
    assert "already been invited" in field.group(1)
    assert 'class="alert alert-error"' not in body  # not a form-level alert


def test_invite_inline_check_validates_without_inviting(app):
    company, client = _owner_client(app)
    page = client.get("/users/invite").get_data(as_text=True)
    assert 'hx-trigger="change"' in page and 'hx-select="#email-field"' in page
    token = csrf(client, "/users/invite")
    resp = client.post(
        "/users/invite",
        data={
            "email": "nope",
            "role": _role_id(app, company, "sales"),
            "csrf_token": token,
            "check": "email",
        },
        headers=HX,
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.search(r'id="email-field">.*aria-invalid="true"', body, re.S)
    resp = client.post(
        "/users/invite",
        data={
            "email": "fine@acme.example.com",
            "role": _role_id(app, company, "sales"),
            "csrf_token": token,
            "check": "email",
        },
        headers=HX,
    )
    assert resp.status_code == 200 and "aria-invalid" not in resp.get_data(as_text=True)
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(Invitation)).all() == []


def test_delete_role_removes_the_row_in_place(app):
    company, client = _owner_client(app)
    with app.test_request_context("/"):
        from saas.tenancy.context import enter_tenant

        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        role = roles_service.create_role(actor=owner, name="Temps", permissions=[])
        db.session.commit()
        role_id = role.id
    page = client.get("/roles").get_data(as_text=True)
    assert f'hx-target="#role-{role_id}"' in page
    resp = client.post(
        f"/roles/{role_id}/delete", data={"csrf_token": csrf(client, "/roles")}, headers=HX
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<tr" not in body and "deleted" in _oob_flash(body)
