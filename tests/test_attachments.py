"""Attachments: size limits (one byte over), disguised files, traversal names, names in
Content-Disposition (Chinese and Persian, parsed back), access (read-only writers, other reps,
other tenants), storage following the transaction, audit sentences and the history."""

from __future__ import annotations

import io
import os
import re
import shutil
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import select, text
from werkzeug.http import parse_options_header

from saas import storage
from saas.attachments import files, service
from saas.attachments.models import CustomerAttachment
from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.customers import history
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.errors import NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from tests.conftest import add_member, as_member, as_owner, csrf_from, login, make_company

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
MB = 1024 * 1024


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


@contextmanager
def plan_limits(code: str, per_file: int, total: int | None):
    """A plan's attachment limits for the duration (plans are global: restored after)."""
    sql = "UPDATE plans SET attachment_max_mb = :f, storage_mb = :t WHERE code = :c"
    with as_owner() as conn:
        old = conn.execute(
            text("SELECT attachment_max_mb, storage_mb FROM plans WHERE code = :c"), {"c": code}
        ).one()
        conn.execute(text(sql), {"f": per_file, "t": total, "c": code})
    try:
        yield
    finally:
        with as_owner() as conn:
            conn.execute(text(sql), {"f": old[0], "t": old[1], "c": code})


@pytest.fixture(autouse=True)
def _empty_tenants_dir(app):
    """Tenant ids start again after each test's database reset: start with no files either."""
    shutil.rmtree(app.config["TENANTS_DIR"], ignore_errors=True)


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    lead = add_member(app, company, "manager", email="lead@acme.example.com")
    ann = add_member(app, company, "sales", email="ann@acme.example.com", manager=lead)
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    viewer = add_member(app, company, "viewer", email="viewer@acme.example.com")
    _as(app, ann, lambda a: setattr(a, "name", "Ann"))
    cid = _as(app, ann, lambda a: customers.create_customer(actor=a, name="Acme").id)
    return company, {"lead": lead, "ann": ann, "bob": bob, "viewer": viewer}, cid


def _upload(app, member, cid, name="offer.pdf", data=PDF, **kw):
    return _as(
        app,
        member,
        lambda a: service.upload_attachment(actor=a, customer_id=cid, filename=name, data=data).id,
        **kw,
    )


def _row(app, member, aid):
    def read(actor):
        row = db.session.get(CustomerAttachment, aid)
        db.session.expunge(row)
        return row

    return _as(app, member, read)


def _files(app, tenant_id) -> list[Path]:
    root = Path(app.config["TENANTS_DIR"]) / str(tenant_id)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _bearer(client, member):
    resp = client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": member.password}
    )
    assert resp.status_code == 201, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


# --- storing ----------------------------------------------------------------------------------


def test_an_upload_is_stored_under_a_random_key_audited_and_counts_as_follow_up(app, team):
    company, people, cid = team
    aid = _upload(app, people["ann"], cid, name="Offer 2026.pdf")
    row = _row(app, people["ann"], aid)
    assert (row.name, row.size, row.content_type) == ("Offer 2026.pdf", len(PDF), "application/pdf")
    assert row.storage_key.startswith(f"attachments/{cid}/file-") and "Offer" not in row.storage_key
    stored = _files(app, company.tenant_id)
    assert [p.read_bytes() for p in stored] == [PDF]
    assert stored[0].relative_to(Path(app.config["TENANTS_DIR"]) / str(company.tenant_id)) == Path(
        row.storage_key
    )

    def check(actor):
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "customer_attachments.created")
        )
        assert str(describe(entry).sentence) == (
            "<bdi>Ann</bdi> attached <bdi>Offer 2026.pdf</bdi> to <bdi>Acme</bdi>"
        )
        assert "storage_key" not in entry.changes
        assert db.session.get(Customer, cid).updated_by_id == actor.id

    _as(app, people["ann"], check)


def test_a_rolled_back_upload_leaves_no_file(app, team):
    company, people, cid = team
    _upload(app, people["ann"], cid, commit=False)
    assert _files(app, company.tenant_id) == []
    assert (
        _as(app, people["ann"], lambda a: service.list_attachments(actor=a, customer_id=cid)) == []
    )


# --- limits -----------------------------------------------------------------------------------


def test_one_byte_over_the_plans_limit_is_refused_with_413_and_nothing_is_kept(app, client, team):
    company, people, cid = team
    with plan_limits("team", 1, None):
        _upload(app, people["ann"], cid, name="exact.pdf", data=PDF + b"\0" * (MB - len(PDF)))
        with pytest.raises(service.TooLarge) as refused:
            _upload(
                app, people["ann"], cid, name="over.pdf", data=PDF + b"\0" * (MB + 1 - len(PDF))
            )
        assert refused.value.status == 413 and "1 MB" in refused.value.message
        auth = _bearer(client, people["ann"])
        big = PDF + b"\0" * (MB + 1 - len(PDF))
        resp = client.post(
            f"/api/v1/customers/{cid}/attachments",
            data={"file": (io.BytesIO(big), "over.pdf")},
            headers=auth,
        )
        assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert len(_files(app, company.tenant_id)) == 1  # only the file of exactly 1 MB
    names = _as(
        app,
        people["ann"],
        lambda a: [x.name for x in service.list_attachments(actor=a, customer_id=cid)],
    )
    assert names == ["exact.pdf"]


def test_the_installation_cap_and_the_request_limit(app, client, team):
    _, people, cid = team
    auth = _bearer(client, people["ann"])
    old = app.config["ATTACHMENT_MAX_MB"]
    app.config["ATTACHMENT_MAX_MB"] = 1  # below the team plan's 25 MB
    try:
        with pytest.raises(service.TooLarge):
            _upload(app, people["ann"], cid, data=PDF + b"\0" * MB)
        # far over the installation's cap: refused while the request is read (no 5xx)
        resp = client.post(
            f"/api/v1/customers/{cid}/attachments",
            data={"file": (io.BytesIO(b"\0" * (2 * MB)), "huge.bin")},
            headers=auth,
        )
        assert resp.status_code == 413
    finally:
        app.config["ATTACHMENT_MAX_MB"] = old
    # above the general 4 MB request limit, within the plan: accepted
    resp = client.post(
        f"/api/v1/customers/{cid}/attachments",
        data={"file": (io.BytesIO(PDF + b"\0" * (5 * MB)), "big.pdf")},
        headers=auth,
    )
    assert resp.status_code == 201, resp.json


def test_a_companys_total_storage_is_limited_by_its_plan(app, team):
    _, people, cid = team
    half = PDF + b"\0" * (MB // 2)
    with plan_limits("team", 1, 1):
        _upload(app, people["ann"], cid, name="a.pdf", data=half)
        with pytest.raises(service.StorageFull):
            _upload(app, people["ann"], cid, name="b.pdf", data=half)
        aid = _as(
            app, people["ann"], lambda a: service.list_attachments(actor=a, customer_id=cid)[0].id
        )
        _as(app, people["ann"], lambda a: service.delete_attachment(actor=a, attachment_id=aid))
        _upload(app, people["ann"], cid, name="b.pdf", data=half)  # room again


# --- what the bytes are -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "stored"),
    [
        ("invoice.pdf", HTML, "application/octet-stream"),  # HTML calling itself a PDF
        ("logo.png", SVG, "application/octet-stream"),  # SVG with script
        ("logo.svg", SVG, "application/octet-stream"),
        ("page.html", HTML, "application/octet-stream"),
        ("notes.txt", PDF, "application/pdf"),  # the bytes decide, not the name
        ("readme.pdf", b"just some words\n", "text/plain"),
        ("blob", os.urandom(256), "application/octet-stream"),
    ],
)
def test_the_type_is_read_from_the_bytes_and_risky_types_are_stored_as_octet_stream(
    app, team, name, data, stored
):
    _, people, cid = team
    aid = _upload(app, people["ann"], cid, name=name, data=data)
    assert _row(app, people["ann"], aid).content_type == stored


@pytest.mark.parametrize(("name", "data"), [("invoice.pdf", EXE), ("photo.jpg", ELF)])
def test_programs_are_refused_whatever_their_name(app, team, name, data):
    company, people, cid = team
    with pytest.raises(ValidationFailed, match="Programs cannot be attached"):
        _upload(app, people["ann"], cid, name=name, data=data)
    assert _files(app, company.tenant_id) == []


def test_a_disguised_html_file_downloads_as_an_inert_attachment(app, client, team):
    _, people, cid = team
    auth = _bearer(client, people["ann"])
    resp = client.post(
        f"/api/v1/customers/{cid}/attachments",
        data={"file": (io.BytesIO(HTML), "invoice.pdf", "application/pdf")},
        headers=auth,
    )
    assert resp.status_code == 201 and resp.json["content_type"] == "application/octet-stream"
    got = client.get(f"/api/v1/attachments/{resp.json['id']}", headers=auth)
    assert got.status_code == 200 and got.data == HTML
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["Content-Disposition"] == "attachment; filename=invoice.pdf"


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\x\\y", "y"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the RTL override no longer hides .exe
        ("\u2067evil\u2069.pdf", "evil.pdf"),
        (".htaccess", "htaccess"),
        ("..", "file"),
        ("", "file"),
        ('quote"semi;colon<>.pdf', "quote_semi;colon__.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_display_names_are_sanitised(sent, shown):
    assert files.display_name(sent) == shown


def test_traversal_names_through_the_api_stay_inside_the_tenants_folder(app, client, team):
    company, people, cid = team
    auth = _bearer(client, people["ann"])
    for name in ("../../etc/passwd", "C:\\x\\y", "a\x00b.txt", "invoice\u202efdp.exe"):
        resp = client.post(
            f"/api/v1/customers/{cid}/attachments",
            data={"file": (io.BytesIO(b"plain words\n"), name)},
            headers=auth,
        )
        assert resp.status_code == 201, resp.json
        assert "/" not in resp.json["name"] and "\\" not in resp.json["name"]
        assert "\x00" not in resp.json["name"] and "\u202e" not in resp.json["name"]
    root = Path(app.config["TENANTS_DIR"]) / str(company.tenant_id)
    stored = _files(app, company.tenant_id)
    assert len(stored) == 4
    assert all(p.resolve().is_relative_to(root.resolve()) for p in stored)
    assert all(p.name.startswith("file-") and p.suffix == ".bin" for p in stored)


@pytest.mark.parametrize(
    "name",
    ["合同 2026年 报价单.pdf", "قرارداد فروش ۱۴۰۵.pdf", "Ofertë për klientin.pdf", "a; b.pdf"],
)
def test_names_round_trip_through_content_disposition(app, client, team, name):
    _, people, cid = team
    auth = _bearer(client, people["ann"])
    up = client.post(
        f"/api/v1/customers/{cid}/attachments",
        data={"file": (io.BytesIO(PDF), name)},
        headers=auth,
    )
    expected = files.display_name(name)
    assert up.status_code == 201 and up.json["name"] == expected
    for url, headers in ((f"/api/v1/attachments/{up.json['id']}", auth),):
        header = client.get(url, headers=headers).headers["Content-Disposition"]
        header.encode("latin-1")  # a header is bytes a browser can read
        kind, params = parse_options_header(header)
        assert kind == "attachment" and params["filename"] == expected
    if expected.isascii():
        msg = EmailMessage()  # an independent reader of the plain parameter
        msg["Content-Disposition"] = header
        assert msg.get_filename() == expected
    else:
        # the RFC 5987 parameter, decoded by hand: charset'language'percent-encoded bytes
        extended = re.search(r"filename\*=([^;]+)", header).group(1)
        charset, _language, encoded = extended.split("'", 2)
        assert charset == "UTF-8" and re.fullmatch(r"[A-Za-z0-9%!#$&+.^_`|~-]+", encoded)
        assert unquote(encoded, encoding=charset, errors="strict") == expected
        fallback = parse_options_header(header.split("; filename*")[0])[1]["filename"]
        assert fallback.isascii() and fallback.endswith(".pdf") and not fallback.startswith(".")


# --- who may -----------------------------------------------------------------------------------


def test_who_may_upload_download_and_delete(app, client, team):
    company, people, cid = team
    aid = _upload(app, people["ann"], cid)
    _upload(app, people["lead"], cid, name="by the manager.pdf")  # above Ann: may edit
    with pytest.raises(PermissionDenied):  # sees every customer, may change none
        _upload(app, people["viewer"], cid)
    with pytest.raises(PermissionDenied):
        _as(app, people["viewer"], lambda a: service.delete_attachment(actor=a, attachment_id=aid))
    got = _as(
        app, people["viewer"], lambda a: service.download_attachment(actor=a, attachment_id=aid)[1]
    )
    assert got == PDF
    for call in (
        lambda a: service.upload_attachment(actor=a, customer_id=cid, filename="x.pdf", data=PDF),
        lambda a: service.download_attachment(actor=a, attachment_id=aid),
        lambda a: service.delete_attachment(actor=a, attachment_id=aid),
        lambda a: service.list_attachments(actor=a, customer_id=cid),
    ):
        with pytest.raises(NotFound):
            _as(app, people["bob"], call)  # another rep does not see the customer
    other = make_company(app, "Other Co", plan="business")
    with pytest.raises(NotFound):
        _as(app, other.owner, lambda a: service.download_attachment(actor=a, attachment_id=aid))
    outsider = _bearer(client, other.owner)
    assert client.get(f"/api/v1/attachments/{aid}", headers=outsider).status_code == 404
    assert client.delete(f"/api/v1/attachments/{aid}", headers=outsider).status_code == 404
    viewer = _bearer(client, people["viewer"])
    resp = client.post(
        f"/api/v1/customers/{cid}/attachments",
        data={"file": (io.BytesIO(PDF), "x.pdf")},
        headers=viewer,
    )
    assert resp.status_code == 403
    assert client.delete(f"/api/v1/attachments/{aid}", headers=viewer).status_code == 403
    assert client.get(f"/api/v1/attachments/{aid}", headers=viewer).status_code == 200
    assert len(_files(app, company.tenant_id)) == 2


def test_a_download_is_audited(app, team):
    _, people, cid = team
    aid = _upload(app, people["ann"], cid)
    _as(app, people["viewer"], lambda a: service.download_attachment(actor=a, attachment_id=aid))

    def check(actor):
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "customer_attachments.downloaded")
        )
        assert str(describe(entry).sentence) == (
            "<bdi>Viewer Person</bdi> downloaded <bdi>offer.pdf</bdi>"
        )

    _as(app, people["ann"], check)


def test_delete_removes_the_file_after_commit_only_and_the_history_says_so(app, team):
    company, people, cid = team
    aid = _upload(app, people["ann"], cid)
    _as(
        app,
        people["ann"],
        lambda a: service.delete_attachment(actor=a, attachment_id=aid),
        commit=False,
    )
    assert len(_files(app, company.tenant_id)) == 1  # rolled back: the file stays
    _as(app, people["ann"], lambda a: service.delete_attachment(actor=a, attachment_id=aid))
    assert _files(app, company.tenant_id) == []
    with pytest.raises(NotFound):
        _as(app, people["ann"], lambda a: service.download_attachment(actor=a, attachment_id=aid))

    def said(actor):
        page = history.history(actor=actor, customer_id=cid, limit=50)
        return [str(i.description.sentence) for i in page.items if i.kind == "change"]

    lines = _as(app, people["ann"], said)
    assert lines[0] == "<bdi>Ann</bdi> deleted the file <bdi>offer.pdf</bdi>"
    assert lines[1] == "<bdi>Ann</bdi> attached <bdi>offer.pdf</bdi> to <bdi>Acme</bdi>"


def test_missing_bytes_are_a_404_not_a_500(app, client, team):
    company, people, cid = team
    aid = _upload(app, people["ann"], cid)
    key = _row(app, people["ann"], aid).storage_key
    with app.app_context():
        storage.get_storage().delete(company.tenant_id, key)
    auth = _bearer(client, people["ann"])
    assert client.get(f"/api/v1/attachments/{aid}", headers=auth).status_code == 404


# --- the web tab ------------------------------------------------------------------------------


def test_files_tab_upload_list_download_delete(app, client, team):
    company, people, cid = team
    login(client, people["ann"].email)
    page = client.get(f"/customers/{cid}/attachments").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "At most 25 MB per file." in page
    token = csrf_from(page)
    resp = client.post(
        f"/customers/{cid}/attachments",
        data={"file": (io.BytesIO(PDF), "合同.pdf"), "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "合同.pdf" in body and "application/pdf" in body and "Ann" in body
    assert f"{len(PDF)} byte" in body
    aid = _as(
        app, people["ann"], lambda a: service.list_attachments(actor=a, customer_id=cid)[0].id
    )
    got = client.get(f"/attachments/{aid}")
    assert got.status_code == 200 and got.data == PDF
    assert parse_options_header(got.headers["Content-Disposition"])[1]["filename"] == "合同.pdf"
    # a program: the form again with the reason, nothing stored
    bad = client.post(
        f"/customers/{cid}/attachments",
        data={"file": (io.BytesIO(EXE), "setup.pdf"), "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "Programs cannot be attached." in bad.get_data(as_text=True)
    empty = client.post(
        f"/customers/{cid}/attachments", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert empty.status_code == 422 and "Choose a file to upload." in empty.get_data(as_text=True)
    resp = client.post(f"/attachments/{aid}/delete", data={"csrf_token": token})
    assert resp.status_code == 303
    assert _files(app, company.tenant_id) == []


def test_a_viewer_sees_the_files_without_upload_or_delete(app, client, team):
    _, people, cid = team
    _upload(app, people["ann"], cid)
    login(client, people["viewer"].email)
    page = client.get(f"/customers/{cid}/attachments").get_data(as_text=True)
    assert "offer.pdf" in page and "upload-form" not in page and ">Delete<" not in page
    token = csrf_from(page)
    resp = client.post(
        f"/customers/{cid}/attachments",
        data={"file": (io.BytesIO(PDF), "x.pdf"), "csrf_token": token},
    )
    assert resp.status_code == 403


def test_the_openapi_document_declares_the_upload_and_the_download(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    upload = doc["paths"]["/api/v1/customers/{customer_id}/attachments"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"]["format"] == "binary" and schema["required"] == ["file"]
    assert set(upload["responses"]) == {"201", "401", "403", "404", "413", "422"}
    download = doc["paths"]["/api/v1/attachments/{attachment_id}"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]
    assert set(download["responses"]) == {"200", "401", "404", "422"}


def test_purging_a_customer_for_good_removes_its_files_after_the_commit(app, team):
    company, people, cid = team
    _upload(app, people["ann"], cid, name="a.pdf")
    _upload(app, people["ann"], cid, name="b.pdf")
    other = _as(app, people["ann"], lambda a: customers.create_customer(actor=a, name="B").id)
    _upload(app, people["ann"], other, name="keep.pdf")

    def purge(actor):
        assert service.purge_customer_files(cid) == 2
        db.session.delete(db.session.get(Customer, cid))

    _as(app, people["ann"], purge, commit=False)
    assert len(_files(app, company.tenant_id)) == 3  # rolled back: nothing removed
    _as(app, people["ann"], purge)
    assert [p.read_bytes() for p in _files(app, company.tenant_id)] == [PDF]
    assert _as(app, people["ann"], lambda a: db.session.scalars(select(CustomerAttachment)).all())
