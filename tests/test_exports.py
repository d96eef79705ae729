"""Customer exports: real xlsx files read back with openpyxl, real CSV bytes, real RQ jobs.

The exported rows must be the list's rows for the same state (the grid's own pages), in its
order and columns; access is tested as attacks (a user without the permission, a read-only
sharee, another tenant's segment id, another user's private segment); every text cell that
could be read as a formula is neutralised; the link expires (410) and the sweep deletes the
file; Chinese and Persian round-trip through both formats.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from saas.auth import tokens
from saas.customers.models import Customer
from saas.exports import service as exports
from saas.exports import writers
from saas.extensions import db
from saas.storage import get_storage
from saas.tenancy.context import tenant_context
from saas.utils import utcnow
from tests.conftest import add_member, as_member, csrf, login, make_company, run_jobs

CHINESE = "华信贸易有限公司"
PERSIAN = "بازرگانی کیان"
DANGEROUS = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def xml(text: str) -> str:
    """``text`` as an XML reader gives it back: a bare CR is read as LF (XML 1.0 §2.11)."""
    return text.replace("\r", "\n")


def _bearer(app, member) -> dict[str, str]:
    token = as_member(app, member, lambda actor: tokens.create_token(actor=actor, name="t")[1])
    return {"Authorization": f"Bearer {token}"}


def read_xlsx(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


# --- the writers -----------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_prefixes_each_dangerous_character(first):
    assert writers.neutralise(first + "cmd") == "'" + first + "cmd"
    assert writers.neutralise("a" + first) == "a" + first
    assert writers.neutralise(Decimal("-5")) == Decimal("-5")
    assert writers.neutralise(-5) == -5
    assert writers.neutralise("") == ""
    assert writers.neutralise(None) is None


def test_xlsx_writer_types_cells_and_never_writes_a_formula(tmp_path):
    path = tmp_path / "t.xlsx"
    with writers.XlsxWriter(path) as out:
        first = out.sheet("Customers", ["No.", "Name", "Amount", "Day", "When", "Neg"])
        second = out.sheet("Contacts", ["No.", "Contact"])
        for i, text in enumerate(DANGEROUS, 1):
            first.row(
                [
                    i,
                    text,
                    writers.Money("1234.50"),
                    date(2026, 11, 30),
                    datetime(2026, 11, 30, 9, 5),
                    Decimal("-5"),
                ]
            )
            second.row([i, text])  # the two sheets interleave
        out.row([99, "after"])  # the latest sheet
        first.row([100, "#N/A", None, None, None, None])  # text, not an error cell
    book = load_workbook(path)  # full mode: data types and formats
    ws = book["Customers"]
    assert [c.value for c in ws[1]] == ["No.", "Name", "Amount", "Day", "When", "Neg"]
    last = ws[len(DANGEROUS) + 2]
    assert last[1].value == "#N/A" and last[1].data_type == "s"
    for row, text in zip(
        ws.iter_rows(min_row=2, max_row=len(DANGEROUS) + 1), DANGEROUS, strict=True
    ):
        number, name, amount, day, when, neg = row
        assert number.data_type == "n"
        # xlsx: the text as typed, a string cell marked quotePrefix (never a formula, no
        # apostrophe shown); CSV below gets the apostrophe
        assert name.data_type == "s" and name.value == xml(text) and name.quotePrefix
        assert amount.value == 1234.5 and amount.number_format == writers.MONEY_FORMAT
        assert day.is_date and day.value.date() == date(2026, 11, 30)
        assert when.is_date and when.value == datetime(2026, 11, 30, 9, 5)
        assert neg.data_type == "n" and neg.value == -5
    contacts = [[c.value for c in r] for r in book["Contacts"].iter_rows(min_row=2)]
    assert contacts == [[i, xml(t)] for i, t in enumerate(DANGEROUS, 1)] + [[99, "after"]]
    assert all(
        r[1].quotePrefix for r in book["Contacts"].iter_rows(min_row=2, max_row=len(DANGEROUS) + 1)
    )
    assert not ws[len(DANGEROUS) + 2][0].quotePrefix  # a plain value is not marked
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def test_csv_writer_has_a_bom_crlf_and_one_sheet(tmp_path):
    path = tmp_path / "t.csv"
    with writers.CsvWriter(path) as out:
        out.sheet("Customers", ["名称", "نام"])
        out.row([CHINESE, PERSIAN])
        out.row(["=cmd", Decimal("-5"), date(2026, 1, 2), None, 'a "quoted", text'])
        with pytest.raises(ValueError):
            out.sheet("Contacts")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    rows = read_csv(data)
    assert rows[1] == [CHINESE, PERSIAN]
    assert rows[2] == ["'=cmd", "-5", "2026-01-02", "", 'a "quoted", text']


# --- the world -------------------------------------------------------------------------------


@pytest.fixture
def world(app):
    """Acme: the owner (exports), Mia a manager (exports, sees her team), Bob a sales rep (no
    export right) who sees one customer read-only; Other Co with a segment of its own."""
    from saas.contacts import service as contacts
    from saas.customers import fields, segments, sharing
    from saas.customers import service as customers

    company = make_company(app, "Acme", plan="business")
    mia = add_member(app, company, "manager", email="mia@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    vic = add_member(app, company, "viewer", email="vic@acme.example.com")
    other = make_company(app, "Other Co", plan="business")

    def build(actor):
        fields.create_field(actor=actor, label="Budget", type="money")
        fields.create_field(actor=actor, label="Signed", type="date")
        fields.create_field(actor=actor, label="Note", type="text")
        ids = []
        china = customers.create_customer(
            actor=actor,
            name=CHINESE,
            city="上海",
            tags=[],
            custom_fields={"budget": "-1500.25", "signed": "2026-03-01", "note": "=HYPERLINK(1)"},
        )
        contacts.create_contact(
            actor=actor,
            customer_id=china.id,
            name="李伟",
            position="+经理",
            phones=[{"number": "+86 138 0013 8000", "type": "mobile"}],
            emails=["li@huaxin.example.cn"],
            birthday=date(1980, 8, 2),
        )
        contacts.create_contact(actor=actor, customer_id=china.id, name="@王芳")
        ids.append(china.id)
        iran = customers.create_customer(actor=actor, name=PERSIAN, city="تهران")
        contacts.create_contact(actor=actor, customer_id=iran.id, name="کیان رضایی")
        ids.append(iran.id)
        for text in DANGEROUS:
            ids.append(customers.create_customer(actor=actor, name=f"x{text}", city=text).id)
        sharing.share(actor=actor, customer_id=china.id, user_ids=[bob.id], access="read")
        return ids

    ids = as_member(app, company.owner, build)
    foreign_segment = as_member(
        app,
        other.owner,
        lambda a: segments.create_segment(actor=a, name="Theirs", view="all", shared=True).id,
    )
    private_segment = as_member(
        app, mia, lambda a: segments.create_segment(actor=a, name="Mine", view="mine").id
    )
    return {
        "company": company,
        "owner": company.owner,
        "mia": mia,
        "bob": bob,
        "vic": vic,
        "other": other,
        "ids": ids,
        "foreign_segment": foreign_segment,
        "private_segment": private_segment,
    }


def _export(app, member, **kw):
    """Start an export as ``member`` (service layer); the record's id and result."""

    def go(actor):
        spec, state = exports.prepare(actor, **kw)
        record = exports.start(actor, spec, state)
        return record.id, record.status, dict(record.result or {})

    return as_member(app, member, go)


def _file(app, member, job_id) -> bytes:
    def go(actor):
        _record, path = exports.download(viewer=actor, job_id=job_id)
        return path.read_bytes()

    return as_member(app, member, go)


def _list_rows(app, member, view, cols, sort=None, q=None, query=None):
    """The grid's rows for the same state: (No., name) by the grid's own pages."""
    from saas.customers.grid import build
    from saas.customers.state import ListState, compact

    def go(actor):
        state = ListState(
            view=view,
            q=q or "",
            query=compact(query) if query else "",
            sort=sort or "",
            cols=tuple(cols),
            size=200,
        )
        grid = build(actor, state, counted=False)
        return [(c.number, c.name) for c in grid.page.items]

    return as_member(app, member, go)


COLS = ["number", "name", "city", "owner", "created_at", "cf.budget", "cf.signed", "cf.note"]


def test_export_rows_equal_the_lists_rows_in_its_order_and_columns(app, world):
    for sort in (None, "name", "-city"):
        job_id, status, result = _export(
            app, world["owner"], format="xlsx", view="all", cols=COLS, sort=sort
        )
        assert status == "succeeded" and result["count"] == len(world["ids"])
        sheet = read_xlsx(_file(app, world["owner"], job_id))["Customers"]
        assert sheet[0] == (
            "No.",
            "Name",
            "City",
            "Owner",
            "Created",
            "Budget",
            "Signed",
            "Note",
        )
        expected = _list_rows(app, world["owner"], "all", COLS, sort=sort)
        assert [(r[0], r[1]) for r in sheet[1:]] == expected
    # a query narrows it the same way
    query = {"and": [{"field": "city", "op": "contains", "value": "海"}]}
    job_id, _s, result = _export(app, world["owner"], format="csv", view="all", query=query)
    rows = read_csv(_file(app, world["owner"], job_id))
    assert result["count"] == 1 and rows[1][1] == CHINESE


def test_xlsx_values_are_typed_and_text_is_neutralised(app, world):
    job_id, _s, _r = _export(app, world["owner"], format="xlsx", view="all", cols=COLS, sort="name")
    data = _file(app, world["owner"], job_id)
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    china = rows[CHINESE]
    assert china[0].data_type == "n"
    assert china[3].value == "Acme Owner"  # owner by name
    assert china[4].is_date  # created, in the reader's zone
    budget = china[5]
    assert budget.data_type == "n" and budget.value == -1500.25  # a negative number stays one
    assert budget.number_format == writers.MONEY_FORMAT
    assert china[6].is_date and china[6].value.date() == date(2026, 3, 1)
    assert china[7].value == "=HYPERLINK(1)" and china[7].data_type == "s"
    assert china[7].quotePrefix  # text, even after Excel's user edits the cell
    stored = as_member(
        app,
        world["owner"],
        lambda a: {
            c.number: c.city
            for c in db.session.scalars(select(Customer).where(Customer.id.in_(world["ids"])))
        },
    )
    by_number = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    leading = set()
    for no, city in stored.items():
        cell = by_number[no][2]
        assert cell.value == city
        if city and city[0] in writers.DANGEROUS_FIRST:
            assert cell.data_type == "s" and cell.quotePrefix
            leading.add(city[0])
    assert {"=", "+", "-", "@"} <= leading  # (tab and CR are cleaned from one-line input)
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def test_contacts_as_rows_and_as_a_second_sheet(app, world):
    cols = ["number", "name"]
    job_id, _s, result = _export(
        app, world["owner"], format="xlsx", view="all", cols=cols, sort="name", contacts="sheet"
    )
    assert result["contacts"] == 3
    book = read_xlsx(_file(app, world["owner"], job_id))
    contacts = book["Contacts"]
    assert contacts[0][:3] == ("Customer No.", "Customer", "Contact")
    li = next(r for r in contacts if r[2] == "李伟")
    assert li[1] == CHINESE and li[3] == "+经理" and li[4] == "Yes"
    assert li[5] == "+8613800138000" and li[6] == "li@huaxin.example.cn"  # no apostrophe shown
    assert li[7].date() == date(1980, 8, 2)
    assert any(r[2] == "@王芳" for r in contacts)  # a quotePrefix text cell in contacts too

    job_id, _s, _r = _export(
        app, world["owner"], format="csv", view="all", cols=cols, sort="name", contacts="rows"
    )
    rows = read_csv(_file(app, world["owner"], job_id))
    assert rows[0] == [
        "No.",
        "Name",
        "Contact",
        "Position",
        "Primary contact",
        "Phones",
        "Emails",
        "Birthday",
    ]
    at = next(i for i, r in enumerate(rows) if r[1] == CHINESE)
    assert rows[at + 1][:3] == ["", "", "李伟"] and rows[at + 1][7] == "1980-08-02"
    assert rows[at + 2][2] == "'@王芳"
    with pytest.raises(Exception) as refused:
        _export(app, world["owner"], format="csv", view="all", contacts="sheet")
    assert getattr(refused.value, "status", None) == 422


def test_chinese_and_persian_round_trip_through_csv_and_xlsx(app, world):
    query = {"or": [{"field": "city", "op": "is", "value": c} for c in ("上海", "تهران")]}
    for fmt in ("csv", "xlsx"):
        job_id, _s, result = _export(
            app, world["owner"], format=fmt, view="all", query=query, cols=["name", "city"]
        )
        data = _file(app, world["owner"], job_id)
        rows = read_csv(data) if fmt == "csv" else read_xlsx(data)["Customers"]
        assert {tuple(r) for r in rows[1:]} == {(CHINESE, "上海"), (PERSIAN, "تهران")}
        assert result["name"].endswith(f".{fmt}")


def test_refusals_permission_read_only_sharee_foreign_and_private_segments(app, world):
    from saas.errors import NotFound, PermissionDenied

    with pytest.raises(PermissionDenied):  # Bob sees a customer read-only; may not export
        _export(app, world["bob"], format="xlsx", view="shared")
    with pytest.raises(PermissionDenied):  # Mia may not open "all"
        _export(app, world["mia"], format="xlsx", view="all")
    with pytest.raises(PermissionDenied):
        _export(app, world["mia"], format="xlsx", whole=True)
    with pytest.raises(NotFound):  # another tenant's segment id
        _export(app, world["owner"], format="xlsx", segment=world["foreign_segment"])
    with pytest.raises(NotFound):  # another user's private segment
        _export(app, world["owner"], format="xlsx", segment=world["private_segment"])
    # her own segment works, as her ("mine": nothing of hers yet)
    _id, status, result = _export(app, world["mia"], format="csv", segment=world["private_segment"])
    assert status == "succeeded" and result["count"] == 0
    # the owner's export: Vic sees every customer but may not export, so may not download
    # it; Bob and Mia may not even see it
    job_id, _s, _r = _export(app, world["owner"], format="csv", view="all")
    with pytest.raises(PermissionDenied):
        _file(app, world["vic"], job_id)
    for who in ("bob", "mia"):
        with pytest.raises(NotFound):
            _file(app, world[who], job_id)


def test_every_export_is_audited_with_its_rows(app, world, monkeypatch):
    from saas.audit.models import AuditEntry

    monkeypatch.setattr(exports, "AUDIT_IDS_INLINE", 3)  # the gzipped list past 3
    for fmt in ("csv", "xlsx"):
        _export(app, world["owner"], format=fmt, view="all", q=None, sort="name")

    def entries(actor):
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "exports.run").order_by(AuditEntry.id)
        ).all()
        return [(e.actor_id, e.changes, exports.audit_ids(e.changes)) for e in rows]

    def sentences(actor):
        from saas.audit.describe import describe

        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exports.run"))
        return [str(describe(e).sentence) for e in rows]

    assert (
        as_member(app, world["owner"], sentences)
        == ["<bdi>Acme Owner</bdi> exported customers"] * 2
    )
    found = as_member(app, world["owner"], entries)
    assert len(found) == 2
    for actor_id, changes, ids in found:
        assert actor_id == world["owner"].id
        assert changes["rows"] == len(world["ids"]) and changes["state"]["view"] == "all"
        assert "customer_ids_file" in changes
        assert sorted(ids) == sorted(world["ids"])
    assert [c["format"] for _a, c, _i in found] == ["csv", "xlsx"]


def test_a_failed_export_leaves_no_file_and_no_id_list(app, world, monkeypatch):
    """The id list belongs to its audit entry: an export whose transaction rolls back (in the
    request or as a job) leaves neither the export nor the id list in storage."""
    from pathlib import Path

    from saas.audit import service as audit
    from saas.audit.models import AuditEntry
    from saas.progress.models import JobRecord

    monkeypatch.setattr(exports, "AUDIT_IDS_INLINE", 3)  # the gzipped list past 3
    root = Path(app.config["TENANTS_DIR"]) / str(world["owner"].tenant_id)

    def stored() -> set[Path]:  # this test's files (SQLite reuses a former test's tenant id)
        return {p for p in root.rglob("*") if p.is_file()} - earlier if root.exists() else set()

    earlier: set[Path] = set()
    earlier = stored()
    recorded = audit.record_event

    def record_then_fail(action, *args, **kw):
        entry = recorded(action, *args, **kw)
        if action == "exports.run":  # the last step of an export: both files are stored
            assert kw["customer_ids_file"] and len(stored()) == 2
            raise RuntimeError("the export's transaction fails")
        return entry

    monkeypatch.setattr(audit, "record_event", record_then_fail)
    with pytest.raises(RuntimeError):  # in the request
        _export(app, world["owner"], format="csv", view="all")
    assert stored() == set()
    monkeypatch.setattr(exports, "SYNC_LIMIT", 3)  # as a job
    job_id, status, _result = _export(app, world["owner"], format="xlsx", view="all")
    assert status == "queued"
    run_jobs(app, ("documents",))

    def outcome(actor):
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exports.run"))
        return db.session.get(JobRecord, job_id).status, entries.all()

    assert as_member(app, world["owner"], outcome) == ("failed", [])
    assert stored() == set()


def test_the_whole_base_ignores_the_lists_search_and_a_segment_exports_its_state(app, world):
    from saas.customers import segments

    _id, _s, result = _export(
        app, world["owner"], format="csv", view="mine", q="nothing", whole=True
    )
    assert result["count"] == len(world["ids"])
    query = {"and": [{"field": "city", "op": "is", "value": "تهران"}]}
    sid = as_member(
        app,
        world["owner"],
        lambda a: (
            segments.create_segment(
                actor=a, name="Tehran", view="all", query=query, cols=["name", "city"]
            ).id
        ),
    )
    job_id, _s, result = _export(app, world["owner"], format="csv", segment=sid)
    rows = read_csv(_file(app, world["owner"], job_id))
    assert rows == [["Name", "City"], [PERSIAN, "تهران"]]
    # the list's state beside it replaces the segment's (the list as shown)
    job_id, _s, result = _export(app, world["owner"], format="csv", segment=sid, query={})
    assert result["count"] == len(world["ids"])


def test_large_export_runs_as_a_job_in_pages_with_progress(app, world, monkeypatch):
    monkeypatch.setattr(exports, "SYNC_LIMIT", 3)
    monkeypatch.setattr(exports, "CHUNK", 2)  # several keyset pages, several commits
    monkeypatch.setattr(exports, "COMMIT_ROWS", 3)
    job_id, status, result = _export(app, world["owner"], format="xlsx", view="all", sort="-name")
    assert status == "queued" and result == {}
    run_jobs(app, ("documents",))

    def record(actor):
        r = exports.get_export(viewer=actor, job_id=job_id)
        return r.status, r.done, r.total, dict(r.result or {})

    status, done, total, result = as_member(app, world["owner"], record)
    assert (status, done, total) == ("succeeded", len(world["ids"]), len(world["ids"]))
    sheet = read_xlsx(_file(app, world["owner"], job_id))["Customers"]
    expected = _list_rows(app, world["owner"], "all", ["number", "name"], sort="-name")
    assert [(r[0], r[1]) for r in sheet[1:]] == expected


def test_the_link_expires_410_and_the_sweep_deletes_the_file(app, world, client):
    from saas.printouts.service import expire_printouts
    from saas.progress.models import JobRecord

    job_id, _s, result = _export(app, world["owner"], format="csv", view="all")
    headers = _bearer(app, world["owner"])
    ok = client.get(f"/api/v1/exports/{job_id}/download", headers=headers)
    assert ok.status_code == 200 and ok.data.startswith(b"\xef\xbb\xbf")
    assert ok.headers["Content-Disposition"].startswith("attachment")
    assert "customers-" in ok.headers["Content-Disposition"]
    key = result["file"]
    tenant = world["owner"].tenant_id
    with app.app_context():
        assert get_storage().exists(tenant, key)
    with app.app_context(), tenant_context(tenant):
        record = db.session.get(JobRecord, job_id)
        record.created_at = utcnow().replace(year=2020)
        record.result = {**record.result, "expires_at": "2020-01-02T00:00:00"}
        db.session.commit()
    gone = client.get(f"/api/v1/exports/{job_id}/download", headers=headers)
    assert gone.status_code == 410 and gone.json["error"]["code"] == "expired"
    status = client.get(f"/api/v1/exports/{job_id}", headers=headers).json
    assert status["expired"] is True and status["download_url"] is None
    with app.app_context(), tenant_context(tenant):
        assert expire_printouts() == 1
        db.session.commit()
        assert not get_storage().exists(tenant, key)


def test_api_contract_statuses_and_strict_types(app, world, client, monkeypatch):
    headers = _bearer(app, world["owner"])
    small = client.post("/api/v1/exports", json={"format": "csv", "view": "all"}, headers=headers)
    assert small.status_code == 201, small.json
    body = small.json
    assert body["status"] == "succeeded" and body["count"] == len(world["ids"])
    got = client.get(body["download_url"], headers=headers)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    for bad in (
        {"format": "pdf", "view": "all"},
        {"format": "csv", "segment": False},
        {"format": "csv", "segment": "1"},
        {"format": "csv", "view": "all", "extra": 1},
        {"format": "csv", "contacts": "sheet", "view": "all"},
        {"format": "csv"},
        {"format": "csv", "view": "all", "query": {"and": [{"field": "nope"}]}},
        {"format": "csv", "view": "all", "columns": "name"},
    ):
        answer = client.post("/api/v1/exports", json=bad, headers=headers)
        assert answer.status_code == 422, (bad, answer.status_code, answer.json)
    foreign = client.post(
        "/api/v1/exports", json={"segment": world["foreign_segment"]}, headers=headers
    )
    assert foreign.status_code == 404
    bob = client.post(
        "/api/v1/exports", json={"view": "shared"}, headers=_bearer(app, world["bob"])
    )
    assert bob.status_code == 403
    assert client.get("/api/v1/exports/999999", headers=headers).status_code == 404

    monkeypatch.setattr(exports, "SYNC_LIMIT", 2)
    queued = client.post("/api/v1/exports", json={"view": "all"}, headers=headers)
    assert queued.status_code == 202 and queued.json["download_url"] is None
    job_id = queued.json["id"]
    assert client.get(f"/api/v1/exports/{job_id}/download", headers=headers).status_code == 409
    run_jobs(app, ("documents",))
    done = client.get(f"/api/v1/exports/{job_id}", headers=headers).json
    assert done["finished"] and done["count"] == len(world["ids"]) and done["download_url"]
    # the OpenAPI document declares them
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/exports"]["post"]["responses"]
    assert {"201", "202", "403", "404", "422"} <= set(post)
    download = spec["paths"]["/api/v1/exports/{job_id}/download"]["get"]["responses"]
    assert {"200", "403", "404", "409", "410"} <= set(download)


def test_the_page_offers_export_only_with_the_permission_and_downloads(app, world, client):
    login(client, world["bob"].email)
    page = client.get("/customers?view=shared").get_data(as_text=True)
    assert "/customers/export" not in page
    assert client.get("/customers/export?view=shared").status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/customers")})

    owner = app.test_client()
    login(owner, world["owner"].email)
    page = owner.get("/customers?view=all&sort=name").get_data(as_text=True)
    assert "/customers/export?view=all" in page
    form = owner.get("/customers/export?view=all&sort=name&cols=number,name")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'name="format"' in html and 'name="contacts"' in html
    token = csrf(owner, "/customers/export?view=all")
    answer = owner.post(
        "/customers/export",
        data={
            "csrf_token": token,
            "view": "all",
            "sort": "name",
            "cols": "number,name",
            "format": "xlsx",
            "contacts": "none",
            "source": "list",
        },
    )
    assert answer.status_code == 303
    job_page = owner.get(answer.headers["Location"]).get_data(as_text=True)
    assert "/exports/" in job_page and "download" in job_page
    job_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    got = owner.get(f"/exports/{job_id}/download")
    assert got.status_code == 200
    assert (
        "filename*=" in got.headers["Content-Disposition"]
        or "filename=" in got.headers["Content-Disposition"]
    )
    sheet = read_xlsx(got.data)["Customers"]
    assert [r[1] for r in sheet[1:]] == [
        n for _no, n in _list_rows(app, world["owner"], "all", ["number", "name"], sort="name")
    ]
    # a segment open on the page, its search cleared: the list as shown is exported
    from saas.customers import segments

    sid = as_member(
        app,
        world["owner"],
        lambda a: segments.create_segment(actor=a, name="Shanghai", view="all", q="华信").id,
    )
    page = owner.get(f"/customers?view=all&segment={sid}&q=").get_data(as_text=True)
    assert f"segment={sid}" in page
    for q, count in (("", len(world["ids"])), ("华信", 1)):
        answer = owner.post(
            "/customers/export",
            data={"csrf_token": token, "view": "all", "q": q, "segment": str(sid), "format": "csv"},
        )
        assert answer.status_code == 303
        job_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        rows = read_csv(owner.get(f"/exports/{job_id}/download").data)
        assert len(rows) - 1 == count, q
    assert owner.get(f"/customers/export?segment={sid}").status_code == 200
    assert owner.get(f"/customers/export?segment={world['foreign_segment']}").status_code == 404
    bad = owner.post(
        "/customers/export",
        data={"csrf_token": token, "view": "all", "format": "csv", "contacts": "sheet"},
    )
    assert bad.status_code == 422 and "CSV" in bad.get_data(as_text=True)
