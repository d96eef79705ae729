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
    customers: bool = False,
) -> Company:
    """A Team-plan company with a few colleagues, an open invitation and, optionally, a logo."""
    people = people or PEOPLE
    company = make_company(app, name, plan="team", email=email, language=language)
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
    if customers:
        _demo_customers(app, company, language)
    return company


#: A few customers per language (name, city, contact, phone), for the customer pages' pictures.
CUSTOMERS = {
    "en": [
        ("Northwind Traders Ltd", "London", "Laura Callahan", "+44 20 7946 0018"),
        ("Blue Harbor Logistics", "Bristol", "Tom Reed", "+44 117 496 0345"),
        ("Kola Teknologji SHPK", "Tirana", "Arben Kola", "+355 69 204 1188"),
        ("Greenfield Farms", "Leeds", "Emma Wood", "+44 113 496 0716"),
    ],
    "zh": [
        ("华信贸易有限公司", "上海", "王伟", "+86 138 0013 8000"),
        ("创汇纺织股份有限公司", "广州", "李娜", "+86 139 2233 4455"),
        ("国讯科技有限公司", "深圳", "张敏", "+86 137 1234 5678"),
        ("南康化工有限公司", "杭州", "刘洋", "+86 136 9988 7766"),
    ],
    "fa": [
        ("بازرگانی کیان", "تهران", "علی رضایی", "+98 912 345 6789"),
        ("صنایع غذایی آریا", "اصفهان", "مریم کریمی", "+98 913 222 3344"),
        ("گروه ساختمانی پارس", "شیراز", "رضا محمدی", "+98 917 111 2233"),
        ("شرکت دارویی مهر", "مشهد", "زهرا احمدی", "+98 915 444 5566"),
    ],
}


def _demo_customers(app: Flask, company: Company, language: str) -> None:
    from saas.contacts import service as contacts
    from saas.customers import service as customers

    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        for i, (name, city, person, phone) in enumerate(CUSTOMERS.get(language, [])):
            customer = customers.create_customer(
                actor=owner,
                name=name,
                city=city,
                owner_id=None if i == 3 else customers.ME,
            )
            contacts.add_inline(
                actor=owner,
                customer=customer,
                contacts=[{"name": person, "phones": [{"number": phone, "type": "work"}]}],
            )
        db.session.commit()


def log_in(page: object, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would (any language: fields found by name)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url("**/dashboard")
