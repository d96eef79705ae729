# ruff: noqa: RUF001 - Arabic, Persian and full-width letters are the point
"""The combined query (saas/customers/query.py): validation with paths, round trips, SQL
results, views it cannot escape, sorts and keyset pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from saas.customers import query as cq
from saas.customers import service
from saas.customers.folding import fold
from saas.customers.models import Customer
from saas.extensions import db
from saas.utils import utcnow
from tests.conftest import add_member, as_member, make_company

_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


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
        ({"field": "created_at", "op": "on", "value": "0999-12-31"}, ("bad_value", "$.value")),
        ({"field": "city", "op": "is", "value": "\x00\x01"}, ("bad_value", "$.value")),
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


# --- related facts and custom fields ----------------------------------------------------------


@pytest.fixture
def related(app, team):
    """Customers with contacts (names, phones, emails, birthdays), tags, files, custom fields."""
    from saas.attachments.models import CustomerAttachment
    from saas.contacts import service as contacts
    from saas.customers import fields, lists
    from saas.customers.attributes import ListKind

    _company, people = team

    def build(actor):
        actor.tenant.default_country = "IR"
        for label, type_, kw in [
            ("Contract", "text", {}),
            ("Budget", "money", {}),
            ("Signed", "date", {}),
            ("Size", "choice", {"choices": ["Small", "Large"]}),
            ("Channels", "multi_choice", {"choices": ["Web", "Phone", "Fair"]}),
            ("Vip", "yes_no", {}),
            ("Notes", "long_text", {}),
        ]:
            fields.create_field(actor=actor, label=label, type=type_, **kw)
        for name in ("Hot", "Cold", "Export"):
            lists.add_entry(actor=actor, kind=ListKind.TAG, name=name)
        made = {}
        specs = {
            "Ali": {
                "tags": ["Hot", "Export"],
                "custom_fields": {
                    "contract": "ＡＢ-12",
                    "budget": "1500.50",
                    "signed": "2026-03-01",
                    "size": "Large",
                    "channels": ["Web", "Fair"],
                    "vip": True,
                    "notes": "Likes tea\nand كتاب",
                },
            },
            "Bora": {
                "tags": ["Cold"],
                "custom_fields": {
                    "budget": 99,
                    "size": "Small",
                    "channels": ["Phone"],
                    "vip": False,
                },
            },
            "Cara": {"tags": [], "custom_fields": {"contract": "cd-9"}},
            "Dino": {"tags": ["Hot"], "custom_fields": {}},
        }
        for name, spec in specs.items():
            made[name] = service.create_customer(actor=actor, name=name, **spec).id
        contacts.create_contact(
            actor=actor,
            customer_id=made["Ali"],
            name="Reza Karimi",
            phones=[{"number": "0912 345 6789", "type": "mobile"}],
            emails=["Reza@Example.COM"],
            birthday="1990-05-17",
        )
        contacts.create_contact(
            actor=actor,
            customer_id=made["Ali"],
            name="علي رضایی",
            birthday="1985-11-02",
        )
        contacts.create_contact(
            actor=actor,
            customer_id=made["Bora"],
            name="Bora Hoxha",
            phones=[{"number": "+355 68 700 1122", "type": "work"}],
            emails=["bora@shop.al"],
        )
        db.session.add(
            CustomerAttachment(
                customer_id=made["Cara"],
                name="a.pdf",
                size=1,
                content_type="application/pdf",
                storage_key="k1",
                sha256="0" * 64,
            )
        )
        db.session.add(
            CustomerAttachment(
                customer_id=made["Dino"],
                name="b.pdf",
                size=1,
                content_type="application/pdf",
                storage_key="k2",
                sha256="0" * 64,
                deleted_at=utcnow(),
            )
        )
        return made

    return _as(app, people["owner"], build)


def test_related_facts(app, team, related):
    _, people = team
    o = people["owner"]
    assert _ids(app, o, {"field": "has_contact", "op": "is", "value": True}) == {"Ali", "Bora"}
    assert _ids(app, o, {"field": "has_contact", "op": "is", "value": False}) == {"Cara", "Dino"}
    assert _ids(app, o, {"field": "contact_name", "op": "contains", "value": "KARIM"}) == {"Ali"}
    # any contact matches (علي = علی)
    assert _ids(app, o, {"field": "contact_name", "op": "starts_with", "value": "علی"}) == {"Ali"}
    assert _ids(app, o, {"field": "contact_name", "op": "not_contains", "value": "reza"}) == {
        "Bora",
        "Cara",
        "Dino",
    }
    # phones by their E.164 digits: national, international, Persian digits
    for value in ("09123456789", "912 345", "۰۹۱۲۳۴۵۶۷۸۹", "+98 912"):
        assert _ids(app, o, {"field": "contact_phone", "op": "contains", "value": value}) == {
            "Ali"
        }, value
    assert _ids(app, o, {"field": "contact_phone", "op": "is", "value": "0912 345 6789"}) == {"Ali"}
    assert _ids(app, o, {"field": "contact_phone", "op": "in", "value": ["+355687001122"]}) == {
        "Bora"
    }
    assert _ids(app, o, {"field": "contact_phone", "op": "empty"}) == {"Cara", "Dino"}
    assert _ids(app, o, {"field": "contact_email", "op": "is", "value": "reza@example.com"}) == {
        "Ali"
    }
    assert _ids(app, o, {"field": "contact_email", "op": "contains", "value": ".AL"}) == {"Bora"}
    birthday = {"field": "contact_birthday", "op": "month_is", "value": 11}
    assert _ids(app, o, birthday) == {"Ali"}
    birthday = {"field": "contact_birthday", "op": "between", "value": ["1990-01-01", "1990-12-31"]}
    assert _ids(app, o, birthday) == {"Ali"}
    assert _ids(app, o, {"field": "contact_birthday", "op": "empty"}) == {"Bora", "Cara", "Dino"}
    # a deleted file does not count
    assert _ids(app, o, {"field": "has_attachment", "op": "is", "value": True}) == {"Cara"}
    tags = {"field": "tags", "op": "has_all", "value": ["hot", "Export"]}
    assert _ids(app, o, tags) == {"Ali"}
    assert _ids(app, o, {"field": "tags", "op": "has_any", "value": "Hot"}) == {"Ali", "Dino"}
    assert _ids(app, o, {"field": "tags", "op": "has_none", "value": ["Hot"]}) == {"Bora", "Cara"}
    assert _ids(app, o, {"field": "tags", "op": "empty"}) == {"Cara"}


def test_this_month_birthdays(app, team, related, monkeypatch):
    from datetime import datetime

    _, people = team
    monkeypatch.setattr("saas.utils.utcnow", lambda: datetime(2026, 5, 3, 12, 0))
    this_month = {"field": "contact_birthday", "op": "this_month"}
    assert _ids(app, people["owner"], this_month) == {"Ali"}
    monkeypatch.setattr("saas.utils.utcnow", lambda: datetime(2026, 7, 3, 12, 0))
    assert _ids(app, people["owner"], this_month) == set()


def test_custom_fields(app, team, related):
    _, people = team
    o = people["owner"]
    assert _ids(app, o, {"field": "cf.contract", "op": "starts_with", "value": "ab-"}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.contract", "op": "empty"}) == {"Bora", "Dino"}
    assert _ids(app, o, {"field": "cf.notes", "op": "contains", "value": "كتاب"}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.budget", "op": "gt", "value": "100"}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.budget", "op": "eq", "value": 1500.5}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.budget", "op": "ne", "value": 99}) == {"Ali", "Cara", "Dino"}
    assert _ids(app, o, {"field": "cf.budget", "op": "between", "value": [99, 99]}) == {"Bora"}
    assert _ids(app, o, {"field": "cf.signed", "op": "before", "value": "2026-03-02"}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.signed", "op": "after", "value": "2026-03-01"}) == set()
    assert _ids(app, o, {"field": "cf.size", "op": "is", "value": "large"}) == {"Ali"}
    assert _ids(app, o, {"field": "cf.size", "op": "not_in", "value": ["Large"]}) == {
        "Bora",
        "Cara",
        "Dino",
    }
    assert _ids(app, o, {"field": "cf.channels", "op": "has_any", "value": ["fair", "phone"]}) == {
        "Ali",
        "Bora",
    }
    assert _ids(app, o, {"field": "cf.channels", "op": "has_all", "value": ["Web", "Fair"]}) == {
        "Ali"
    }
    assert _ids(app, o, {"field": "cf.vip", "op": "is", "value": False}) == {"Bora"}
    assert _ids(app, o, {"field": "cf.vip", "op": "empty"}) == {"Cara", "Dino"}
    assert _error(app, o, {"field": "cf.size", "op": "is", "value": "Huge"}) == (
        "bad_value",
        "$.value",
    )
    assert _error(app, o, {"field": "cf.budget", "op": "eq", "value": "1.00001"}) == (
        "bad_value",
        "$.value",
    )
    assert _error(app, o, {"field": "cf.channels", "op": "is", "value": "Web"}) == (
        "bad_operator",
        "$.op",
    )
    # built-in integer columns compare with decimals too
    assert _ids(app, o, {"field": "number", "op": "lt", "value": "1.5"}) == {"Ali"}


def test_sort_by_custom_fields_and_entries(app, team, related):
    _, people = team
    o = people["owner"]

    def order(sort):
        return _as(
            app,
            o,
            lambda a: [
                c.name for c in service.list_customers(actor=a, view="all", sort=sort).items
            ],
            commit=False,
        )

    assert order("cf.budget") == ["Bora", "Ali", "Cara", "Dino"]
    assert order("-cf.budget") == ["Ali", "Bora", "Dino", "Cara"]
    for sort in ("cf.budget", "-cf.signed", "cf.vip", "stage", "-level"):
        expected = order(sort)
        assert _walk(app, o, "all", sort, 1)[0] == [related[n] for n in expected], sort


# --- the API ---------------------------------------------------------------------------------


def _bearer(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def _get(client, token, params):
    return client.get(
        "/api/v1/customers", query_string=params, headers={"Authorization": f"Bearer {token}"}
    )


def test_api_query_sort_and_field_filters(app, client, team, book):
    _, people = team
    token = _bearer(app, people["owner"])
    tirana = json.dumps({"field": "city", "op": "is", "value": "tirana"})
    body = _get(client, token, {"view": "all", "query": tirana, "sort": "name"}).get_json()
    assert [c["name"] for c in body["items"]] == ["Alpha", "Beta", "Epsilon"]
    body = _get(client, token, {"view": "all", "city": "TIRANA", "kind": "person"}).get_json()
    assert {c["name"] for c in body["items"]} == {"Beta", "Epsilon"}
    both = {"view": "all", "query": tirana, "owner_id": people["ann"].id}
    assert [c["name"] for c in _get(client, token, both).get_json()["items"]] == ["Alpha"]
    staged = _get(client, token, {"view": "all", "stage": "Ended", "locked": "true"}).get_json()
    assert [c["name"] for c in staged["items"]] == ["Gamma"]
    # the stage's category: the same words in every company, whatever its entries are called
    by_entry = {
        c["name"] for c in _get(client, token, {"view": "all", "stage": "Ended"}).json["items"]
    }
    by_category = _get(client, token, {"view": "all", "stage_category": "ended"}).get_json()
    assert by_entry and {c["name"] for c in by_category["items"]} == by_entry
    assert all(c["stage"] == "ended" for c in by_category["items"])
    either = json.dumps({"field": "stage_category", "op": "in", "value": ["ended", "active"]})
    listed = _get(client, token, {"view": "all", "query": either}).get_json()["items"]
    assert {c["name"] for c in listed} >= by_entry
    assert all(c["stage"] in ("ended", "active") for c in listed)
    assert _get(client, token, {"stage_category": "won"}).status_code == 422
    # pages of a sorted list
    seen, cursor = [], None
    while True:
        params = {"view": "all", "sort": "-city", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = _get(client, token, params).get_json()
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    whole = _get(client, token, {"view": "all", "sort": "-city", "limit": 50}).get_json()
    assert seen == [c["name"] for c in whole["items"]]
    assert len(seen) == 6 and seen[-1] == "Delta"  # the empty city last


def test_api_bad_queries_are_422_with_a_path_never_5xx(app, client, team, book):
    _, people = team
    token = _bearer(app, people["ann"])
    bad_field = json.dumps({"and": [{"field": "city", "op": "empty"}, {"field": "x", "op": "is"}]})
    resp = _get(client, token, {"query": bad_field})
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "unknown_field" and error["path"] == "$.and[1].field"
    assert error["message"]
    resp = _get(client, token, {"sort": "tags"})
    assert resp.status_code == 422 and resp.get_json()["error"]["path"] == "sort"
    resp = _get(client, token, {"level": "No such level"})
    assert resp.status_code == 422 and resp.get_json()["error"]["path"] == "level"
    garbage = [
        {"query": "{"},
        {"query": "[]"},
        {"query": "false"},
        {"query": "1e999999"},
        {"query": "[" * 3000},
        {"query": "[" * 9000 + "]" * 9000},
        {"query": "{" * 30_000},
        {"query": json.dumps({"field": "owner", "op": "is", "value": False})},
        {"query": json.dumps({"field": "owner", "op": "in", "value": [10**30]})},
        {"query": json.dumps({"field": "number", "op": "eq", "value": 10**300})},
        {"query": json.dumps({"field": "number", "op": "eq", "value": "9" * 39})},
        {"query": json.dumps({"field": "created_at", "op": "in_last_days", "value": 10**20})},
        {"query": json.dumps({"field": "created_at", "op": "on", "value": "9999-12-31"})},
        {"query": json.dumps({"field": "created_at", "op": "on", "value": "0001-01-01"})},
        {"query": json.dumps({"field": "city", "op": "contains", "value": "\x00"})},
        {"query": json.dumps({"field": ["city"], "op": "is", "value": "x"})},
        {"query": json.dumps({"field": "city", "op": {"a": 1}, "value": "x"})},
        {"owner_id": "false"},
        {"owner_id": str(10**30)},
        {"created_by": "-1"},
        {"tag": "9" * 30},
        {"stage": "0"},
        {"sort": "-"},
        {"sort": "\x00"},
        {"locked": "maybe"},
        {"country": "ZZ"},
        {"city": "x" * 201},
        {"kind": "robot"},
    ]
    deep = {"field": "city", "op": "empty"}
    for _ in range(50):
        deep = {"or": [deep]}
    garbage.append({"query": json.dumps(deep)})
    for params in garbage:
        resp = _get(client, token, params)
        assert resp.status_code in (200, 422), (params, resp.status_code)
        if resp.status_code == 422:
            assert resp.get_json()["error"]["message"], params


def test_the_openapi_document_declares_the_list_parameters_and_the_error_path(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    listing = doc["paths"]["/api/v1/customers"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"query", "sort", "city", "level", "stage", "owner_id", "tag"} <= names
    query = next(p for p in listing["parameters"] if p["name"] == "query")
    assert "$.and[1].op" in query["description"] and "my_team" in query["description"]
    error_body = doc["components"]["schemas"]["ErrorBody"]
    assert "path" in error_body["properties"]
    assert "422" in listing["responses"]


def test_builtin_keys_name_every_builtin_field(app, team):
    _, people = team
    keys = _as(app, people["owner"], lambda a: [f.key for f in cq.field_catalog(a)], commit=False)
    assert tuple(k for k in keys if not k.startswith("cf.")) == cq.BUILTIN_KEYS
