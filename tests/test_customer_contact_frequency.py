"""Customers' contact frequency and purchase preferences; "Save and new" on the new form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from saas.customers import service
from saas.customers.models import Customer
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, make_company
from tests.test_customers import _api, _as, _bearer, _create


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    return company, {"ann": ann}


def _count(app, member):
    with app.app_context(), tenant_context(member.tenant_id):
        return db.session.scalar(select(func.count()).select_from(Customer))


@pytest.mark.parametrize(
    "kw",
    [
        {"contact_frequency_days": 0},
        {"contact_frequency_days": 3651},
        {"contact_frequency_days": "7"},
        {"contact_frequency_days": True},
        {"purchase_preferences": "x" * 2001},
    ],
)
def test_the_service_refuses_bad_values_and_saves_nothing(app, team, kw):
    _company, people = team
    ann = people["ann"]
    with pytest.raises(ValidationFailed) as exc:
        _create(app, ann, **kw)
    assert exc.value.code == next(iter(kw))
    assert _count(app, ann) == 0
    cid = _create(app, ann, contact_frequency_days=30, purchase_preferences="  Bulk, in spring ")
    with pytest.raises(ValidationFailed):
        _as(app, ann, lambda a: service.update_customer(a, cid, **kw))
    with app.app_context(), tenant_context(ann.tenant_id):
        c = db.session.get(Customer, cid)
        assert (c.contact_frequency_days, c.purchase_preferences) == (30, "Bulk, in spring")


@pytest.mark.parametrize(
    "body",
    [
        {"contact_frequency_days": 0},
        {"contact_frequency_days": 3651},
        {"contact_frequency_days": "7"},
        {"contact_frequency_days": 7.5},
        {"purchase_preferences": "x" * 2001},
    ],
)
def test_the_api_refuses_bad_values_with_422_and_saves_nothing(app, client, team, body):
    _company, people = team
    token = _bearer(app, people["ann"])
    resp = _api(client, token, "POST", "/api/v1/customers", {"name": "Acme", **body})
    assert resp.status_code == 422 and set(resp.get_json()["error"]) == {"code", "message"}
    assert _count(app, people["ann"]) == 0
    cid = _create(app, people["ann"], contact_frequency_days=14)
    resp = _api(client, token, "PATCH", f"/api/v1/customers/{cid}", body)
    assert resp.status_code == 422
    got = _api(client, token, "GET", f"/api/v1/customers/{cid}").get_json()
    assert got["contact_frequency_days"] == 14 and got["purchase_preferences"] is None


def test_api_round_trip(app, client, team):
    _company, people = team
    token = _bearer(app, people["ann"])
    prefs = "采购, 每季度一次, " + "y" * 1980
    created = _api(
        client,
        token,
        "POST",
        "/api/v1/customers",
        {"name": "Acme", "contact_frequency_days": 3650, "purchase_preferences": prefs},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["contact_frequency_days"] == 3650 and body["purchase_preferences"] == prefs
    cid = body["id"]
    patched = _api(
        client, token, "PATCH", f"/api/v1/customers/{cid}", {"contact_frequency_days": 1}
    )
    assert patched.status_code == 200 and patched.get_json()["contact_frequency_days"] == 1
    cleared = _api(
        client,
        token,
        "PATCH",
        f"/api/v1/customers/{cid}",
        {"contact_frequency_days": None, "purchase_preferences": None},
    )
    got = cleared.get_json()
    assert got["contact_frequency_days"] is None and got["purchase_preferences"] is None
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["CustomerCreate"]["properties"]
    text = str(schema["contact_frequency_days"])
    assert "3650" in text and "2000" in str(schema["purchase_preferences"])


def test_the_form_saves_the_fields_and_save_and_new_opens_an_empty_form(app, client, team):
    from tests.conftest import csrf, login

    _company, people = team
    login(client, people["ann"].email)
    token = csrf(client, "/customers/new")
    page = client.get("/customers/new").get_data(as_text=True)
    assert "Save and new" in page and "Purchase preferences" in page
    base = {"kind": "company", "stage": "potential", "country": "", "csrf_token": token}
    bad = client.post(
        "/customers/new", data={**base, "name": "Zero", "contact_frequency_days": "0"}
    )
    assert bad.status_code == 422 and _count(app, people["ann"]) == 0
    resp = client.post(
        "/customers/new",
        data={
            **base,
            "name": "Acme",
            "contact_frequency_days": "21",
            "purchase_preferences": "Bulk orders",
            "and_new": "1",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/customers/new")
    again = client.get("/customers/new").get_data(as_text=True)
    assert "added." in again and 'value="Acme"' not in again
    with app.app_context(), tenant_context(people["ann"].tenant_id):
        c = db.session.scalar(select(Customer))
        assert (c.contact_frequency_days, c.purchase_preferences) == (21, "Bulk orders")
        cid = c.id
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert "Contact frequency (days)" in card and "Bulk orders" in card
    # plain Save still goes to the list; the edit form has no "Save and new"
    resp = client.post("/customers/new", data={**base, "name": "Beta"})
    assert resp.status_code == 303 and "/customers/new" not in resp.headers["Location"]
    assert "Save and new" not in client.get(f"/customers/{cid}/edit").get_data(as_text=True)
    resp = client.post(
        f"/customers/{cid}/edit",
        data={**base, "name": "Acme", "contact_frequency_days": "3651"},
    )
    assert resp.status_code == 422
