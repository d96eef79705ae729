"""Customers: numbers, the pool (claim race), visibility, audit sentences, match keys."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.auth.models import Role, User
from saas.customers import service
from saas.customers.models import Customer
from saas.customers.normalize import name_key
from saas.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, as_member, make_company

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _pick(obj, *names):
    return tuple(getattr(obj, n) for n in names)


def _create(app, member, name="Acme", **kw):
    return _as(app, member, lambda a: service.create_customer(actor=a, name=name, **kw).id)


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    boss = add_member(app, company, "manager", email="boss@acme.example.com")
    lead = add_member(app, company, "manager", email="lead@acme.example.com", manager=boss)
    ann = add_member(app, company, "sales", email="ann@acme.example.com", manager=lead)
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    viewer = add_member(app, company, "viewer", email="viewer@acme.example.com")
    return company, {"boss": boss, "lead": lead, "ann": ann, "bob": bob, "viewer": viewer}


def _rename(app, member, name):
    _as(app, member, lambda a: setattr(a, "name", name))


# --- numbers ----------------------------------------------------------------------------------


def test_numbers_are_per_tenant_and_a_rolled_back_creation_leaves_no_gap(app, team):
    _, people = team
    other = make_company(app, "Other Co")
    assert _as(app, people["ann"], lambda a: service.create_customer(actor=a, name="A").number) == 1
    _as(app, people["ann"], lambda a: service.create_customer(actor=a, name="B"), commit=False)
    assert _as(app, people["bob"], lambda a: service.create_customer(actor=a, name="C").number) == 2
    assert _as(app, other.owner, lambda a: service.create_customer(actor=a, name="X").number) == 1


def test_concurrent_creations_get_consecutive_unique_numbers(app, team):
    company, people = team
    reps = [people["ann"], people["bob"], people["lead"], people["boss"]]
    per_thread = 5
    barrier = threading.Barrier(len(reps))
    errors = []

    def go(member):
        barrier.wait()
        try:
            for i in range(per_thread):
                _create(app, member, name=f"{member.email} {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(m,)) for m in reps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context(), tenant_context(company.tenant_id):
        numbers = sorted(db.session.scalars(select(Customer.number)))
    assert numbers == list(range(1, len(reps) * per_thread + 1))


# --- the pool ---------------------------------------------------------------------------------


def test_claim_race_exactly_one_wins_and_the_others_hear_who(app, team):
    company, people = team
    cid = _create(app, people["boss"], name="Contested", owner_id=None)
    racers = ([people["ann"], people["bob"], people["lead"], people["boss"]] * 8)[:30]
    barrier = threading.Barrier(len(racers))
    outcomes: list = [None] * len(racers)

    def go(i, member):
        barrier.wait()
        try:
            _as(app, member, lambda a: service.claim(actor=a, customer_id=cid))
            outcomes[i] = ("won", member.id)
        except ServiceError as exc:
            outcomes[i] = (exc.status, exc.code, exc.message)

    threads = [threading.Thread(target=go, args=(i, m)) for i, m in enumerate(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o[0] == "won"]
    assert len(winners) == 1, outcomes
    winner_id = winners[0][1]
    with app.app_context(), tenant_context(company.tenant_id):
        winner = db.session.get(User, winner_id)
        assert db.session.get(Customer, cid).owner_id == winner_id
        claims = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.object_type == "customers",
                AuditEntry.object_id == cid,
                AuditEntry.action == "customers.updated",
            )
        )
    assert claims == 1
    losers = [o for o in outcomes if o[0] != "won"]
    assert all(o[0] == 409 for o in losers), losers
    for _status, code, message in losers:
        assert code in ("already_claimed", "already_yours")
        if code == "already_claimed":
            assert winner.name in message


def test_claiming_your_own_customer_again_is_409_saying_so(app, team):
    _, people = team
    cid = _create(app, people["ann"], owner_id=None)
    _as(app, people["ann"], lambda a: service.claim(actor=a, customer_id=cid))
    with pytest.raises(Conflict) as err:
        _as(app, people["ann"], lambda a: service.claim(actor=a, customer_id=cid))
    assert err.value.code == "already_yours"
    _rename(app, people["ann"], "Ann")
    with pytest.raises(Conflict) as err:
        _as(app, people["bob"], lambda a: service.claim(actor=a, customer_id=cid))
    assert err.value.code == "already_claimed" and "Ann" in err.value.message


def test_return_needs_the_owner_a_manager_above_or_assign_and_a_reason(app, team):
    _, people = team
    cid = _create(app, people["ann"])
    with pytest.raises(ValidationFailed):
        _as(
            app,
            people["ann"],
            lambda a: service.return_to_pool(actor=a, customer_id=cid, reason=" "),
        )
    with pytest.raises(NotFound):  # bob cannot even see it
        _as(
            app,
            people["bob"],
            lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="x"),
        )
    # the manager two levels up may
    c = _as(
        app,
        people["boss"],
        lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="No budget"),
    )
    assert c is not None
    with pytest.raises(Conflict):
        _as(
            app,
            people["ann"],
            lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="x"),
        )


def test_assign_passes_the_customer_and_needs_the_permission(app, team):
    company, people = team
    cid = _create(app, people["ann"])
    with pytest.raises(PermissionDenied):
        _as(
            app,
            people["ann"],
            lambda a: service.assign(actor=a, customer_id=cid, user_id=people["bob"].id),
        )
    _as(
        app,
        people["lead"],
        lambda a: service.assign(actor=a, customer_id=cid, user_id=people["bob"].id),
    )
    with pytest.raises(NotFound):  # it is bob's now: ann no longer sees it
        _as(app, people["ann"], lambda a: service.get_customer(a, cid))
    assert (
        _as(app, people["bob"], lambda a: service.get_customer(a, cid).owner_id) == people["bob"].id
    )
    with pytest.raises(NotFound):  # nor does lead, who is not above bob
        _as(app, people["lead"], lambda a: service.get_customer(a, cid))
    with pytest.raises(ValidationFailed):
        _as(app, company.owner, lambda a: service.assign(actor=a, customer_id=cid, user_id=999999))


# --- visibility -------------------------------------------------------------------------------


def test_visibility(app, team):
    company, people = team
    other = make_company(app, "Other Co")
    ann_c = _create(app, people["ann"], name="Ann's client")
    pool_c = _create(app, people["ann"], name="Pooled", owner_id=None)
    foreign = _create(app, other.owner, name="Foreign")

    def sees(member, cid):
        try:
            _as(app, member, lambda a: service.get_customer(a, cid))
            return True
        except NotFound:
            return False

    assert sees(people["ann"], ann_c)
    assert not sees(people["bob"], ann_c)  # another rep's customer
    assert sees(people["lead"], ann_c) and sees(people["boss"], ann_c)  # up the reporting line
    assert sees(people["viewer"], ann_c) and sees(company.owner, ann_c)  # view_all
    assert sees(people["bob"], pool_c)
    assert not sees(people["ann"], foreign) and not sees(company.owner, foreign)  # other tenant
    assert not sees(other.owner, ann_c)
    # without customers.pool the pool is invisible, and claiming is refused
    with app.app_context(), tenant_context(company.tenant_id):
        role = db.session.scalar(select(Role).where(Role.key == "sales"))
        role.permissions = [p for p in role.permissions if p != "customers.pool"]
        db.session.commit()
    assert not sees(people["bob"], pool_c)
    with pytest.raises(PermissionDenied):
        _as(app, people["bob"], lambda a: service.claim(actor=a, customer_id=pool_c))
    # another tenant's id is not found, not "already claimed"
    with pytest.raises(NotFound):
        _as(app, other.owner, lambda a: service.claim(actor=a, customer_id=pool_c))


def test_a_deleted_customer_is_not_found(app, team):
    company, people = team
    cid = _create(app, people["ann"], owner_id=None)
    with app.app_context(), tenant_context(company.tenant_id):
        from saas.utils import utcnow

        db.session.get(Customer, cid).deleted_at = utcnow()
        db.session.commit()
    with pytest.raises(NotFound):
        _as(app, people["bob"], lambda a: service.claim(actor=a, customer_id=cid))
    with pytest.raises(NotFound):
        _as(app, company.owner, lambda a: service.get_customer(a, cid))


def test_creation_validates_and_only_assigners_create_for_others(app, team):
    _, people = team
    with pytest.raises(ValidationFailed):
        _create(app, people["ann"], name="  \n ")
    with pytest.raises(ValidationFailed):
        _create(app, people["ann"], name="x" * 201)
    with pytest.raises(ValidationFailed):
        _create(app, people["ann"], kind="alien")
    with pytest.raises(ValidationFailed):
        _create(app, people["ann"], country="Albania")
    with pytest.raises(PermissionDenied):
        _create(app, people["ann"], owner_id=people["bob"].id)
    with pytest.raises(PermissionDenied):
        _create(app, people["viewer"])
    cid = _create(app, people["lead"], name="Line\nbreak Co", owner_id=people["bob"].id)
    c = _as(app, people["bob"], lambda a: _pick(service.get_customer(a, cid), "name", "owner_id"))
    assert c == ("Line break Co", people["bob"].id)


# --- audit ------------------------------------------------------------------------------------


def _sentences(app, company, cid):
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "customers", AuditEntry.object_id == cid)
            .order_by(AuditEntry.id)
        ).all()
        return [re.sub(r"</?bdi>", "", str(describe(e).sentence)) for e in entries]


def test_history_reads_in_words(app, team):
    company, people = team
    for key, name in (("ann", "Ann"), ("bob", "Bob"), ("lead", "Lea")):
        _rename(app, people[key], name)
    cid = _create(app, people["lead"], name="Acme", owner_id=None)
    _as(app, people["ann"], lambda a: service.claim(actor=a, customer_id=cid))
    _as(
        app,
        people["ann"],
        lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="No budget"),
    )
    _as(
        app,
        people["lead"],
        lambda a: service.assign(actor=a, customer_id=cid, user_id=people["bob"].id),
    )
    assert _sentences(app, company, cid) == [
        "Lea added the customer Acme",
        "Ann claimed Acme",
        "Ann returned Acme to the pool: No budget",
        "Lea assigned Acme to Bob",
    ]


# --- match keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ＡＣＭＥ Trading", "acme trading"),  # noqa: RUF001 - full-width
        ("Acme-Trading, Ltd.", "ACME trading ltd"),  # punctuation and spacing
        ("شركت علي", "شرکت علی"),  # Arabic kaf/yeh vs Persian
        ("پارس ۱۲۳", "پارس 123"),  # Persian digits
        ("پارس ١٢٣", "پارس123"),  # noqa: RUF001 - Arabic-Indic digits
        ("Straße", "STRASSE"),  # case folding
        ("مـحـمد", "محمد"),  # tatweel
        ("مُحَمَّد", "محمد"),  # harakat
        ("北京 科技（有限）公司", "北京科技有限公司"),  # noqa: RUF001 - full-width brackets
    ],
)
def test_name_keys_match(a, b):
    assert name_key(a) == name_key(b) != ""


@pytest.mark.parametrize(("a", "b"), [("Acme", "Acne"), ("Café", "Cafe"), ("علی", "على ب")])
def test_name_keys_keep_different_names_apart(a, b):
    assert name_key(a) != name_key(b)


# --- the API ----------------------------------------------------------------------------------


def _bearer(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def _api(client, token, method, url, json=None):
    return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def test_api_create_list_claim_return_assign(app, client, team):
    _company, people = team
    _rename(app, people["ann"], "Ann")
    ann, bob, lead = (_bearer(app, people[k]) for k in ("ann", "bob", "lead"))
    mine = _api(client, ann, "POST", "/api/v1/customers", {"name": "Acme", "city": "Tirana"})
    assert mine.status_code == 201
    assert mine.get_json()["owner_id"] == people["ann"].id and mine.get_json()["number"] == 1
    pooled = _api(client, ann, "POST", "/api/v1/customers", {"name": "Pooled", "owner_id": None})
    assert pooled.status_code == 201 and pooled.get_json()["owner_id"] is None
    pid = pooled.get_json()["id"]
    # strict types and unknown fields are 422 in the foundation's error shape
    bad = _api(client, ann, "POST", "/api/v1/customers", {"name": 5})
    assert bad.status_code == 422 and set(bad.get_json()["error"]) == {"code", "message"}
    assert _api(client, ann, "POST", "/api/v1/customers", {"name": "x", "x": 1}).status_code == 422
    # claim: the first wins, the second hears who holds it
    assert _api(client, ann, "POST", f"/api/v1/customers/{pid}/claim").status_code == 200
    lost = _api(client, bob, "POST", f"/api/v1/customers/{pid}/claim")
    assert lost.status_code == 409
    assert lost.get_json()["error"]["code"] == "already_claimed"
    assert "Ann" in lost.get_json()["error"]["message"]
    again = _api(client, ann, "POST", f"/api/v1/customers/{pid}/claim")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_yours"
    # bob cannot see ann's customer: 404, like a missing id
    assert _api(client, bob, "GET", f"/api/v1/customers/{pid}").status_code == 404
    assert _api(client, bob, "GET", "/api/v1/customers/987654").status_code == 404
    # return needs a reason, then the customer is in the pool again
    no_reason = _api(client, ann, "POST", f"/api/v1/customers/{pid}/return", {"reason": " "})
    assert no_reason.status_code == 422
    back = _api(client, ann, "POST", f"/api/v1/customers/{pid}/return", {"reason": "No budget"})
    assert back.status_code == 200 and back.get_json()["owner_id"] is None
    # assign needs customers.assign (lead has it), to an active user of the company
    target = {"user_id": people["bob"].id}
    # an id is a JSON integer: not "5", not false
    for loose in (str(people["bob"].id), False, True, 1.0):
        sloppy = _api(client, lead, "POST", f"/api/v1/customers/{pid}/assign", {"user_id": loose})
        assert sloppy.status_code == 422, loose
    assert _api(client, ann, "POST", f"/api/v1/customers/{pid}/assign", target).status_code == 403
    given = _api(client, lead, "POST", f"/api/v1/customers/{pid}/assign", target)
    assert given.status_code == 200 and given.get_json()["owner_id"] == people["bob"].id


def test_api_list_pages_by_cursor_and_checks_the_view(app, client, team):
    _, people = team
    ann = _bearer(app, people["ann"])
    viewer = _bearer(app, people["viewer"])
    ids = [_create(app, people["ann"], name=f"C{i}", owner_id=None) for i in range(5)]
    seen, cursor = [], None
    while True:
        url = "/api/v1/customers?view=pool&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = _api(client, ann, "GET", url).get_json()
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)
    assert _api(client, ann, "GET", "/api/v1/customers").get_json()["items"] == []
    assert _api(client, ann, "GET", "/api/v1/customers?view=all").status_code == 403
    assert _api(client, viewer, "GET", "/api/v1/customers?view=pool").status_code == 403
    assert _api(client, ann, "GET", "/api/v1/customers?view=nope").status_code == 422
    assert _api(client, ann, "GET", "/api/v1/customers?limit=0").status_code == 422
    assert len(_api(client, viewer, "GET", "/api/v1/customers?view=all").get_json()["items"]) == 5


def test_the_openapi_document_declares_the_customer_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    listing = doc["paths"]["/api/v1/customers"]["get"]
    assert {"view", "limit", "cursor", "q", "segment"} <= {p["name"] for p in listing["parameters"]}
    claim = doc["paths"]["/api/v1/customers/{customer_id}/claim"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(claim["responses"])
    assert "/api/v1/customers/{customer_id}/return" in doc["paths"]
    assert "/api/v1/customers/{customer_id}/assign" in doc["paths"]


# --- the page ---------------------------------------------------------------------------------


def test_customers_page_create_then_claim_in_place(app, client, team):
    from tests.conftest import csrf, login

    _company, people = team
    login(client, people["ann"].email)
    page = client.get("/customers").get_data(as_text=True)
    assert 'href="/customers"' in page  # the nav link
    assert "Add your first customer" in page  # nobody in the company has one yet
    assert (
        "Pool" in page
        and "All" not in re.findall(r'aria-label="Customer lists".*?</nav>', page, re.S)[0]
    )
    token = csrf(client, "/customers/new")
    resp = client.post(
        "/customers/new",
        data={
            "name": "",
            "kind": "company",
            "stage": "potential",
            "country": "",
            "csrf_token": token,
        },
    )
    assert resp.status_code == 422
    resp = client.post(
        "/customers/new",
        data={
            "name": "Pool Co",
            "kind": "company",
            "stage": "potential",
            "country": "AL",
            "to_pool": "y",
            "csrf_token": token,
        },
    )
    assert resp.status_code == 303 and "view=pool" in resp.headers["Location"]
    pool = client.get("/customers?view=pool").get_data(as_text=True)
    assert "Pool Co" in pool and "Claim" in pool
    cid = int(re.search(r'id="customer-(\d+)"', pool).group(1))
    resp = client.post(
        f"/customers/{cid}/claim", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 200
    row = resp.get_data(as_text=True)
    assert f'id="customer-{cid}"' in row and "Claim</button>" not in row and "you" in row
    assert "customerClaimed" in resp.headers["HX-Trigger"]
    # a second claim (another tab) is refused, naming the holder
    resp = client.post(f"/customers/{cid}/claim", data={"csrf_token": token})
    assert resp.status_code == 409
    assert "Pool Co" in client.get("/customers").get_data(as_text=True)
