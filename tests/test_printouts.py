# ruff: noqa: RUF001 - Chinese punctuation and Persian digits are the point of these tests
"""Printed customer sheets (WeasyPrint): real PDFs read back as text.

The Chinese and Persian names must come back out of the PDF intact (real glyphs with a
ToUnicode map, not boxes), with the No., a contact's phone and birthday, the history, the files
and the page numbers. Access is the card's, tested as attacks (another tenant's id, another
rep's customer, a read-only share that may print what it sees). Batches run on the real
``documents`` queue with an RQ SimpleWorker and give one merged PDF whose link expires.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from saas.auth import tokens
from saas.extensions import db
from saas.printouts import fonts
from saas.printouts import service as printouts
from saas.progress.models import JobRecord
from saas.storage import get_storage
from saas.tenancy.context import tenant_context
from saas.utils import utcnow
from tests.conftest import add_member, as_member, csrf, login, make_company, run_jobs

CHINESE = "华信贸易有限公司"
PERSIAN = "بازرگانی کیان"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

needs_cjk = pytest.mark.skipif(
    not IN_CI and not fonts.cjk_available(),
    reason=f"no CJK font on this machine (install the Debian package {fonts.CJK_PACKAGE}); "
    "CI installs it and never skips",
)

_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def pdf_text(data: bytes) -> str:
    """The text of a PDF: poppler's pdftotext when installed (CI installs it), else pypdf."""
    assert data.startswith(b"%PDF-"), data[:20]
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode("utf-8")
    else:
        out = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return _BIDI_MARKS.sub("", out)


def pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def _bearer(app, member) -> dict[str, str]:
    token = as_member(app, member, lambda actor: tokens.create_token(actor=actor, name="t")[1])
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(app):
    """Acme: the owner, two sales reps (Ann owns the customers, Bob sees one read-only), a
    Persian rep who reads the Jalali calendar; Other Co: another tenant."""
    from saas.attachments import service as attachments
    from saas.contacts import service as contacts
    from saas.customers import notes, sharing
    from saas.customers import service as customers

    company = make_company(app, "Acme", plan="business")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    parisa = add_member(app, company, "sales", email="parisa@acme.example.com")
    other = make_company(app, "Other Co", plan="business")

    def build(actor):
        actor.name = "Ann"
        china = customers.create_customer(actor=actor, name=CHINESE, city="上海")
        contacts.create_contact(
            actor=actor,
            customer_id=china.id,
            name="李伟",
            position="经理",
            phones=[{"number": "+86 138 0013 8000", "type": "mobile"}],
            emails=["li@huaxin.example.cn"],
            birthday=date(1980, 8, 2),
        )
        notes.add_note(actor=actor, customer_id=china.id, text="首次拜访，客户对报价满意。")
        attachments.upload_attachment(
            actor=actor, customer_id=china.id, filename="报价单.txt", data=b"price list\n"
        )
        iran = customers.create_customer(actor=actor, name=PERSIAN, city="تهران")
        contacts.create_contact(
            actor=actor,
            customer_id=iran.id,
            name="کیان رضایی",
            phones=[{"number": "+98 912 123 4567", "type": "work"}],
            birthday=date(1985, 3, 21),
        )
        plain = customers.create_customer(actor=actor, name="Plain Trading")
        sharing.share(actor=actor, customer_id=china.id, user_ids=[bob.id], access="read")
        sharing.share(actor=actor, customer_id=iran.id, user_ids=[parisa.id], access="read")
        return china.id, china.number, iran.id, plain.id

    china_id, china_no, iran_id, plain_id = as_member(app, ann, build)

    def persian(actor):
        actor.language, actor.calendar, actor.name = "fa", "jalali", "پریسا"

    as_member(app, parisa, persian)
    foreign = as_member(
        app,
        other.owner,
        lambda actor: customers.create_customer(actor=actor, name="Foreign Ltd").id,
    )
    return {
        "ann": ann,
        "bob": bob,
        "parisa": parisa,
        "owner": company.owner,
        "outsider": other.owner,
        "china": china_id,
        "china_no": china_no,
        "iran": iran_id,
        "plain": plain_id,
        "foreign": foreign,
    }


# --- one sheet --------------------------------------------------------------------------------


@needs_cjk
def test_sheet_from_the_card_has_the_chinese_text_number_phone_and_page_numbers(app, client, world):
    login(client, world["ann"].email)
    card = client.get(f"/customers/{world['china']}").get_data(as_text=True)
    assert f'href="/customers/{world["china"]}/sheet.pdf"' in card  # the card's Print button

    response = client.get(f"/customers/{world['china']}/sheet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    assert CHINESE in text
    assert "上海" in text and "李伟" in text and "经理" in text
    assert f"No. {world['china_no']}" in text
    assert "+86 138 0013 8000" in text  # the contact's phone, formatted
    assert "li@huaxin.example.cn" in text
    assert "Aug 2, 1980" in text  # birthday in the reader's (Gregorian) calendar
    assert "首次拜访，客户对报价满意。" in text  # the history's note
    assert "报价单.txt" in text  # the files list
    assert "Acme" in text  # the company's name on top
    assert "Page 1 of 1" in text
    assert "Printed" in text and "by Ann" in text


@needs_cjk
def test_sheet_for_a_persian_reader_is_rtl_with_jalali_dates_and_persian_text(app, client, world):
    login(client, world["parisa"].email)
    response = client.get(f"/customers/{world['iran']}/sheet.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert PERSIAN in text
    assert "کیان رضایی" in text and "تهران" in text
    assert "۱۳۶۴/۰۱/۰۱" in text  # 21 March 1985 in the Jalali calendar, Persian digits
    assert "+98 912 123 4567" in text
    assert "۱" in text  # page counter in Persian digits

    def html(actor):
        with printouts.reading_as(actor):
            return printouts.sheet_html(actor, world["iran"])

    source = as_member(app, world["parisa"], html)
    assert '<html lang="fa" dir="rtl">' in source
    assert "counter(page, persian)" in source


@needs_cjk
def test_pdf_embeds_real_fonts_for_chinese_and_persian(app, client, world):
    """Real glyphs: the CJK font and Vazirmatn are embedded (boxes would need neither)."""
    login(client, world["ann"].email)
    china = client.get(f"/customers/{world['china']}/sheet.pdf").data
    iran = client.get(f"/customers/{world['iran']}/sheet.pdf").data

    def font_names(data: bytes) -> set[str]:
        names = set()
        for page in PdfReader(io.BytesIO(data)).pages:
            for font in (page["/Resources"].get("/Font") or {}).values():
                names.add(str(font.get_object()["/BaseFont"]))
        return names

    assert any("CJK" in name for name in font_names(china)), font_names(china)
    assert any("Vazirmatn" in name for name in font_names(iran)), font_names(iran)


def test_sheet_access_is_the_cards(app, client, world):
    """Attacks: another tenant's id and another rep's customer are 404 like on the card; a
    read-only share prints what it sees."""
    login(client, world["bob"].email)
    assert client.get(f"/customers/{world['foreign']}/sheet.pdf").status_code == 404
    assert client.get(f"/customers/{world['plain']}/sheet.pdf").status_code == 404  # Ann's
    assert client.get(f"/customers/{world['china']}/sheet.pdf").status_code == 200  # shared
    outsider = app.test_client()
    login(outsider, world["outsider"].email)
    assert outsider.get(f"/customers/{world['china']}/sheet.pdf").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/customers/{world['china']}/sheet.pdf").status_code in (302, 303)


def test_sheet_over_the_api(app, client, world):
    bob = _bearer(app, world["bob"])
    ok = client.get(f"/api/v1/customers/{world['china']}/sheet.pdf", headers=bob)
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"
    assert ok.headers["Content-Disposition"].startswith("attachment")
    assert pages(ok.data) >= 1
    for cid in (world["plain"], world["foreign"], 10**9):
        denied = client.get(f"/api/v1/customers/{cid}/sheet.pdf", headers=bob)
        assert denied.status_code == 404
        assert denied.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/customers/{world['china']}/sheet.pdf").status_code == 401


def test_a_sheet_reads_no_url_but_static_files(app, world):
    """A note holding HTML or a URL is text: nothing is fetched while rendering."""
    from saas.printouts import render

    fetcher = render._fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.fetch(fonts.vendored_font_paths()[0].as_uri()).read(4) == b"\x00\x01\x00\x00"


# --- batches ---------------------------------------------------------------------------------


@needs_cjk
def test_batch_printout_over_the_api_merges_the_visible_sheets(app, client, world):
    ann = _bearer(app, world["ann"])
    ids = [world["china"], world["iran"], world["plain"], world["foreign"], world["china"]]
    started = client.post("/api/v1/printouts", json={"customer_ids": ids}, headers=ann)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["status"] == "queued" and job["total"] == 4  # duplicates once
    assert job["download_url"] is None

    run_jobs(app, queues=("documents",))
    done = client.get(f"/api/v1/printouts/{job['id']}", headers=ann).get_json()
    assert done["status"] == "succeeded", done
    assert (done["count"], done["missing"]) == (3, 1)  # another tenant's id: not found
    assert "1 of 4 was not found (deleted, or not yours to see)." in done["summary"]
    assert done["download_url"] == f"/api/v1/printouts/{job['id']}.pdf"

    pdf = client.get(done["download_url"], headers=ann)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pages(pdf.data) >= 3
    text = pdf_text(pdf.data)
    assert CHINESE in text and PERSIAN in text and "Plain Trading" in text
    assert text.count("Page 1 of 1") == 3  # each sheet keeps its own page numbers
    assert "Foreign Ltd" not in text

    # the job is the caller's: another rep and another tenant get 404
    for member in (world["bob"], world["outsider"]):
        headers = _bearer(app, member)
        assert client.get(f"/api/v1/printouts/{job['id']}", headers=headers).status_code == 404
        assert client.get(done["download_url"], headers=headers).status_code == 404


def test_batch_printout_link_expires_and_the_file_goes(app, client, world):
    ann = _bearer(app, world["ann"])
    started = client.post(
        "/api/v1/printouts", json={"customer_ids": [world["plain"]]}, headers=ann
    ).get_json()
    run_jobs(app, queues=("documents",))
    url = f"/api/v1/printouts/{started['id']}.pdf"
    assert client.get(url, headers=ann).status_code == 200

    with app.app_context(), tenant_context(world["ann"].tenant_id):
        record = db.session.get(JobRecord, started["id"])
        key = record.result["file"]
        assert get_storage().exists(record.tenant_id, key)
        record.result = {**record.result, "expires_at": (utcnow() - timedelta(1)).isoformat()}
        db.session.commit()
    gone = client.get(url, headers=ann)
    assert gone.status_code == 410
    assert gone.get_json()["error"]["code"] == "expired"
    with app.app_context(), tenant_context(world["ann"].tenant_id):
        record = db.session.get(JobRecord, started["id"])
        assert not get_storage().exists(record.tenant_id, key)
    after = client.get(f"/api/v1/printouts/{started['id']}", headers=ann).get_json()
    assert after["download_url"] is None and after["expired"] is True


def test_the_sweep_deletes_expired_printouts(app, client, world):
    ann = _bearer(app, world["ann"])
    started = client.post(
        "/api/v1/printouts", json={"customer_ids": [world["plain"]]}, headers=ann
    ).get_json()
    run_jobs(app, queues=("documents",))
    with app.app_context(), tenant_context(world["ann"].tenant_id):
        record = db.session.get(JobRecord, started["id"])
        key = record.result["file"]
        assert printouts.expire_printouts() == 0  # not yet
        later = utcnow() + printouts.EXPIRES_AFTER + timedelta(minutes=5)
        assert get_storage().exists(record.tenant_id, key)
        assert printouts.expire_printouts(now=later) == 1
        db.session.commit()
        assert not get_storage().exists(record.tenant_id, key)


def test_the_scheduler_runs_the_sweep_on_every_tenant(app, client, world):
    from saas.cli import scheduled_jobs
    from saas.jobs import get_queue
    from saas.printouts.tasks import sweep_expired_printouts

    assert sweep_expired_printouts in [fn for fn, _kw in scheduled_jobs()]
    ann = _bearer(app, world["ann"])
    started = client.post(
        "/api/v1/printouts", json={"customer_ids": [world["plain"]]}, headers=ann
    ).get_json()
    run_jobs(app, queues=("documents",))
    with app.app_context(), tenant_context(world["ann"].tenant_id):
        record = db.session.get(JobRecord, started["id"])
        key = record.result["file"]
        past = utcnow() - printouts.EXPIRES_AFTER - timedelta(hours=1)
        record.created_at = past
        record.result = {**record.result, "expires_at": past.isoformat()}
        db.session.commit()
        get_queue("default").enqueue(sweep_expired_printouts)
    run_jobs(app, queues=("default",))
    with app.app_context(), tenant_context(world["ann"].tenant_id):
        assert not get_storage().exists(world["ann"].tenant_id, key)
        assert db.session.get(JobRecord, started["id"]).result["expired"] is True


def test_batch_printout_rejects_bad_input(app, client, world):
    ann = _bearer(app, world["ann"])
    for body in (
        {},
        {"customer_ids": []},
        {"customer_ids": ["1"]},
        {"customer_ids": [True]},
        {"customer_ids": list(range(1, printouts.MAX_IDS + 2))},
        {"customer_ids": [1], "extra": 1},
    ):
        answer = client.post("/api/v1/printouts", json=body, headers=ann)
        assert answer.status_code == 422, (body, answer.get_json())
    assert client.post("/api/v1/printouts", data="x", headers=ann).status_code == 422
    assert client.post("/api/v1/printouts", json={"customer_ids": [1]}).status_code == 401


def test_a_printout_of_only_invisible_ids_says_so(app, client, world):
    bob = _bearer(app, world["bob"])
    started = client.post(
        "/api/v1/printouts", json={"customer_ids": [world["plain"], world["foreign"]]}, headers=bob
    ).get_json()
    run_jobs(app, queues=("documents",))
    done = client.get(f"/api/v1/printouts/{started['id']}", headers=bob).get_json()
    assert done["status"] == "succeeded" and done["count"] == 0 and done["download_url"] is None
    assert client.get(f"/api/v1/printouts/{started['id']}.pdf", headers=bob).status_code == 404


@needs_cjk
def test_print_batch_action_on_the_customers_page(app, client, world):
    login(client, world["ann"].email)
    page = client.get("/customers").get_data(as_text=True)
    assert 'value="print"' in page  # offered in the batch action menu
    token = csrf(client, "/customers")
    answer = client.post(
        "/customers/batch",
        data={
            "csrf_token": token,
            "action": "print",
            "ids": [str(world["china"]), str(world["iran"])],
            "access": "read",
            "to": "pool",
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    job_url = answer.headers["Location"]
    assert "/jobs/" in job_url
    run_jobs(app, queues=("documents",))
    progress = client.get(job_url).get_data(as_text=True)
    assert "2 customer sheets printed." in progress
    link = re.search(r'href="(/printouts/\d+\.pdf)"', progress)
    assert link, progress
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(pdf.data)
    assert CHINESE in text and PERSIAN in text
    bob = app.test_client()
    login(bob, world["bob"].email)
    assert bob.get(link.group(1)).status_code == 404


def test_batch_job_renders_in_the_actors_language_and_calendar(app, client, world):
    """The worker has no request: the sheet still reads in the actor's language and calendar."""
    parisa = _bearer(app, world["parisa"])
    started = client.post(
        "/api/v1/printouts", json={"customer_ids": [world["iran"]]}, headers=parisa
    ).get_json()
    run_jobs(app, queues=("documents",))
    pdf = client.get(f"/api/v1/printouts/{started['id']}.pdf", headers=parisa)
    assert pdf.status_code == 200
    assert "۱۳۶۴/۰۱/۰۱" in pdf_text(pdf.data)  # Jalali birthday, Persian digits


# --- fonts ------------------------------------------------------------------------------------


def test_cjk_detection():
    assert fonts.has_cjk(CHINESE) and fonts.has_cjk("株式会社") and fonts.has_cjk("𠀀")
    assert not fonts.has_cjk(PERSIAN) and not fonts.has_cjk("Acme Ltd") and not fonts.has_cjk("")


def test_without_a_cjk_font_startup_warns_and_the_sheet_says_so(tmp_path):
    """Fontconfig pointed at an empty font directory (in a subprocess: fontconfig reads its
    configuration once per process): start-up names the package, a Chinese sheet carries the
    note, a Persian one (vendored font) does not."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig's fc-list is not installed")
    conf = tmp_path / "fonts.conf"
    (tmp_path / "empty").mkdir()
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{tmp_path / 'empty'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    script = f"""
import logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
from saas.printouts import fonts, render
assert not fonts.cjk_available(), fonts.cjk_font()
assert fonts.check_at_startup() is False
assert fonts.missing_cjk({CHINESE!r}) and not fonts.missing_cjk({PERSIAN!r})
html = '<html><head><style>' + fonts.font_face_css() + '</style></head><body>' \\
    '<p style="font-family: Vazirmatn">{PERSIAN}</p></body></html>'
assert render.pdf(html).startswith(b'%PDF-')
print('OK')
"""
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fonts-noto-cjk" in done.stdout and "No CJK font" in done.stdout
    assert done.stdout.strip().endswith("OK")


def test_a_sheet_with_chinese_and_no_cjk_font_carries_the_note(app, world, monkeypatch):
    """The template's side of the missing-font path (the detection itself is the subprocess
    test above): the note is on the sheet, naming the package."""
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)

    def html(actor):
        return printouts.sheet_html(actor, world["china"])

    source = as_member(app, world["ann"], html)
    assert "Chinese characters cannot be shown" in source and "fonts-noto-cjk" in source
    plain = as_member(app, world["ann"], lambda actor: printouts.sheet_html(actor, world["plain"]))
    assert "Chinese characters cannot be shown" not in plain


def test_vendored_vazirmatn_with_its_licence():
    names = {p.name for p in fonts.VAZIRMATN_DIR.iterdir()}
    assert {"Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf", "OFL.txt"} <= names
    assert "SIL OPEN FONT LICENSE" in (fonts.VAZIRMATN_DIR / "OFL.txt").read_text().upper()


def test_the_benchmark_runs(tmp_path):
    """``make bench``'s printout module, once, so it cannot rot (not a timing test)."""
    env = {**os.environ, "BAZA_INSTANCE_DIR": str(tmp_path)}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.printouts", "--repeat", "1", "--list-rows", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=fonts.ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "sheet PDF, Chinese customer" in done.stdout and "CPU p50" in done.stdout
    assert "list printout, 20 rows" in done.stdout


# --- the list printout -------------------------------------------------------------------------


@needs_cjk
def test_list_printout_repeats_the_header_on_every_page_and_goes_landscape_when_wide(
    app, client, world
):
    from saas.customers import service as customers

    def many(actor):
        for i in range(70):
            customers.create_customer(actor=actor, name=f"客户 {i:03d} 贸易", city="北京")

    as_member(app, world["ann"], many)
    login(client, world["ann"].email)
    page = client.get("/customers?view=mine").get_data(as_text=True)
    assert "/customers/list.pdf?view=mine" in page  # the list's Print link
    narrow = client.get("/customers/list.pdf?view=mine&cols=number,name,city&sort=number")
    assert narrow.status_code == 200 and narrow.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(narrow.data))
    assert len(reader.pages) >= 2
    box = reader.pages[0].mediabox
    assert box.height > box.width  # portrait
    for number, pdf_page in enumerate(reader.pages, 1):
        text = _BIDI_MARKS.sub("", pdf_page.extract_text())
        assert "No." in text and "Name" in text and "City" in text, (number, text[:200])
    text = pdf_text(narrow.data)
    assert "客户 000 贸易" in text and "客户 069 贸易" in text and CHINESE in text
    assert "73 customers" in text  # 70 + the three of the world
    assert "Foreign Ltd" not in text
    assert "Page 1 of" in text

    cols = "number,name,kind,stage,level,city,country,owner"
    wide = client.get(f"/customers/list.pdf?view=mine&cols={cols}&q=客户 00")
    assert wide.status_code == 200
    reader = PdfReader(io.BytesIO(wide.data))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    text = pdf_text(wide.data)
    assert "客户 009 贸易" in text and "客户 010 贸易" not in text  # the quick search applies
    assert "10 customers" in text


def test_list_printout_access_and_bad_input(app, client, world):
    login(client, world["bob"].email)
    assert client.get("/customers/list.pdf?view=all").status_code == 403  # a rep: not theirs
    text = pdf_text(client.get("/customers/list.pdf?view=shared").data)
    assert "1 customer" in text and "Plain Trading" not in text
    bad = client.get('/customers/list.pdf?view=mine&query={"field":"nope","op":"eq","value":1}')
    assert bad.status_code == 422
    assert client.get("/customers/list.pdf?view=mine&sort=nope").status_code == 422
    assert app.test_client().get("/customers/list.pdf").status_code in (302, 303)
