"""The card pages that change a customer: edit form, inline edit, Sharing tab, header actions,
Trash page — what each caller is shown and what the server refuses anyway."""

from __future__ import annotations

import re

import pytest
from flask import g

from saas.auth.models import User
from saas.customers import service, sharing
from saas.customers.models import Customer
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, csrf, login, make_company

HX = {"HX-Request": "true"}


def _as(app, member, fn):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        actor = db.session.get(User, member.id)
        g.actor_id = actor.id
        result = fn(actor)
        db.session.commit()
        return result


@pytest.fixture
def team(app):
    company = make_company(app, plan="business")
    lead = add_member(app, company, "manager", email="lead@acme.example.com")
    people = {
        "ann": add_member(app, company, "sales", email="ann@acme.example.com", manager=lead),
        "bob": add_member(app, company, "sales", email="bob@acme.example.com"),
        "cat": add_member(app, company, "sales", email="cat@acme.example.com"),
        "lead": lead,
        "admin": add_member(app, company, "admin", email="admin@acme.example.com"),
    }
    for key, name in (("ann", "Ann"), ("bob", "Bob"), ("cat", "Cat")):
        _as(app, people[key], lambda a, n=name: setattr(a, "name", n))
    return company, people


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf(client, "/dashboard")})


def _customer(app, people, name="Acme"):
    def build(ann):
        c = service.create_customer(actor=ann, name=name, city="Durrës")
        sharing.share(actor=ann, customer_id=c.id, user_ids=[people["bob"].id], access="read")
        return c.id

    return _as(app, people["ann"], build)


def _fresh(app, company, cid):
    with app.app_context(), tenant_context(company.tenant_id):
        return db.session.get(Customer, cid)


def test_edit_form_saves_and_refuses_a_read_only_sharee(app, client, team):
    company, people = team
    cid = _customer(app, people)
    login(client, people["bob"].email)
    assert client.get(f"/customers/{cid}/edit").status_code == 403
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert f"/customers/{cid}/edit" not in card  # no Edit button, no inline links
    token = csrf(client, f"/customers/{cid}")
    data = {"name": "Hacked", "kind": "company", "stage": "active", "csrf_token": token}
    assert client.post(f"/customers/{cid}/edit", data=data).status_code == 403
    assert client.post(f"/customers/{cid}/field/name", data=data).status_code == 403
    assert _fresh(app, company, cid).name == "Acme"
    _logout(client)

    login(client, people["ann"].email)
    page = client.get(f"/customers/{cid}/edit")
    assert page.status_code == 200 and 'value="Acme"' in page.get_data(as_text=True)
    token = csrf(client, f"/customers/{cid}/edit")
    bad = dict(data, name="", csrf_token=token)
    assert client.post(f"/customers/{cid}/edit", data=bad).status_code == 422
    good = dict(data, name="Acme Ltd", country="AL", city="Tirana", csrf_token=token)
    resp = client.post(f"/customers/{cid}/edit", data=good)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/customers/{cid}")
    saved = _fresh(app, company, cid)
    assert (saved.name, saved.stage, saved.country, saved.city) == (
        "Acme Ltd",
        "active",
        "AL",
        "Tirana",
    )


def test_inline_edit_of_one_field(app, client, team):
    company, people = team
    cid = _customer(app, people)
    login(client, people["ann"].email)
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert f'hx-get="/customers/{cid}/field/city/edit"' in card
    # click the value → the input, focused, with Save and Cancel
    edit = client.get(f"/customers/{cid}/field/city/edit", headers=HX).get_data(as_text=True)
    assert 'name="city"' in edit and "autofocus" in edit and "data-inline-cancel" in edit
    assert 'value="Durrës"' in edit
    token = csrf(client, f"/customers/{cid}/edit")
    # an invalid value stays in the input with its message, nothing saved
    too_long = client.post(
        f"/customers/{cid}/field/city", data={"city": "x" * 300, "csrf_token": token}, headers=HX
    )
    assert too_long.status_code == 422 and 'aria-invalid="true"' in too_long.get_data(as_text=True)
    saved = client.post(
        f"/customers/{cid}/field/city", data={"city": "Shkodër", "csrf_token": token}, headers=HX
    )
    assert saved.status_code == 200 and "customerUpdated" in saved.headers["HX-Trigger"]
    body = saved.get_data(as_text=True)
    assert "Shkodër" in body and "autofocus" in body  # focus back on the value (keyboard)
    assert _fresh(app, company, cid).city == "Shkodër"
    # Escape / Cancel: the value again
    back = client.get(f"/customers/{cid}/field/city", headers=HX).get_data(as_text=True)
    assert "Shkodër" in back and "<form" not in back
    # a select field; the stage (an entry of the company's list) is changed on the edit form;
    # an unknown field is 404
    kind = client.post(
        f"/customers/{cid}/field/kind", data={"kind": "person", "csrf_token": token}, headers=HX
    )
    assert kind.status_code == 200 and _fresh(app, company, cid).kind == "person"
    assert client.get(f"/customers/{cid}/field/stage/edit").status_code == 404
    assert client.get(f"/customers/{cid}/field/owner_id/edit").status_code == 404
    assert (
        client.post(f"/customers/{cid}/field/owner_id", data={"csrf_token": token}).status_code
        == 404
    )


def test_sharing_tab_add_change_remove_in_place(app, client, team):
    company, people = team
    cid = _customer(app, people)
    login(client, people["ann"].email)
    tab = client.get(f"/customers/{cid}/sharing").get_data(as_text=True)
    assert "Bob" in tab and "Can view" in tab and "Share with" in tab
    token = csrf(client, f"/customers/{cid}/sharing")
    add = client.post(
        f"/customers/{cid}/share",
        data={"user_ids": [str(people["cat"].id)], "access": "write", "csrf_token": token},
        headers=HX,
    )
    assert add.status_code == 200
    assert 'id="sharing"' in add.get_data(as_text=True) and "Cat" in add.get_data(as_text=True)
    change = client.post(
        f"/customers/{cid}/share",
        data={
            "user_ids": str(people["bob"].id),
            "access": "write",
            "until": "2999-01-31",
            "csrf_token": token,
        },
        headers=HX,
    )
    assert change.status_code == 200
    past = client.post(
        f"/customers/{cid}/share",
        data={
            "user_ids": str(people["bob"].id),
            "access": "read",
            "until": "2000-01-01",
            "csrf_token": token,
        },
        headers=HX,
    )
    assert past.status_code == 422 and "not in the past" in past.get_data(as_text=True)
    gone = client.post(
        f"/customers/{cid}/unshare",
        data={"user_id": str(people["cat"].id), "csrf_token": token},
        headers=HX,
    )
    assert gone.status_code == 200
    with app.app_context(), tenant_context(company.tenant_id):
        customer = db.session.get(Customer, cid)
        owner = db.session.get(User, people["ann"].id)
        shares = [(s.user_id, s.access, str(s.until)) for s in sharing.list_shares(owner, customer)]
    assert shares == [(people["bob"].id, "write", "2999-01-31")]
    _logout(client)
    # Bob (a sharee, even with write access) sees who has access, but no controls
    login(client, people["bob"].email)
    tab = client.get(f"/customers/{cid}/sharing").get_data(as_text=True)
    assert "Ann" in tab and "Share with" not in tab and "/unshare" not in tab
    token = csrf(client, f"/customers/{cid}/sharing")
    refused = client.post(
        f"/customers/{cid}/share",
        data={"user_ids": str(people["cat"].id), "access": "read", "csrf_token": token},
    )
    assert refused.status_code == 403


def _buttons(html: str) -> set[str]:
    actions = re.search(r'<div class="card-actions">(.*?)\n</div>', html, re.S)
    text = actions.group(1) if actions else ""
    found = set()
    for name, marker in {
        "edit": "/edit",
        "share": "/sharing",
        "lock": "/lock",
        "return": "/return",
        "assign": "/assign",
        "reclaim": "/reclaim",
        "delete": "/delete",
    }.items():
        if marker in text:
            found.add(name)
    return found


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("ann", {"edit", "share", "lock", "return"}),
        ("bob", set()),
        ("lead", {"edit", "share", "lock", "return", "assign", "reclaim"}),
        ("admin", {"edit", "share", "lock", "return", "assign", "reclaim", "delete"}),
    ],
)
def test_card_actions_shown_only_when_allowed(app, client, team, who, expected):
    _company, people = team
    cid = _customer(app, people)
    login(client, people[who].email)
    assert _buttons(client.get(f"/customers/{cid}").get_data(as_text=True)) == expected


def test_actions_return_reclaim_lock_delete_restore(app, client, team):
    company, people = team
    cid = _customer(app, people)
    login(client, people["lead"].email)
    token = csrf(client, f"/customers/{cid}")
    assert client.post(f"/customers/{cid}/lock", data={"csrf_token": token}).status_code == 303
    assert _fresh(app, company, cid).locked is True
    assert client.post(f"/customers/{cid}/unlock", data={"csrf_token": token}).status_code == 303
    resp = client.post(f"/customers/{cid}/reclaim", data={"to": "me", "csrf_token": token})
    assert resp.status_code == 303 and _fresh(app, company, cid).owner_id == people["lead"].id
    resp = client.post(f"/customers/{cid}/return", data={"reason": "", "csrf_token": token})
    assert resp.status_code == 303 and _fresh(app, company, cid).owner_id == people["lead"].id
    resp = client.post(f"/customers/{cid}/return", data={"reason": "Later", "csrf_token": token})
    assert resp.status_code == 303 and _fresh(app, company, cid).owner_id is None
    resp = client.post(
        f"/customers/{cid}/assign", data={"user_id": str(people["ann"].id), "csrf_token": token}
    )
    assert resp.status_code == 303 and _fresh(app, company, cid).owner_id == people["ann"].id
    # a manager may not delete (no customers.delete) nor see the trash
    assert client.post(f"/customers/{cid}/delete", data={"csrf_token": token}).status_code == 403
    assert client.get("/customers/trash").status_code == 403
    _logout(client)

    login(client, people["admin"].email)
    token = csrf(client, f"/customers/{cid}")
    resp = client.post(f"/customers/{cid}/delete", data={"csrf_token": token})
    assert resp.status_code == 303 and _fresh(app, company, cid).deleted_at is not None
    assert client.get(f"/customers/{cid}").status_code == 404
    trash = client.get("/customers/trash").get_data(as_text=True)
    assert "Acme" in trash and f'id="trashed-{cid}"' in trash
    resp = client.post(f"/customers/{cid}/restore", data={"csrf_token": token}, headers=HX)
    assert resp.status_code == 200 and "customerRestored" in resp.headers["HX-Trigger"]
    assert _fresh(app, company, cid).deleted_at is None
    assert "The trash is empty" in client.get("/customers/trash").get_data(as_text=True)


def test_shared_and_subordinates_tabs_list_their_customers(app, client, team):
    _company, people = team
    _customer(app, people, "Shared Co")
    login(client, people["bob"].email)
    assert "Shared Co" in client.get("/customers?view=shared").get_data(as_text=True)
    assert client.get("/customers?view=subordinates").status_code == 403
    _logout(client)
    login(client, people["lead"].email)
    assert "Shared Co" in client.get("/customers?view=subordinates").get_data(as_text=True)
