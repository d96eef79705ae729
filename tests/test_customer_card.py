"""The customer card: header, tabs from the registry, page or panel from one URL."""

from __future__ import annotations

import pytest
from flask import g

from saas.auth.models import User
from saas.customers import card, service
from saas.customers.models import Customer
from saas.errors import NotFound, PermissionDenied
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, login, make_company


def _as(app, member, fn):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        actor = db.session.get(User, member.id)
        g.actor_id = actor.id
        result = fn(actor)
        db.session.commit()
        return result


@pytest.fixture
def world(app):
    acme = make_company(app, "Acme", plan="team")
    rep = add_member(app, acme, "sales", email="rep@acme.example.com")
    viewer = add_member(app, acme, "viewer", email="viewer@acme.example.com")
    beta = make_company(app, "Beta")
    mine = _as(
        app, rep, lambda a: service.create_customer(actor=a, name="Huaxin 华信", city="Tirana").id
    )
    other = _as(app, acme.owner, lambda a: service.create_customer(actor=a, name="Owner's").id)
    return {"acme": acme, "rep": rep, "viewer": viewer, "beta": beta, "mine": mine, "other": other}


def test_the_card_shows_the_details_tab_and_the_tab_url_serves_the_same(client, world):
    login(client, "rep@acme.example.com")
    page = client.get(f"/customers/{world['mine']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Huaxin 华信" in html and "Tirana" in html and 'id="card-panel"' in html
    same = client.get(f"/customers/{world['mine']}/details")
    assert same.status_code == 200 and "Tirana" in same.get_data(as_text=True)


def test_an_htmx_tab_switch_gets_only_the_panel(client, world):
    login(client, "rep@acme.example.com")
    resp = client.get(f"/customers/{world['mine']}/details", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="card-panel"' in html and "<html" not in html and "Tirana" in html
    assert "HX-Request" in resp.headers.get("Vary", "")


def test_unknown_hidden_and_foreign_tabs_are_404(app, client, world):
    hidden = card.CardTab(
        "secret", "Secret", "customers/card/_details.html", visible=lambda a, c: False
    )
    card.register_tab(hidden)
    try:
        login(client, "rep@acme.example.com")
        assert client.get(f"/customers/{world['mine']}/nope").status_code == 404
        assert client.get(f"/customers/{world['mine']}/secret").status_code == 404
        # a customer the rep may not see: its card and its tabs are not found
        assert client.get(f"/customers/{world['other']}").status_code == 404
        assert client.get(f"/customers/{world['other']}/details").status_code == 404
        outsider = app.test_client()
        login(outsider, world["beta"].owner.email)
        assert outsider.get(f"/customers/{world['mine']}/details").status_code == 404
    finally:
        card._TABS.pop("secret", None)


def test_tabs_are_ordered_and_a_registered_tab_appears(app, client, world):
    card.register_tab(card.CardTab("first", "First tab", "customers/card/_details.html", order=1))
    try:
        names = _as(
            app,
            world["rep"],
            lambda a: [t.name for t in card.tabs_for(a, db.session.get(Customer, world["mine"]))],
        )
        assert names.index("first") < names.index("details")
        login(client, "rep@acme.example.com")
        html = client.get(f"/customers/{world['mine']}").get_data(as_text=True)
        assert "First tab" in html
    finally:
        card._TABS.pop("first", None)


def test_may_edit_get_editable_and_touch(app, world):
    def check(rep):
        mine = db.session.get(Customer, world["mine"])
        others = db.session.get(Customer, world["other"])
        assert service.may_edit(rep, mine) and not service.may_edit(rep, others)
        with pytest.raises(NotFound):
            service.get_editable(rep, others.id)
        assert service.get_editable(rep, mine.id) is mine

    _as(app, world["rep"], check)

    def viewer_reads_only(viewer):
        mine = db.session.get(Customer, world["mine"])
        assert service.may_see(viewer, mine) and not service.may_edit(viewer, mine)
        with pytest.raises(PermissionDenied):
            service.get_editable(viewer, mine.id)

    _as(app, world["viewer"], viewer_reads_only)

    def owner_edits_and_touches(owner):
        mine = db.session.get(Customer, world["mine"])
        assert service.may_edit(owner, mine)
        before = mine.updated_at
        service.touch(mine, owner)
        assert mine.updated_by_id == owner.id and mine.updated_at >= before

    _as(app, world["acme"].owner, owner_edits_and_touches)
