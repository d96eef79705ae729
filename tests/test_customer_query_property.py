# ruff: noqa: RUF001 - Arabic, Persian and full-width letters are the point
"""The combined query's SQL answer equals a plain-Python evaluation of the same tree over the
same data: random customers (contacts with phones, emails and birthdays, tags, files, custom
field values, owners, dates) and random query trees (hypothesis). Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL as the app's non-owner role under row-level security.

The Python side below is written from the documented semantics (docs/ARCHITECTURE.md,
"Combined query"), not from query.py: negative operators are complements, comparisons skip
empty values, related facts match when any related row does, dates of datetime fields are
days in the actor's zone (Asia/Tehran here: UTC+03:30, so day boundaries are not UTC's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from saas.attachments.models import CustomerAttachment
from saas.auth.models import User
from saas.contacts.models import Contact, ContactEmail, ContactPhone
from saas.contacts.normalize import ascii_digits, email_key
from saas.customers import fields as custom
from saas.customers import lists, service
from saas.customers import query as cq
from saas.customers.attributes import CustomerFieldValue, CustomerTag, ListKind
from saas.customers.folding import fold
from saas.customers.models import Customer
from saas.customers.normalize import name_key
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, make_company

#: "Now" for the whole test (where() and the Python side read the same instant).
NOW = datetime(2026, 6, 15, 12, 0)
ZONE = ZoneInfo("Asia/Tehran")

NAMES = ["Acme", "ＡＣＭＥ Trading", "acme", "علي", "علی", "Straße", "Tirana 2", "۱۲۳ shop", "a%b"]
TEXTS = [None, "", "Tirana", "TIRANA", "ｔｉｒａｎａ", "Durrës", "شيراز", "كتاب ۱۲", "x_y", "100%"]
FRAGMENTS = ["acme", "ＡＣ", "علی", "ي", "tirana", "%", "_", "a", "۱۲", "12", "straße", "rës", "ک"]
CONTACT_NAMES = ["Reza Karimi", "علي رضایی", "Li Wei", "ＬＩ", "Ana"]
PHONES = ["+989121234567", "+989351112233", "+355687001122", "+8613812345678"]
PHONE_QUERIES = ["912", "0912", "+355", "۹۱۲", "00355", "1122", "38123"]
EMAILS = ["reza@example.com", "li@shop.cn", "ana@mail.al"]
EMAIL_QUERIES = ["example", "EXAMPLE.COM", "shop", ".al", "li@shop.cn", "Reza@Example.com"]
MONEY = [Decimal("0.00"), Decimal("99.00"), Decimal("1500.50"), Decimal("-3.25")]
NUMBERS = [Decimal("1"), Decimal("2.5"), Decimal("10"), Decimal("0"), Decimal("-7")]
CHOICES = ["Small", "Large"]
CHANNELS = ["Web", "Phone", "Fair"]
COUNTRIES = [None, "AL", "IR", "CN"]


# --- the world: a company, its people, fields and tags (built once per test) -------------------


@dataclass
class World:
    tenant_id: int
    owner_id: int
    members: dict[str, int]
    team: set[int]
    stages: list[int]
    levels: list[int]
    tags: dict[str, int]
    fields: dict[str, int] = field(default_factory=dict)


def _as(app, tenant_id, user_id, fn):
    with app.test_request_context("/"), tenant_context(tenant_id):
        actor = db.session.get(User, user_id)
        g.actor_id = actor.id
        try:
            result = fn(actor)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result


@pytest.fixture
def world(app):
    company = make_company(app, plan="team")
    owner = company.owner
    lead = add_member(app, company, "manager", email="lead@acme.example.com", manager=owner)
    ann = add_member(app, company, "sales", email="ann@acme.example.com", manager=lead)
    bob = add_member(app, company, "sales", email="bob@acme.example.com")

    def build(actor):
        # every member reads dates in Tehran (the Python side's ZONE): the query engine takes
        # the actor's zone, else the company's, and "on"/"before"/"after" of a datetime are
        # days there (a member left on UTC made ann's list disagree for 20:30-24:00 UTC)
        actor.tenant.timezone = "Asia/Tehran"
        for member in db.session.scalars(select(User)):
            member.timezone = "Asia/Tehran"
        actor.tenant.default_country = "IR"
        made = {}
        for label, type_, kw in [
            ("Code", "text", {}),
            ("Notes", "long_text", {}),
            ("Score", "number", {}),
            ("Budget", "money", {}),
            ("Signed", "date", {}),
            ("Size", "choice", {"choices": CHOICES}),
            ("Channels", "multi_choice", {"choices": CHANNELS}),
            ("Vip", "yes_no", {}),
        ]:
            made[label.lower()] = custom.create_field(actor=actor, label=label, type=type_, **kw).id
        tags = {
            n: lists.add_entry(actor=actor, kind=ListKind.TAG, name=n).id
            for n in ("Hot", "Cold", "Export")
        }
        return World(
            tenant_id=actor.tenant_id,
            owner_id=actor.id,
            members={"owner": actor.id, "lead": lead.id, "ann": ann.id, "bob": bob.id},
            team={actor.id, lead.id, ann.id},  # owner, lead below, ann below lead
            stages=[e.id for e in lists.entries(ListKind.STAGE)],
            levels=[e.id for e in lists.entries(ListKind.LEVEL)],
            tags=tags,
            fields=made,
        )

    return _as(app, owner.tenant_id, owner.id, build)


# --- random data ----------------------------------------------------------------------------


def _moment(hours: int) -> datetime:
    return NOW - timedelta(hours=hours, minutes=7)  # never on a day or an N-days boundary


# narrow ranges, so that conditions often fall on the data's own days and boundaries
moments = st.integers(min_value=-30, max_value=24 * 21).map(_moment)
days = st.integers(min_value=-21, max_value=2).map(lambda d: NOW.date() + timedelta(days=d))
birthdays = st.sampled_from(
    [date(1980, 6, 14), date(1990, 6, 15), date(1975, 1, 31), date(2001, 12, 1), date(1966, 7, 4)]
)

contacts = st.fixed_dictionaries(
    {
        "name": st.sampled_from(CONTACT_NAMES),
        "birthday": st.none() | birthdays,
        "phones": st.lists(st.sampled_from(PHONES), max_size=2, unique=True),
        "emails": st.lists(st.sampled_from(EMAILS), max_size=1),
    }
)

custom_values = st.fixed_dictionaries(
    {
        "code": st.none() | st.sampled_from(["ＡＢ-12", "ab-12", "cd_9", "١٢٣"]),
        "notes": st.none() | st.sampled_from(["Likes tea", "كتاب ۱۲\nline", "100% sure"]),
        "score": st.none() | st.sampled_from(NUMBERS),
        "budget": st.none() | st.sampled_from(MONEY),
        "signed": st.none() | days,
        "size": st.none() | st.sampled_from(CHOICES),
        "channels": st.lists(st.sampled_from(CHANNELS), max_size=3, unique=True),
        "vip": st.none() | st.booleans(),
    }
)

customers = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "city": st.sampled_from(TEXTS),
        "address": st.sampled_from(TEXTS),
        "comments": st.sampled_from(TEXTS),
        "country": st.sampled_from(COUNTRIES),
        "kind": st.sampled_from(["company", "person"]),
        "stage": st.integers(min_value=0, max_value=3),
        "level": st.none() | st.integers(min_value=0, max_value=2),
        "owner": st.none() | st.sampled_from(["owner", "lead", "ann", "bob"]),
        "created_by": st.sampled_from(["owner", "lead", "ann", "bob"]),
        "created_at": moments,
        "claimed_at": st.none() | moments,
        "returned_at": st.none() | moments,
        "locked": st.booleans(),
        "frequency": st.none() | st.integers(min_value=1, max_value=60),
        "deleted": st.sampled_from([False, False, False, True]),
        "contacts": st.lists(contacts, max_size=2),
        "tags": st.lists(st.sampled_from(["Hot", "Cold", "Export"]), max_size=3, unique=True),
        "files": st.lists(st.booleans(), max_size=2),  # each: deleted?
        "cf": custom_values,
    }
)


def _load(app, world: World, records: list[dict]) -> list[dict]:
    """Replace the tenant's customers with ``records``; returns them with their ids."""

    def run(actor):
        for model in (
            CustomerAttachment,
            CustomerFieldValue,
            CustomerTag,
            ContactEmail,
            ContactPhone,
            Contact,
            Customer,
        ):
            db.session.execute(delete(model))
        out = []
        for number, rec in enumerate(records, start=1):
            m = world.members
            customer = Customer(
                number=number,
                name=rec["name"],
                name_key=name_key(rec["name"]),
                kind=rec["kind"],
                stage="potential",
                stage_id=world.stages[rec["stage"] % len(world.stages)],
                level_id=None if rec["level"] is None else world.levels[rec["level"]],
                country=rec["country"],
                city=rec["city"],
                address=rec["address"],
                comments=rec["comments"],
                contact_frequency_days=rec["frequency"],
                owner_id=None if rec["owner"] is None else m[rec["owner"]],
                created_by_id=m[rec["created_by"]],
                created_at=rec["created_at"],
                updated_at=rec["created_at"],
                claimed_at=rec["claimed_at"],
                returned_at=rec["returned_at"],
                locked=rec["locked"],
                deleted_at=NOW if rec["deleted"] else None,
            )
            db.session.add(customer)
            db.session.flush()
            for c in rec["contacts"]:
                contact = Contact(customer_id=customer.id, name=c["name"], birthday=c["birthday"])
                db.session.add(contact)
                db.session.flush()
                for e164 in c["phones"]:
                    db.session.add(
                        ContactPhone(
                            contact_id=contact.id, customer_id=customer.id, raw=e164, e164=e164
                        )
                    )
                for email in c["emails"]:
                    db.session.add(
                        ContactEmail(
                            contact_id=contact.id,
                            customer_id=customer.id,
                            email=email,
                            email_key=email_key(email),
                        )
                    )
            for tag in rec["tags"]:
                db.session.add(CustomerTag(customer_id=customer.id, tag_id=world.tags[tag]))
            for i, deleted in enumerate(rec["files"]):
                db.session.add(
                    CustomerAttachment(
                        customer_id=customer.id,
                        name=f"f{i}.pdf",
                        size=1,
                        content_type="application/pdf",
                        storage_key=f"k{customer.id}-{i}",
                        sha256="0" * 64,
                        deleted_at=NOW if deleted else None,
                    )
                )
            cf = rec["cf"]
            column = {
                "code": "value_text",
                "notes": "value_long",
                "score": "value_number",
                "budget": "value_number",
                "signed": "value_date",
                "size": "value_text",
                "vip": "value_bool",
            }
            for key, col in column.items():
                if cf[key] is not None:
                    db.session.add(
                        CustomerFieldValue(
                            customer_id=customer.id, field_id=world.fields[key], **{col: cf[key]}
                        )
                    )
            for option in cf["channels"]:
                db.session.add(
                    CustomerFieldValue(
                        customer_id=customer.id,
                        field_id=world.fields["channels"],
                        value_text=option,
                    )
                )
            out.append({**rec, "id": customer.id, "number": number})
        db.session.flush()
        return out

    return _as(app, world.tenant_id, world.owner_id, run)


# --- random queries -------------------------------------------------------------------------


def _cond(field: str, op: str, value: Any = None) -> dict:
    out = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


def _pair(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(values, min_size=2, max_size=2).map(sorted)


text_ops = st.sampled_from(["contains", "not_contains", "is", "is_not", "starts_with"])
frag = st.sampled_from(FRAGMENTS + [t for t in TEXTS if t])
number_ops = st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"])
date_ops = st.sampled_from(["on", "before", "after"])
presence = st.sampled_from(["empty", "not_empty"])
iso = days.map(date.isoformat)


def text_conditions(key: str) -> st.SearchStrategy:
    return st.one_of(
        st.builds(_cond, st.just(key), text_ops, frag),
        st.builds(_cond, st.just(key), st.just("in"), st.lists(frag, min_size=1, max_size=3)),
        st.builds(_cond, st.just(key), presence),
    )


def number_conditions(key: str, values: list) -> st.SearchStrategy:
    pool = st.sampled_from([str(v) for v in values] + [3, -1, "2.50", 1500.5])
    return st.one_of(
        st.builds(_cond, st.just(key), number_ops, pool),
        st.builds(_cond, st.just(key), st.just("between"), _pair(st.sampled_from(values))).map(
            lambda c: {**c, "value": [str(v) for v in c["value"]]}
        ),
        st.builds(_cond, st.just(key), presence),
    )


def date_conditions(key: str, last_days: bool = True) -> st.SearchStrategy:
    options = [
        st.builds(_cond, st.just(key), date_ops, (days | birthdays).map(date.isoformat)),
        st.builds(_cond, st.just(key), st.just("between"), _pair(days | birthdays)).map(
            lambda c: {**c, "value": [d.isoformat() for d in c["value"]]}
        ),
        st.builds(_cond, st.just(key), presence),
    ]
    if last_days:
        options.append(
            st.builds(
                _cond,
                st.just(key),
                st.just("in_last_days"),
                st.integers(min_value=1, max_value=120),
            )
        )
    return st.one_of(*options)


def choice_conditions(key: str, values: list) -> st.SearchStrategy:
    pool = st.sampled_from(values)
    return st.one_of(
        st.builds(_cond, st.just(key), st.sampled_from(["is", "is_not"]), pool),
        st.builds(
            _cond,
            st.just(key),
            st.sampled_from(["in", "not_in"]),
            st.lists(pool, min_size=1, max_size=3),
        ),
        st.builds(_cond, st.just(key), presence),
    )


def tag_conditions(key: str, values: list) -> st.SearchStrategy:
    return st.one_of(
        st.builds(
            _cond,
            st.just(key),
            st.sampled_from(["has_any", "has_all", "has_none"]),
            st.lists(st.sampled_from(values), min_size=1, max_size=3),
        ),
        st.builds(_cond, st.just(key), presence),
    )


def conditions_for(world: World) -> st.SearchStrategy:
    m = list(world.members.values())
    users = st.one_of(
        st.builds(
            _cond,
            st.sampled_from(["owner", "created_by"]),
            st.sampled_from(["is", "is_not"]),
            st.sampled_from(m),
        ),
        st.builds(
            _cond,
            st.sampled_from(["owner", "created_by"]),
            st.just("in"),
            st.lists(st.sampled_from(m), min_size=1, max_size=3),
        ),
        st.builds(
            _cond,
            st.sampled_from(["owner", "created_by"]),
            st.sampled_from(["empty", "not_empty", "me", "my_team"]),
        ),
    )
    bools = st.builds(
        _cond,
        st.sampled_from(["locked", "has_contact", "has_attachment", "cf.vip"]),
        st.just("is"),
        st.booleans(),
    )
    phones = st.one_of(
        st.builds(
            _cond,
            st.just("contact_phone"),
            st.sampled_from(["contains", "not_contains"]),
            st.sampled_from(PHONE_QUERIES),
        ),
        st.builds(
            _cond,
            st.just("contact_phone"),
            st.sampled_from(["is", "is_not"]),
            st.sampled_from([*PHONES, "09121234567", "۰۹۱۲۱۲۳۴۵۶۷"]),
        ),
        st.builds(_cond, st.just("contact_phone"), presence),
    )
    emails = st.one_of(
        st.builds(
            _cond,
            st.just("contact_email"),
            st.sampled_from(["contains", "not_contains", "is", "is_not", "starts_with"]),
            st.sampled_from(EMAIL_QUERIES),
        ),
        st.builds(_cond, st.just("contact_email"), presence),
    )
    birthdays_q = st.one_of(
        date_conditions("contact_birthday", last_days=False),
        st.builds(
            _cond,
            st.just("contact_birthday"),
            st.just("month_is"),
            st.integers(min_value=1, max_value=12),
        ),
        st.builds(_cond, st.just("contact_birthday"), st.just("this_month")),
    )
    return st.one_of(
        text_conditions("name"),
        text_conditions("city"),
        text_conditions("address"),
        text_conditions("comments"),
        text_conditions("contact_name"),
        text_conditions("cf.code"),
        text_conditions("cf.notes"),
        number_conditions("number", [1, 2, 5, 9]),
        number_conditions("contact_frequency_days", [1, 7, 30, 60]),
        number_conditions("cf.score", NUMBERS),
        number_conditions("cf.budget", MONEY),
        date_conditions("created_at"),
        date_conditions("claimed_at"),
        date_conditions("returned_at"),
        date_conditions("cf.signed"),
        birthdays_q,
        choice_conditions("kind", ["company", "person", "PERSON"]),
        choice_conditions("country", ["AL", "ir", "CN", "DE"]),
        choice_conditions("stage", world.stages),
        choice_conditions("level", [*world.levels, "regular"]),
        choice_conditions("cf.size", ["Small", "large"]),
        tag_conditions("tags", ["Hot", "cold", "Export"]),
        tag_conditions("cf.channels", CHANNELS),
        users,
        bools,
        phones,
        emails,
    )


def trees(world: World) -> st.SearchStrategy:
    return st.recursive(
        conditions_for(world),
        lambda children: st.builds(
            lambda kind, items: {kind: items},
            st.sampled_from(["and", "or"]),
            st.lists(children, max_size=4),
        ),
        max_leaves=6,
    )


# --- the plain-Python evaluation -----------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZONE).date()


TODAY = _local_day(NOW)


def _values(world: World, rec: dict, key: str) -> list:
    """Every value of field ``key`` on a customer (a list: related facts have many)."""
    cf = rec["cf"]
    m = world.members
    simple = {
        "number": rec["number"],
        "name": rec["name"],
        "kind": rec["kind"],
        "stage": world.stages[rec["stage"] % len(world.stages)],
        "level": None if rec["level"] is None else world.levels[rec["level"]],
        "country": rec["country"],
        "city": rec["city"],
        "address": rec["address"],
        "comments": rec["comments"],
        "contact_frequency_days": rec["frequency"],
        "owner": None if rec["owner"] is None else m[rec["owner"]],
        "created_by": m[rec["created_by"]],
        "created_at": rec["created_at"],
        "claimed_at": rec["claimed_at"],
        "returned_at": rec["returned_at"],
        "locked": rec["locked"],
    }
    if key in simple:
        return [] if simple[key] is None else [simple[key]]
    if key == "tags":
        return [world.tags[t] for t in rec["tags"]]
    if key == "contact_name":
        return [c["name"] for c in rec["contacts"]]
    if key == "contact_phone":
        return [p for c in rec["contacts"] for p in c["phones"]]
    if key == "contact_email":
        return [email_key(e) for c in rec["contacts"] for e in c["emails"]]
    if key == "contact_birthday":
        return [c["birthday"] for c in rec["contacts"] if c["birthday"] is not None]
    if key == "cf.channels":
        return list(cf["channels"])
    if key.startswith("cf."):
        value = cf[key[3:]]
        return [] if value is None else [value]
    raise AssertionError(key)


DATETIMES = {"created_at", "claimed_at", "returned_at"}
DATE_KEYS = DATETIMES | {"cf.signed", "contact_birthday"}
NUMBER_KEYS = {"number", "contact_frequency_days", "cf.score", "cf.budget"}


def _text_match(key: str, op: str, have: str, want: str) -> bool:
    if key == "contact_phone":
        if op in ("is", "in"):
            return have == want
        digits = "".join(ch for ch in ascii_digits(want) if ch.isdigit()).lstrip("0")
        return digits in have
    if key == "contact_email":
        have, want = have, email_key(want)
    else:
        have, want = fold(have), fold(" ".join(want.split()))
    if op == "contains":
        return want in have
    if op == "starts_with":
        return have.startswith(want)
    return have == want


def evaluate(world: World, node: cq.Node, rec: dict, actor_id: int) -> bool:
    if isinstance(node, cq.Group):
        results = [evaluate(world, c, rec, actor_id) for c in node.children]
        return all(results) if node.kind == "and" else any(results)
    key, op, value = node.field, node.op, node.value
    negative = {"not_contains": "contains", "is_not": "is", "ne": "eq", "not_in": "in"}
    if op in negative:
        return not evaluate(world, cq.Condition(key, negative[op], value), rec, actor_id)
    if key == "has_contact":
        return bool(rec["contacts"]) == value
    if key == "has_attachment":
        return any(not deleted for deleted in rec["files"]) == value
    values = _values(world, rec, key)
    text_keys = {"name", "city", "address", "comments", "contact_name", "contact_phone"}
    text_keys |= {"contact_email", "cf.code", "cf.notes"}
    if op == "empty":
        return not [v for v in values if v != ""]
    if op == "not_empty":
        return bool([v for v in values if v != ""])
    if key in text_keys:
        wanted = value if op == "in" else (value,)
        real = "is" if op == "in" else op
        return any(_text_match(key, real, v, w) for v in values for w in wanted)
    if key in NUMBER_KEYS:
        number_ops = {
            "eq": lambda a: a == value,
            "lt": lambda a: a < value,
            "lte": lambda a: a <= value,
            "gt": lambda a: a > value,
            "gte": lambda a: a >= value,
            "between": lambda a: value[0] <= a <= value[1],
        }
        return any(number_ops[op](Decimal(v)) for v in values)
    if key in DATE_KEYS:
        if op == "in_last_days":
            if key in DATETIMES:
                return any(NOW - timedelta(days=value) <= v <= NOW for v in values)
            return any(TODAY - timedelta(days=value) <= v <= TODAY for v in values)
        if op == "month_is":
            return any(v.month == value for v in values)
        if op == "this_month":
            return any(v.month == TODAY.month for v in values)
        local = [_local_day(v) if key in DATETIMES else v for v in values]
        if op == "on":
            return value in local
        if op == "before":
            return any(d < value for d in local)
        if op == "after":
            return any(d > value for d in local)
        return any(value[0] <= d <= value[1] for d in local)  # between
    if op == "is":
        return value in values
    if op == "in" or op == "has_any":
        return bool(set(values) & set(value))
    if op == "has_all":
        return set(value) <= set(values)
    if op == "has_none":
        return not set(values) & set(value)
    if op == "me":
        return actor_id in values
    if op == "my_team":
        return bool(set(values) & world.team)
    raise AssertionError((key, op))


# --- the property ---------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("saas.utils.utcnow", lambda: NOW)


def test_every_member_reads_days_in_the_zone_the_python_side_uses(app, world):
    """The evaluation below reads datetimes as days in ZONE; the engine uses the actor's zone
    (else the company's): they must agree for every member whose list is checked."""
    for user_id in world.members.values():
        zone = _as(app, world.tenant_id, user_id, lambda actor: cq._zone(actor))
        assert zone == ZONE, user_id


@pytest.mark.timeout(900)
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_sql_equals_python(app, world, frozen, data):
    records = data.draw(st.lists(customers, min_size=5, max_size=14), label="customers")
    loaded = _load(app, world, records)
    live = [r for r in loaded if not r["deleted"]]
    queries = data.draw(st.lists(trees(world), min_size=10, max_size=10), label="queries")
    ann = world.members["ann"]

    def check(actor):
        for tree in queries:
            node = cq.parse(tree, actor)
            assert cq.parse(cq.dump(node), actor) == node
            got = set(
                db.session.scalars(
                    service.view_query(actor, "all", None, node).with_only_columns(Customer.id)
                )
            )
            want = {r["id"] for r in live if evaluate(world, node, r, actor.id)}
            assert got == want, (tree, node)
        return True

    _as(app, world.tenant_id, world.owner_id, check)

    def mine(actor):  # ann's own list: the query ANDed to "owner = ann", never wider
        for tree in queries[:3]:
            node = cq.parse(tree, actor)
            rows = service.view_query(actor, "mine", None, node).with_only_columns(Customer.id)
            got = set(db.session.scalars(rows))
            want = {
                r["id"] for r in live if r["owner"] == "ann" and evaluate(world, node, r, actor.id)
            }
            assert got == want, (tree, node)
        return True

    _as(app, world.tenant_id, ann, mine)


def test_the_python_side_is_not_trivially_true(app, world, frozen):
    """The evaluator above can say no: a fixed dataset with known answers."""
    rec = {
        "name": "Acme",
        "city": "ＴＩＲＡＮＡ",
        "address": None,
        "comments": "",
        "country": None,
        "kind": "company",
        "stage": 0,
        "level": None,
        "owner": "ann",
        "created_by": "ann",
        "created_at": NOW,
        "claimed_at": None,
        "returned_at": None,
        "locked": False,
        "frequency": None,
        "deleted": False,
        "contacts": [],
        "tags": [],
        "files": [],
        "cf": {k: None for k in ("code", "notes", "score", "budget", "signed", "size", "vip")}
        | {"channels": []},
    }
    loaded = _load(app, world, [rec])
    node_yes = cq.Condition("city", "is", "tirana")
    node_no = cq.Condition("city", "is", "durrës")
    assert evaluate(world, node_yes, loaded[0], world.owner_id)
    assert not evaluate(world, node_no, loaded[0], world.owner_id)
    assert not evaluate(world, cq.Condition("has_contact", "is", True), loaded[0], 0)

    def sql(actor):
        return set(db.session.scalars(select(Customer.id).where(cq.where(node_yes, actor))))

    assert _as(app, world.tenant_id, world.owner_id, sql) == {loaded[0]["id"]}
