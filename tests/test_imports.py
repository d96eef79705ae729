# ruff: noqa: RUF001 - Chinese punctuation and Persian digits are the point of these tests
"""The import run: upload → mapping → RQ job → result → rejected.xlsx → undo.

Real xlsx files written with openpyxl, the real ``default`` queue run by an RQ SimpleWorker,
SQLite or PostgreSQL. What each row becomes is read back from the database: customers,
contacts, phones, emails, list entries, custom fields, the undo log.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from saas.auth import tokens
from saas.contacts.models import Contact, ContactEmail, ContactPhone
from saas.customers.models import Customer
from saas.extensions import db
from saas.imports.models import ImportRow, ImportRun
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, as_member, csrf, login, make_company, run_jobs

HEADERS = ["Company", "Contact", "Phone", "Email", "City", "Manager", "Level", "Tags"]


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bearer(app, member) -> dict[str, str]:
    token = as_member(app, member, lambda actor: tokens.create_token(actor=actor, name="t")[1])
    return {"Authorization": f"Bearer {token}"}


MAPPING = {
    "0": "name",
    "1": "contact.name",
    "2": "contact.phone_mobile",
    "3": "contact.email",
    "4": "city",
    "5": "owner",
    "6": "level",
    "7": "tags",
}


@pytest.fixture
def world(app):
    company = make_company(app, "Acme", plan="business")
    rep = add_member(app, company, "sales", email="rep@acme.example.com")
    other = make_company(app, "Other Co", plan="business")
    return company, rep, other


def upload(client, headers, data: bytes, name: str = "customers.xlsx"):
    return client.post(
        "/api/v1/imports",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def in_tenant(app, tenant_id: int, fn):
    with app.app_context(), tenant_context(tenant_id):
        return fn()


def customers_of(app, tenant_id: int) -> dict[str, Customer]:
    def read():
        rows = db.session.scalars(select(Customer).where(Customer.deleted_at.is_(None))).all()
        return {c.name: c for c in rows}

    return in_tenant(app, tenant_id, read)


def test_upload_run_result_rejected_and_undo(app, client, world):
    company, rep, _other = world
    headers = bearer(app, company.owner)

    def existing(actor):
        from saas.customers import service

        return service.create_customer(actor=actor, name="Old Firm LLC", city=None).id

    old_id = as_member(app, company.owner, existing)
    data = xlsx(
        [
            [
                "Alpha Trade",
                "Ann Lee",
                "+355 69 123 4567",
                "ann@alpha.example",
                "Tirana",
                "",
                "",
                "vip, export",
            ],
            ["Beta Ltd", "Bo Chen", "", "bo@beta.example", "Durres", "", "", ""],
            ["", "", "", "", "Nowhere", "", "", ""],  # no name: rejected
            ["Old Firm", "", "", "", "Vlore", "", "", ""],  # the base has it: updated
            ["alpha trade", "", "", "", "", "", "", ""],  # within the file: a duplicate
            ["Gamma", "", "not a phone", "", "", "", "", ""],  # bad phone: rejected
        ]
    )
    response = upload(client, headers, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["columns"] == HEADERS
    assert len(body["preview"]) == 6
    assert set(body["suggested_mapping"]) == {str(i) for i in range(len(HEADERS))}
    run_id = body["id"]

    response = client.post(
        f"/api/v1/imports/{run_id}/run",
        json={
            "mapping": {k: v for k, v in MAPPING.items() if v not in ("owner", "level")},
            "duplicates": "update",
            "create_missing": True,
        },
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "queued"
    run_jobs(app)

    result = client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()
    assert result["status"] == "done", result
    assert (result["created"], result["updated"], result["skipped"], result["rejected"]) == (
        2,
        1,
        1,
        2,
    )
    found = customers_of(app, company.tenant_id)
    assert set(found) == {"Alpha Trade", "Beta Ltd", "Old Firm LLC"}
    assert found["Old Firm LLC"].city == "Vlore"  # empty field filled
    assert found["Alpha Trade"].owner_id == company.owner.id

    def contacts():
        alpha = db.session.scalar(select(Customer).where(Customer.name == "Alpha Trade"))
        contact = db.session.scalar(select(Contact).where(Contact.customer_id == alpha.id))
        phones = [p.e164 for p in contact.phones]
        emails = [e.email for e in contact.emails]
        from saas.customers.lists import tags_of

        return contact.name, contact.is_primary, phones, emails, [t.name for t in tags_of(alpha)]

    assert in_tenant(app, company.tenant_id, contacts) == (
        "Ann Lee",
        True,
        ["+355691234567"],
        ["ann@alpha.example"],
        ["VIP", "export"],  # "vip" is the default list's VIP
    )

    rejected = client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=headers)
    assert rejected.status_code == 200
    sheet = load_workbook(io.BytesIO(rejected.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADERS, "Reason"]
    assert len(rows) == 3
    assert rows[1][4] == "Nowhere" and "name" in rows[1][-1]
    assert rows[2][0] == "Gamma" and rows[2][-1]

    # undo: created customers go to the trash, the updated one gets its old value back
    undo = client.post(f"/api/v1/imports/{run_id}/undo", headers=headers)
    assert undo.status_code == 202, undo.get_json()
    run_jobs(app)
    after = client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()
    assert after["status"] == "undone"
    found = customers_of(app, company.tenant_id)
    assert set(found) == {"Old Firm LLC"}
    assert found["Old Firm LLC"].city is None and found["Old Firm LLC"].id == old_id
    again = client.post(f"/api/v1/imports/{run_id}/undo", headers=headers)
    assert again.status_code == 409
