"""Tenant-editable lists: defaults, customers' entries and tags, archive, Settings → Lists,
another tenant's entries refused, badge contrast, the migration that seeds existing tenants."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from saas.customers import lists, service
from saas.customers.attributes import PALETTE, CustomerTag, ListEntry
from saas.customers.models import Customer
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import add_member, as_member, csrf, login, make_company

ROOT = Path(__file__).resolve().parent.parent


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _entry(kind, name):
    return db.session.scalar(
        select(ListEntry).where(ListEntry.kind == kind, ListEntry.name == name)
    )


def test_a_new_company_gets_default_lists(app):
    company = make_company(app)

    def check(actor):
        names = {k: [e.name for e in lists.entries(k)] for k in lists.ListKind}
        assert names["stage"] == ["Potential", "Negotiating", "Active", "Ended"]
        assert [e.category for e in lists.entries("stage")] == [
            "potential",
            "potential",
            "active",
            "ended",
        ]
        assert "Key account" in names["level"] and "VIP" in names["tag"]
        assert lists.reasons_for(actor.tenant) == [
            "No response",
            "Not interested",
            "Wrong contact",
            "Duplicate",
            "Other",
        ]
        assert all(e.colour in PALETTE for k in lists.ListKind for e in lists.entries(k))

    _as(app, company.owner, check, commit=False)


def test_reasons_for_another_tenant_is_refused(app):
    a, b = make_company(app, "Acme"), make_company(app, "Bolt")
    with pytest.raises(NotFound):
        _as(app, a.owner, lambda actor: lists.reasons_for(b.tenant_id))


def test_create_with_entries_by_id_and_name_and_tags(app):
    company = make_company(app)

    def create(actor):
        level = _entry("level", "Key account")
        c = service.create_customer(
            actor=actor,
            name="Acme Trading",
            level=level.id,
            industry="trade",  # names compare case-insensitively
            source="Referral",
            stage="active",  # a category: the first live entry of it
            tags=["VIP", _entry("tag", "Follow up").id],
        )
        return c.id

    cid = _as(app, company.owner, create)

    def check(actor):
        c = db.session.get(Customer, cid)
        assert c.level.name == "Key account" and c.industry.name == "Trade"
        assert c.source.name == "Referral"
        assert c.stage_entry.name == "Active" and c.stage == "active"
        assert [t.name for t in lists.tags_of(c)] == ["VIP", "Follow up"]

    _as(app, company.owner, check, commit=False)


def test_a_customer_gets_the_first_stage_when_none_is_given(app):
    company = make_company(app)
    cid = _as(app, company.owner, lambda a: service.create_customer(actor=a, name="X").id)
    _as(
        app,
        company.owner,
        lambda a: (
            db.session.get(Customer, cid).stage_entry.name == "Potential" or pytest.fail("no stage")
        ),
        commit=False,
    )


def _counts(app, member):
    def count(actor):
        return (
            db.session.scalar(select(func.count()).select_from(Customer)),
            db.session.scalar(select(func.count()).select_from(CustomerTag)),
            db.session.get(Tenant, actor.tenant_id).customer_seq,
        )

    return _as(app, member, count, commit=False)


@pytest.mark.parametrize("field", ["level", "industry", "source", "stage"])
def test_another_tenants_entry_is_refused_and_nothing_is_saved(app, field):
    a, b = make_company(app, "Acme"), make_company(app, "Bolt")
    kind = field
    foreign = _as(app, b.owner, lambda actor: lists.entries(kind)[0].id, commit=False)
    before = _counts(app, a.owner)
    with pytest.raises(ValidationFailed) as err:
        _as(
            app,
            a.owner,
            lambda actor: service.create_customer(actor=actor, name="X", **{field: foreign}),
        )
    assert err.value.code == field
    assert _counts(app, a.owner) == before


def test_another_tenants_tag_and_unknown_names_are_refused(app):
    a, b = make_company(app, "Acme"), make_company(app, "Bolt")
    foreign = _as(app, b.owner, lambda actor: lists.entries("tag")[0].id, commit=False)
    for tags in ([foreign], ["No such tag"], "VIP", [True], [{"id": 1}]):
        with pytest.raises(ValidationFailed):
            _as(
                app,
                a.owner,
                lambda actor, t=tags: service.create_customer(actor=actor, name="X", tags=t),
            )
    with pytest.raises(ValidationFailed):  # a level name used as an industry
        _as(
            app,
            a.owner,
            lambda actor: service.create_customer(actor=actor, name="X", industry="VIP"),
        )
    assert _counts(app, a.owner)[0] == 0


def test_archived_entries_stay_on_customers_but_are_not_offered(app):
    company = make_company(app)

    def setup(actor):
        small = _entry("level", "Small")
        vip = _entry("tag", "VIP")
        c = service.create_customer(actor=actor, name="Kept", level=small.id, tags=[vip.id])
        lists.archive_entry(actor=actor, entry_id=small.id)
        lists.archive_entry(actor=actor, entry_id=vip.id)
        return c.id, small.id, vip.id

    cid, small, vip = _as(app, company.owner, setup)

    def check(actor):
        c = db.session.get(Customer, cid)
        assert c.level_id == small  # still there
        assert small not in [e.id for e in lists.offered("level")]
        assert small in [e.id for e in lists.offered("level", keep=[c.level_id])]
        with pytest.raises(ValidationFailed):  # a new customer cannot take it
            service.create_customer(actor=actor, name="New", level=small)
        with pytest.raises(ValidationFailed):
            service.create_customer(actor=actor, name="New", tags=[vip])
        # the customer that has them may keep them on an edit
        lists.apply(c, actor=actor, level=small, tags=[vip, "Follow up"])
        assert {t.name for t in lists.tags_of(c)} == {"VIP", "Follow up"}
        lists.apply(c, actor=actor, level=None, tags=[])
        assert c.level_id is None and lists.tags_of(c) == []
        with pytest.raises(ValidationFailed):  # once gone, it cannot come back
            lists.apply(c, actor=actor, level=small)

    _as(app, company.owner, check, commit=False)


def test_the_last_stage_cannot_be_archived_and_names_are_unique(app):
    company = make_company(app)

    def run(actor):
        stages = lists.entries("stage")
        for s in stages[:-1]:
            lists.archive_entry(actor=actor, entry_id=s.id)
        with pytest.raises(Conflict):
            lists.archive_entry(actor=actor, entry_id=stages[-1].id)
        with pytest.raises(Conflict):
            lists.add_entry(actor=actor, kind="level", name="key ACCOUNT")
        with pytest.raises(Conflict):  # an archived twin: restore it instead
            lists.add_entry(actor=actor, kind="stage", name="potential")
        with pytest.raises(ValidationFailed):
            lists.add_entry(actor=actor, kind="level", name="x" * 10_000)
        with pytest.raises(ValidationFailed):
            lists.add_entry(actor=actor, kind="level", name="Gold", colour="#ff00ff")
        with pytest.raises(NotFound):
            lists.add_entry(actor=actor, kind="planets", name="Mars")

    _as(app, company.owner, run, commit=False)


def test_recategorising_a_stage_moves_its_customers(app):
    company = make_company(app)

    def run(actor):
        negotiating = _entry("stage", "Negotiating")
        c = service.create_customer(actor=actor, name="X", stage=negotiating.id)
        assert c.stage == "potential"
        lists.update_entry(actor=actor, entry_id=negotiating.id, category="active")
        db.session.refresh(c)
        assert c.stage == "active"

    _as(app, company.owner, run, commit=False)


def test_only_settings_managers_edit_lists(app):
    company = make_company(app, plan="team")
    rep = add_member(app, company, "sales")
    with pytest.raises(PermissionDenied):
        _as(app, rep, lambda a: lists.add_entry(actor=a, kind="tag", name="Mine"))
    with pytest.raises(PermissionDenied):
        _as(app, rep, lambda a: lists.archive_entry(actor=a, entry_id=lists.entries("tag")[0].id))


def test_move_entry_reorders(app):
    company = make_company(app)

    def run(actor):
        other = _entry("source", "Other")
        lists.move_entry(actor=actor, entry_id=other.id, position=1)
        assert lists.entries("source")[0].name == "Other"
        assert [e.position for e in lists.entries("source")] == [1, 2, 3, 4, 5]

    _as(app, company.owner, run, commit=False)


# --- screens -------------------------------------------------------------------------------


def test_settings_lists_page_add_rename_move_archive_in_place(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    page = client.get("/settings/lists")
    assert page.status_code in (302, 303) and page.headers["Location"].endswith(
        "/settings/lists/level"
    )
    page = client.get("/settings/lists/level")
    assert page.status_code == 200 and "Key account" in page.get_data(as_text=True)
    assert client.get("/settings/lists/planets").status_code == 404
    token = csrf(client, "/settings/lists/level")
    htmx = {"HX-Request": "true"}
    resp = client.post(
        "/settings/lists/level",
        data={"csrf_token": token, "new-name": "Gold", "new-colour": "yellow"},
        headers=htmx,
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="list-panel"' in html and "badge-c-yellow" in html
    assert "<html" not in html
    # a twin name: 422 with the message on the field
    resp = client.post(
        "/settings/lists/level",
        data={"csrf_token": token, "new-name": "gold", "new-colour": "gray"},
        headers=htmx,
    )
    assert resp.status_code == 422 and "already has an entry" in resp.get_data(as_text=True)
    gold = _as(app, company.owner, lambda a: _entry("level", "Gold").id, commit=False)
    resp = client.post(
        f"/settings/lists/entries/{gold}",
        data={"csrf_token": token, f"e{gold}-name": "Platinum", f"e{gold}-colour": "purple"},
        headers=htmx,
    )
    assert resp.status_code == 200 and "Platinum" in resp.get_data(as_text=True)
    resp = client.post(
        f"/settings/lists/entries/{gold}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert resp.status_code == 303  # without htmx: a redirect
    names = _as(
        app, company.owner, lambda a: [e.name for e in lists.entries("level")], commit=False
    )
    assert names == ["Key account", "Regular", "Platinum", "Small"]
    resp = client.post(
        f"/settings/lists/entries/{gold}/archive",
        data={"csrf_token": token, "archived": "1"},
        headers=htmx,
    )
    assert resp.status_code == 200 and "Restore" in resp.get_data(as_text=True)
    new_form = client.get("/customers/new").get_data(as_text=True)
    assert "Platinum" not in new_form and "Key account" in new_form and "badge-c-red" in new_form


def test_settings_lists_refuses_another_tenants_entry(app, client):
    a, b = make_company(app, "Acme"), make_company(app, "Bolt")
    foreign = _as(app, b.owner, lambda actor: lists.entries("level")[0].id, commit=False)
    login(client, a.owner.email)
    token = csrf(client, "/settings/lists/level")
    for url in (f"/settings/lists/entries/{foreign}", f"/settings/lists/entries/{foreign}/archive"):
        resp = client.post(url, data={"csrf_token": token, f"e{foreign}-name": "Hacked"})
        assert resp.status_code == 404
    assert _as(app, b.owner, lambda actor: lists.entries("level")[0].name, commit=False) != "Hacked"


def test_new_customer_form_saves_lists(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    ids = _as(
        app,
        company.owner,
        lambda a: {
            "level": _entry("level", "Regular").id,
            "stage": _entry("stage", "Negotiating").id,
            "tag": _entry("tag", "VIP").id,
        },
        commit=False,
    )
    token = csrf(client, "/customers/new")
    resp = client.post(
        "/customers/new",
        data={
            "csrf_token": token,
            "name": "Form Co",
            "kind": "company",
            "country": "",
            "level": str(ids["level"]),
            "stage": str(ids["stage"]),
            "industry": "",
            "source": "",
            "tags": [str(ids["tag"])],
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)

    def check(actor):
        c = db.session.scalar(select(Customer).where(Customer.name == "Form Co"))
        assert c.level_id == ids["level"] and c.stage_id == ids["stage"]
        assert [t.id for t in lists.tags_of(c)] == [ids["tag"]]
        return c.id

    cid = _as(app, company.owner, check, commit=False)
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert "Regular" in card and "Negotiating" in card and "badge-c-red" in card
    # a forged id: 422 on the field, nothing saved
    resp = client.post(
        "/customers/new",
        data={"csrf_token": token, "name": "Forged", "kind": "company", "level": "999999"},
    )
    assert resp.status_code == 422


# --- colours ---------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_badge_colour_passes_wcag_aa():
    css = (ROOT / "static/css/baza.css").read_text()
    for name in PALETTE:
        rule = re.search(
            rf"\.badge-c-{name} \{{ background: (#\w{{6}}); color: (#\w{{6}}); \}}", css
        )
        assert rule, f"no CSS for badge colour {name}"
        bg, fg = (_luminance(c) for c in rule.groups())
        ratio = (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05)
        assert ratio >= 4.5, (name, ratio)


# --- migration -------------------------------------------------------------------------------


def test_migration_seeds_existing_tenants_and_their_customers_stages(app):
    company = make_company(app)
    _as(app, company.owner, lambda a: service.create_customer(actor=a, name="Old", stage="ended"))
    source = next((ROOT / "migrations/versions").glob("*_lists.py")).read_text()
    before = re.search(r'^down_revision = "([^"]+)"', source, re.M).group(1)
    with app.app_context():
        downgrade(revision=before)
        upgrade()
        db.session.remove()

    def check(actor):
        assert [e.name for e in lists.entries("stage")] == [
            "Potential",
            "Negotiating",
            "Active",
            "Ended",
        ]
        c = db.session.scalar(select(Customer).where(Customer.name == "Old"))
        assert c.stage == "ended" and c.stage_entry.name == "Ended"

    _as(app, company.owner, check, commit=False)
