"""The duplicate check (查重): match keys on tricky pairs, similar names, the whole tenant with
invisible customers told by name and holder only, tenant isolation, the block policy, the API
and the live panel — on SQLite and PostgreSQL (TEST_DATABASE_URL)."""

# ruff: noqa: RUF001 - full-width, Cyrillic and Arabic letters are the point

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from saas.customers import duplicates, service
from saas.customers.duplicates import Reason, similarity
from saas.customers.models import Customer
from saas.customers.normalize import fuzzy_text, name_key
from saas.errors import Conflict, PermissionDenied
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, as_member, as_owner, is_postgres, login, make_company

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _create(app, member, name, **kw):
    return _as(app, member, lambda a: service.create_customer(actor=a, name=name, **kw).id)


def _find(app, member, **kw):
    """(customer id, visible, reasons) of each match, in the order reported."""
    return _as(
        app,
        member,
        lambda a: [
            (m.customer.id, m.visible, dict(m.reasons)) for m in duplicates.find(actor=a, **kw)
        ],
    )


def _bearer(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def _api(client, token, url, method="GET", json=None):
    return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def _policy(app, member, policy):
    _as(app, member, lambda a: duplicates.set_policy(actor=a, policy=policy))


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    viewer = add_member(app, company, "viewer", email="viewer@acme.example.com")
    _as(app, ann, lambda a: setattr(a, "name", "Ann"))
    _as(app, bob, lambda a: setattr(a, "name", "Bob"))
    return company, {"ann": ann, "bob": bob, "viewer": viewer, "owner": company.owner}


# --- match keys: tricky pairs ----------------------------------------------------------------

MUST_MATCH = [
    ("ООО Ромашка", "Ромашка"),  # Russian legal form in front
    ("Ромашка, ООО", "ромашка"),  # … or behind, with punctuation
    ('ООО "Ромашка"', "РОМАШКА"),  # quotes
    ("ЗАО Вектор", "Вектор ЗАО"),
    ("ИП Иванов", "Иванов"),
    ("Huaxin 有限公司", "HUAXIN"),  # Chinese legal form, spaced
    ("华信科技股份有限公司", "华信科技"),  # … glued
    ("北京 科技（有限）公司", "北京科技有限公司"),  # full-width brackets inside the form
    ("トヨタ株式会社", "株式会社トヨタ"),  # Japanese form before or after
    ("شركة كيان", "شرکت کیان"),  # Arabic شركة (kaf, teh marbuta) vs Persian شرکت
    ("شرکت کیان سهامی خاص", "کیان"),  # Persian private joint-stock company
    ("كيان", "کیان"),  # Arabic kaf vs Persian keheh
    ("علي", "علی"),  # Arabic yeh vs Persian yeh
    ("مدرسة", "مدرسه"),  # teh marbuta vs heh
    ("ＡＢＣ Trading Ltd.", "abc trading"),  # full-width, legal form, dot
    ("Acme-Trading, L.L.C.", "ACME trading"),
    ("Acme GmbH & Co. KG", "acme"),
    ("Acme Pty Ltd", "Acme"),
    ("Acme Co., Ltd.", "ACME"),
    ("Acme Inc", "acme incorporated"),
    ("Kosova sh.p.k.", "KOSOVA"),  # Albanian
    ("Kosova Sh. P. K.", "kosova"),
    ("Kosova SHPK", "Kosova sh.a."),
    ("پارس ۱۲۳", "پارس 123"),  # Persian digits
    ("پارس ١٢٣", "پارس123"),  # Arabic-Indic digits
    ("Ｔｅｓｌａ", "tesla"),
    ("Straße", "STRASSE"),  # case folding
    ("مُحَمَّد", "محمد"),  # harakat
]


@pytest.mark.parametrize(("a", "b"), MUST_MATCH)
def test_tricky_pairs_have_the_same_key(a, b):
    assert name_key(a) == name_key(b) != ""


MUST_NOT_MATCH = [
    ("Alfa Bank", "Alfa Banka"),  # similar, not the same
    ("Acme", "Acne"),
    ("Café", "Cafe"),  # accents stay
    ("Limited Edition", "Edition"),  # "Limited" in front is a word, not a legal form
    ("Company of Wolves", "of Wolves"),
    ("Sha Wei", "Wei"),  # a surname, not sh.a.
    ("Day Spa Ltd", "Day"),  # "Spa" at the end is a legal form (S.p.A.) … but Ltd was last
    ("Huaxin", "Huaxing"),
]


@pytest.mark.parametrize(("a", "b"), MUST_NOT_MATCH)
def test_near_misses_have_different_keys(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize("name", ["Ltd", "ООО", "有限公司x", "شرکت", "Co"])
def test_a_name_that_is_only_legal_forms_keeps_a_key(name):
    assert name_key(name) != ""


def test_fuzzy_scores_ignore_legal_forms_and_word_order():
    assert similarity("Alfa Bank", "Alfa Banka") >= duplicates.FUZZY_THRESHOLD
    assert similarity("ООО Ромашка Трейд", "Трейд Ромашка") == 100
    assert similarity("Alfa Bank", "Beta Bank") < duplicates.FUZZY_THRESHOLD
    assert similarity("Huaxin Trading", "Huaxin Holding") < duplicates.FUZZY_THRESHOLD
    assert fuzzy_text("ＡＢＣ Trading Ltd.") == "abc trading"


# --- the check on the database ----------------------------------------------------------------


def test_exact_and_similar_names_of_the_whole_tenant(app, team):
    _, p = team
    romashka = _create(app, p["ann"], "ООО Ромашка")
    alfa = _create(app, p["ann"], "Alfa Bank")
    _create(app, p["ann"], "Something Else")
    assert _find(app, p["ann"], name="Ромашка") == [(romashka, True, {Reason.NAME: 100})]
    found = _find(app, p["ann"], name="Alfa Banka")
    assert [(cid, list(r)) for cid, _v, r in found] == [(alfa, [Reason.SIMILAR_NAME])]
    assert found[0][2][Reason.SIMILAR_NAME] >= duplicates.FUZZY_THRESHOLD
    assert _find(app, p["ann"], name="Beta Corp") == []
    # the customer being edited is not its own duplicate
    assert _find(app, p["ann"], name="Ромашка", exclude_id=romashka) == []


def test_exact_matches_come_first_and_trash_is_not_a_duplicate(app, team):
    _, p = team
    similar = _create(app, p["ann"], "Alfa Banka")
    same = _create(app, p["ann"], "ALFA BANK LLC")
    assert [cid for cid, _v, _r in _find(app, p["ann"], name="Alfa Bank")] == [same, similar]

    def trash(a):
        db.session.get(Customer, same).deleted_at = db.func.now()

    _as(app, p["owner"], trash)
    assert [cid for cid, _v, _r in _find(app, p["ann"], name="Alfa Bank")] == [similar]


def test_another_tenants_identical_customer_is_never_reported(app, team):
    _, p = team
    other = make_company(app, "Other Co")
    _create(app, other.owner, "Ромашка")
    _create(app, other.owner, "Alfa Banka")
    assert _find(app, p["ann"], name="ООО Ромашка") == []
    assert _find(app, p["ann"], name="Alfa Bank") == []
    mine = _create(app, p["ann"], "Ромашка")
    assert [cid for cid, _v, _r in _find(app, p["ann"], name="Ромашка")] == [mine]


def test_customers_the_actor_may_not_see_are_reported_by_name_and_holder_only(app, client, team):
    _, p = team
    bobs = _create(app, p["bob"], "Huaxin 有限公司")
    assert _find(app, p["ann"], name="HUAXIN") == [(bobs, False, {Reason.NAME: 100})]
    assert _find(app, p["owner"], name="HUAXIN") == [(bobs, True, {Reason.NAME: 100})]
    body = _api(client, _bearer(app, p["ann"]), "/api/v1/duplicates?name=huaxin").get_json()
    assert body["items"] == [
        {
            "visible": False,
            "id": None,
            "number": None,
            "name": "Huaxin 有限公司",
            "held_by": "Bob",
            "in_pool": False,
            "exact": True,
            "score": 100,
            "reasons": [{"reason": "name", "score": 100}],
        }
    ]
    # the panel: no link to Bob's card, only the name and "held by Bob"
    login(client, "ann@acme.example.com")
    html = client.get("/customers/duplicates?name=huaxin", headers={"HX-Request": "true"}).text
    assert "Huaxin 有限公司" in html and "held by Bob" in html and "same name" in html
    assert f"/customers/{bobs}" not in html


def test_a_pool_customer_reads_in_the_pool(app, client, team):
    _, p = team
    pooled = _create(app, p["bob"], "Kosova sh.p.k.", owner_id=None)
    login(client, "ann@acme.example.com")
    html = client.get("/customers/duplicates?name=Kosova", headers={"HX-Request": "true"}).text
    # sales reps may claim from the pool, so they see it and get its card
    assert "in the pool" in html and f"/customers/{pooled}" in html


def test_the_check_needs_create_or_edit(app, client, team):
    _, p = team
    with pytest.raises(PermissionDenied):
        _find(app, p["viewer"], name="x")
    viewer = _bearer(app, p["viewer"])
    assert _api(client, viewer, "/api/v1/duplicates?name=x").status_code == 403


# --- the block policy -------------------------------------------------------------------------


def test_block_refuses_an_exact_duplicate_on_create_and_warn_allows_it(app, client, team):
    _, p = team
    _create(app, p["bob"], "ＡＢＣ Trading Ltd.")
    _create(app, p["ann"], "abc trading")  # warn (the default): saved
    _policy(app, p["owner"], "block")
    with pytest.raises(Conflict) as refused:
        _create(app, p["ann"], "ABC TRADING LLC")
    assert refused.value.code == "duplicate" and refused.value.status == 409
    assert "held by" in refused.value.message
    _create(app, p["ann"], "ABC Tradings")  # only similar: allowed
    ann = _bearer(app, p["ann"])
    api = _api(client, ann, "/api/v1/customers", "POST", {"name": "abc trading"})
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "duplicate"
    check = _api(client, ann, "/api/v1/duplicates?name=abc%20trading").get_json()
    assert check["policy"] == "block" and check["blocked"] is True
    # the web form names the refusal on the name field and saves nothing
    login(client, "ann@acme.example.com")
    page = client.get("/customers/new").text
    from tests.conftest import csrf_from

    resp = client.post(
        "/customers/new",
        data={
            "name": "Abc Trading",
            "kind": "company",
            "stage": "potential",
            "country": "",
            "csrf_token": csrf_from(page),
        },
    )
    assert resp.status_code == 422 and "already exists" in resp.text, resp.text[-3000:]
    with app.app_context(), tenant_context(p["ann"].tenant_id):
        keys = db.session.scalars(select(Customer.name_key)).all()
    assert sorted(keys) == ["abctrading", "abctrading", "abctradings"]
    _policy(app, p["owner"], "warn")
    _create(app, p["ann"], "abc trading")


def test_only_settings_managers_set_the_policy(app, team):
    _, p = team
    with pytest.raises(PermissionDenied):
        _policy(app, p["ann"], "block")
    from saas.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        _policy(app, p["owner"], "sometimes")


# --- the API contract -------------------------------------------------------------------------


def test_api_contract(app, client, team):
    _, p = team
    ann = _bearer(app, p["ann"])
    assert client.get("/api/v1/duplicates?name=x").status_code == 401
    assert _api(client, ann, "/api/v1/duplicates").status_code == 422  # nothing to check
    assert _api(client, ann, "/api/v1/duplicates?name=x&nme=y").status_code == 422
    assert _api(client, ann, "/api/v1/duplicates?name=" + "x" * 1001).status_code == 422
    assert _api(client, ann, "/api/v1/duplicates?name=x&exclude_id=abc").status_code == 422
    ok = _api(client, ann, "/api/v1/duplicates?name=nobody")
    assert ok.status_code == 200
    assert ok.get_json() == {"items": [], "policy": "warn", "blocked": False}
    doc = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/duplicates"]["get"]
    assert set(doc["responses"]) == {"200", "401", "403", "422"}
    assert {q["name"] for q in doc["parameters"]} == {"name", "phone", "email", "exclude_id"}


# --- the index plan ---------------------------------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="pg_trgm exists on PostgreSQL only")
def test_similar_name_candidates_come_from_the_trigram_index(app, team):
    company, p = team
    _create(app, p["ann"], "Alfa Bank")
    with as_owner() as conn:  # a tenant of 30,000 customers, for a realistic plan
        conn.execute(
            text(
                "INSERT INTO customers (tenant_id, number, name, name_key, kind, stage, locked, "
                "created_at, updated_at, last_followup_at) SELECT :t, 100 + i, md5(i::text), "
                "md5(i::text), 'company', 'potential', false, now(), now(), now() "
                "FROM generate_series(1, 30000) i"
            ),
            {"t": company.tenant_id},
        )
        # a bulk load leaves GIN's pending list full until (auto)vacuum: flush it, then plan
        conn.execute(text("SELECT gin_clean_pending_list('ix_customers_name_key_trgm')"))
        conn.execute(text("ANALYZE customers"))
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN SELECT id FROM customers WHERE tenant_id = :t "
                    "AND deleted_at IS NULL AND name_key % :k "
                    "ORDER BY similarity(name_key, :k) DESC, id DESC LIMIT 50"
                ),
                {"t": company.tenant_id, "k": "alfabanka"},
            )
        )
    assert "ix_customers_name_key_trgm" in plan


@pytest.mark.skipif(not is_postgres(), reason="pg_trgm and row-level security: PostgreSQL only")
def test_the_candidates_function_answers_only_for_the_sessions_own_tenant(app, team):
    """As the app role, the similar names come from ``baza_duplicate_candidates`` (whose plan
    can use the trigram index under row-level security); another tenant's id gets nothing."""
    from saas.customers import sql

    company, p = team
    own = _create(app, p["ann"], "Alfa Bank")
    other = make_company(app, "Beta Co")
    stranger = _create(app, other.owner, "Alfa Banka")
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        assert db.session.scalar(text("SELECT current_user")) != "postgres"  # the app role
        assert sql.trigram_candidates(company.tenant_id, name_key("Alfa Banka"), 10) == [own]
        # the other company's id, from this company's session: nothing, not its customer
        assert sql.trigram_candidates(other.tenant_id, name_key("Alfa Banka"), 10) == []
    with app.test_request_context("/"), tenant_context(other.tenant_id):
        assert sql.trigram_candidates(other.tenant_id, name_key("Alfa Bank"), 10) == [stranger]


def test_the_migration_recomputes_keys_both_ways(app, team):
    from flask_migrate import downgrade, upgrade

    _, p = team
    cid = _create(app, p["ann"], "ООО Ромашка")

    def key():
        with as_owner() as conn:
            return conn.scalar(text("SELECT name_key FROM customers WHERE id = :i"), {"i": cid})

    assert key() == "ромашка"
    with app.app_context():
        downgrade(revision="0011_pool_rules")
        try:
            assert key() == "ооороmашка".replace("m", "м")
        finally:
            upgrade()
        db.session.remove()
    assert key() == "ромашка"


def test_the_policy_is_a_select_on_the_company_settings_page(app, client, team):
    from tests.conftest import csrf_from

    company, p = team
    login(client, company.owner.email)
    page = client.get("/settings/company").text
    assert 'name="company-duplicate_policy"' in page and 'value="block"' in page
    form = {
        "company-name": "Acme",
        "company-default_currency": "EUR",
        "company-default_country": "",
        "company-timezone": "Europe/Tirane",
        "csrf_token": csrf_from(page),
    }
    bad = client.post("/settings/company", data={**form, "company-duplicate_policy": "maybe"})
    assert bad.status_code == 422
    saved = client.post("/settings/company", data={**form, "company-duplicate_policy": "block"})
    assert saved.status_code in (302, 303)
    assert _as(app, p["ann"], lambda a: duplicates.tenant_policy()) == "block"
    # a sales rep may not open the page at all
    rep = app.test_client()
    login(rep, "ann@acme.example.com")
    assert rep.get("/settings/company").status_code == 403


# --- phones and emails (the contacts) ---------------------------------------------------------


def test_a_phone_in_any_spelling_and_an_email_in_any_case_match_within_the_tenant(
    app, client, team
):
    from saas.contacts import service as contacts

    company, p = team
    other = make_company(app, "Other Co")
    for owner in (company.owner, other.owner):
        _as(app, owner, lambda a: setattr(a.tenant, "default_country", "IR"))

    def with_contact(member, name, phone, email):
        def make(actor):
            customer = service.create_customer(actor=actor, name=name)
            contacts.create_contact(
                actor=actor,
                customer_id=customer.id,
                name="Reza",
                phones=[{"number": phone}],
                emails=[email],
            )
            return customer.id

        return _as(app, member, make)

    mine = with_contact(p["ann"], "Alborz Trading", "+98 912 123 4567", "Sales@Alborz.example")
    theirs = with_contact(other.owner, "Rival Co", "+98 912 123 4567", "sales@alborz.example")
    assert _find(app, p["ann"], phones=["۰۹۱۲۱۲۳۴۵۶۷"]) == [(mine, True, {Reason.PHONE: 100})]
    assert _find(app, p["ann"], emails=["SALES@alborz.EXAMPLE"]) == [
        (mine, True, {Reason.EMAIL: 100})
    ]
    both = _find(app, p["ann"], phones=["09121234567"], emails=["sales@alborz.example"])
    assert both == [(mine, True, {Reason.PHONE: 100, Reason.EMAIL: 100})]
    # the customer being edited is not its own duplicate; a half-typed number matches nothing
    assert _find(app, p["ann"], phones=["۰۹۱۲۱۲۳۴۵۶۷"], exclude_id=mine) == []
    assert _find(app, p["ann"], phones=["0912"], emails=["sales@"]) == []
    # the other company sees only its own customer, never ours (and we never see theirs)
    assert _find(app, other.owner, phones=["+989121234567"]) == [
        (theirs, True, {Reason.PHONE: 100})
    ]
    # the API reports the match by phone (Persian digits in the query string)
    token = _bearer(app, p["ann"])
    got = _api(client, token, "/api/v1/duplicates?phone=۰۹۱۲۱۲۳۴۵۶۷").get_json()["items"]
    assert [(m["id"], m["exact"]) for m in got] == [(mine, True)]
    assert "Rival" not in str(got)
    # block refuses a new customer whose contact phone is already another customer's
    _policy(app, company.owner, "block")
    with pytest.raises(Conflict):
        _as(
            app,
            p["bob"],
            lambda a: duplicates.enforce(a, name="Something Else", phones=["09121234567"]),
        )
