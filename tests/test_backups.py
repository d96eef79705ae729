"""Backup and restore (issue 8): a company backed up through the API with a real RQ worker,
restored into a new empty company, and compared table by table with the ids mapped.

Also: every tenant table is in a backup or excluded with a reason; cells round-trip exactly
(formulas stay text, CR LF, control characters, long text); the manifest's checksums; the
refusals (another version, a damaged file, a zip bomb, a company with customers, a non-owner,
another tenant's backup id); a tampered backup whose rows name another tenant lands in the
restoring one; weekly backups are made once per week and deleted after N weeks.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from saas.attachments import service as attachments
from saas.auth import tokens
from saas.auth.models import User
from saas.backups import restore, service, tables
from saas.backups.models import Backup
from saas.backups.tasks import backup_upkeep
from saas.contacts import service as contacts
from saas.customers import fields, lists, notes, segments, sharing
from saas.customers import service as customers
from saas.customers.query import field_catalog
from saas.extensions import db
from saas.progress.models import JobRecord, JobStatus
from saas.storage import LocalStorage, get_storage
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from saas.utils import utcnow
from tests.conftest import add_member, as_member, make_company, run_jobs


def _bearer(app, member) -> dict[str, str]:
    token = as_member(app, member, lambda actor: tokens.create_token(actor=actor, name="t")[1])
    return {"Authorization": f"Bearer {token}"}


# --- what a backup holds -----------------------------------------------------------------------


def test_every_tenant_table_is_backed_up_or_excluded_with_a_reason(app):
    with app.app_context():
        names = {t.name for t in tables.tenant_tables()}
        backed = {t.name for t in tables.backed_up_tables()}
        assert backed | set(tables.EXCLUDED) == names
        assert set(tables.EXCLUDED) <= names, "an exclusion names a table that does not exist"
        assert all(len(reason) > 20 for reason in tables.EXCLUDED.values())
        assert {"customers", "contacts", "users", "customer_shares", "customer_segments"} <= backed
        assert {"audit_entries", "customer_attachments", "customer_notes"} <= backed
        # every *_key column is a storage key (its files go along) or declared not to be one
        for table in tables.backed_up_tables():
            for column in table.c:
                if column.name.endswith("_key") or column.name == "key":
                    in_files = column.name in tables.FILE_COLUMNS.get(table.name, ())
                    assert in_files or column.name in tables.NOT_FILE_KEYS, (table, column)
        # secrets never travel: no column holding a hash of a password or token
        for table in tables.backed_up_tables():
            assert not {"password_hash", "token_hash", "secret_hash"} & set(table.c.keys())
        assert "smtp_password_encrypted" not in tables.TENANT_COLUMNS


def test_every_stored_query_field_holding_ids_is_remapped(app):
    """A segment's query names list entries and users by id: each such field is remapped."""
    company = make_company(app)

    def catalog(actor):
        return field_catalog(actor)

    for f in as_member(app, company.owner, catalog):
        if f.key.startswith("cf."):
            continue  # custom fields hold values (choices by text), not ids
        if f.type == "user":
            assert f.key in restore.USER_FIELDS, f.key
        elif f.type in ("choice", "tags") and f.key not in ("kind", "stage_category", "country"):
            assert f.key in restore.ENTRY_FIELDS, f.key


TRICKY = [
    '=HYPERLINK("http://evil")',
    "+1 555",
    "-5",
    "@SUM(A1)",
    "#N/A",
    "line one\r\nline two",
    "tab\tand bell\x07",
    "",
    " padded ",
    "007",
    "TRUE",
    tables.MARK + "looks like a mark",
    "中文 فارسی Shqip Русский",
    "x" * 40_000,
    "y\r\n" * 12_000,
]


def test_cells_round_trip_exactly(app, tmp_path):
    """Every tricky value written by the backup's cell writer reads back identical."""
    from saas.backups.service import _Cells

    with app.app_context():
        notes_table = db.metadata.tables["customer_notes"]
        values_table = db.metadata.tables["customer_field_values"]
        audit = db.metadata.tables["audit_entries"]
        text, number, day, moment = (
            notes_table.c.text,
            values_table.c.value_number,
            values_table.c.value_date,
            notes_table.c.created_at,
        )
        typed = [
            (number, Decimal("1234567890123456.1234")),
            (number, Decimal("-0.0001")),
            (day, date(1403, 5, 12)),
            (moment, utcnow()),
            (audit.c.changes, {"name": ["=1+2", "Acme"], "n": [1, None], "deep": {"x": "\r"}}),
            (values_table.c.value_bool, False),
            (audit.c.object_id, 2**40),
        ]
        workbook = Workbook(write_only=True)
        cells = _Cells(workbook, workbook.create_sheet(tables.LONG_SHEET))
        sheet = workbook.create_sheet("t")
        rows = [(text, v) for v in TRICKY] + typed
        for column, value in rows:
            sheet.append(cells.row(sheet, [tables.to_cell(column, value)]))
        workbook.save(tmp_path / "t.xlsx")

        book = load_workbook(tmp_path / "t.xlsx", read_only=True)
        loader = restore._Loader(0, None, None, {})  # type: ignore[arg-type]
        loader.read_long(book)
        read = [r[0] for r in book["t"].iter_rows(values_only=True)]
        assert len(read) == len(rows)
        for (column, value), cell in zip(rows, read, strict=True):
            if isinstance(cell, str) and cell.startswith(tables.LONG):
                cell = loader.long[cell[len(tables.LONG) :]]
            assert tables.from_cell(column, cell) == value, (column, value, cell)
        # a formula stays text: nothing in the file is a formula
        with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
            assert all(b"<f>" not in z.read(n) for n in sheets)


# --- the round trip ----------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _build_original(app):
    """Acme with two more users, customers (company + person), contacts, shares, segments,
    custom fields, tags, notes, files, a logo and an audit trail."""
    acme = make_company(app, "Acme", plan="team")
    ann = add_member(app, acme, "manager", email="ann@acme.example.com")
    bob = add_member(app, acme, "sales", email="bob@acme.example.com", manager=ann)

    def build(owner):
        from saas.settings.service import set_logo

        set_logo(actor=owner, data=_png())
        owner.tenant.default_currency = "CNY"
        owner.tenant.backup_weeks = 3
        vip = lists.add_entry(actor=owner, kind="tag", name="Key account")
        lists.add_entry(actor=owner, kind="tag", name="=cmd|' /C calc'!A0")
        fields.create_field(actor=owner, label="Budget", type="number")
        fields.create_field(actor=owner, label="Signed", type="date")
        huaxin = customers.create_customer(
            actor=owner,
            name="华信贸易",
            city="上海",
            comments="Line one\r\nline two =SUM(A1)",
            tags=[vip.id],
            custom_fields={"budget": "1234567.8912", "signed": "2026-01-31"},
            contact_frequency_days=30,
        )
        person = customers.create_customer(
            actor=owner, name="Kian Rezaei", kind="person", owner_id=ann.id
        )
        pooled = customers.create_customer(actor=owner, name="Pool Ltd", owner_id=None)
        li = contacts.create_contact(
            actor=owner,
            customer_id=huaxin.id,
            name="李伟",
            position="经理",
            phones=[{"number": "+86 138 0013 8000", "type": "mobile"}],
            emails=["li@huaxin.example.cn"],
            birthday=date(1980, 8, 2),
        )
        wang = contacts.create_contact(
            actor=owner,
            customer_id=huaxin.id,
            name="王芳",
            phones=[{"number": "+86 21 6123 4567", "type": "work"}],
        )
        contacts.add_relation(actor=owner, contact_id=li.id, other_id=wang.id, kind="colleague")
        contacts.set_photo(actor=owner, contact_id=li.id, data=_png())
        contacts.create_contact(
            actor=owner,
            customer_id=person.id,
            name="Kian Rezaei",
            emails=["kian@example.ir"],
            birthday=date(1985, 3, 21),
        )
        sharing.share(
            actor=owner,
            customer_id=huaxin.id,
            user_ids=[bob.id],
            access="read",
            until=date.today() + timedelta(days=30),
        )
        sharing.share(actor=owner, customer_id=huaxin.id, user_ids=[ann.id], access="write")
        notes.add_note(actor=owner, customer_id=huaxin.id, text="首次拜访\r\n=1+2 still text")
        attachments.upload_attachment(
            actor=owner, customer_id=huaxin.id, filename="报价单.txt", data=b"price list\n"
        )
        attachments.upload_attachment(
            actor=owner, customer_id=person.id, filename="offer.pdf", data=b"%PDF-1.4 tiny"
        )
        segments.create_segment(
            actor=owner,
            name="VIPs of Ann",
            shared=True,
            view="all",
            query={
                "and": [
                    {"field": "tags", "op": "has_any", "value": [vip.id]},
                    {"field": "owner", "op": "is", "value": ann.id},
                ]
            },
        )
        segments.create_segment(actor=owner, name="Mine", view="mine", q="华信")
        customers.update_customer(owner, pooled.id, city="Tirana")
        return huaxin.id

    as_member(app, acme.owner, build)
    return acme, ann, bob


def _rows(app, tenant_id: int) -> dict[str, dict[int, dict[str, Any]]]:
    with app.app_context(), tenant_context(tenant_id):
        out = {}
        for table in tables.backed_up_tables():
            result = db.session.execute(select(table).where(table.c.tenant_id == tenant_id))
            out[table.name] = {r.id: dict(r._mapping) for r in result}
        users = db.session.scalars(select(User)).all()
        emails = {u.id: u.account.email for u in users}
        owner = next(u.id for u in users if u.role.key == "owner")
        return {"rows": out, "emails": emails, "owner": owner}


def _freeze(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def _canonical(snapshot: dict) -> dict[str, Counter]:
    """Each table's rows with every id replaced by what it names (recursively), so two
    companies compare whatever their ids."""
    data, emails = snapshot["rows"], snapshot["emails"]
    memo: dict[tuple[str, int], Any] = {}

    def canon(table: str, ident: Any) -> Any:
        if ident is None:
            return None
        if table == "users":
            return "OWNER" if ident == snapshot["owner"] else ("user", emails.get(ident))
        if table == "roles":
            role = data["roles"].get(ident)
            return ("role", role["key"] or role["name"]) if role else None
        if table == "tenants":
            return "TENANT"
        if table not in data:
            return None  # not in a backup: restored as nothing
        key = (table, ident)
        if key not in memo:
            memo[key] = ("cycle", table)
            row = data[table].get(ident)
            memo[key] = None if row is None else (table, row_items(table, row))
        return memo[key]

    def row_items(table: str, row: dict) -> tuple:
        refs = dict(tables.tenant_references(db.metadata.tables[table]))
        items = []
        for column, value in sorted(row.items()):
            if column in ("id", "tenant_id"):
                continue
            if column in refs:
                value = canon(refs[column], value)
            elif table == "audit_entries" and column == "object_id":
                value = canon(row["object_type"], value) if row["object_type"] != "accounts" else 0
            elif table == "audit_entries" and column == "changes" and isinstance(value, dict):
                target = db.metadata.tables.get(row["object_type"])
                trefs = dict(tables.tenant_references(target)) if target is not None else {}
                value = {
                    k: [canon(trefs[k], x) for x in v]
                    if k in trefs and isinstance(v, list)
                    else canon(trefs[k], v)
                    if k in trefs
                    else ("ACCOUNT" if k == "account_id" else v)
                    for k, v in value.items()
                }
            elif table == "customer_segments" and column == "query" and value:
                value = remap(value)
            items.append((column, _freeze(value)))
        return tuple(items)

    def remap(node: Any) -> Any:
        if isinstance(node, list):
            return [remap(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "field" in node and "value" in node:
            table = (
                "customer_list_entries"
                if node["field"] in restore.ENTRY_FIELDS
                else "users"
                if node["field"] in restore.USER_FIELDS
                else None
            )
            if table:
                v = node["value"]
                node = {
                    **node,
                    "value": [canon(table, x) for x in v]
                    if isinstance(v, list)
                    else canon(table, v),
                }
            return node
        return {k: remap(v) for k, v in node.items()}

    with_app = {}
    for table, rows in data.items():
        with_app[table] = Counter(row_items(table, row) for row in rows.values())
    return with_app


def _zip_of(client, headers, backup_id) -> bytes:
    resp = client.get(f"/api/v1/backups/{backup_id}", headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "succeeded", resp.json
    download = client.get(resp.json["download_url"], headers=headers)
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    # the size and checksum the API states are the file's (computed from it on disk)
    assert resp.json["size"] == len(download.data) > 0
    assert resp.json["sha256"] == hashlib.sha256(download.data).hexdigest()
    return download.data


def _backup_through_api(app, client, member) -> tuple[int, bytes]:
    headers = _bearer(app, member)
    resp = client.post("/api/v1/backups", headers=headers)
    assert resp.status_code == 202, resp.json
    assert resp.json["status"] == "queued" and resp.json["download_url"] is None
    run_jobs(app)
    job = client.get(f"/api/v1/jobs/{resp.json['job_id']}", headers=headers)
    assert job.json["status"] == "succeeded" and job.json["done"] == job.json["total"] > 0
    return resp.json["id"], _zip_of(client, headers, resp.json["id"])


def _restore_through_api(app, client, member, data: bytes):
    headers = _bearer(app, member)
    resp = client.post(
        "/api/v1/backups/restore",
        headers=headers,
        data={"file": (io.BytesIO(data), "backup.zip")},
        content_type="multipart/form-data",
    )
    if resp.status_code != 202:
        return resp, None
    run_jobs(app)
    job = client.get(f"/api/v1/jobs/{resp.json['id']}", headers=headers)
    return resp, job.json


def test_backup_restored_into_a_new_company_is_the_same_company(app, client):
    acme, ann, bob = _build_original(app)
    _backup_id, data = _backup_through_api(app, client, acme.owner)

    # the zip: data.xlsx, the files, a manifest whose counts and checksums are true
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    with app.app_context():
        assert manifest["schema_version"] == service.schema_version()
    assert manifest["schema_version"] and "," not in manifest["schema_version"]
    assert manifest["tenant_name"] == "Acme" and manifest["app_version"]
    assert hashlib.sha256(archive.read("data.xlsx")).hexdigest() == manifest["data"]["sha256"]
    assert manifest["tables"]["customers"] == 3 and manifest["tables"]["contacts"] == 3
    assert len(manifest["files"]) == 4  # two attachments, a photo, the logo
    for key, info in manifest["files"].items():
        assert hashlib.sha256(archive.read(f"files/{key}")).hexdigest() == info["sha256"]
    book = load_workbook(io.BytesIO(archive.read("data.xlsx")), read_only=True)
    assert set(book.sheetnames) >= {tables.sheet_name(n) for n in manifest["tables"]}
    assert not set(book.sheetnames) & set(tables.EXCLUDED)
    header = next(book["users"].iter_rows(values_only=True))
    assert "email" in header and "password_hash" not in header
    customers_rows = list(book["customers"].iter_rows(values_only=True))
    assert len(customers_rows) == 4

    # the new, empty company of someone else restores it
    newco = make_company(app, "Newco", plan="team", email="boss@newco.example.com")
    resp, job = _restore_through_api(app, client, newco.owner, data)
    assert resp.status_code == 202, resp.json
    assert job["status"] == "succeeded", job
    assert any("deactivated" in line for line in job["result"]["summary"])

    before, after = _rows(app, acme.tenant_id), _rows(app, newco.tenant_id)
    a, b = _canonical(before), _canonical(after)
    for table in a:
        if table in ("users", "roles", "audit_entries"):
            continue
        assert a[table] == b[table], f"{table} differs"
    # the audit trail of Acme is all there (Newco has its own signup entries besides)
    # (the backup's own "made" and "downloaded" entries come after its snapshot)
    missing = (
        Counter(
            {
                e: n
                for e, n in a["audit_entries"].items()
                if not dict(e)["action"].startswith("backups.")
            }
        )
        - b["audit_entries"]
    )
    assert not missing, "\n".join(map(str, missing))
    assert sum(a["audit_entries"].values()) > 20
    # users: the backup's owner is the restoring owner; the others deactivated, same people
    with app.app_context(), tenant_context(newco.tenant_id):
        people = {u.account.email: u for u in db.session.scalars(select(User))}
        assert set(people) == {"boss@newco.example.com", ann.email, bob.email}
        assert not people[ann.email].is_active and not people[bob.email].is_active
        assert people[bob.email].manager_id == people[ann.email].id
        assert (
            people[ann.email].name == "Manager Person" and people[ann.email].role.key == "manager"
        )
        assert people["boss@newco.example.com"].is_active
        # numbers continue after the restored ones; settings and logo came along
        tenant = db.session.get(Tenant, newco.tenant_id)
        assert tenant.name == "Newco" and tenant.default_currency == "CNY"
        assert tenant.backup_weeks == 3 and tenant.customer_seq == 3
        assert tenant.logo_key and get_storage().get(newco.tenant_id, tenant.logo_key)
        boss = people["boss@newco.example.com"]
        new_ann = people[ann.email].id
        from flask import g

        g.actor_id = boss.id
        fresh = customers.create_customer(actor=boss, name="After the restore")
        assert fresh.number == 4
        db.session.rollback()
    # the files' bytes
    old_atts = before["rows"]["customer_attachments"].values()
    new_atts = after["rows"]["customer_attachments"].values()
    with app.app_context():
        old_bytes = sorted(get_storage().get(acme.tenant_id, r["storage_key"]) for r in old_atts)
        new_bytes = sorted(get_storage().get(newco.tenant_id, r["storage_key"]) for r in new_atts)
    assert old_bytes == new_bytes == sorted([b"price list\n", b"%PDF-1.4 tiny"])
    # Acme itself is untouched
    assert _canonical(_rows(app, acme.tenant_id)) == a

    # the restored company's segment names Ann and the tag by their new ids
    seg = next(
        r["query"]
        for r in after["rows"]["customer_segments"].values()
        if r["name"] == "VIPs of Ann"
    )
    values = {c["field"]: c["value"] for c in seg["and"]}
    vip = next(
        r["id"]
        for r in after["rows"]["customer_list_entries"].values()
        if r["name"] == "Key account" and r["kind"] == "tag"
    )
    assert values == {"owner": new_ann, "tags": [vip]}

    # a second restore into it is refused: it has customers now
    resp, _job = _restore_through_api(app, client, newco.owner, data)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_empty"


def _small_backup(app, client) -> tuple[Any, bytes]:
    acme = make_company(app, "Acme")

    def build(owner):
        c = customers.create_customer(actor=owner, name="Only Customer")
        attachments.upload_attachment(
            actor=owner, customer_id=c.id, filename="a.txt", data=b"attached bytes"
        )

    as_member(app, acme.owner, build)
    return acme, _backup_through_api(app, client, acme.owner)[1]


def _rezip(data: bytes, change) -> bytes:
    """The backup with ``change(name, bytes) -> bytes | None`` applied to its members."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def _with_manifest(data: bytes, edit) -> bytes:
    def change(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            edit(manifest)
            return json.dumps(manifest).encode()
        return content

    return _rezip(data, change)


def test_restore_refuses_another_version_a_damaged_file_and_a_zip_bomb(app, client):
    _acme, data = _small_backup(app, client)
    empty = make_company(app, "Empty Co", email="owner@empty.example.com")

    def refused(payload: bytes) -> tuple[int, str]:
        resp, _job = _restore_through_api(app, client, empty.owner, payload)
        return resp.status_code, resp.json["error"]["code"]

    def version(m):
        m["schema_version"] = "0001_foundation"

    assert refused(_with_manifest(data, version)) == (422, "other_version")

    def tampered(name, content):
        return content + b"\0" if name.startswith("files/") else content

    assert refused(_rezip(data, tampered)) == (422, "damaged")

    def xlsx_changed(name, content):
        if name != "data.xlsx":
            return content
        book = load_workbook(io.BytesIO(content))
        book["customers"]["B2"] = "Edited"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    assert refused(_rezip(data, xlsx_changed)) == (422, "damaged")
    assert refused(b"not a zip at all") == (422, "damaged")
    assert refused(_rezip(data, lambda n, c: None if n == "manifest.json" else c)) == (
        422,
        "damaged",
    )

    # a zip bomb: a member unpacking to more than the limit is refused before any unpacking
    app.config["BACKUP_MAX_UNPACKED_MB"] = 5
    try:
        bomb = _rezip(data, lambda n, c: b"\0" * (6 * 1024 * 1024) if n.startswith("files/") else c)
        assert len(bomb) < 100_000
        assert refused(bomb) == (413, "too_large")
    finally:
        app.config.pop("BACKUP_MAX_UNPACKED_MB")
    with app.app_context(), tenant_context(empty.tenant_id):
        assert restore.company_is_empty()


def test_a_tampered_backup_cannot_write_into_another_tenant(app, client, owner_engine):
    """Rows whose tenant_id names another company land in the restoring company."""
    _acme, data = _small_backup(app, client)
    victim = make_company(app, "Victim", email="owner@victim.example.com")

    def retarget(name, content):
        if name != "data.xlsx":
            return content
        book = load_workbook(io.BytesIO(content))
        for sheet in book.worksheets:
            header = [c.value for c in sheet[1]]
            if "tenant_id" in header:
                col = header.index("tenant_id") + 1
                for r in range(2, sheet.max_row + 1):
                    sheet.cell(r, col).value = victim.tenant_id
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    evil = _rezip(data, retarget)

    def fix(m):
        m["data"]["sha256"] = hashlib.sha256(
            zipfile.ZipFile(io.BytesIO(evil)).read("data.xlsx")
        ).hexdigest()

    evil = _with_manifest(evil, fix)
    attacker = make_company(app, "Attacker", email="owner@attacker.example.com")
    resp, job = _restore_through_api(app, client, attacker.owner, evil)
    assert resp.status_code == 202, resp.json
    assert job["status"] == "succeeded", job
    from sqlalchemy import text

    with owner_engine.connect() as conn:
        victims = conn.execute(
            text("SELECT count(*) FROM customers WHERE tenant_id = :t"), {"t": victim.tenant_id}
        ).scalar()
        mine = (
            conn.execute(
                text("SELECT name FROM customers WHERE tenant_id = :t"), {"t": attacker.tenant_id}
            )
            .scalars()
            .all()
        )
    assert victims == 0
    assert mine == ["Only Customer"]


# --- attacks and permissions -------------------------------------------------------------------


def test_only_the_owner_reaches_backups_and_never_another_companys(app, client):
    acme, data = _small_backup(app, client)
    admin = add_member(app, acme, "admin")
    other = make_company(app, "Globex", email="owner@globex.example.com")
    with app.app_context(), tenant_context(acme.tenant_id):
        backup_id = db.session.scalar(select(Backup.id))
    routes = [
        ("GET", f"/api/v1/backups/{backup_id}"),
        ("GET", f"/api/v1/backups/{backup_id}/download"),
    ]
    for headers, expected in ((_bearer(app, admin), 403), (_bearer(app, other.owner), 404)):
        for method, url in routes:
            assert client.open(url, method=method, headers=headers).status_code == expected
    admin_headers = _bearer(app, admin)
    assert client.post("/api/v1/backups", headers=admin_headers).status_code == 403
    assert client.get("/api/v1/backups", headers=admin_headers).status_code == 403
    resp = client.post(
        "/api/v1/backups/restore",
        headers=admin_headers,
        data={"file": (io.BytesIO(data), "b.zip")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 403
    # Globex's list does not show Acme's backup
    listed = client.get("/api/v1/backups", headers=_bearer(app, other.owner))
    assert listed.status_code == 200 and listed.json == []
    # restoring into a company with customers: 409, nothing written
    resp = client.post(
        "/api/v1/backups/restore",
        headers=_bearer(app, acme.owner),
        data={"file": (io.BytesIO(data), "b.zip")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_empty"
    with app.app_context(), tenant_context(acme.tenant_id):
        assert (
            db.session.scalar(select(JobRecord.id).where(JobRecord.kind == service.RESTORE_KIND))
            is None
        )


def test_a_manual_backup_expires_after_a_day(app, client):
    acme, _data = _small_backup(app, client)
    headers = _bearer(app, acme.owner)
    with app.app_context(), tenant_context(acme.tenant_id):
        backup = db.session.scalar(select(Backup))
        key = backup.storage_key
        assert backup.expires_at - backup.created_at >= service.EXPIRES_AFTER - timedelta(minutes=1)
        backup.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        backup_id = backup.id
    resp = client.get(f"/api/v1/backups/{backup_id}/download", headers=headers)
    assert resp.status_code == 410
    assert client.get(f"/api/v1/backups/{backup_id}", headers=headers).json["download_url"] is None
    with app.app_context():
        assert not get_storage().exists(acme.tenant_id, key)
        with tenant_context(acme.tenant_id):
            assert service.prune_backups() == 1
            db.session.commit()
            assert db.session.scalar(select(Backup)) is None


def test_weekly_backups_once_a_week_and_kept_n_weeks(app):
    acme = make_company(app, "Acme")
    off = make_company(app, "Offco", email="owner@offco.example.com")

    def weeks(owner):
        service.set_weeks(actor=owner, weeks=2)

    as_member(app, acme.owner, weeks)
    with app.app_context():
        assert backup_upkeep() == 1
        assert backup_upkeep() == 0  # the same week: no second one
    run_jobs(app)
    with app.app_context(), tenant_context(acme.tenant_id):
        made = db.session.scalars(select(Backup)).all()
        assert [(b.kind, b.status) for b in made] == [("weekly", JobStatus.SUCCEEDED)]
        first = made[0]
        assert first.expires_at is None and get_storage().exists(acme.tenant_id, first.storage_key)
        # next week: another one; three weeks on, the first is deleted with its file
        later = utcnow() + timedelta(weeks=1)
        second = service.weekly_backup(now=later)
        assert second is not None and service.weekly_backup(now=later) is None
        second.status, second.created_at = JobStatus.SUCCEEDED, later
        db.session.commit()
        assert service.prune_backups(now=utcnow() + timedelta(weeks=2, hours=1)) == 1
        db.session.commit()
        assert not get_storage().exists(acme.tenant_id, first.storage_key)
        assert db.session.scalar(select(Backup.kind)) == "weekly"
        # a backup whose worker died stays "running": given up after a day, the week retried
        week3 = utcnow() + timedelta(weeks=3)
        stuck = service.weekly_backup(now=week3)
        stuck.created_at = week3
        db.session.commit()
        stuck_id = stuck.id
        service.prune_backups(now=week3 + timedelta(hours=1))
        db.session.commit()
        assert db.session.get(Backup, stuck_id) is not None  # still being made
        assert service.weekly_backup(now=week3) is None
        service.prune_backups(now=week3 + timedelta(hours=25))
        db.session.commit()
        assert db.session.get(Backup, stuck_id) is None
        assert service.weekly_backup(now=week3 + timedelta(hours=25)) is not None
    with app.app_context(), tenant_context(off.tenant_id):
        assert db.session.scalar(select(Backup)) is None  # 0 weeks = off


def test_weekly_setting_is_checked(app):
    acme = make_company(app, "Acme")
    from saas.errors import ValidationFailed

    for bad in (-1, 53, "2", True):
        with pytest.raises(ValidationFailed):
            as_member(app, acme.owner, lambda o, bad=bad: service.set_weeks(actor=o, weeks=bad))


# --- the page ----------------------------------------------------------------------------------


def test_backups_page_for_the_owner(app, client, monkeypatch):
    from tests.conftest import csrf, login

    acme = make_company(app, "Acme")
    admin = add_member(app, acme, "admin")
    login(client, admin.email)
    assert client.get("/settings/backups").status_code == 403
    assert "/settings/backups" not in client.get("/settings/company").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client, "/dashboard")})

    login(client, acme.owner.email)
    page = client.get("/settings/backups").get_data(as_text=True)
    assert "No backups yet" in page and "Back up now" in page
    assert 'name="file"' in page  # empty company: the restore form is offered
    token = csrf(client, "/settings/backups")
    resp = client.post(
        "/settings/backups", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 200 and "<progress" in resp.get_data(as_text=True)
    run_jobs(app)
    page = client.get("/settings/backups").get_data(as_text=True)
    assert "No backups yet" not in page and ".zip" in page
    with app.app_context(), tenant_context(acme.tenant_id):
        backup_id = db.session.scalar(select(Backup.id))
    assert "made a backup of the company" in client.get("/audit").get_data(as_text=True)

    def read_whole(*_args):
        raise AssertionError("a backup is streamed from its file, never read whole")

    # streamed from its file, never read into the web worker's memory; an attachment, not cached
    with monkeypatch.context() as patched:
        patched.setattr(LocalStorage, "get", read_whole)
        download = client.get(f"/settings/backups/{backup_id}.zip", buffered=False)
        assert download.status_code == 200
        assert download.headers["Cache-Control"] == "private, no-store"
        assert download.headers["Content-Disposition"].startswith("attachment; filename=")
        body = b"".join(download.response)
        download.close()
    assert zipfile.ZipFile(io.BytesIO(body)).namelist()[0] == "data.xlsx"
    resp = client.post("/settings/backups/weekly", data={"csrf_token": token, "weeks": "x"})
    assert resp.status_code == 422 and "from 0 to 52" in resp.get_data(as_text=True)
    resp = client.post("/settings/backups/weekly", data={"csrf_token": token, "weeks": "4"})
    assert resp.status_code == 303
    with app.app_context(), tenant_context(acme.tenant_id):
        assert db.session.get(Tenant, acme.tenant_id).backup_weeks == 4
    resp = client.post(
        "/settings/backups/restore",
        data={"csrf_token": token, "file": (io.BytesIO(b"nope"), "x.zip")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "not a zip" in resp.get_data(as_text=True)


def test_a_restore_that_fails_midway_leaves_the_company_as_it_was(app, client):
    """One transaction: a bad cell in a late table undoes the rows and files written before."""
    acme, _data = _small_backup(app, client)
    add_member(app, acme, "sales", email="rep@acme.example.com")

    def build(owner):
        c = customers.create_customer(actor=owner, name="Second Customer")
        contacts.create_contact(actor=owner, customer_id=c.id, name="Somebody")

    as_member(app, acme.owner, build)
    data = _backup_through_api(app, client, acme.owner)[1]

    def broken(name, content):
        if name != "data.xlsx":
            return content
        book = load_workbook(io.BytesIO(content))
        sheet = book["contacts"]
        header = [c.value for c in sheet[1]]
        sheet.cell(2, header.index("birthday") + 1).value = "not a date"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    bad = _rezip(data, broken)
    digest = hashlib.sha256(zipfile.ZipFile(io.BytesIO(bad)).read("data.xlsx")).hexdigest()
    bad = _with_manifest(bad, lambda m: m["data"].update(sha256=digest))
    target = make_company(app, "Target", email="owner@target.example.com")
    import os

    folder = app.config["TENANTS_DIR"] + f"/{target.tenant_id}"

    def files() -> set[str]:  # (ids are reused between tests: compare before and after)
        return {os.path.join(d, f) for d, _s, names in os.walk(folder) for f in names}

    before = files()
    resp, job = _restore_through_api(app, client, target.owner, bad)
    assert resp.status_code == 202
    assert job["status"] == "failed" and job["result"]["error"] == "damaged", job
    assert "damaged" in job["result"]["summary"][0]
    after = _rows(app, target.tenant_id)
    assert not after["rows"]["customers"] and not after["rows"]["customer_attachments"]
    assert set(after["emails"].values()) == {"owner@target.example.com"}
    assert files() == before  # neither restored files nor the upload stay behind
    # the intact backup still restores into it afterwards
    resp, job = _restore_through_api(app, client, target.owner, data)
    assert job["status"] == "succeeded", job
    assert len(_rows(app, target.tenant_id)["rows"]["customers"]) == 2


def test_the_scheduler_runs_the_backup_upkeep(app):
    from saas.cli import scheduled_jobs

    assert dict((fn, kw) for fn, kw in scheduled_jobs())[backup_upkeep] == {"interval": 3600}


def test_a_backup_user_already_member_of_the_new_company_is_that_member(app, client):
    acme = make_company(app, "Acme", plan="team")
    rep = add_member(app, acme, "sales", email="rep@acme.example.com")

    def build(actor):
        customers.create_customer(actor=actor, name="Rep's Customer")

    as_member(app, rep, build)
    data = _backup_through_api(app, client, acme.owner)[1]
    newco = make_company(app, "Newco", plan="team", email="boss@newco.example.com")
    same_rep = add_member(app, newco, "viewer", email="rep@acme.example.com")
    _resp, job = _restore_through_api(app, client, newco.owner, data)
    assert job["status"] == "succeeded", job
    with app.app_context(), tenant_context(newco.tenant_id):
        users = db.session.scalars(select(User)).all()
        assert len(users) == 2  # no placeholder: the rep is already a member, and stays active
        rep_user = db.session.get(User, same_rep.id)
        assert rep_user.is_active and rep_user.role.key == "viewer"
        owned = db.metadata.tables["customers"]
        owner_id = db.session.scalar(
            select(owned.c.owner_id).where(owned.c.tenant_id == newco.tenant_id)
        )
        assert owner_id == same_rep.id
