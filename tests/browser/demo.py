"""Demo data for the browser tests, the screenshots and the landing page picture."""

from __future__ import annotations

import io

from flask import Flask
from PIL import Image, ImageDraw

from saas.auth.models import User
from saas.extensions import db
from saas.settings import service as settings
from saas.tenancy.context import enter_tenant
from saas.users import service as users
from tests.conftest import PASSWORD, Company, add_member, make_company


def logo_png() -> bytes:
    """A small two-colour logo."""
    img = Image.new("RGB", (240, 240), "#0b5cad")
    ImageDraw.Draw(img).ellipse((50, 50, 190, 190), fill="#ffffff")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


#: People of the demo company, by role; the owner first.
PEOPLE = {
    "owner": "Ada Lovelace",
    "admin": "Erion Hoxha",
    "manager": "Li Wei",
    "sales": "Sara Ahmadi",
}


def demo_company(
    app: Flask,
    name: str = "Acme Trading",
    email: str = "ada@acme.example.com",
    logo: bool = True,
    people: dict[str, str] | None = None,
    language: str = "en",
) -> Company:
    """A Team-plan company with a few colleagues, an open invitation and, optionally, a logo."""
    people = people or PEOPLE
    company = make_company(app, name, plan="team", email=email)
    domain = email.split("@", 1)[1]
    members = {
        role: add_member(app, company, role, email=f"{role}@{domain}")
        for role in ("admin", "manager", "sales")
    }
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        owner.name = people["owner"]
        owner.language = language
        for role, member in members.items():
            db.session.get(User, member.id).name = people[role]
        users.invite(actor=owner, email=f"new.colleague@{domain}", role="viewer")
        settings.update_company(
            actor=owner,
            name=name,
            default_currency="EUR",
            default_country="AL",
            timezone="Europe/Tirane",
        )
        if logo:
            settings.set_logo(actor=owner, data=logo_png())
        db.session.commit()
    return company


def log_in(page: object, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would (any language: fields found by name)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url("**/dashboard")
