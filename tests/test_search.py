# ruff: noqa: RUF001 - Persian, Arabic, Chinese and full-width letters are the point
"""Quick search (saas/customers/search.py): semantics, folding, upkeep, isolation, plans."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from saas.auth import tokens
from saas.contacts import service as contacts
from saas.contacts.models import Contact
from saas.customers import search, sharing
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.customers.search import CustomerSearch, highlight, plan
from saas.extensions import db
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import add_member, as_member, as_owner, is_postgres, login, make_company

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


@pytest.fixture
def company(app):
    company = make_company(app, plan="team")

    def country(actor):
        db.session.get(Tenant, actor.tenant_id).default_country = "IR"

    _as(app, company.owner, country)
    return company


def _customer(app, member, name, **kw):
    return _as(app, member, lambda a: customers.create_customer(actor=a, name=name, **kw).id)


def _contact(app, member, customer_id, name="Li Wei", **kw):
    return _as(
        app,
        member,
        lambda a: contacts.create_contact(actor=a, customer_id=customer_id, name=name, **kw).id,
    )


def _found(app, member, q, view="all"):
    """Ids the list ``view`` shows for quick search ``q`` (the service's query)."""
    return _as(
        app,
        member,
        lambda a: set(
            db.session.scalars(customers.view_query(a, view, q).with_only_columns(Customer.id))
        ),
        commit=False,
    )


# --- semantics without a database --------------------------------------------------------------


def test_folding_is_nfkc_casefold_persian_letters_and_ascii_digits():
    assert search.fold("ＡＣＭＥ  Trading") == "acme trading"
    assert search.fold("علي") == search.fold("علی")
    assert search.fold("كيان") == search.fold("کیان")
    assert search.fold("۰۹۱۲") == "0912" == search.fold("٠٩١٢") == search.fold("０９１２")


@pytest.mark.parametrize(
    ("q", "path", "term"),
    [
        ("华信", "bigram", "华信"),
        ("華", "prefix", "華"),
        ("ab", "prefix", "ab"),
        ("abc", "substring", "abc"),
        ("0912 123-4567", "substring", "09121234567"),
        ("+98 (912) 123", "substring", "98912123"),
        ("۰۹۱۲", "substring", "0912"),
        ("No. 12", "none", "12"),
        ("#1234", "substring", "1234"),
        ("ＡＢ", "prefix", "ab"),
        ("ＡＢＣ", "substring", "abc"),
    ],
)
def test_each_query_takes_its_documented_path(q, path, term):
    p = plan(q)
    assert (p.path, p.term) == (path, term)


def test_an_empty_query_narrows_nothing():
    assert plan("") is None and plan("   \t") is None and plan(None) is None


def test_a_document_holds_every_searched_field_apart():
    doc = search.document(
        "华信 Trading",
        "Tehran",
        "VIP",
        [search.ContactText("علي", [("0912 123 4567", "+989121234567")], ["LI@Example.com"])],
    )
    fields = doc.split(search.SEP)
    assert fields[:3] == ["华信 trading", "tehran", "vip"]
    assert "علی" in fields and "li@example.com" in fields
    assert {"09121234567", "989121234567"} <= set(fields)
    assert "华信" in search.bigrams(doc) and "信 " in search.bigrams(doc)
    assert all(search.SEP not in g for g in search.bigrams(doc))


def test_highlight_marks_the_match_in_the_original_text():
    assert highlight("Huaxin 华信贸易", "华信") == "Huaxin <mark>华信</mark>贸易"
    assert highlight("ＡＣＭＥ Ltd", "acme") == "<mark>ＡＣＭＥ</mark> Ltd"
    assert highlight("Ali کیان", "كيان") == "Ali <mark>کیان</mark>"
    assert highlight("0912 123 4567", "09121234") == "<mark>0912 123 4</mark>567"
    assert highlight("Acme", None) == "Acme" and highlight(None, "x") == ""


def test_highlight_escapes_the_text_and_the_query():
    out = highlight('<script>alert("x")</script> Acme', "<script>")
    assert "<script>" not in out.replace("<mark>", "").replace("</mark>", "")
    assert str(out).startswith("<mark>&lt;script&gt;</mark>")
    out = highlight("a&b <i>c</i>", "&b <i")
    assert str(out) == "a<mark>&amp;b &lt;i</mark>&gt;c&lt;/i&gt;"
    assert str(highlight("<b>", "zzz")) == "&lt;b&gt;"


# --- the list's search ----------------------------------------------------------------------------


def test_two_chinese_characters_find_names_contacts_and_cities(app, company):
    o = company.owner
    a = _customer(app, o, "华信贸易有限公司")
    b = _customer(app, o, "Acme", city="北京华信区")
    c = _customer(app, o, "Other")
    _contact(app, o, c, name="王华信")
    d = _customer(app, o, "华为")
    assert _found(app, o, "华信") == {a, b, c}
    assert d not in _found(app, o, "华信")
    assert _found(app, o, "华") >= {a, d}  # one character: the name's prefix only
    assert b not in _found(app, o, "华")


def test_phones_in_any_format_and_script(app, company):
    o = company.owner
    cid = _customer(app, o, "Kian")
    _contact(app, o, cid, name="Reza", phones=[{"number": "0912 123 4567"}])
    _customer(app, o, "Someone else")
    for q in ("۰۹۱۲۱۲۳۴۵۶۷", "0912-123-4567", "+98 912 123 4567", "912 123", "٠٩١٢١٢٣"):
        assert _found(app, o, q) == {cid}, q


def test_persian_and_arabic_spellings_and_full_width_are_equal(app, company):
    o = company.owner
    a = _customer(app, o, "شرکت کیان پارس")
    b = _customer(app, o, "ＡＣＭＥ Trading")
    assert _found(app, o, "كيان") == {a}
    assert _found(app, o, "acme tr") == {b}
    assert _found(app, o, "ＴＲＡＤ") == {b}


def test_emails_comments_and_the_exact_number(app, company):
    o = company.owner
    a = _customer(app, o, "Alpha", comments="met at the Tirana fair")
    b = _customer(app, o, "Beta")
    _contact(app, o, b, name="Ann", emails=["Ann.Smith@Example.com"])
    number = _as(app, o, lambda actor: db.session.get(Customer, b).number, commit=False)
    assert _found(app, o, "tirana FAIR") == {a}
    assert _found(app, o, "ann.smith@") == {b}
    assert b in _found(app, o, f"No. {number}")
    assert _found(app, o, "Ann") == {b}


def test_like_wildcards_in_a_query_are_literal(app, company):
    o = company.owner
    a = _customer(app, o, "100% cotton_ltd")
    _customer(app, o, "1000 cottonxltd")
    assert _found(app, o, "0% c") == {a}
    assert _found(app, o, "n_l") == {a}


def test_a_changed_contact_is_found_by_its_new_phone_not_the_old(app, company):
    o = company.owner
    cid = _customer(app, o, "Kian")
    person = _contact(app, o, cid, name="Reza", phones=[{"number": "0912 123 4567"}])
    assert _found(app, o, "09121234567") == {cid}
    _as(
        app,
        o,
        lambda a: contacts.update_contact(
            actor=a, contact_id=person, name="Sara", phones=[{"number": "0935 765 4321"}]
        ),
    )
    assert _found(app, o, "09121234567") == set()
    assert _found(app, o, "0935 765") == {cid}
    assert _found(app, o, "sara") == {cid} and _found(app, o, "reza") == set()
    _as(app, o, lambda a: contacts.delete_contact(actor=a, contact_id=person))
    assert _found(app, o, "0935 765") == set() and _found(app, o, "sara") == set()


def test_a_renamed_customer_and_a_moved_contact(app, company):
    o = company.owner
    a = _customer(app, o, "Old Name")
    b = _customer(app, o, "Other")
    person = _contact(app, o, a, name="Mover Person")
    _as(app, o, lambda actor: customers.update_customer(actor, a, name="New Name", city="Paris"))
    assert _found(app, o, "old name") == set() and _found(app, o, "new name") == {a}
    assert _found(app, o, "paris") == {a}

    def move(actor):
        contact = db.session.get(Contact, person)
        contact.customer_id = b
        for phone in contact.phones:
            phone.customer_id = b

    _as(app, o, move)
    assert _found(app, o, "mover") == {b}


def test_search_never_leaves_the_view_or_the_tenant(app, company):
    o = company.owner
    rep = add_member(app, company, "sales", email="rep@acme.example.com")
    mine = _customer(app, rep, "Zephyr One")
    theirs = _customer(app, o, "Zephyr Two")
    other = make_company(app, name="Rival", email="owner@rival.example.com")
    foreign = _customer(app, other.owner, "Zephyr Three")
    assert _found(app, rep, "zephyr", view="mine") == {mine}
    assert _found(app, o, "zephyr") == {mine, theirs}
    assert foreign not in _found(app, o, "zephyr")
    assert _found(app, other.owner, "zephyr") == {foreign}


@pytest.mark.skipif(not is_postgres(), reason="the lookup function exists on PostgreSQL only")
def test_the_lookup_function_answers_nothing_for_another_tenant(app, company):
    o = company.owner
    _customer(app, o, "Zephyr One")
    other = make_company(app, name="Rival", email="owner@rival.example.com")

    def call(actor, tenant_id):
        return db.session.execute(
            select(
                func.baza_customer_search(tenant_id, "%zephyr%", None)
                .table_valued("customer_id")
                .c.customer_id
            )
        ).all()

    assert len(_as(app, o, lambda a: call(a, company.tenant_id), commit=False)) == 1
    # the app role asking for another tenant's documents (its own tenant is set) gets nothing
    assert _as(app, other.owner, lambda a: call(a, company.tenant_id), commit=False) == []


def test_the_list_page_and_the_api_search_and_highlight(app, client, company):
    o = company.owner
    a = _customer(app, o, "华信<b>贸易</b>")
    _customer(app, o, "Zzother")
    login(client, o.email)
    html = client.get("/customers?view=all&q=华信").get_data(as_text=True)
    assert "<mark>华信</mark>&lt;b&gt;贸易&lt;/b&gt;" in html
    assert "Zzother" not in html
    token = _as(app, o, lambda actor: tokens.create_token(actor=actor, name="t")[1])
    got = client.get(
        "/api/v1/customers?view=all&q=华信", headers={"Authorization": f"Bearer {token}"}
    )
    assert got.status_code == 200 and [c["id"] for c in got.get_json()["items"]] == [a]


def test_the_stored_documents_match_what_the_tables_say(app, company):
    o = company.owner
    cid = _customer(app, o, "Kian 华信", city="تهران")
    _contact(app, o, cid, name="Reza", phones=[{"number": "0912 123 4567"}], emails=["r@k.ir"])

    def stored(actor):
        row = db.session.scalar(select(CustomerSearch).where(CustomerSearch.customer_id == cid))
        return row.doc, row.grams, search.documents(db.session, actor.tenant_id, [cid])[cid]

    doc, grams, fresh = _as(app, o, stored, commit=False)
    assert doc == fresh
    assert grams == [search.gram_key(company.tenant_id, g) for g in search.bigrams(doc)]
    assert grams and all(g.startswith(f"{company.tenant_id}:") for g in grams)


def test_revision_0028_keys_the_bigrams_by_tenant_both_ways(app, company, owner_engine):
    """The downgrade strips the tenant from the bigrams; the upgrade keys bare ones and leaves
    keyed ones (0019 writes them keyed on a new database) as they are; the 2-character search
    finds each company's own customer after the round trip."""
    from flask_migrate import downgrade, upgrade

    o = company.owner
    cid = _customer(app, o, "华信贸易")
    other = make_company(app, email="owner@grams.example.com")
    oid = _customer(app, other.owner, "华信")

    def grams_of(customer_id):
        with owner_engine.connect() as conn:
            return conn.scalar(
                select(CustomerSearch.grams).where(CustomerSearch.customer_id == customer_id)
            )

    bare = search.bigrams(search.fold("华信贸易"))
    keyed = [search.gram_key(company.tenant_id, g) for g in bare]
    assert grams_of(cid) == keyed
    with app.app_context():
        downgrade(revision="0027_backups")
        try:
            assert grams_of(cid) == bare and grams_of(oid) == ["华信"]
            with owner_engine.begin() as conn:  # keyed already, as 0019 writes them now
                if is_postgres():
                    conn.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"),
                        {"t": str(company.tenant_id)},
                    )
                table = CustomerSearch.__table__
                conn.execute(table.update().where(table.c.customer_id == cid).values(grams=keyed))
        finally:
            upgrade()
        db.session.remove()
    assert grams_of(cid) == keyed and grams_of(oid) == [f"{other.tenant_id}:华信"]
    assert _found(app, o, "华信") == {cid} and _found(app, other.owner, "华信") == {oid}


@pytest.mark.skipif(is_postgres(), reason="SQLite's indexes (PostgreSQL searches with GIN)")
def test_sqlite_keeps_its_search_indexes_in_step_and_searches_through_them(
    app, company, owner_engine
):
    """Revision 0029: every write of a document (a new customer, a rename, a contact, a delete
    cascading from ``customers``) reaches both FTS5 indexes through their triggers; the search
    asks them, and finds the same without them (downgraded: the scan)."""
    from flask_migrate import downgrade, upgrade

    o = company.owner
    keep = _customer(app, o, "Trigram Traders", city="Tirana")
    gone = _customer(app, o, "Temporary Trigram 华信")
    _contact(app, o, keep, name='Quoted "Person"')
    _as(app, o, lambda a: customers.update_customer(a, keep, name="Renamed 华信贸易"))
    _as(app, o, lambda a: sharing.trash(actor=a, customer_id=gone))
    # purged: a Core DELETE of ``customers``, the document deleted by the foreign key's cascade
    _as(app, o, lambda a: sharing.purge_trash(now=datetime(2999, 1, 1, tzinfo=UTC)))

    def indexes_and_documents():
        with owner_engine.connect() as conn:
            read = lambda sql: [tuple(r) for r in conn.execute(text(sql))]  # noqa: E731
            return (
                read("SELECT rowid, doc FROM customer_search_fts ORDER BY 1"),
                read("SELECT rowid, grams FROM customer_search_fts_grams ORDER BY 1"),
                read("SELECT id, doc, grams FROM customer_search ORDER BY 1"),
            )

    def tokens(grams):  # what the bigram index must hold for a row's ``grams``
        return " ".join(search.bigram_token(g.split(":", 1)[1]) for g in json.loads(grams))

    trigrams, bigrams, docs = indexes_and_documents()
    assert trigrams == [(i, doc) for i, doc, _ in docs] and len(docs) == 1
    assert bigrams == [(i, tokens(grams)) for i, _, grams in docs]
    assert "renamed 华信贸易" in docs[0][1] and "534ex4fe1" in bigrams[0][1]
    assert _found(app, o, "renamed") == {keep} and _found(app, o, "trigram") == set()
    assert _found(app, o, 'd "pers') == {keep}  # a double quote in the phrase is literal
    assert _found(app, o, "华信") == {keep} and _found(app, o, "贸易") == {keep}
    assert _found(app, o, "信贸易") == {keep} and _found(app, o, "易华") == set()
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        for q in ("renamed", "华信"):
            sql = str(
                search._matching_ids(company.tenant_id, search.plan(q)).compile(
                    db.session.get_bind(), compile_kwargs={"literal_binds": True}
                )
            )
            steps = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
            assert any("VIRTUAL TABLE INDEX" in str(step[-1]) for step in steps), (q, steps)
    with app.app_context():
        downgrade(revision="0028_tenant_grams")
        try:
            db.session.remove()
            with app.test_request_context("/"):
                assert search.fts_tables() == set()
            assert _found(app, o, "renamed") == {keep} and _found(app, o, "华信") == {keep}
            later = _customer(app, o, "Written Meanwhile 信贸")  # the scans find the same
        finally:
            upgrade()
        db.session.remove()
    trigrams, bigrams, docs = indexes_and_documents()  # the upgrade indexed what was written
    assert trigrams == [(i, doc) for i, doc, _ in docs] and len(docs) == 2
    assert bigrams == [(i, tokens(grams)) for i, _, grams in docs]
    assert _found(app, o, "meanwhile") == {later} and _found(app, o, "信贸") == {keep, later}


@pytest.mark.skipif(not is_postgres(), reason="pg_trgm and GIN exist on PostgreSQL only")
def test_the_lookups_use_the_gin_indexes(app, company):
    _customer(app, company.owner, "Alfa Bank")
    with as_owner() as conn:  # 30,000 documents, for a realistic plan
        conn.execute(
            text(
                "INSERT INTO customers (tenant_id, number, name, name_key, kind, stage, locked, "
                "created_at, updated_at, last_followup_at) SELECT :t, 100 + i, md5(i::text), "
                "md5(i::text), 'company', 'potential', false, now(), now(), now() "
                "FROM generate_series(1, 30000) i"
            ),
            {"t": company.tenant_id},
        )
        conn.execute(
            text(
                "INSERT INTO customer_search (tenant_id, customer_id, doc, grams) "
                "SELECT tenant_id, id, name, ARRAY[tenant_id || ':' || chr(19968 + id % 5000) "
                "|| chr(19968 + id % 77)] || CASE WHEN id % 5 = 0 "  # a common bigram, 1 in 5
                "THEN ARRAY[tenant_id || CAST(:k AS text)] ELSE '{}' END "
                "FROM customers WHERE tenant_id = :t AND number >= 100"
            ),
            {"t": company.tenant_id, "k": ":丁丁"},
        )
        for index in ("ix_customer_search_doc_trgm", "ix_customer_search_grams"):
            conn.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index})
        conn.execute(text("ANALYZE customers, customer_search"))  # else stale estimates
        # the SQL ``baza_customer_search`` runs, planned with the values as it plans them
        t = company.tenant_id
        for name, sql, value, index in (
            ("like", search.LIKE_LOOKUP, "%abc1%", "ix_customer_search_doc_trgm"),
            ("gram", search.GRAM_LOOKUP, search.gram_key(t, "丁丁"), "ix_customer_search_grams"),
        ):
            conn.exec_driver_sql(f"PREPARE lookup_{name}(integer, text) AS {sql}")
            # literals: a utility statement takes no parameters ("%%" is "%" to LIKE either way)
            value = value.replace("%", "%%")
            plan_text = "\n".join(
                r[0] for r in conn.exec_driver_sql(f"EXPLAIN EXECUTE lookup_{name}({t}, '{value}')")
            )
            conn.exec_driver_sql(f"DEALLOCATE lookup_{name}")
            assert index in plan_text, plan_text
            if name == "gram":  # one key is the tenant's matches: no tenant-wide bitmap beside it
                assert "tenant_id" not in plan_text.split("Filter")[0], plan_text
                assert "BitmapAnd" not in plan_text, plan_text
    # and the app's query (as the app role, RLS on) reaches them through the function
    o = company.owner

    def explain(actor):
        query = customers.view_query(actor, "all", "alfa bank")
        compiled = query.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True})
        return "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")))

    plan_text = _as(app, o, explain, commit=False)
    # the ids came from the lookup (read once per request): the list probes the primary key
    assert "Index Scan using pk_customers" in plan_text, plan_text
    assert "Seq Scan" not in plan_text, plan_text


# --- property: the SQL search equals the plain-Python reference ----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: Pieces that collide under folding: scripts, widths, Arabic/Persian letters, digits, wildcards.
PIECES = [
    "华信", "贸易", "有限公司", "華", "信", "Acme", "ＡＣＭＥ", "acme", "Trading", "علي", "علی",
    "كيان", "کیان", "پارس", "Ромашка", "РОМАШКА", "ёлка", "Straße", "STRASSE", "۱۲۳", "123",
    "٤٥", "45", "%", "_", "\\", "O'Brien", "<b>", "&", "-", " ", "  ",
]  # fmt: skip
#: Valid phones as people type them (the tenant's country is IR).
PHONES = [
    "0912 123 4567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "+98 912 123 4567", "٠٩٣٥٧٦٥٤٣٢١", "+86 138 0013 8000",
    "0086 138 0013 8000", "021 8888 1234",
]  # fmt: skip

words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
maybe = st.one_of(st.none(), words)
contact_st = st.fixed_dictionaries(
    {
        "name": words,
        "phones": st.lists(st.sampled_from(PHONES), max_size=2, unique=True),
        "emails": st.lists(
            st.sampled_from(["Li.Wei@Example.com", "ali@kian.ir", "ＲＯＭ@mail.ru"]),
            max_size=1,
        ),
    }
)
customer_st = st.fixed_dictionaries(
    {
        "name": words,
        "city": maybe,
        "comments": maybe,
        "contacts": st.lists(contact_st, max_size=2),
    }
)


def _query_st(customers_data):
    """Substrings of the data (any field, any slice), phone forms, and noise."""
    texts = [v for c in customers_data for v in (c["name"], c["city"], c["comments"]) if v]
    texts += [p["name"] for c in customers_data for p in c["contacts"]]
    texts += [n for c in customers_data for p in c["contacts"] for n in p["phones"]]
    texts += [e for c in customers_data for p in c["contacts"] for e in p["emails"]]
    slices = st.sampled_from(texts).flatmap(
        lambda t: st.tuples(st.integers(0, len(t)), st.integers(1, 12)).map(
            lambda ab: t[ab[0] : ab[0] + ab[1]]
        )
    )
    return st.one_of(slices, words, st.text(max_size=6), st.sampled_from(["#1", "No. 2", "3"]))


_seq = iter(range(10**6))


def _reference(actor, q):
    """The ids ``reference_match`` picks from the tenant's rows as stored."""
    from saas.contacts.models import ContactEmail, ContactPhone

    out = set()
    for c in db.session.scalars(select(Customer).where(Customer.deleted_at.is_(None))):
        people = []
        for p in db.session.scalars(select(Contact).where(Contact.customer_id == c.id)):
            phones = db.session.execute(
                select(ContactPhone.raw, ContactPhone.e164).where(ContactPhone.contact_id == p.id)
            ).all()
            emails = db.session.scalars(
                select(ContactEmail.email).where(ContactEmail.contact_id == p.id)
            ).all()
            people.append(search.ContactText(p.name, [tuple(x) for x in phones], list(emails)))
        if search.reference_match(
            q,
            number=c.number,
            name=c.name,
            name_key=c.name_key,
            city=c.city,
            comments=c.comments,
            contacts=people,
        ):
            out.add(c.id)
    return out


@settings(
    max_examples=12 if is_postgres() else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), rows=st.lists(customer_st, min_size=1, max_size=6))
def test_sql_search_equals_the_python_reference(app, data, rows):
    n = next(_seq)
    company = make_company(app, name=f"Prop{n}", email=f"owner@prop{n}.example.com")
    o = company.owner

    def setup(actor):
        db.session.get(Tenant, actor.tenant_id).default_country = "IR"
        for row in rows:
            customer = customers.create_customer(
                actor=actor, name=row["name"], city=row["city"], comments=row["comments"]
            )
            for person in row["contacts"]:
                contacts.create_contact(
                    actor=actor,
                    customer_id=customer.id,
                    name=person["name"],
                    phones=[{"number": x} for x in person["phones"]],
                    emails=person["emails"],
                )

    from saas.errors import ValidationFailed

    try:
        _as(app, o, setup)
    except ValidationFailed:  # a name of only spaces and dashes: refused like in the form
        return
    queries = data.draw(st.lists(_query_st(rows), min_size=1, max_size=8))
    for q in queries:
        got = _found(app, o, q)
        want = _as(app, o, lambda a, q=q: _reference(a, q), commit=False)
        assert got == want, q


def test_a_phone_is_found_by_its_national_form_with_the_trunk_prefix():
    assert search.national("+989121234567") == "09121234567"
    assert search.national("+79123456789") == "89123456789"  # Russia's trunk prefix is 8
    assert search.national("+390612345678") == "0612345678"  # Italy has none
    assert search.national("") == "" and search.national(None) == ""
    assert search.phone_forms("+98 912 123 4567", "+989121234567") == [
        "989121234567",
        "09121234567",
    ]


def test_the_backfill_reads_the_same_documents_as_the_upkeep(app, company):
    o = company.owner
    a = _customer(app, o, "华信", city="Tirana", comments="VIP")
    _contact(app, o, a, name="Reza", phones=[{"number": "0912 123 4567"}], emails=["r@k.ir"])
    _contact(app, o, a, name="Sara", phones=[{"number": "+86 138 0013 8000"}])
    b = _customer(app, o, "Empty")

    def both(actor):
        ids = [a, b]
        return (
            search.documents(db.session, actor.tenant_id, ids),
            search.documents_in_range(db.session, actor.tenant_id, min(ids), max(ids) + 1),
        )

    by_ids, by_range = _as(app, o, both, commit=False)
    assert by_ids == by_range and set(by_ids) == {a, b}


def test_a_request_looks_up_once_and_forgets_after_a_rewrite(app, company):
    o = company.owner
    a = _customer(app, o, "Zephyr One")

    def go(actor):
        first = set(db.session.scalars(customers.view_query(actor, "all", "zephyr")))
        customers.update_customer(actor, a, name="Other Name")
        db.session.flush()
        second = set(db.session.scalars(customers.view_query(actor, "all", "zephyr")))
        return {c.id for c in first}, {c.id for c in second}

    assert _as(app, o, go, commit=False) == ({a}, set())


@pytest.mark.skipif(not is_postgres(), reason="the ids are an integer[] on PostgreSQL only")
def test_the_ids_travel_as_one_integer_array(app):
    """``_IdArray`` sends ``{3,1,2}`` in one parameter; the server reads an ``integer[]``
    constant (its length known to the planner), not text to cast at run time."""
    from sqlalchemy import bindparam

    from saas.customers.search import _IdArray

    assert _IdArray().process_bind_param([3, 1, 2], None) == "{3,1,2}"
    with app.app_context():
        for ids in ([3, 1, 2], list(range(1, 6430)), []):
            param = bindparam("ids", ids, _IdArray())
            got = db.session.execute(select(param, func.pg_typeof(param))).one()
            assert got == (ids, "integer[]")
        db.session.rollback()
