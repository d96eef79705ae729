# ruff: noqa: RUF001 - Chinese, Persian and Russian names are the point of these tests
"""The import run: upload → mapping → RQ job → result → rejected.xlsx → undo.

Real xlsx files written with openpyxl, the real ``default`` queue run by an RQ SimpleWorker,
SQLite or PostgreSQL. What each row becomes is read back from the database: customers,
contacts, phones, emails, list entries, custom fields, the undo log.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from saas.auth import tokens
from saas.contacts.models import Contact, ContactPhone
from saas.customers.models import Customer
from saas.extensions import db
from saas.imports.models import ImportRun
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
    company, _rep, _other = world
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

    def upload_kept() -> bool:
        from saas.storage import get_storage

        run = db.session.get(ImportRun, run_id)
        return get_storage().exists(run.tenant_id, run.storage_key)

    assert in_tenant(app, company.tenant_id, upload_kept) is False  # done: the file is gone
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

    def audit():
        from saas.audit.models import AuditEntry

        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        created = [e for e in entries if e.action == "customers.created"]
        alpha = next(e for e in created if e.display["object"] == "Alpha Trade")
        [finished] = [e for e in entries if e.action == "imports.finished"]
        return len(created), alpha.changes["name"], alpha.display["actor"], finished.changes

    count, name, actor, finished = in_tenant(app, company.tenant_id, audit)
    assert count == 3  # Old Firm by hand, Alpha and Beta by the import: one entry each
    assert name == [None, "Alpha Trade"] and actor == "Acme Owner"
    assert finished["created"] == 2 and finished["file"] == "customers.xlsx"

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


def test_undo_removes_the_photo_of_a_contact_it_added(app, client, world):
    """A contact the import added to an existing customer is deleted by the undo; a photo set
    on it meanwhile goes with it (the file on disk, after the commit)."""
    from PIL import Image

    from saas.contacts import service as contacts
    from saas.customers import service as customers
    from saas.storage import get_storage

    company, _rep, _other = world
    headers = bearer(app, company.owner)
    as_member(app, company.owner, lambda a: customers.create_customer(actor=a, name="Old Firm"))
    uploaded = upload(client, headers, xlsx([["Old Firm", "New Person", "", "", "", "", "", ""]]))
    run_id = uploaded.get_json()["id"]
    started = client.post(
        f"/api/v1/imports/{run_id}/run",
        json={"mapping": {"0": "name", "1": "contact.name"}, "duplicates": "update"},
        headers=headers,
    )
    assert started.status_code == 202, started.get_json()
    run_jobs(app)
    assert client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()["updated"] == 1

    def add_photo(actor):
        contact = db.session.scalar(select(Contact).where(Contact.name == "New Person"))
        png = io.BytesIO()
        Image.new("RGB", (20, 20), (0, 90, 200)).save(png, "PNG")
        return contacts.set_photo(actor=actor, contact_id=contact.id, data=png.getvalue()).photo_key

    key = as_member(app, company.owner, add_photo)
    assert in_tenant(app, company.tenant_id, lambda: get_storage().exists(company.tenant_id, key))
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 202
    run_jobs(app)
    assert client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()["status"] == "undone"
    left = in_tenant(app, company.tenant_id, lambda: db.session.scalars(select(Contact)).all())
    assert left == []
    assert not in_tenant(
        app, company.tenant_id, lambda: get_storage().exists(company.tenant_id, key)
    )


def test_pages_upload_map_run_and_result(app, client, world):
    company, _rep, _other = world
    login(client, company.owner.email)
    page = client.get("/imports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No imports yet" in html and "/imports/template.xlsx" in html
    assert 'href="/imports"' in client.get("/customers").get_data(as_text=True)

    template = client.get("/imports/template.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]]
    assert "Name" in headers and "Contact name" in headers and "Email" in headers

    token = csrf(client, "/imports")
    data = xlsx([["Delta Co", "Dee", "", "dee@delta.example", "Shkoder", "", "", ""]])
    response = client.post(
        "/imports",
        data={"csrf_token": token, "file": (io.BytesIO(data), "delta.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert 'name="map-0"' in page and "Delta Co" in page
    form = {"csrf_token": token, "duplicates": "skip", "update_mode": "empty_only", "owner": "me"}
    form |= {f"map-{i}": t for i, t in MAPPING.items() if t not in ("owner", "level", "tags")}
    missing_name = dict(form, **{"map-0": "", "map-1": ""})
    refused = client.post(mapping_url, data=missing_name)
    assert refused.status_code == 422
    assert "customer&#39;s name" in refused.get_data(as_text=True)
    response = client.post(mapping_url, data=form)
    assert response.status_code == 303
    show_url = response.headers["Location"]
    assert 'hx-trigger="every 1s"' in client.get(show_url).get_data(as_text=True)
    run_jobs(app)
    html = client.get(show_url).get_data(as_text=True)
    assert 'data-status="done"' in html
    assert 'data-count="created">1<' in html
    assert "Delta Co" in customers_of(app, company.tenant_id)
    # the same shape next time: the mapping is offered as saved
    response = client.post(
        "/imports",
        data={"csrf_token": token, "file": (io.BytesIO(data), "again.xlsx")},
        content_type="multipart/form-data",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "as in your last import" in page
    assert '<option value="city" selected>' in page


def test_a_bad_file_is_refused_with_its_reason_and_leaves_nothing(app, client, world):
    company, _rep, _other = world
    headers = bearer(app, company.owner)
    before = customers_of(app, company.tenant_id)
    response = upload(client, headers, b"", "empty.xlsx")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] in ("empty_file", "not_a_table", "truncated")
    assert customers_of(app, company.tenant_id) == before
    assert (
        in_tenant(
            app, company.tenant_id, lambda: db.session.scalar(select(func.count(ImportRun.id)))
        )
        == 0
    )


# --- the corpus end to end: each bad file gets its specific answer, the base stays as it was ---

BAD_FILES = [
    ("empty_file", "empty_file"),
    ("empty_sheet_xlsx", "empty_file"),
    ("header_only_xlsx", "no_rows"),
    ("numbers_only_xlsx", "no_header"),
    ("truncated_xlsx", "truncated"),
    ("corrupt_member_xlsx", "truncated"),
    ("png_renamed_xlsx", "not_a_table"),
    ("zip_bomb_xlsx", "too_big"),
    ("encrypted_xlsx", "encrypted"),
    ("wide_xlsx", "too_many_columns"),
    ("huge_cell_xlsx", "cell_too_long"),
    ("huge_cell_csv", "cell_too_long"),
    ("mixed_encoding_csv", "encoding"),
]


def _counts(app, tenant_id: int) -> tuple[int, int, int]:
    def read():
        return (
            db.session.scalar(select(func.count(Customer.id))),
            db.session.scalar(select(func.count(Contact.id))),
            db.session.scalar(select(func.count(ImportRun.id))),
        )

    return in_tenant(app, tenant_id, read)


@pytest.mark.parametrize(("builder", "code"), BAD_FILES)
def test_each_bad_file_gets_its_specific_message_and_changes_nothing(
    app, client, world, tmp_path, builder, code
):
    from tests import import_corpus as corpus

    company, _rep, _other = world
    headers = bearer(app, company.owner)
    before = _counts(app, company.tenant_id)
    path = getattr(corpus, builder)(tmp_path)
    response = upload(client, headers, path.read_bytes(), path.name)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert _counts(app, company.tenant_id) == before
    assert not list((tmp_path.parent / "none").glob("*"))  # nothing written outside tmp


def test_a_file_over_the_plans_row_limit_is_refused(app, client, world, tmp_path):
    from tests import import_corpus as corpus

    company, _rep, _other = world
    headers = bearer(app, company.owner)
    free = make_company(app, "Small Co")  # the free plan: 1,000 rows
    path = corpus.many_rows_xlsx(tmp_path, 1001)
    response = upload(client, bearer(app, free.owner), path.read_bytes(), path.name)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_many_rows"
    assert "1,000" in response.get_json()["error"]["message"]
    # the business plan takes it
    assert upload(client, headers, path.read_bytes(), path.name).status_code == 201


def _set_country(app, company, country: str) -> None:
    def set_(actor):
        actor.tenant.default_country = country

    as_member(app, company.owner, set_)


@pytest.mark.parametrize(
    ("builder", "country", "names"),
    [
        ("good_xlsx", "CN", {"北京星辰科技有限公司", "ООО Ромашка"}),
        ("csv_renamed_xlsx", "CN", {"北京星辰科技有限公司"}),
        ("merged_header_xlsx", "CN", None),
        ("duplicate_headers_xlsx", "CN", None),
        ("formulas_cached_xlsx", "CN", None),
        ("xls_file", "CN", None),
    ],
)
def test_good_files_import_with_the_suggested_mapping(
    app, client, world, tmp_path, builder, country, names
):
    from tests import import_corpus as corpus

    company, _rep, _other = world
    _set_country(app, company, country)
    headers = bearer(app, company.owner)
    path = getattr(corpus, builder)(tmp_path)
    body = upload(client, headers, path.read_bytes(), path.name).get_json()
    assert "name" in body["suggested_mapping"].values(), body
    response = client.post(
        f"/api/v1/imports/{body['id']}/run",
        json={"mapping": body["suggested_mapping"]},
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    result = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert result["status"] == "done"
    assert result["created"] + result["rejected"] + result["skipped"] == body["total_rows"]
    rejected = client.get(f"/api/v1/imports/{body['id']}/rejected.xlsx", headers=headers)
    rows = list(load_workbook(io.BytesIO(rejected.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + result["rejected"]
    assert all(row[-1] for row in rows[1:])  # each with its reason
    if builder == "duplicate_headers_xlsx":  # +1 555 0100 is no real number: said so
        assert result["rejected"] == 1 and "+1 555 0100" in rows[1][-1]
        assert rows[1][1] == "+1 555 0100"  # the cell as it was, ready to fix
    else:
        assert result["created"] >= 1
    if names:
        assert names <= set(customers_of(app, company.tenant_id))


@pytest.mark.parametrize(
    ("rows", "encoding", "country"),
    [
        ("CHINESE_ROWS", "gb18030", "CN"),
        ("PERSIAN_ROWS", "cp1256", "IR"),
        ("RUSSIAN_ROWS", "cp1251", "RU"),
    ],
)
def test_csv_in_legacy_encodings_imports_every_row(
    app, client, world, tmp_path, rows, encoding, country
):
    from tests import import_corpus as corpus

    company, _rep, _other = world
    _set_country(app, company, country)
    headers = bearer(app, company.owner)
    data = getattr(corpus, rows)
    path = corpus.encoded_csv(tmp_path, encoding, data)
    body = upload(client, headers, path.read_bytes(), path.name).get_json()
    mapping = body["suggested_mapping"]
    assert mapping["0"] == "name" and mapping["1"] == "contact.name", mapping
    client.post(f"/api/v1/imports/{body['id']}/run", json={"mapping": mapping}, headers=headers)
    run_jobs(app)
    result = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert (result["created"], result["rejected"]) == (3, 0), result

    def phones():
        return sorted(db.session.scalars(select(ContactPhone.e164)))

    assert len(in_tenant(app, company.tenant_id, phones)) == 3


def test_vcards_become_customers_with_their_contacts(app, client, world, tmp_path):
    from tests import import_corpus as corpus

    company, _rep, _other = world
    _set_country(app, company, "CN")  # the Android card's numbers have no +86
    headers = bearer(app, company.owner)
    path = corpus.vcard_file(tmp_path)
    body = upload(client, headers, path.read_bytes(), path.name).get_json()
    assert body["format"] == "vcf"
    client.post(
        f"/api/v1/imports/{body['id']}/run",
        json={"mapping": body["suggested_mapping"]},
        headers=headers,
    )
    run_jobs(app)
    result = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    assert result["created"] == body["total_rows"] == 3, result

    def read():
        return {
            c.name: (c.birthday, [e.email for e in c.emails])
            for c in db.session.scalars(select(Contact))
        }

    contacts = in_tenant(app, company.tenant_id, read)
    assert len(contacts) == 3
    assert any(birthday is not None for birthday, _e in contacts.values())


def test_the_nightly_job_deletes_uploads_never_started(app, client, world):
    """An upload nobody started goes after a week (run and file), in every company, by a real
    worker running the nightly job twice; a recent upload and a started run stay."""
    from datetime import datetime, timedelta
    from pathlib import Path

    from sqlalchemy import update

    from saas.jobs import get_queue

    company, _rep, other = world
    now = datetime(2026, 12, 1, 3, 0)
    owner = bearer(app, company.owner)
    rows = [["Huaxin", "Li", "13800138000", "li@huaxin.example.cn", "Beijing", "", "", ""]]
    old = upload(client, owner, xlsx(rows)).get_json()["id"]
    recent = upload(client, owner, xlsx(rows)).get_json()["id"]
    started = upload(client, owner, xlsx(rows)).get_json()["id"]
    assert client.post(f"/api/v1/imports/{started}/run", json={"mapping": MAPPING}, headers=owner)
    theirs = upload(client, bearer(app, other.owner), xlsx(rows)).get_json()["id"]

    def age(tenant_id, run_id, days):
        def go():
            db.session.execute(
                update(ImportRun)
                .where(ImportRun.id == run_id)
                .values(created_at=now - timedelta(days=days))
            )
            db.session.commit()

        in_tenant(app, tenant_id, go)

    for run_id in (old, started):
        age(company.tenant_id, run_id, 8)
    age(company.tenant_id, recent, 6)
    age(other.tenant_id, theirs, 8)
    keys = in_tenant(
        app,
        company.tenant_id,
        lambda: dict(db.session.execute(select(ImportRun.id, ImportRun.storage_key)).all()),
    )
    files = Path(app.config["TENANTS_DIR"]) / str(company.tenant_id)
    assert (files / keys[old]).is_file()
    for _twice in range(2):
        with app.app_context():
            get_queue("default").enqueue("saas.customers.tasks.nightly", now=now.isoformat())
        run_jobs(app)
    left = in_tenant(app, company.tenant_id, lambda: set(db.session.scalars(select(ImportRun.id))))
    assert old not in left and {recent, started} <= left
    assert not (files / keys[old]).exists() and (files / keys[recent]).is_file()
    assert theirs not in in_tenant(
        app, other.tenant_id, lambda: set(db.session.scalars(select(ImportRun.id)))
    )
