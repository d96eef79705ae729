"""Custom fields: validation per type, required, unique (also racing), nothing half-saved,
another tenant's fields, archive, the settings screens and the API contract."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from saas.customers import fields, lists, service
from saas.customers.attributes import CustomerFieldValue
from saas.customers.models import Customer
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import PASSWORD, add_member, as_member, csrf, login, make_company

_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


SPECS = [
    ("Contract no.", "text", {}),
    ("Notes", "long_text", {}),
    ("Employees", "number", {}),
    ("Budget", "money", {}),
    ("Founded", "date", {}),
    ("Size", "choice", {"choices": ["Small", "Medium", "Large"]}),
    ("Products", "multi_choice", {"choices": ["Tea", "Silk", "Porcelain"]}),
    ("Exporter", "yes_no", {}),
]


@pytest.fixture
def company(app):
    company = make_company(app, plan="team")

    def define(actor):
        return {
            spec[1]: fields.create_field(actor=actor, label=spec[0], type=spec[1], **spec[2]).key
            for spec in SPECS
        }

    company.keys = _as(app, company.owner, define)
    return company


def _counts(app, member):
    def count(actor):
        return (
            db.session.scalar(select(func.count()).select_from(Customer)),
            db.session.scalar(select(func.count()).select_from(CustomerFieldValue)),
            db.session.get(Tenant, actor.tenant_id).customer_seq,
        )

    return _as(app, member, count, commit=False)


def test_keys_come_from_labels(company):
    assert company.keys == {
        "text": "contract_no",
        "long_text": "notes",
        "number": "employees",
        "money": "budget",
        "date": "founded",
        "choice": "size",
        "multi_choice": "products",
        "yes_no": "exporter",
    }


def test_every_type_round_trips(app, company):
    k = company.keys
    values = {
        k["text"]: "  C-2026-001 ",
        k["long_text"]: "Line one\nLine two",
        k["number"]: "۱۲۳",  # Persian digits
        k["money"]: 19.9,
        k["date"]: "2024-08-02",
        k["choice"]: "medium",
        k["multi_choice"]: ["Porcelain", "Tea", "Tea"],
        k["exporter"] if "exporter" in k else k["yes_no"]: True,
    }

    def create(actor):
        c = service.create_customer(actor=actor, name="Typed", custom_fields=values)
        return fields.values_of(c)

    out = _as(app, company.owner, create)
    assert out == {
        "contract_no": "C-2026-001",
        "notes": "Line one\nLine two",
        "employees": "123.0000",
        "budget": "19.90",
        "founded": "2024-08-02",
        "size": "Medium",
        "products": ["Tea", "Porcelain"],
        "exporter": True,
    }


BAD = [
    ("text", 5, "enter text"),
    ("text", "x" * 10_000, "at most 200 characters (this has 10000)"),
    ("long_text", "y" * 10_001, "at most 10000 characters"),
    ("number", "twelve", "enter a number"),
    ("number", True, "enter a number"),
    ("number", "1.23456", "at most 4 decimal places"),
    ("number", "1e30", "too large"),
    ("number", "NaN", "enter a number"),
    ("money", "19.999", "at most 2 decimal places"),
    ("date", "2026-13-01", "enter a date"),
    ("date", "29/11/2026", "enter a date"),
    ("date", 20261129, "enter a date"),
    ("choice", "Huge", "choose one of the options"),
    ("choice", ["Small"], "choose one of the options"),
    ("multi_choice", "Tea", "choose options from the list"),
    ("multi_choice", ["Tea", "Gold"], "choose one of the options"),
    ("yes_no", "yes", "answer yes or no"),
    ("yes_no", 1, "answer yes or no"),
]


@pytest.mark.parametrize(("kind", "value", "message"), BAD)
def test_wrong_values_are_refused_with_a_clear_message_and_nothing_saved(
    app, company, kind, value, message
):
    before = _counts(app, company.owner)
    key = company.keys[kind]
    with pytest.raises(ValidationFailed) as err:
        _as(
            app,
            company.owner,
            lambda a: service.create_customer(actor=a, name="Bad", custom_fields={key: value}),
        )
    text = err.value.message.replace(",", "").replace("\u202f", "")
    assert message in text and err.value.code == f"cf_{key}"
    assert err.value.message.startswith(dict((s[1], s[0]) for s in SPECS)[kind])
    assert _counts(app, company.owner) == before


def test_a_long_text_of_10000_characters_is_fine(app, company):
    key = company.keys["long_text"]
    _as(
        app,
        company.owner,
        lambda a: service.create_customer(actor=a, name="Long", custom_fields={key: "z" * 10_000}),
    )


def test_required_fields_and_unknown_keys(app, company):
    def run(actor):
        field = fields.get_field(fields.fields()[0].id)
        fields.update_field(actor=actor, field_id=field.id, required=True)
        with pytest.raises(ValidationFailed) as err:
            service.create_customer(actor=actor, name="No contract")
        assert "required" in err.value.message
        with pytest.raises(ValidationFailed):
            service.create_customer(actor=actor, name="Blank", custom_fields={field.key: "  "})
        with pytest.raises(ValidationFailed) as err:
            service.create_customer(
                actor=actor, name="X", custom_fields={field.key: "A", "nope": 1}
            )
        assert "nope" in err.value.message
        c = service.create_customer(actor=actor, name="Ok", custom_fields={field.key: "A"})
        # an edit may leave it out (partial) but not empty it
        fields.apply(c, {"notes": "hello"}, actor)
        with pytest.raises(ValidationFailed):
            fields.apply(c, {field.key: None}, actor)
        return c.id

    _as(app, company.owner, run)


def test_unique_values_are_refused_also_when_two_saves_race(app, company):
    key = company.keys["text"]

    def run(actor):
        field = next(f for f in fields.fields() if f.key == key)
        fields.update_field(actor=actor, field_id=field.id, unique=True)
        first = service.create_customer(actor=actor, name="A", custom_fields={key: "ABC-1"})
        with pytest.raises(Conflict) as err:
            service.create_customer(actor=actor, name="B", custom_fields={key: "abc-1"})
        assert "another customer already has this value" in err.value.message
        # the customer itself may keep its value
        fields.apply(first, {key: "ABC-1"}, actor)
        # a save that raced past the check (validated before the other stored): the UNIQUE
        # constraint refuses it, as a 409, and the customer keeps its earlier values
        second = service.create_customer(actor=actor, name="C")
        parsed = fields.validate({key: "XYZ"}, customer=second, partial=True)
        fields.store(first, fields.validate({key: "xyz"}, customer=first, partial=True))
        with pytest.raises(Conflict):
            fields.store(second, parsed)
        assert fields.values_of(second)[key] is None
        # turning unique on is refused while customers share a value
        other = next(f for f in fields.fields() if f.key == company.keys["number"])
        fields.apply(first, {other.key: 5}, actor)
        fields.apply(second, {other.key: "5.0"}, actor)
        with pytest.raises(Conflict):
            fields.update_field(actor=actor, field_id=other.id, unique=True)
        with pytest.raises(ValidationFailed):  # not for yes/no, multi-choice, long text
            fields.create_field(actor=actor, label="Flag", type="yes_no", unique=True)

    _as(app, company.owner, run)


def test_archived_fields_are_hidden_and_keep_their_values(app, company):
    key = company.keys["text"]

    def run(actor):
        c = service.create_customer(actor=actor, name="A", custom_fields={key: "kept"})
        field = next(f for f in fields.fields() if f.key == key)
        fields.archive_field(actor=actor, field_id=field.id)
        assert key not in fields.values_of(c)
        with pytest.raises(ValidationFailed):
            service.create_customer(actor=actor, name="B", custom_fields={key: "x"})
        fields.archive_field(actor=actor, field_id=field.id, archived=False)
        assert fields.values_of(c)[key] == "kept"

    _as(app, company.owner, run)


def test_another_tenants_fields_are_not_found(app, company):
    other = make_company(app, "Bolt")
    theirs = _as(app, company.owner, lambda a: fields.fields()[0].id, commit=False)
    with pytest.raises(NotFound):
        _as(app, other.owner, lambda a: fields.update_field(actor=a, field_id=theirs, label="x"))
    with pytest.raises(ValidationFailed):  # their keys mean nothing here
        _as(
            app,
            other.owner,
            lambda a: service.create_customer(
                actor=a, name="X", custom_fields={company.keys["text"]: "x"}
            ),
        )


def test_only_settings_managers_define_fields(app, company):
    rep = add_member(app, company, "sales")
    with pytest.raises(PermissionDenied):
        _as(app, rep, lambda a: fields.create_field(actor=a, label="Mine", type="text"))


def test_money_is_decimal_and_shown_in_the_company_currency(app, company):
    def run(actor):
        c = service.create_customer(
            actor=actor, name="M", custom_fields={company.keys["money"]: "1234.5"}
        )
        assert fields.python_values(c)["budget"] == Decimal("1234.50")
        shown = dict((f.key, text) for f, text in fields.shown(c))
        assert "1,234.50" in shown["budget"]

    _as(app, company.owner, run)


# --- screens -------------------------------------------------------------------------------


def test_settings_custom_fields_add_edit_move_archive(app, client, company):
    login(client, company.owner.email)
    page = client.get("/settings/custom-fields")
    assert page.status_code == 200 and "Contract no." in page.get_data(as_text=True)
    token = csrf(client, "/settings/custom-fields")
    hx = {"HX-Request": "true"}
    resp = client.post(
        "/settings/custom-fields",
        data={"csrf_token": token, "label": "Region", "type": "choice", "choices": "North\nSouth"},
        headers=hx,
    )
    assert resp.status_code == 200 and "Region" in resp.get_data(as_text=True)
    resp = client.post(
        "/settings/custom-fields",
        data={"csrf_token": token, "label": "Bad", "type": "choice", "choices": ""},
        headers=hx,
    )
    assert resp.status_code == 422 and "at least one option" in resp.get_data(as_text=True)
    fid = _as(app, company.owner, lambda a: fields.fields()[-1].id, commit=False)
    resp = client.post(
        f"/settings/custom-fields/{fid}",
        data={"csrf_token": token, "label": "Sales region", "choices": "North\nSouth\nEast"},
    )
    assert resp.status_code == 303
    resp = client.post(
        f"/settings/custom-fields/{fid}/move",
        data={"csrf_token": token, "direction": "up"},
        headers=hx,
    )
    assert resp.status_code == 200
    order = _as(app, company.owner, lambda a: [f.label for f in fields.fields()], commit=False)
    assert order[-2:] == ["Sales region", "Exporter"]
    form = client.get("/customers/new").get_data(as_text=True)
    assert form.index("Contract no.") < form.index("Sales region") < form.index("Exporter")
    resp = client.post(
        f"/settings/custom-fields/{fid}/archive", data={"csrf_token": token, "archived": "1"}
    )
    assert resp.status_code == 303
    form = client.get("/customers/new").get_data(as_text=True)
    assert 'name="cf_region"' not in form and 'name="cf_contract_no"' in form


def test_new_customer_form_with_custom_fields(app, client, company):
    login(client, company.owner.email)
    token = csrf(client, "/customers/new")
    base = {"csrf_token": token, "name": "Form Co", "kind": "company", "country": ""}
    k = company.keys
    resp = client.post("/customers/new", data={**base, f"cf_{k['text']}": "x" * 10_000})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "at most 200 characters" in html
    assert _counts(app, company.owner)[0] == 0
    resp = client.post(
        "/customers/new",
        data={
            **base,
            f"cf_{k['text']}": "C-1",
            f"cf_{k['money']}": "1,234.50",
            f"cf_{k['date']}": "2024-08-02",
            f"cf_{k['multi_choice']}": ["Tea", "Silk"],
            f"cf_{k['yes_no']}": "yes",
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)
    cid = _as(
        app,
        company.owner,
        lambda a: db.session.scalar(select(Customer.id).where(Customer.name == "Form Co")),
        commit=False,
    )
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert "C-1" in card and "1,234.50" in card and "Tea, Silk" in card and "Yes" in card


# --- API -----------------------------------------------------------------------------------


def _token(client, email, password=PASSWORD):
    resp = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert resp.status_code == 201, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_api_custom_fields_and_lists_contract(app, client, company):
    auth = _token(client, company.owner.email)
    listed = client.get("/api/v1/custom-fields", headers=auth)
    assert listed.status_code == 200 and listed.json[0]["key"] == "contract_no"
    made = client.post(
        "/api/v1/custom-fields",
        json={"label": "VAT no.", "type": "text", "unique": True},
        headers=auth,
    )
    assert made.status_code == 201 and made.json["key"] == "vat_no" and made.json["unique"]
    fid = made.json["id"]
    assert (
        client.post("/api/v1/custom-fields", json={"label": "X", "type": "rainbow"}, headers=auth)
    ).status_code == 422
    patched = client.patch(
        f"/api/v1/custom-fields/{fid}", json={"label": "VAT", "position": 1}, headers=auth
    )
    assert patched.status_code == 200 and patched.json["position"] == 1
    assert (
        client.patch(
            f"/api/v1/custom-fields/{fid}", json={"required": "yes"}, headers=auth
        ).status_code
        == 422
    )

    tags = client.get("/api/v1/lists/tag", headers=auth)
    assert tags.status_code == 200 and [t["name"] for t in tags.json] == ["VIP", "Follow up"]
    assert client.get("/api/v1/lists/planets", headers=auth).status_code == 404
    gold = client.post("/api/v1/lists/level", json={"name": "Gold", "colour": "yellow"},
                       headers=auth)  # fmt: skip
    assert gold.status_code == 201 and gold.json["colour"] == "yellow"
    assert (
        client.post("/api/v1/lists/level", json={"name": "gold"}, headers=auth).status_code == 409
    )
    assert client.patch(f"/api/v1/lists/tag/{gold.json['id']}", json={"name": "x"},
                        headers=auth).status_code == 404  # fmt: skip

    body = {
        "name": "API Co",
        "level": gold.json["id"],
        "industry": "Trade",
        "source": None,
        "stage": "Negotiating",
        "tags": ["VIP"],
        "custom_fields": {"vat_no": "AL123", "budget": "250.5", "exporter": False},
    }
    created = client.post("/api/v1/customers", json=body, headers=auth)
    assert created.status_code == 201, created.json
    out = created.json
    assert out["level"]["name"] == "Gold" and out["industry"]["name"] == "Trade"
    assert out["source"] is None and out["stage"] == "potential"
    assert out["stage_entry"]["name"] == "Negotiating"
    assert [t["name"] for t in out["tags"]] == ["VIP"]
    assert out["custom_fields"]["vat_no"] == "AL123"
    assert out["custom_fields"]["budget"] == "250.50" and out["custom_fields"]["exporter"] is False
    got = client.get(f"/api/v1/customers/{out['id']}", headers=auth).json
    assert got["custom_fields"] == out["custom_fields"] and got["tags"] == out["tags"]
    for bad in (
        {"custom_fields": {"vat_no": "AL123"}},  # unique
        {"custom_fields": {"budget": "lots"}},
        {"custom_fields": {"exporter": "no"}},
        {"custom_fields": {"unknown": 1}},
        {"custom_fields": {"vat_no": {"nested": 1}}},
        {"level": True},
        {"tags": "VIP"},
        {"tags": [999_999]},
        {"custom_fields": {"notes": "n" * 10_001}},
    ):
        resp = client.post("/api/v1/customers", json={"name": "Bad", **bad}, headers=auth)
        assert resp.status_code in (409, 422), (bad, resp.status_code)
        assert resp.json["error"]["message"]
    assert _counts(app, company.owner)[0] == 1
    assert client.delete(f"/api/v1/custom-fields/{fid}", headers=auth).status_code == 204
    assert (
        "vat_no"
        not in client.get(f"/api/v1/customers/{out['id']}", headers=auth).json["custom_fields"]
    )


def test_api_refuses_reps_changes_and_other_tenants_ids(app, client, company):
    rep = add_member(app, company, "sales")
    auth = _token(client, rep.email)
    assert client.get("/api/v1/custom-fields", headers=auth).status_code == 200
    assert client.post("/api/v1/custom-fields", json={"label": "X", "type": "text"},
                       headers=auth).status_code == 403  # fmt: skip
    assert client.post("/api/v1/lists/tag", json={"name": "Mine"},
                       headers=auth).status_code == 403  # fmt: skip
    other = make_company(app, "Bolt")
    theirs = _token(client, other.owner.email)
    fid = _as(app, company.owner, lambda a: fields.fields()[0].id, commit=False)
    entry = _as(app, company.owner, lambda a: lists.entries("tag")[0].id, commit=False)
    assert client.patch(f"/api/v1/custom-fields/{fid}", json={"label": "x"},
                        headers=theirs).status_code == 404  # fmt: skip
    assert client.delete(f"/api/v1/custom-fields/{fid}", headers=theirs).status_code == 404
    assert client.patch(f"/api/v1/lists/tag/{entry}", json={"name": "x"},
                        headers=theirs).status_code == 404  # fmt: skip
    resp = client.post("/api/v1/customers", json={"name": "X", "tags": [entry]}, headers=theirs)
    assert resp.status_code == 422


def test_openapi_declares_the_new_routes(client):
    doc = client.get("/api/v1/openapi.json").json
    lists_path = doc["paths"]["/api/v1/lists/{kind}"]
    kind = next(p for p in lists_path["get"]["parameters"] if p["name"] == "kind")
    assert kind["schema"]["type"] == "string"
    assert set(doc["paths"]["/api/v1/custom-fields/{field_id}"]) == {"patch", "delete"}
    create = doc["components"]["schemas"]["CustomerCreate"]["properties"]
    assert {"level", "industry", "source", "stage", "tags", "custom_fields"} <= set(create)


def test_edit_changes_list_entries_tags_and_custom_fields(app, client, company):
    """PATCH /api/v1/customers/{id} and service.update_customer take the company's lists and
    custom fields: only what is sent changes; a bad value changes nothing."""
    auth = _token(client, company.owner.email)
    made = client.post(
        "/api/v1/customers",
        json={"name": "Silk Road", "custom_fields": {company.keys["number"]: 5}},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    cid = made.json["id"]
    level = client.get("/api/v1/lists/level", headers=auth).json[0]
    tag = client.get("/api/v1/lists/tag", headers=auth).json[0]
    patched = client.patch(
        f"/api/v1/customers/{cid}",
        json={
            "level": level["id"],
            "tags": [tag["name"]],
            "stage": "active",
            "custom_fields": {company.keys["yes_no"]: True},
        },
        headers=auth,
    )
    assert patched.status_code == 200, patched.json
    body = patched.json
    assert body["level"]["id"] == level["id"] and [t["id"] for t in body["tags"]] == [tag["id"]]
    assert body["stage"] == "active" and body["stage_entry"]["name"] == "Active"
    # the custom field not sent keeps its value
    assert Decimal(body["custom_fields"][company.keys["number"]]) == 5
    assert body["custom_fields"][company.keys["yes_no"]] is True
    bad = client.patch(
        f"/api/v1/customers/{cid}",
        json={"name": "Renamed", "custom_fields": {company.keys["number"]: "many"}},
        headers=auth,
    )
    assert bad.status_code == 422
    after = client.get(f"/api/v1/customers/{cid}", headers=auth).json
    assert after["name"] == "Silk Road"
    assert Decimal(after["custom_fields"][company.keys["number"]]) == 5
    cleared = client.patch(f"/api/v1/customers/{cid}", json={"tags": None}, headers=auth)
    assert cleared.status_code == 200 and cleared.json["tags"] == []


def test_custom_field_columns_in_the_grid_show_each_value_escaped(app, client, company):
    """A custom field shown as a column of the Customers grid (``cf.<key>``): its display text
    per row (money in the company's currency, a choice, yes/no), "—" without a value, typed
    markup escaped."""
    keys = company.keys

    def run(actor):
        service.create_customer(actor=actor, name="Blank Ltd")
        service.create_customer(
            actor=actor,
            name="Filled Ltd",
            custom_fields={keys["text"]: "<b>K-7</b>", keys["money"]: "1234.5",
                           keys["choice"]: "Large", keys["yes_no"]: True},
        )  # fmt: skip

    _as(app, company.owner, run)
    login(client, company.owner.email)
    cols = ",".join(["name", *(f"cf.{keys[t]}" for t in ("text", "money", "choice", "yes_no"))])
    html = client.get(f"/customers?view=all&cols={cols}").get_data(as_text=True)
    rows = dict(
        re.findall(r'<tr id="customer-\d+">.*?<a href="[^"]+">([^<]+)</a>(.*?)</tr>', html, re.S)
    )
    cells = {
        name: re.findall(r"<td data-label=[^>]*>(.*?)</td>", rest) for name, rest in rows.items()
    }
    assert cells["Blank Ltd"] == ["—", "—", "—", "—"]
    text, money, choice, yes = cells["Filled Ltd"]
    assert text == "&lt;b&gt;K-7&lt;/b&gt;"
    assert "1,234.50" in money and choice == "Large" and yes == "Yes"
