"""Notes and the history tab: who may write, edit and delete, the merged history's order and
keyset pages, audit sentences, the web tab (note box in place) and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.customers import history, notes, service
from saas.customers.models import Customer
from saas.customers.notes import CustomerNote
from saas.errors import NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.utils import utcnow
from tests.conftest import add_member, as_member, csrf_from, login, make_company

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    admin = add_member(app, company, "admin", email="admin@acme.example.com")
    lead = add_member(app, company, "manager", email="lead@acme.example.com")
    ann = add_member(app, company, "sales", email="ann@acme.example.com", manager=lead)
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    viewer = add_member(app, company, "viewer", email="viewer@acme.example.com")
    _as(app, ann, lambda a: setattr(a, "name", "Ann"))
    people = {"admin": admin, "lead": lead, "ann": ann, "bob": bob, "viewer": viewer}
    cid = _as(app, ann, lambda a: service.create_customer(actor=a, name="Acme").id)
    return company, people, cid


def _note(app, member, cid, text="Called, wants a quote"):
    return _as(app, member, lambda a: notes.add_note(actor=a, customer_id=cid, text=text).id)


def _count_notes(app, member):
    return _as(app, member, lambda a: len(db.session.scalars(select(CustomerNote)).all()))


# --- writing notes ----------------------------------------------------------------------------


def test_a_note_records_who_when_and_counts_as_follow_up(app, team):
    _, people, cid = team
    before = utcnow()
    nid = _note(app, people["ann"], cid, "  Called,\r\nwants a quote\u202e  ")

    def check(actor):
        note = db.session.get(CustomerNote, nid)
        customer = db.session.get(Customer, cid)
        assert note.text == "Called,\nwants a quote"  # line break kept, RTL override dropped
        assert note.author_id == actor.id and note.created_at >= before
        assert customer.updated_by_id == actor.id and customer.updated_at >= before
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "customer_notes.created")
        )
        assert entry.object_id == nid and entry.actor_id == actor.id
        assert str(describe(entry).sentence) == ("<bdi>Ann</bdi> wrote a note on <bdi>Acme</bdi>")

    _as(app, people["ann"], check)


def test_note_length_limits_and_empty_notes_save_nothing(app, team):
    _, people, cid = team
    _note(app, people["ann"], cid, "x" * notes.MAX_NOTE)
    for bad in ("x" * (notes.MAX_NOTE + 1), "", "   \n\t  ", "\x00\x01"):
        with pytest.raises(ValidationFailed):
            _note(app, people["ann"], cid, bad)
    assert _count_notes(app, people["ann"]) == 1


def test_who_may_add_a_note(app, team):
    _, people, cid = team
    _note(app, people["ann"], cid)  # the owner
    _note(app, people["lead"], cid)  # her manager
    _note(app, people["admin"], cid)
    with pytest.raises(PermissionDenied):  # sees every customer, may change none
        _note(app, people["viewer"], cid)
    with pytest.raises(NotFound):  # another rep does not even see it
        _note(app, people["bob"], cid)
    other = make_company(app, "Other Co")
    with pytest.raises(NotFound):  # another tenant's id
        _note(app, other.owner, cid)
    assert _count_notes(app, people["ann"]) == 3


def test_edit_and_delete_by_author_or_admin_only_audited(app, team):
    _, people, cid = team
    nid = _note(app, people["ann"], cid, "first words")
    for who in ("lead", "viewer"):  # may edit the customer / may see it, but not her note
        with pytest.raises(PermissionDenied):
            _as(app, people[who], lambda a: notes.edit_note(actor=a, note_id=nid, text="no"))
        with pytest.raises(PermissionDenied):
            _as(app, people[who], lambda a: notes.delete_note(actor=a, note_id=nid))
    with pytest.raises(NotFound):
        _as(app, people["bob"], lambda a: notes.edit_note(actor=a, note_id=nid, text="no"))
    _as(app, people["ann"], lambda a: notes.edit_note(actor=a, note_id=nid, text="better words"))
    _as(app, people["admin"], lambda a: notes.edit_note(actor=a, note_id=nid, text="admin's"))

    def entries(actor):
        rows = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "customer_notes")
            .order_by(AuditEntry.id)
        ).all()
        return [(e.action, e.changes.get("text"), str(describe(e).sentence)) for e in rows]

    got = _as(app, people["ann"], entries)
    assert got[1][:2] == ("customer_notes.updated", ["first words", "better words"])
    assert got[1][2] == "<bdi>Ann</bdi> edited a note on <bdi>Acme</bdi>"
    assert got[2][1] == ["better words", "admin's"]

    _as(app, people["admin"], lambda a: notes.delete_note(actor=a, note_id=nid))
    with pytest.raises(NotFound):  # gone for everybody, the admin included
        _as(app, people["admin"], lambda a: notes.edit_note(actor=a, note_id=nid, text="again"))
    last = _as(app, people["ann"], entries)[-1]
    assert last[2] == "<bdi>Admin Person</bdi> deleted a note on <bdi>Acme</bdi>"


def test_a_refused_write_leaves_no_note_and_no_follow_up(app, team):
    _, people, cid = team
    stamp = _as(app, people["ann"], lambda a: db.session.get(Customer, cid).updated_at)
    with pytest.raises(PermissionDenied):
        _note(app, people["viewer"], cid)
    after = _as(app, people["ann"], lambda a: db.session.get(Customer, cid).updated_at)
    assert after == stamp


# --- the merged history -----------------------------------------------------------------------


def _history(app, member, cid, limit, cursor=None):
    def read(actor):
        page = history.history(actor=actor, customer_id=cid, cursor=cursor, limit=limit)
        return [(i.kind, i.id) for i in page.items], page.next

    return _as(app, member, read)


def _walk(app, member, cid, limit):
    seen, cursor = [], None
    for _ in range(100):
        items, cursor = _history(app, member, cid, limit, cursor)
        seen += items
        if cursor is None:
            return seen
    raise AssertionError("no end")


def test_history_merges_notes_and_changes_newest_first_in_keyset_pages(app, team):
    _, people, cid = team
    n1 = _note(app, people["ann"], cid, "one")
    _as(app, people["ann"], lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="X"))
    _as(app, people["admin"], lambda a: service.claim(actor=a, customer_id=cid))
    n2 = _note(app, people["admin"], cid, "two")
    n3 = _note(app, people["admin"], cid, "three")
    _as(app, people["admin"], lambda a: notes.edit_note(actor=a, note_id=n2, text="two!"))
    _as(app, people["admin"], lambda a: notes.delete_note(actor=a, note_id=n3))

    full, nxt = _history(app, people["admin"], cid, 200)
    assert nxt is None
    kinds = [k for k, _ in full]
    note_ids = [i for k, i in full if k == "note"]
    assert note_ids == [n2, n1]  # the deleted note is gone, its deletion is a change line
    # added, returned, claimed, a note edited, a note deleted (a follow-up touch is no line)
    assert kinds.count("change") == 5
    # every line once, in one total order, whatever the page size
    for limit in (1, 2, 3, 5):
        assert _walk(app, people["admin"], cid, limit) == full

    def sentences(actor):
        page = history.history(actor=actor, customer_id=cid, limit=200)
        return [str(i.description.sentence) for i in page.items if i.kind == "change"]

    said = _as(app, people["admin"], sentences)
    assert said[0] == "<bdi>Admin Person</bdi> deleted a note on <bdi>Acme</bdi>"
    assert "<bdi>Ann</bdi> returned <bdi>Acme</bdi> to the pool: <bdi>X</bdi>" in said
    assert said[-1] == "<bdi>Ann</bdi> added the customer <bdi>Acme</bdi>"
    assert not any("wrote a note" in s for s in said)  # the note itself stands for that


def test_history_ties_are_broken_by_source_then_id_and_new_lines_do_not_shift_pages(app, team):
    _, people, cid = team
    ids = [_note(app, people["ann"], cid, f"n{i}") for i in range(4)]
    same = utcnow() - timedelta(hours=1)

    def pin(actor):  # every note and change at the very same instant
        db.session.execute(update(CustomerNote).values(created_at=same))
        db.session.execute(update(AuditEntry).values(created_at=same))

    _as(app, people["ann"], pin)
    full = _walk(app, people["ann"], cid, 200)
    assert [i for k, i in full if k == "note"] == ids[::-1]
    assert {k for k, _ in full[:4]} == {"note"}  # notes before changes at the same instant
    first, cursor = _history(app, people["ann"], cid, 3)
    _note(app, people["ann"], cid, "newer")  # arrives between two clicks on "More"
    rest = []
    while cursor:
        items, cursor = _history(app, people["ann"], cid, 3, cursor)
        rest += items
    assert first + rest == full


def test_a_cursor_of_one_customers_history_is_no_good_for_another(app, team):
    _, people, cid = team
    for i in range(3):
        _note(app, people["ann"], cid, f"n{i}")
    other = _as(app, people["ann"], lambda a: service.create_customer(actor=a, name="B").id)
    _, cursor = _history(app, people["ann"], cid, 1)
    items, _ = _history(app, people["ann"], other, 1, cursor)
    assert items == _history(app, people["ann"], other, 1)[0]  # first page of the other


def test_history_is_not_found_for_those_who_may_not_see_the_customer(app, team):
    _, people, cid = team
    with pytest.raises(NotFound):
        _history(app, people["bob"], cid, 10)
    assert _history(app, people["viewer"], cid, 10)[0]


# --- the web tab ------------------------------------------------------------------------------


def _login(client, member):
    login(client, member.email)
    return client


def test_history_tab_note_box_in_place_and_dates_in_the_users_calendar(app, client, team):
    _, people, cid = team

    def persian(actor):
        actor.language, actor.calendar, actor.timezone = "fa", "jalali", "Asia/Tehran"

    _as(app, people["ann"], persian)
    _login(client, people["ann"])
    page = client.get(f"/customers/{cid}/history").get_data(as_text=True)
    assert 'id="note-form"' in page and 'data-ctrl-enter="submit"' in page
    token = csrf_from(page)
    resp = client.post(
        f"/customers/{cid}/notes",
        data={"text": "Met at the fair", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "note-form"},
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'hx-swap-oob="afterbegin:#history-items"' in body and "Met at the fair" in body
    assert 'id="note-form"' in body and "Met at the fair</textarea>" not in body  # emptied
    assert resp.headers["HX-Trigger"] == '{"noteAdded": null}'
    # a Jalali date with Persian digits (this year is 1405 in the Persian calendar)
    assert re.search("۱۴۰۵", body)
    bad = client.post(
        f"/customers/{cid}/notes",
        data={"text": "x" * 10_001, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and 'id="note-form"' in bad.get_data(as_text=True)
    # without JavaScript: a redirect back to the tab, which shows the note
    resp = client.post(f"/customers/{cid}/notes", data={"text": "Plain", "csrf_token": token})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert page.index("Plain") < page.index("Met at the fair")


def test_history_more_loads_the_next_page_in_place(app, client, team):
    _, people, cid = team
    for i in range(history.PAGE + 5):
        _note(app, people["ann"], cid, f"note number {i}")
    _login(client, people["ann"])
    page = client.get(f"/customers/{cid}/history").get_data(as_text=True)
    assert f"note number {history.PAGE + 4}" in page and "note number 0" not in page
    more = re.search(r'hx-get="([^"]+/history/more\?cursor=[^"]+)"', page).group(1)
    frag = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"})
    text = frag.get_data(as_text=True)
    assert "note number 0" in text and f"note number {history.PAGE + 4}" not in text
    assert "<html" not in text


def test_viewer_sees_history_without_the_note_box_and_cannot_post(app, client, team):
    _, people, cid = team
    _note(app, people["ann"], cid, "Secret plans")
    _login(client, people["viewer"])
    page = client.get(f"/customers/{cid}/history").get_data(as_text=True)
    assert "Secret plans" in page and 'id="note-form"' not in page
    assert ">Edit<" not in page
    token = csrf_from(page)
    resp = client.post(f"/customers/{cid}/notes", data={"text": "hi", "csrf_token": token})
    assert resp.status_code == 403
    assert _count_notes(app, people["ann"]) == 1


def test_edit_and_delete_a_note_in_place(app, client, team):
    _, people, cid = team
    nid = _note(app, people["ann"], cid, "typo hree")
    _login(client, people["ann"])
    page = client.get(f"/customers/{cid}/history").get_data(as_text=True)
    token = csrf_from(page)
    form = client.get(f"/notes/{nid}/edit", headers={"HX-Request": "true"})
    assert "typo hree</textarea>" in form.get_data(as_text=True)
    resp = client.post(
        f"/notes/{nid}/edit",
        data={"text": "typo here", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and "typo here" in resp.get_data(as_text=True)
    resp = client.post(
        f"/notes/{nid}/delete", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 200 and "typo here" not in resp.get_data(as_text=True)
    page = client.get(f"/customers/{cid}/history").get_data(as_text=True)
    assert f'id="note-{nid}"' not in page  # the note is gone; its edit and deletion are lines
    assert "deleted a note on" in page and "edited a note on" in page


# --- the API ----------------------------------------------------------------------------------


def _bearer(client, member):
    resp = client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": member.password}
    )
    assert resp.status_code == 201, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_notes_api(app, client, team):
    _, people, cid = team
    ann, viewer, bob = (_bearer(client, people[p]) for p in ("ann", "viewer", "bob"))
    resp = client.post(f"/api/v1/customers/{cid}/notes", json={"text": "API note"}, headers=ann)
    assert resp.status_code == 201, resp.json
    nid = resp.json["id"]
    assert resp.json["text"] == "API note" and resp.json["edited_at"] is None
    listed = client.get(f"/api/v1/customers/{cid}/notes", headers=viewer)
    assert listed.status_code == 200 and [n["id"] for n in listed.json["items"]] == [nid]
    assert listed.json["next_cursor"] is None
    too_long = {"text": "x" * 10_001}
    assert (
        client.post(f"/api/v1/customers/{cid}/notes", json=too_long, headers=ann).status_code == 422
    )
    assert (
        client.post(f"/api/v1/customers/{cid}/notes", json={"text": 5}, headers=ann).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/customers/{cid}/notes", json={"text": "x"}, headers=viewer
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/customers/{cid}/notes", json={"text": "x"}, headers=bob).status_code
        == 404
    )
    assert client.get(f"/api/v1/customers/{cid}/notes", headers=bob).status_code == 404
    assert (
        client.patch(f"/api/v1/notes/{nid}", json={"text": "x"}, headers=viewer).status_code == 403
    )
    assert client.patch(f"/api/v1/notes/{nid}", json={"text": "x"}, headers=bob).status_code == 404
    resp = client.patch(f"/api/v1/notes/{nid}", json={"text": "edited"}, headers=ann)
    assert resp.status_code == 200 and resp.json["text"] == "edited" and resp.json["edited_at"]
    other = make_company(app, "Other Co")
    outsider = _bearer(client, other.owner)
    assert client.get(f"/api/v1/customers/{cid}/notes", headers=outsider).status_code == 404
    assert client.delete(f"/api/v1/notes/{nid}", headers=outsider).status_code == 404
    assert client.delete(f"/api/v1/notes/{nid}", headers=ann).status_code == 204
    assert client.delete(f"/api/v1/notes/{nid}", headers=ann).status_code == 404
    doc = client.get("/api/v1/openapi.json").json
    ops = doc["paths"]["/api/v1/customers/{customer_id}/notes"]
    assert set(ops["post"]["responses"]) == {"201", "401", "403", "404", "422"}
    assert set(doc["paths"]["/api/v1/notes/{note_id}"]) == {"patch", "delete"}
