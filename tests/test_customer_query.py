# ruff: noqa: RUF001 - Arabic, Persian and full-width letters are the point
"""The combined query (saas/customers/query.py): validation with paths, round trips, SQL
results, views it cannot escape, sorts and keyset pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select, update

from saas.auth.models import User
from saas.customers import query as cq
from saas.customers import service
from saas.customers.folding import fold
from saas.customers.models import Customer
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.utils import utcnow
from tests.conftest import add_member, make_company


def _as(app, member, fn, *, commit=True):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        actor = db.session.get(User, member.id)
        g.actor_id = actor.id
        try:
            result = fn(actor)
        except BaseException:
            db.session.rollback()
            raise
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return result


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    boss = add_member(app, company, "manager", email="boss@acme.example.com")
    lead = add_member(app, company, "manager", email="lead@acme.example.com", manager=boss)
    ann = add_member(app, company, "sales", email="ann@acme.example.com", manager=lead)
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    return company, {"owner": company.owner, "boss": boss, "lead": lead, "ann": ann, "bob": bob}


def _ids(app, member, tree=None, view="all", q=None):
    def run(actor):
        node = cq.parse(tree, actor) if tree is not None else None
        rows = db.session.scalars(service.view_query(actor, view, q, node))
        return {c.name for c in rows}

    return _as(app, member, run, commit=False)


def _error(app, member, tree):
    with pytest.raises(cq.QueryInvalid) as info:
        _as(app, member, lambda a: cq.parse(tree, a), commit=False)
    return info.value.code, info.value.path


# --- validation ------------------------------------------------------------------------------


def test_every_kind_of_bad_node_names_its_path(app, team):
    _, people = team
    owner = people["owner"]
    ok = {"field": "city", "op": "contains", "value": "x"}
    cases = [
        ([], ("bad_node", "$")),
        ("city", ("bad_node", "$")),
        ({"and": ok}, ("bad_node", "$.and")),
        ({"and": [ok], "or": []}, ("bad_node", "$")),
        ({"and": [ok, {"or": [ok, 5]}]}, ("bad_node", "$.and[1].or[1]")),
        ({"and": [{"field": "nope", "op": "is", "value": 1}]}, ("unknown_field", "$.and[0].field")),
        ({"field": 5, "op": "is", "value": 1}, ("unknown_field", "$.field")),
        ({"field": "cf.nope", "op": "is", "value": 1}, ("unknown_field", "$.field")),
        ({"or": [ok, {"field": "city", "op": "gt", "value": 1}]}, ("bad_operator", "$.or[1].op")),
        ({"field": "number", "op": "contains", "value": "1"}, ("bad_operator", "$.op")),
        ({"field": "city", "op": "contains"}, ("bad_value", "$.value")),
        ({"field": "city", "op": "contains", "value": 5}, ("bad_value", "$.value")),
        ({"field": "city", "op": "contains", "value": "x" * 201}, ("bad_value", "$.value")),
        ({"field": "city", "op": "contains", "value": "  "}, ("bad_value", "$.value")),
        ({"field": "city", "op": "in", "value": ["a", 3]}, ("bad_value", "$.value[1]")),
        ({"field": "city", "op": "in", "value": ["a"] * 101}, ("bad_value", "$.value")),
        ({"field": "city", "op": "in", "value": []}, ("bad_value", "$.value")),
        ({"field": "city", "op": "empty", "value": "x"}, ("bad_value", "$.value")),
        ({"field": "city", "op": "contains", "value": "x", "x": 1}, ("bad_node", "$.x")),
        ({"field": "number", "op": "eq", "value": True}, ("bad_value", "$.value")),
        ({"field": "number", "op": "eq", "value": 10**40}, ("bad_value", "$.value")),
        ({"field": "number", "op": "eq", "value": "1e999"}, ("bad_value", "$.value")),
        ({"field": "number", "op": "eq", "value": "NaN"}, ("bad_value", "$.value")),
        ({"field": "number", "op": "between", "value": [5, 1]}, ("bad_value", "$.value")),
        ({"field": "number", "op": "between", "value": [1, "x"]}, ("bad_value", "$.value[1]")),
        ({"field": "created_at", "op": "on", "value": "2026-02-30"}, ("bad_value", "$.value")),
        ({"field": "created_at", "op": "in_last_days", "value": 0}, ("bad_value", "$.value")),
        ({"field": "created_at", "op": "in_last_days", "value": True}, ("bad_value", "$.value")),
        ({"field": "owner", "op": "is", "value": False}, ("bad_value", "$.value")),
        ({"field": "owner", "op": "is", "value": 2**70}, ("bad_value", "$.value")),
        ({"field": "owner", "op": "is", "value": 987654}, ("bad_value", "$.value")),
        ({"field": "owner", "op": "in", "value": [owner.id, "x"]}, ("bad_value", "$.value[1]")),
        ({"field": "stage", "op": "is", "value": "No such stage"}, ("bad_value", "$.value")),
        ({"field": "kind", "op": "is", "value": "robot"}, ("bad_value", "$.value")),
        ({"field": "country", "op": "is", "value": "XX"}, ("bad_value", "$.value")),
        ({"field": "locked", "op": "is", "value": "true"}, ("bad_value", "$.value")),
        ({"field": "tags", "op": "has_any", "value": ["nope"]}, ("bad_value", "$.value[0]")),
        ({"field": "contact_birthday", "op": "month_is", "value": 13}, ("bad_value", "$.value")),
        ({"field": "contact_birthday", "op": "in_last_days", "value": 3}, ("bad_operator", "$.op")),
        ({"field": "contact_phone", "op": "is", "value": "12"}, ("bad_value", "$.value")),
    ]
    for tree, expected in cases:
        assert _error(app, owner, tree) == expected, tree


def test_depth_and_count_limits(app, team):
    _, people = team
    ok = {"field": "city", "op": "empty"}
    deep = ok
    for _ in range(4):
        deep = {"and": [deep]}
    _as(app, people["owner"], lambda a: cq.parse(deep, a), commit=False)  # 4 groups: fine
    assert _error(app, people["owner"], {"or": [deep]}) == (
        "too_deep",
        "$.or[0].and[0].and[0].and[0]",
    )
    _as(app, people["owner"], lambda a: cq.parse({"and": [ok] * 40}, a), commit=False)
    assert _error(app, people["owner"], {"and": [ok] * 41}) == ("too_many", "$.and[40]")
    nested = {"or": [{"and": [ok] * 20}, {"and": [ok] * 21}]}
    assert _error(app, people["owner"], nested) == ("too_many", "$.or[1].and[20]")


def test_parse_json_refuses_garbage_with_a_path(app, team):
    _, people = team

    def run(text):
        with pytest.raises(cq.QueryInvalid) as info:
            _as(app, people["owner"], lambda a: cq.parse_json(text, a), commit=False)
        return info.value.code, info.value.path

    assert run("{nope") == ("bad_json", "$")
    assert run("[" * 100_000) == ("too_long", "$")
    assert run("[" * 5000 + "]" * 5000) in {("bad_json", "$"), ("bad_node", "$")}
    assert run("false") == ("bad_node", "$")
    assert run("null") == ("bad_node", "$")
    assert _as(app, people["owner"], lambda a: cq.parse_json("  ", a), commit=False) is None


def test_dump_round_trips(app, team):
    _, people = team
    tree = {
        "and": [
            {"field": "city", "op": "contains", "value": "  Tirana  "},
            {"or": [{"field": "number", "op": "between", "value": ["2.50", 7]}]},
            {"field": "created_at", "op": "in_last_days", "value": 30},
            {"field": "owner", "op": "my_team"},
            {"field": "stage", "op": "in", "value": ["active", "Potential"]},
            {"field": "kind", "op": "is", "value": "Person"},
            {"field": "locked", "op": "is", "value": False},
            {"field": "claimed_at", "op": "between", "value": ["2026-01-01", "2026-02-01"]},
            {"and": []},
        ]
    }

    def run(actor):
        node = cq.parse(tree, actor)
        dumped = cq.dump(node)
        assert cq.parse(dumped, actor) == node
        assert cq.parse_json(cq.dumps(node), actor) == node
        assert json.loads(json.dumps(dumped)) == dumped
        return dumped

    dumped = _as(app, people["owner"], run, commit=False)
    assert dumped["and"][0]["value"] == "Tirana"
    assert dumped["and"][1]["or"][0]["value"] == ["2.5", 7]
    assert dumped["and"][5]["value"] == "person"
    assert isinstance(dumped["and"][4]["value"][0], int)  # stage names become entry ids
    assert "value" not in dumped["and"][3]


def test_the_catalog_lists_fields_with_their_operators(app, team):
    _, people = team
    fields = _as(app, people["owner"], cq.field_catalog, commit=False)
    by_key = {f.key: f for f in fields}
    assert {"number", "name", "owner", "tags", "has_contact", "contact_birthday"} <= set(by_key)
    assert [op for op, _label in by_key["owner"].ops] == list(cq.TYPE_OPS["user"])
    assert "month_is" in dict(by_key["contact_birthday"].ops)
    assert by_key["stage"].choices and all(isinstance(v, int) for v, _ in by_key["stage"].choices)
    assert by_key["name"].sortable and not by_key["tags"].sortable


# --- results ---------------------------------------------------------------------------------


@pytest.fixture
def book(app, team):
    """Customers of several owners, cities, kinds, stages; returned/claimed dates set."""
    _company, people = team

    def build(actor):
        made = {}
        rows = [
            ("Alpha", "Tirana", people["ann"].id, "company", "active"),
            ("Beta", "TIRANA", people["bob"].id, "person", "potential"),
            ("Gamma", "Durrës", people["lead"].id, "company", "ended"),
            ("Delta", None, None, "company", "potential"),
            ("Epsilon", "ｔｉｒａｎａ", people["owner"].id, "person", "active"),
            ("Zeta", "شيراز", people["ann"].id, "company", "active"),
        ]
        for name, city, owner_id, kind, stage in rows:
            made[name] = service.create_customer(
                actor=actor, name=name, city=city, owner_id=owner_id, kind=kind, stage=stage
            ).id
        return made

    made = _as(app, people["owner"], build)

    def dates(actor):
        now = utcnow()
        db.session.execute(
            update(Customer)
            .where(Customer.id == made["Delta"])
            .values(returned_at=now - timedelta(days=3))
        )
        db.session.execute(
            update(Customer)
            .where(Customer.id == made["Gamma"])
            .values(returned_at=now - timedelta(days=40), locked=True)
        )

    _as(app, people["owner"], dates)
    return made


def test_text_folds_case_width_and_arabic_letters(app, team, book):
    _, people = team
    owner = people["owner"]
    tirana = {"Alpha", "Beta", "Epsilon"}
    assert _ids(app, owner, {"field": "city", "op": "is", "value": "tirana"}) == tirana
    assert _ids(app, owner, {"field": "city", "op": "contains", "value": "IRAN"}) == tirana
    assert _ids(app, owner, {"field": "city", "op": "starts_with", "value": "ＴＩ"}) == tirana
    # Arabic yeh = Persian yeh
    assert _ids(app, owner, {"field": "city", "op": "is", "value": "شیراز"}) == {"Zeta"}
    # negative ops include the empty city
    assert _ids(app, owner, {"field": "city", "op": "is_not", "value": "tirana"}) == {
        "Gamma",
        "Delta",
        "Zeta",
    }
    assert _ids(app, owner, {"field": "city", "op": "empty"}) == {"Delta"}
    assert _ids(app, owner, {"field": "city", "op": "in", "value": ["durrës", "x"]}) == {"Gamma"}
    # LIKE wildcards in a value are literal
    assert _ids(app, owner, {"field": "city", "op": "contains", "value": "%"}) == set()
    assert _ids(app, owner, {"field": "city", "op": "contains", "value": "_"}) == set()


def test_fold_matches_the_database_function(app, team):
    _, people = team
    samples = ["ＡＢＣ", "Tirana", "علي", "كتاب", "۱۲۳٤٥", "Straße", "ÉCOLE", "مـــحمد", "a\u200cb"]

    def run(actor):
        return [db.session.scalar(select(db.func.baza_fold(s))) for s in samples]

    assert _as(app, people["owner"], run, commit=False) == [fold(s) for s in samples]
    assert fold("ＡＢＣ") == "abc" and fold("علي") == fold("علی") and fold("۱۲۳٤٥") == "12345"


def test_owner_dates_kind_stage_locked(app, team, book):
    _, people = team
    owner, lead, ann = people["owner"], people["lead"], people["ann"]
    assert _ids(app, owner, {"field": "owner", "op": "empty"}) == {"Delta"}
    assert _ids(app, ann, {"field": "owner", "op": "me"}, view="mine") == {"Alpha", "Zeta"}
    # lead's team: lead and ann (below lead)
    assert _ids(app, lead, {"field": "owner", "op": "my_team"}, view="subordinates") == {
        "Alpha",
        "Zeta",
    }
    team_of_owner = _ids(app, owner, {"field": "owner", "op": "my_team"})
    assert team_of_owner == {"Epsilon"}  # the owner has no one below (boss has no manager link)
    assert _ids(app, owner, {"field": "owner", "op": "is_not", "value": ann.id}) == {
        "Beta",
        "Gamma",
        "Delta",
        "Epsilon",
    }
    assert _ids(app, owner, {"field": "returned_at", "op": "in_last_days", "value": 7}) == {"Delta"}
    assert _ids(app, owner, {"field": "returned_at", "op": "not_empty"}) == {"Delta", "Gamma"}
    assert _ids(app, owner, {"field": "kind", "op": "is", "value": "person"}) == {"Beta", "Epsilon"}
    assert _ids(app, owner, {"field": "stage", "op": "in", "value": ["Active", "Ended"]}) == {
        "Alpha",
        "Gamma",
        "Epsilon",
        "Zeta",
    }
    assert _ids(app, owner, {"field": "locked", "op": "is", "value": True}) == {"Gamma"}
    assert _ids(app, owner, {"field": "number", "op": "between", "value": [2, 3]}) == {
        "Beta",
        "Gamma",
    }
    today = utcnow().date().isoformat()
    assert len(_ids(app, owner, {"field": "created_at", "op": "on", "value": today})) == 6
    assert _ids(app, owner, {"field": "created_at", "op": "after", "value": today}) == set()
    empty_or = {"or": []}
    assert _ids(app, owner, empty_or) == set()
    assert len(_ids(app, owner, {"and": []})) == 6


# --- a query never widens a view --------------------------------------------------------------

ESCAPES = [
    {"or": [{"field": "owner", "op": "empty"}, {"field": "owner", "op": "not_empty"}]},
    {"or": [{"field": "number", "op": "gte", "value": 0}, {"field": "city", "op": "empty"}]},
    {
        "or": [
            {"and": []},
            {"field": "owner", "op": "empty"},
            {"field": "locked", "op": "is", "value": False},
        ]
    },
    {"or": [{"field": "name", "op": "not_contains", "value": "zzz"}, {"or": [{"and": []}]}]},
]


@pytest.mark.parametrize("tree", ESCAPES)
def test_a_query_cannot_widen_any_view(app, team, book, tree):
    _, people = team
    for who, view in [
        ("ann", "mine"),
        ("bob", "mine"),
        ("ann", "pool"),
        ("lead", "subordinates"),
        ("ann", "shared"),
        ("owner", "all"),
    ]:
        member = people[who]
        assert _ids(app, member, tree, view=view) <= _ids(app, member, None, view=view), (who, view)
    assert _ids(app, people["ann"], ESCAPES[0], view="mine") == {"Alpha", "Zeta"}
    assert _ids(app, people["bob"], ESCAPES[0], view="pool") == {"Delta"}


# --- sorting and keyset pages ----------------------------------------------------------------


def _walk(app, member, view, sort, limit, tree=None):
    """Every page forward, then back from the last: the ids in order, both ways."""

    def run(actor):
        node = cq.parse(tree, actor) if tree is not None else None
        forward, pages, cursor = [], [], None
        while True:
            page = service.list_customers(
                actor=actor, view=view, cursor=cursor, limit=limit, query=node, sort=sort
            )
            assert len(page.items) <= limit
            forward += [c.id for c in page.items]
            pages.append(page)
            if not page.next:
                break
            cursor = page.next
        backward, cursor = [], pages[-1].prev
        while cursor:
            page = service.list_customers(
                actor=actor, view=view, cursor=cursor, limit=limit, query=node, sort=sort
            )
            backward = [c.id for c in page.items] + backward
            cursor = page.prev
        return forward, backward + [c.id for c in pages[-1].items]

    return _as(app, member, run, commit=False)


def _expected(app, member, sort, view="all"):
    def run(actor):
        rows = list(db.session.scalars(service.view_query(actor, view)))
        out = []
        for c in rows:
            if sort.lstrip("-") == "owner":
                key = c.owner.name if c.owner else None
            else:
                key = getattr(c, sort.lstrip("-"))
            out.append((key, c.id))
        filled = sorted([r for r in out if r[0] is not None], reverse=sort.startswith("-"))
        blanks = sorted([r for r in out if r[0] is None], reverse=sort.startswith("-"))
        return [i for _, i in filled + blanks]

    return _as(app, member, run, commit=False)


@pytest.mark.parametrize(
    "sort", ["city", "-city", "name", "-returned_at", "returned_at", "-contact_frequency_days"]
)
def test_sorted_keyset_pages_cover_every_row_once(app, team, book, sort):
    _, people = team
    owner = people["owner"]

    def more(actor):
        for i in range(9):
            service.create_customer(
                actor=actor,
                name=f"Extra {i % 4}",
                city=["Tirana", None, "Berat"][i % 3],
                contact_frequency_days=[None, 7, 30][i % 3],
            )

    _as(app, owner, more)
    expected = _expected(app, owner, sort)
    for limit in (1, 2, 3, 4, 7, 50):
        forward, backward = _walk(app, owner, "all", sort, limit)
        assert forward == expected, (sort, limit)
        assert backward == expected, (sort, limit)


def test_default_and_number_sorts_keep_the_fast_paths(app, team, book):
    _, people = team
    owner = people["owner"]
    newest = _walk(app, owner, "all", None, 2)[0]
    assert newest == sorted(newest, reverse=True)
    assert _walk(app, owner, "all", "-number", 4)[0] == newest
    assert _walk(app, owner, "all", "number", 4)[0] == list(reversed(newest))
    assert _walk(app, people["ann"], "mine", "number", 1)[0] == sorted(
        book[n] for n in ("Alpha", "Zeta")
    )


def test_a_cursor_of_one_sort_is_not_used_with_another(app, team, book):
    _, people = team

    def run(actor):
        page = service.list_customers(actor=actor, view="all", limit=2, sort="city")
        other = service.list_customers(
            actor=actor, view="all", limit=2, sort="-city", cursor=page.next
        )
        first = service.list_customers(actor=actor, view="all", limit=2, sort="-city")
        return [c.id for c in other.items], [c.id for c in first.items]

    other, first = _as(app, people["owner"], run, commit=False)
    assert other == first


def test_bad_sorts_are_refused_with_the_path_sort(app, team):
    _, people = team
    for bad in ("nope", "-tags", "has_contact", "--city", "x" * 500):
        with pytest.raises(cq.QueryInvalid) as info:
            _as(app, people["owner"], lambda a, b=bad: cq.sort_spec(b, "all"), commit=False)
        assert info.value.path == "sort"
    spec = _as(app, people["owner"], lambda a: cq.sort_spec("-owner", "all"), commit=False)
    assert str(spec) == "-owner"


def test_sort_by_owner_name(app, team, book):
    _, people = team
    owner = people["owner"]
    expected = _expected(app, owner, "owner")
    assert _walk(app, owner, "all", "owner", 2)[0] == expected
