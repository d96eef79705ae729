# ruff: noqa: RUF001 - Persian, Arabic, CJK and full-width characters are the point
"""The Contacts page's quick search equals a plain-Python filter of the same data.

Hypothesis draws companies of contacts (multilingual names and positions, phones of two
countries, emails, customers in the pool and in the trash, the pool's masking on or off) and
queries made from that data the way people type it (a word's beginning in another script or
width, a phone's beginning with Persian digits or separators, an address in capitals, a
customer's name) or made up. For each query, the ids ``contacts.search.list_contacts`` returns
over all its pages must equal the ids the reference filter below picks, in the same order.
Runs on SQLite, and on PostgreSQL (as the app role, row-level security on) with
TEST_DATABASE_URL.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import phonenumbers
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saas.auth.models import User
from saas.contacts import search, service
from saas.contacts.normalize import ascii_digits, email_key, parse_phone
from saas.customers import pool, sharing
from saas.customers import service as customers
from saas.customers.normalize import _split, name_key
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from saas.text import single_line
from tests.conftest import make_company

WORDS = [
    "Li", "Wei", "李伟", "张小明", "Ｍａｒｉａ", "maria", "Mario", "علی", "علي", "كريم", "کریم",
    "O'Neil", "Anne-Marie", "Müller", "Иван", "ivan", "Ivanova", "۱۲۳", "Sh.p.k.", "x",
]  # fmt: skip
POSITIONS = ["Purchasing manager", "مدیر خرید", "采购经理", "CEO", "Ｍanager", None]
PHONES = [
    "0912 345 6789", "0912 345 6780", "09351234567", "+86 138 0013 8000", "+86 139 1234 5678",
    "021 8888 1234",
]  # fmt: skip
EMAILS = ["li.wei@acme.example", "Maria@Example.ORG", "ivan@mail.example", "m@x.example"]
CUSTOMERS = ["Acme Trading Ltd", "Globex", "华信有限公司", "شرکت کیان", "Ｇｌｏｂｅｘ Two"]
COUNTRY = "IR"

_company_names = (f"Prop{i}" for i in itertools.count())


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


contact_st = st.fixed_dictionaries(
    {
        "name": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
        "position": st.sampled_from(POSITIONS),
        "phones": st.lists(st.sampled_from(PHONES), max_size=2, unique=True),
        "emails": st.lists(st.sampled_from(EMAILS), max_size=2, unique=True),
        "customer": st.integers(0, len(CUSTOMERS) - 1),
    }
)
world_st = st.fixed_dictionaries(
    {
        "contacts": st.lists(contact_st, min_size=1, max_size=9),
        "pool": st.sets(st.integers(0, len(CUSTOMERS) - 1), max_size=2),
        "trash": st.sets(st.integers(0, len(CUSTOMERS) - 1), max_size=1),
        "masking": st.booleans(),
    }
)

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@st.composite
def query_st(draw, world):
    """A query typed from the world's data, or made up."""
    contact = draw(st.sampled_from(world["contacts"]))
    kind = draw(st.sampled_from(["word", "words", "phone", "email", "customer", "free"]))
    if kind == "word":
        word = draw(st.sampled_from(contact["name"].split() + (contact["position"] or "").split()))
        cut = draw(st.integers(1, len(word)))
        start = draw(st.integers(0, 1)) if len(word) > 2 else 0
        text = word[start:cut] or word
        variant = draw(st.sampled_from(["same", "upper", "wide", "arabic"]))
        if variant == "upper":
            text = text.upper()
        elif variant == "wide":
            text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
        elif variant == "arabic":
            text = text.replace("ی", "ي").replace("ک", "ك")
        return text
    if kind == "words":
        return " ".join(reversed(contact["name"].split()))
    if kind == "phone" and contact["phones"]:
        raw = draw(st.sampled_from(contact["phones"]))
        cut = draw(st.integers(1, len(raw)))
        text = raw[:cut]
        digits = draw(st.sampled_from(["latin", "persian", "arabic", "compact"]))
        if digits == "persian":
            text = text.translate(_PERSIAN)
        elif digits == "arabic":
            text = text.translate(_ARABIC)
        elif digits == "compact":
            text = text.replace(" ", "-")
        return text
    if kind == "email" and contact["emails"]:
        address = draw(st.sampled_from(contact["emails"]))
        cut = draw(st.integers(1, len(address)))
        text = address[:cut]
        return text.upper() if draw(st.booleans()) else text
    if kind == "customer":
        name = CUSTOMERS[contact["customer"]]
        return name[: draw(st.integers(1, len(name)))]
    return draw(st.text(alphabet="aeilmoxw 0123۰۹+@.%_-李伟علیي", min_size=0, max_size=8))


# --- the reference ----------------------------------------------------------------------------


def _cjk(text: str) -> bool:
    return any(
        unicodedata.name(ch, "").startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL"))
        for ch in text
    )


def _phone_hit(q: str, e164: str) -> bool:
    """The typed digits are the beginning of the number: international (with or without its
    + / 00) or national in the company's country (its trunk prefix dropped)."""
    text = re.sub(r"[\s\-().\/\u00a0\u200c\u200e\u200f]", "", ascii_digits(q))
    m = re.fullmatch(r"(\+|00)?(\d+)", text)
    if not m or not 3 <= len(m.group(2)) <= 15:
        return False
    digits = m.group(2)
    if e164.startswith("+" + digits):
        return True
    if m.group(1):
        return False
    code = phonenumbers.country_code_for_region(COUNTRY)
    national = digits[1:] if digits.startswith("0") else digits
    return bool(national) and e164.startswith(f"+{code}{national}")


def reference(q: str | None, rows: list[dict], masking: bool) -> set[int]:
    """Ids of the visible contacts ``q`` finds (see contacts/search.py's docstring)."""
    q = single_line(q)[:200]
    live = [r for r in rows if not r["trashed"]]
    if not q:
        return {r["id"] for r in live}
    qwords = [w[:64] for w in _split(q)][:5]
    ckey = name_key(q)[:200]
    ekey = email_key(q)[:100] if " " not in q else ""
    out = set()
    for r in live:
        name_words = [w[:64] for w in _split(r["name"])]
        words = name_words + [w[:64] for w in _split(r["position"] or "")]
        if len(name_words) > 1:
            words.append("".join(name_words)[:64])

        def hit(w: str, words: list[str] = words) -> bool:
            return any(t.startswith(w) or (len(t) <= 12 and _cjk(t) and w in t) for t in words)

        hidden = masking and r["pool"]
        if (
            (qwords and all(hit(w) for w in qwords))
            or (ckey and name_key(r["customer_name"]).startswith(ckey))
            or (not hidden and any(_phone_hit(q, p) for p in r["e164"]))
            or (
                not hidden
                and ekey
                and any(email_key(e)[:100].startswith(ekey) for e in r["emails"])
            )
        ):
            out.add(r["id"])
    return out


# --- the property ----------------------------------------------------------------------------


def _build(app, world) -> tuple[int, int, list[dict]]:
    company = make_company(app, next(_company_names), plan="team")
    tid, uid = company.tenant_id, company.owner.id

    def go(actor):
        db.session.get(Tenant, tid).default_country = COUNTRY
        if world["masking"]:
            pool.update_settings(actor=actor, mask_pool_contacts=True)
        ids = [
            customers.create_customer(
                actor=actor, name=name, owner_id=None if i in world["pool"] else customers.ME
            ).id
            for i, name in enumerate(CUSTOMERS)
        ]
        rows = []
        for c in world["contacts"]:
            contact = service.create_contact(
                actor=actor,
                customer_id=ids[c["customer"]],
                name=c["name"],
                position=c["position"],
                phones=[{"number": p} for p in c["phones"]],
                emails=c["emails"],
            )
            rows.append(
                {
                    "id": contact.id,
                    "name": contact.name,
                    "position": contact.position,
                    "e164": [parse_phone(p, COUNTRY) for p in c["phones"]],
                    "emails": c["emails"],
                    "customer_name": CUSTOMERS[c["customer"]],
                    "pool": c["customer"] in world["pool"],
                    "trashed": c["customer"] in world["trash"],
                }
            )
        for i in world["trash"]:
            sharing.trash(actor=actor, customer_id=ids[i])
        return rows

    return tid, uid, _as(app, tid, uid, go)


def _found(app, tid, uid, view, q, sort, limit) -> list[int]:
    def go(actor):
        out, cursor = [], None
        while True:
            page = search.list_contacts(
                actor=actor, view=view, q=q, sort=sort, cursor=cursor, limit=limit
            )
            out += [c.id for c, _cu in page.items]
            if not page.next:
                return out
            cursor = page.next

    return _as(app, tid, uid, go)


@settings(
    max_examples=15,
    database=None,  # no example files in the checkout
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=world_st, data=st.data())
def test_search_equals_a_python_filter(app, world, data):
    tid, uid, rows = _build(app, world)
    by_id = {r["id"]: r for r in rows}
    for _ in range(8):
        q = data.draw(query_st(world), label="q")
        sort = data.draw(st.sampled_from(search.SORTS), label="sort")
        limit = data.draw(st.sampled_from([1, 2, 50]), label="limit")
        # "all", and "mine" (the owner's customers: all but the pool's), sorted another way
        view = data.draw(st.sampled_from(["all", "mine"]), label="view")
        expected = reference(q, rows, world["masking"])
        if view == "mine":
            expected = {i for i in expected if not by_id[i]["pool"]}
        column = sort.lstrip("-")

        def key(i, column=column):
            if column == "name":
                return (by_id[i]["name"], i)
            if column == "customer":
                return (by_id[i]["customer_name"], i)
            return (i,)

        order = sorted(expected, key=key, reverse=sort.startswith("-"))
        assert _found(app, tid, uid, view, q, sort, limit) == order, (view, q, sort)
