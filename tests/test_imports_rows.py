# ruff: noqa: RUF001 - Persian digits are the point of the Jalali test
"""What rows become: owners from the manager column, list entries, custom fields, updates
(empty only / overwrite) and their undo, duplicates within the file, Jalali dates, a run that
dies mid-file, and a rejected list that re-imports with the same mapping. Real xlsx/csv files,
the real queue with an RQ SimpleWorker, read back from the database."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from saas.contacts.models import Contact
from saas.customers.attributes import ListEntry
from saas.customers.models import Customer
from saas.extensions import db
from saas.imports.models import ImportRow, ImportRun
from tests.conftest import add_member, as_member, make_company, run_jobs
from tests.test_imports import bearer, customers_of, in_tenant, upload, xlsx


@pytest.fixture
def world(app):
    company = make_company(app, "Acme", plan="business")
    rep = add_member(app, company, "sales", email="rep@acme.example.com")
    return company, rep


def _import(client, headers, data: bytes, mapping: dict, name: str = "t.xlsx", **options):
    body = upload(client, headers, data, name).get_json()
    response = client.post(
        f"/api/v1/imports/{body['id']}/run", json={"mapping": mapping, **options}, headers=headers
    )
    assert response.status_code == 202, response.get_json()
    return body["id"]


def _result(app, client, headers, run_id: int) -> dict:
    run_jobs(app)
    return client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()


def _rejected(client, headers, run_id: int) -> list[tuple]:
    data = client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=headers).data
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1:]


def test_owner_from_the_manager_column(app, client, world):
    company, rep = world
    headers = bearer(app, company.owner)
    data = xlsx(
        [
            ["One", "Acme Owner"],
            ["Two", "REP@acme.example.com"],
            ["Three", ""],
            ["Four", "Nobody Here"],
        ],
        headers=["Company", "Manager"],
    )
    run_id = _import(client, headers, data, {"0": "name", "1": "owner"}, owner="column")
    result = _result(app, client, headers, run_id)
    assert (result["created"], result["rejected"]) == (3, 1)
    found = customers_of(app, company.tenant_id)
    assert found["One"].owner_id == company.owner.id
    assert found["Two"].owner_id == rep.id
    assert found["Three"].owner_id is None  # no manager given: the pool
    [row] = _rejected(client, headers, run_id)
    assert row[0] == "Four" and "Nobody Here" in row[-1]


def test_owner_column_needs_customers_assign_and_pool_means_nobody(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)
    data = xlsx([["Pooled"]], headers=["Company"])
    run_id = _import(client, headers, data, {"0": "name"}, owner="pool")
    assert _result(app, client, headers, run_id)["created"] == 1
    assert customers_of(app, company.tenant_id)["Pooled"].owner_id is None


def test_list_entries_are_matched_and_created_only_when_asked(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)
    data = xlsx(
        [["Known", "vip", "Retail"], ["Unknown", "Platinum", ""]],
        headers=["Company", "Tags", "Industry"],
    )
    mapping = {"0": "name", "1": "tags", "2": "industry"}

    def industry_names():
        return {
            e.name
            for e in db.session.scalars(select(ListEntry).where(ListEntry.kind == "industry"))
        }

    run_id = _import(client, headers, data, mapping)
    result = _result(app, client, headers, run_id)
    assert (result["created"], result["rejected"]) == (0, 2) or result["rejected"] >= 1
    reasons = [r[-1] for r in _rejected(client, headers, run_id)]
    assert any("Platinum" in r for r in reasons)
    run_id = _import(client, headers, data, mapping, name="again.xlsx", create_missing=True)
    result = _result(app, client, headers, run_id)
    assert result["rejected"] == 0 and result["created"] >= 1

    def tags():
        return {
            e.name for e in db.session.scalars(select(ListEntry).where(ListEntry.kind == "tag"))
        }

    assert "Platinum" in in_tenant(app, company.tenant_id, tags)
    assert "Retail" in in_tenant(app, company.tenant_id, industry_names)


def test_custom_fields_are_validated_like_the_card_and_unique_within_the_file(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)

    def define(actor):
        from saas.customers import fields

        fields.create_field(actor=actor, label="Revenue", type="money")
        fields.create_field(actor=actor, label="Contract no", type="text", unique=True)
        return {f.label: f.key for f in fields.fields()}

    keys = as_member(app, company.owner, define)
    data = xlsx(
        [["A", "1,234.50", "C-1"], ["B", "lots", "C-2"], ["C", "10", "C-1"], ["D", "", "C-3"]],
        headers=["Company", "Revenue", "Contract no"],
    )
    mapping = {"0": "name", "1": f"cf.{keys['Revenue']}", "2": f"cf.{keys['Contract no']}"}
    run_id = _import(client, headers, data, mapping)
    result = _result(app, client, headers, run_id)
    assert (result["created"], result["rejected"]) == (2, 2), result
    rejected = {r[0]: r[-1] for r in _rejected(client, headers, run_id)}
    assert "Revenue" in rejected["B"]
    assert "Contract no" in rejected["C"]

    def value():
        from saas.customers import fields

        a = db.session.scalar(select(Customer).where(Customer.name == "A"))
        return fields.python_values(a)

    values = in_tenant(app, company.tenant_id, value)
    assert values[keys["Revenue"]] == Decimal("1234.50")


def _base_customer(app, company):
    def make(actor):
        from saas.contacts import service as contacts
        from saas.customers import service

        customer = service.create_customer(actor=actor, name="Zeta GmbH", city="Graz")
        contacts.create_contact(
            actor=actor,
            customer_id=customer.id,
            name="Zoe",
            position="Buyer",
            phones=[{"number": "+43 664 1234567", "type": "mobile"}],
        )
        return customer.id

    return as_member(app, company.owner, make)


@pytest.mark.parametrize("mode", ["empty_only", "overwrite"])
def test_update_then_undo_restores_what_it_changed(app, client, world, mode):
    company, _rep = world
    headers = bearer(app, company.owner)
    customer_id = _base_customer(app, company)
    data = xlsx(
        [
            [
                "Zeta",
                "Vienna",
                "Zoe",
                "Chief buyer",
                "+43 664 7654321",
                "zoe@zeta.example",
                "Wien st. 1",
            ]
        ],
        headers=["Company", "City", "Contact", "Position", "Mobile", "Email", "Address"],
    )
    mapping = {
        "0": "name",
        "1": "city",
        "2": "contact.name",
        "3": "contact.position",
        "4": "contact.phone_mobile",
        "5": "contact.email",
        "6": "address",
    }
    run_id = _import(client, headers, data, mapping, duplicates="update", update_mode=mode)
    result = _result(app, client, headers, run_id)
    assert (result["created"], result["updated"]) == (0, 1), result

    def read():
        customer = db.session.get(Customer, customer_id)
        contact = db.session.scalar(select(Contact).where(Contact.customer_id == customer_id))
        return (
            customer.name,
            customer.city,
            customer.address,
            contact.position,
            sorted(p.e164 for p in contact.phones),
            [e.email for e in contact.emails],
        )

    name, city, address, position, phones, emails = in_tenant(app, company.tenant_id, read)
    assert address == "Wien st. 1"  # was empty: filled in both modes
    assert phones == ["+436641234567", "+436647654321"] and emails == ["zoe@zeta.example"]
    if mode == "overwrite":
        assert (name, city, position) == ("Zeta", "Vienna", "Chief buyer")
    else:
        assert (name, city, position) == ("Zeta GmbH", "Graz", "Buyer")
    undo = client.post(f"/api/v1/imports/{run_id}/undo", headers=headers)
    assert undo.status_code == 202
    run_jobs(app)
    assert in_tenant(app, company.tenant_id, read) == (
        "Zeta GmbH",
        "Graz",
        None,
        "Buyer",
        ["+436641234567"],
        [],
    )


def test_duplicates_within_the_file_and_create_anyway(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)
    data = xlsx(
        [["Echo", "e@echo.example"], ["Other name", "E@ECHO.example"], ["Echo Ltd", ""]],
        headers=["Company", "Email"],
    )
    mapping = {"0": "name", "1": "contact.email"}
    run_id = _import(client, headers, data, mapping)
    result = _result(app, client, headers, run_id)
    assert (result["created"], result["skipped"]) == (1, 2)  # same email; same name key
    run_id = _import(client, headers, data, mapping, name="b.xlsx", duplicates="create")
    assert _result(app, client, headers, run_id)["created"] == 3


def test_jalali_birthdays(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)
    data = xlsx([["Kian", "Reza", "۱۳۶۹/۰۵/۱۲"]], headers=["Company", "Contact", "Birthday"])
    mapping = {"0": "name", "1": "contact.name", "2": "contact.birthday"}
    run_id = _import(client, headers, data, mapping, jalali=True)
    assert _result(app, client, headers, run_id)["created"] == 1

    def birthday():
        return db.session.scalar(select(Contact.birthday))

    assert in_tenant(app, company.tenant_id, birthday) == date(1990, 8, 3)


WORKER = """
from rq import SimpleWorker
from saas import create_app
from saas.jobs import get_queue
from saas.redis_conn import get_redis

app = create_app()
with app.app_context():
    SimpleWorker([get_queue("default")], connection=get_redis()).work(burst=True)
"""


def test_a_worker_killed_mid_file_leaves_a_failed_run_with_its_counts_and_undo_works(
    app, client, world
):
    """A real worker process is SIGKILLed mid-import: what it committed is counted, the stale
    sweep fails the job, the import says failed, and undo takes every committed row back."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from datetime import timedelta

    from saas.progress.service import fail_stale_jobs
    from saas.utils import utcnow
    from tests.conftest import TEST_DB

    company, _rep = world
    headers = bearer(app, company.owner)
    rows = 5000
    data = ("Company,City\n" + "".join(f"Firm {i},Town\n" for i in range(rows))).encode()
    body = upload(client, headers, data, "firms.csv").get_json()
    client.post(
        f"/api/v1/imports/{body['id']}/run",
        json={"mapping": {"0": "name", "1": "city"}},
        headers=headers,
    )
    env = {
        **os.environ,
        "DATABASE_URL": TEST_DB,
        "REDIS_URL": app.config["REDIS_URL"],
        "TENANTS_DIR": app.config["TENANTS_DIR"],
        "IMPORT_CHUNK": "50",
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def done() -> int:
        run = db.session.get(ImportRun, body["id"])
        db.session.refresh(run)
        return run.done

    try:
        deadline = time.monotonic() + 120
        while in_tenant(app, company.tenant_id, done) < 200:
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    result = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert result["status"] == "running" and 200 <= result["done"] < rows, result
    assert result["created"] == result["done"] == len(customers_of(app, company.tenant_id))
    # the scheduler's sweep finds the silent job; the import reads it as failed
    in_tenant(
        app,
        company.tenant_id,
        lambda: (fail_stale_jobs(utcnow() + timedelta(hours=1)), db.session.commit()),
    )
    result = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert result["status"] == "failed" and result["created"] == result["done"], result
    assert client.post(f"/api/v1/imports/{body['id']}/undo", headers=headers).status_code == 202
    run_jobs(app)
    assert customers_of(app, company.tenant_id) == {}
    final = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert final["status"] == "undone"


def test_the_rejected_list_reimports_with_the_same_mapping(app, client, world):
    company, _rep = world
    headers = bearer(app, company.owner)
    data = xlsx([["", "nobody@x.example"], ["Fine", "fine@x.example"]], headers=["Firm", "Mail"])
    mapping = {"0": "name", "1": "contact.email"}
    run_id = _import(client, headers, data, mapping)
    assert _result(app, client, headers, run_id)["rejected"] == 1
    fixed = client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=headers).data
    workbook = load_workbook(io.BytesIO(fixed))
    workbook.active["A2"] = "Now named"
    out = io.BytesIO()
    workbook.save(out)
    again = upload(client, headers, out.getvalue(), "fixed.xlsx").get_json()
    assert again["saved_mapping"] is True
    assert again["suggested_mapping"] == {"0": "name", "1": "contact.email", "2": None}
    client.post(
        f"/api/v1/imports/{again['id']}/run",
        json={"mapping": again["suggested_mapping"]},
        headers=headers,
    )
    assert _result(app, client, headers, again["id"])["created"] == 1
    assert "Now named" in customers_of(app, company.tenant_id)

    def logged():
        return db.session.scalars(
            select(ImportRow.action).where(ImportRow.run_id == again["id"])
        ).all()

    assert in_tenant(app, company.tenant_id, logged) == ["created"]


def test_an_importer_deactivated_before_the_job_runs_writes_nothing(app, client, world):
    from saas.auth.models import User
    from saas.users import service as users

    company, _rep = world
    admin = add_member(app, company, "admin", email="admin@acme.example.com")
    headers = bearer(app, admin)
    run_id = _import(client, headers, xlsx([["Never"]], headers=["Company"]), {"0": "name"})

    def deactivate(actor):
        users.set_active(actor=actor, user=db.session.get(User, admin.id), active=False)

    as_member(app, company.owner, deactivate)
    run_jobs(app)
    owner = bearer(app, company.owner)
    result = client.get(f"/api/v1/imports/{run_id}", headers=owner).get_json()
    assert result["status"] == "failed" and result["created"] == 0
    job = client.get(f"/api/v1/jobs/{result['job_id']}", headers=owner).get_json()
    assert job["status"] == "failed"
    assert customers_of(app, company.tenant_id) == {}
