"""The audit log reads as history: sentences, labels, names as they were, formatted values."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from saas.audit.models import AuditEntry
from saas.auth.models import Role, User
from saas.billing import service as billing_service
from saas.extensions import db
from saas.roles import service as roles_service
from saas.tenancy.context import enter_tenant
from saas.users import service as users_service
from tests.conftest import csrf, login, make_company


def _visible(html: str) -> str:
    """The page as read without opening the technical details."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _as_owner(app, company, fn):
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        g.actor_id = owner.id
        result = fn(owner)
        db.session.commit()
        return result


def test_an_invitation_reads_as_a_sentence(app, client):
    company = make_company(app, plan="team")
    login(client, company.owner.email)
    page = client.get("/users/invite").get_data(as_text=True)
    sales = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative<', page).group(1)
    token = csrf(client, "/users/invite")
    resp = client.post(
        "/users/invite", data={"email": "rep@x.example.com", "role": sales, "csrf_token": token}
    )
    assert resp.status_code in (200, 303)
    html = client.get("/audit").get_data(as_text=True)
    text = _visible(html)
    assert "Acme Owner invited rep@x.example.com as Sales representative" in text
    assert "role_id" not in text and "invitations.created" not in text
    assert "Expires" in text  # a field label, its value a formatted date
    # the raw entry is one click away
    raws = re.findall(r"<details.*?</details>", html, re.S)
    assert any("invitations.created" in raw and "role_id" in raw for raw in raws)


def test_names_stay_as_they_were_when_written(app, client):
    company = make_company(app, plan="team")

    def setup(owner):
        role = roles_service.create_role(
            actor=owner, name="Closers", permissions=["customers.create"]
        )
        inv = users_service.invite(actor=owner, email="ann@x.example.com", role=role.id)
        member = users_service.accept_invitation(
            invitation=inv, name="Ann Old", password="a long password", language="en"
        )
        db.session.flush()
        g.actor_id = owner.id  # accepting made the new member the actor
        users_service.update_user(actor=owner, user=member, role="viewer")
        db.session.flush()
        return role.id, member.id

    role_id, member_id = _as_owner(app, company, setup)

    def rename(owner):
        role = db.session.get(Role, role_id)
        roles_service.update_role(
            actor=owner, role=role, name="Renamed closers", permissions=["customers.create"]
        )
        member = db.session.get(User, member_id)
        member.name = "Ann New"
        owner.name = "Boss"

    _as_owner(app, company, rename)
    login(client, company.owner.email)
    text = _visible(client.get("/audit").get_data(as_text=True))
    assert "Acme Owner invited ann@x.example.com as Closers" in text
    assert "Acme Owner made Ann Old Viewer" in text
    assert "Closers → Viewer" in text  # the change, old → new, with names
    assert "Ann Old joined as Closers" in text  # accepting: the new member is the actor
    assert "Acme Owner changed the role Renamed closers" in text  # named as they were then
    assert "Boss logged in" in text


def test_plan_change_shows_plans_and_money(app, client):
    company = make_company(app)
    _as_owner(
        app, company, lambda owner: billing_service.change_plan(actor=owner, plan_code="team")
    )
    login(client, company.owner.email)
    text = _visible(client.get("/audit").get_data(as_text=True))
    assert "Acme Owner changed the plan from Free to Team" in text
    assert "€49.00" in text


def test_persian_reader_gets_persian_role_names_and_digits(app, client):
    company = make_company(app, plan="team")
    _as_owner(
        app, company, lambda owner: users_service.invite(actor=owner, email="r@x.io", role="sales")
    )
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        db.session.get(User, company.owner.id).language = "fa"
        db.session.commit()
    login(client, company.owner.email)
    html = client.get("/audit").get_data(as_text=True)
    text = _visible(html)
    assert "نماینده فروش" in text or "فروش" in text  # "Sales representative" in Persian
    assert "Sales representative" not in text
    assert "<bdi>r@x.io</bdi>" in html  # the Latin email stays whole in right-to-left text


def test_display_snapshot_is_stored_with_the_entry(app):
    company = make_company(app, plan="team")
    _as_owner(
        app, company, lambda owner: users_service.invite(actor=owner, email="s@x.io", role="sales")
    )
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "invitations.created")
        )
        assert entry.display["actor"] == "Acme Owner"
        assert entry.display["object"] == "s@x.io"
        assert entry.display["refs"]["role_id"][1]["role"] == "sales"
