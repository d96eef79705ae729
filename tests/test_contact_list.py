# ruff: noqa: RUF001 - Persian and Arabic digits and letters are the point
"""The Contacts page and ``GET /api/v1/contacts``: people across the customers a user may see,
quick search (names, positions, phones in any format and script, emails, the customer's name),
keyset pages, sorting; visibility tested as attacks (another company, another rep's customer,
the trash, the pool's masked phones)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from saas.contacts import search, service
from saas.contacts.models import ContactTerm
from saas.customers import pool, sharing
from saas.customers import service as customers
from saas.errors import PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import add_member, as_member, login, make_company

_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _set_country(app, member, country):
    def go(actor):
        db.session.get(Tenant, actor.tenant_id).default_country = country

    _as(app, member, go)


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    _set_country(app, company.owner, "IR")
    return company, {"owner": company.owner, "ann": ann, "bob": bob}


def _customer(app, member, name="Acme", **kw):
    return _as(app, member, lambda a: customers.create_customer(actor=a, name=name, **kw).id)


def _contact(app, member, customer_id, name="Li Wei", **kw):
    return _as(
        app,
        member,
        lambda a: service.create_contact(actor=a, customer_id=customer_id, name=name, **kw).id,
    )


def _ids(app, member, view=None, q=None, sort=None, limit=50):
    """Every contact id of the list, walking all its pages."""

    def go(actor):
        out, cursor = [], None
        while True:
            page = search.list_contacts(
                actor=actor,
                view=view or search.default_view(actor),
                q=q,
                sort=sort,
                cursor=cursor,
                limit=limit,
            )
            out += [c.id for c, _cu in page.items]
            if not page.next:
                return out
            cursor = page.next

    return _as(app, member, go, commit=False)


def _bearer(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def _api(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


# --- search -----------------------------------------------------------------------------------


def test_search_by_name_position_phone_email_and_customer(app, team):
    _, p = team
    acme = _customer(app, p["ann"], "Acme Trading Ltd")
    globex = _customer(app, p["ann"], "Globex")
    li = _contact(
        app,
        p["ann"],
        acme,
        "Li Wei",
        position="Purchasing manager",
        phones=[{"number": "0912 345 6789"}],
        emails=["Li.Wei@Acme.example"],
    )
    sara = _contact(app, p["ann"], globex, "سارا علی", phones=[{"number": "+86 138 1234 5678"}])
    zhang = _contact(app, p["ann"], globex, "张小明")
    owner = p["owner"]
    assert _ids(app, owner, q="wei") == [li]  # a word's beginning, not the first word only
    assert _ids(app, owner, q="LIWEI") == [li]  # the whole name without its space
    assert _ids(app, owner, q="wei li") == [li]  # every word, any order
    assert _ids(app, owner, q="purch") == [li]  # the position
    assert _ids(app, owner, q="li wang") == []
    # phones: any format, Persian/Arabic digits, national or international, a beginning
    for q in ("۰۹۱۲ ۳۴۵", "0912-345-67", "+98 912 345", "98912345", "٠٩١٢٣٤٥٦٧٨٩", "(0912) 345"):
        assert _ids(app, owner, q=q) == [li], q
    assert _ids(app, owner, q="+86 138 12") == [sara]
    assert _ids(app, owner, q="0913") == []
    assert _ids(app, owner, q="li.wei@ACME") == [li]  # emails: case-folded beginning
    # Arabic spelling of a Persian name (ي for ی), and a CJK given name inside the word
    assert _ids(app, owner, q="علي") == [sara]
    assert _ids(app, owner, q="小明") == [zhang]
    # the customer's name (its key: legal forms dropped, case and width folded)
    assert sorted(_ids(app, owner, q="ＧＬＯＢＥＸ")) == sorted([sara, zhang])
    assert _ids(app, owner, q="acme trading") == [li]
    assert _ids(app, owner, q="  ") == _ids(app, owner)  # blank: no narrowing
    assert _ids(app, owner, q="%") == [] and _ids(app, owner, q="_") == []


def test_keys_follow_changes(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact = _contact(app, p["ann"], cid, "Li Wei", phones=[{"number": "0912 345 6789"}])
    _as(
        app,
        p["ann"],
        lambda a: service.update_contact(
            actor=a, contact_id=contact, name="Anna Karenina", phones=[]
        ),
    )
    owner = p["owner"]
    assert _ids(app, owner, q="wei") == []
    assert _ids(app, owner, q="0912 345") == []
    assert _ids(app, owner, q="karen") == [contact]
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=contact))
    assert _ids(app, owner, q="karen") == []
    left = _as(app, owner, lambda a: db.session.scalars(select(ContactTerm)).all(), commit=False)
    assert left == []  # the keys went with the contact


# --- visibility, as attacks ------------------------------------------------------------------


def test_another_company_contacts_never_show(app, client, team):
    _, p = team
    mine = _contact(app, p["ann"], _customer(app, p["ann"]), "Li Wei", emails=["li@x.example"])
    other = make_company(app, "Rival")
    _set_country(app, other.owner, "IR")
    theirs = _contact(
        app,
        other.owner,
        _customer(app, other.owner, "Acme"),
        "Li Wei",
        phones=[{"number": "0912 345 6789"}],
        emails=["li@x.example"],
    )
    for q in (None, "li", "li@x", "0912 345", "acme"):
        assert theirs not in _ids(app, p["owner"], q=q)
        assert mine not in _ids(app, other.owner, q=q)
    token = _bearer(app, p["owner"])
    body = _api(client, token, "/api/v1/contacts?q=li").get_json()
    assert [i["id"] for i in body["items"]] == [mine]
    login(client, p["owner"].email)
    html = client.get("/contacts?q=0912").get_data(as_text=True)
    assert f"contact-row-{theirs}" not in html


def test_another_reps_customer_is_not_mine(app, client, team):
    _, p = team
    ann_co = _customer(app, p["ann"], "Ann Co")
    anns = _contact(app, p["ann"], ann_co, "Ann Contact")
    bobs = _contact(app, p["bob"], _customer(app, p["bob"], "Bob Co"), "Bob Contact")
    assert _ids(app, p["bob"]) == [bobs]  # a rep's default list: their customers' people
    assert _ids(app, p["bob"], view="mine", q="ann") == []
    assert _ids(app, p["bob"], view="mine", q="ann co") == []
    with pytest.raises(PermissionDenied):
        _ids(app, p["bob"], view="all")
    with pytest.raises(ValidationFailed):
        _ids(app, p["bob"], view="everything")
    assert sorted(_ids(app, p["owner"], view="all")) == sorted([anns, bobs])
    token = _bearer(app, p["bob"])
    assert _api(client, token, "/api/v1/contacts?view=all").status_code == 403
    body = _api(client, token, "/api/v1/contacts?q=ann").get_json()
    assert body == {"items": [], "next_cursor": None}
    login(client, p["bob"].email)
    assert client.get("/contacts?view=all").status_code == 403
    html = client.get("/contacts?q=Ann").get_data(as_text=True)
    assert f"contact-row-{anns}" not in html
    # a share opens it, and only through the list it is shared in
    _as(
        app,
        p["ann"],
        lambda a: sharing.share(actor=a, customer_id=ann_co, user_ids=[p["bob"].id], access="read"),
    )
    assert _ids(app, p["bob"], view="shared") == [anns]
    assert _ids(app, p["bob"], view="mine") == [bobs]


def test_trashed_customers_contacts_are_gone(app, client, team):
    _, p = team
    cid = _customer(app, p["owner"], "Doomed")
    contact = _contact(app, p["owner"], cid, "Li Wei", phones=[{"number": "0912 345 6789"}])
    assert _ids(app, p["owner"], q="0912") == [contact]
    _as(app, p["owner"], lambda a: sharing.trash(actor=a, customer_id=cid))
    for q in (None, "li", "0912 345", "doomed"):
        assert _ids(app, p["owner"], q=q) == []
    token = _bearer(app, p["owner"])
    assert _api(client, token, "/api/v1/contacts?q=li").get_json()["items"] == []


def test_masked_pool_phones_are_not_searchable(app, client, team):
    _, p = team
    cid = _customer(app, p["owner"], "Pooled", owner_id=None)
    contact = _contact(
        app,
        p["owner"],
        cid,
        "Li Wei",
        phones=[{"number": "0912 345 6789"}],
        emails=["secret@pooled.example"],
    )
    assert _ids(app, p["ann"], view="pool", q="0912 345") == [contact]
    _as(app, p["owner"], lambda a: pool.update_settings(actor=a, mask_pool_contacts=True))
    # a masked number cannot be guessed digit by digit, nor an address letter by letter
    assert _ids(app, p["ann"], view="pool", q="0912 345") == []
    assert _ids(app, p["ann"], view="pool", q="secret@") == []
    assert _ids(app, p["ann"], view="pool", q="li") == [contact]  # the name is not hidden
    token = _bearer(app, p["ann"])
    item = _api(client, token, "/api/v1/contacts?view=pool").get_json()["items"][0]
    assert item["masked"] is True
    assert "345" not in item["phones"][0]["e164"] and item["emails"][0]["email"].startswith("s***")
    login(client, p["ann"].email)
    html = client.get("/contacts?view=pool").get_data(as_text=True)
    assert "secret@pooled.example" not in html and "tel:+98912" not in html


# --- pages, sorting, the API ------------------------------------------------------------------


def test_pages_round_trip_every_sort(app, team):
    _, p = team
    acme = _customer(app, p["owner"], "Acme")
    zeta = _customer(app, p["owner"], "Zeta")
    names = ["b", "A", "c", "a", "b", "Ä", "b", "z", "y", "b"]
    made = [_contact(app, p["owner"], acme if i % 2 else zeta, n) for i, n in enumerate(names)]

    def rows(actor):
        from saas.contacts.models import Contact
        from saas.customers.models import Customer

        return {
            c.id: (c.name, db.session.get(Customer, c.customer_id).name)
            for c in db.session.scalars(select(Contact))
        }

    data = _as(app, p["owner"], rows, commit=False)
    expected = {
        "name": sorted(made, key=lambda i: (data[i][0], i)),
        "customer": sorted(made, key=lambda i: (data[i][1], i)),
        "created": sorted(made),
    }
    for sort, order in expected.items():
        for size in (1, 3, 4, 50):
            assert _ids(app, p["owner"], sort=sort, limit=size) == order, (sort, size)
            desc = _ids(app, p["owner"], sort=f"-{sort}", limit=size)
            if sort == "created":
                assert desc == order[::-1]
            else:
                key = (lambda i: data[i][0]) if sort == "name" else (lambda i: data[i][1])
                assert desc == sorted(made, key=lambda i: (key(i), i), reverse=True)

    # backwards: the previous page of a page is the page before it
    def back(actor):
        first = search.list_contacts(actor=actor, view="all", limit=3)
        second = search.list_contacts(actor=actor, view="all", limit=3, cursor=first.next)
        again = search.list_contacts(actor=actor, view="all", limit=3, cursor=second.prev)
        return [c.id for c, _ in first.items], [c.id for c, _ in again.items]

    first, again = _as(app, p["owner"], back, commit=False)
    assert first == again
    with pytest.raises(ValidationFailed):
        _ids(app, p["owner"], sort="phone")


def test_api_validation_and_paging(app, client, team):
    _, p = team
    cid = _customer(app, p["owner"], "Acme")
    made = [_contact(app, p["owner"], cid, f"Person {i:02d}") for i in range(5)]
    token = _bearer(app, p["owner"])
    got, url = [], "/api/v1/contacts?limit=2&q=person"
    while url:
        resp = _api(client, token, url)
        assert resp.status_code == 200
        body = resp.get_json()
        assert set(body) == {"items", "next_cursor"}
        got += [i["id"] for i in body["items"]]
        assert all(i["customer"] == {"id": cid, "number": 1, "name": "Acme"} for i in body["items"])
        nxt = body["next_cursor"]
        url = nxt and f"/api/v1/contacts?limit=2&q=person&cursor={nxt}"
    assert got == made
    for bad in (
        "limit=0",
        "limit=201",
        "limit=abc",
        "view=everyone",
        "sort=phone",
        "cursor=forged",
        "q=" + "x" * 201,
        "cursor=" + "x" * 501,
        "colour=red",
    ):
        resp = _api(client, token, f"/api/v1/contacts?{bad}")
        assert resp.status_code == 422, bad
        assert resp.get_json()["error"], bad
    # a cursor of one sort is not one of another
    first = _api(client, token, "/api/v1/contacts?limit=1&sort=-created").get_json()
    resp = _api(client, token, f"/api/v1/contacts?limit=1&cursor={first['next_cursor']}")
    assert resp.status_code == 422
    assert client.get("/api/v1/contacts").status_code == 401
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/contacts"]["get"]
    assert {"200", "401", "403", "422"} <= set(op["responses"])
    assert {prm["name"] for prm in op["parameters"]} >= {"q", "view", "limit", "cursor", "sort"}


# --- the page ---------------------------------------------------------------------------------


def test_page_state_in_the_url_and_links(app, client, team):
    _, p = team
    cid = _customer(app, p["owner"], "Acme")
    made = [
        _contact(
            app, p["owner"], cid, f"Person {i:02d}", phones=[{"number": f"0912 345 67{i:02d}"}]
        )
        for i in range(30)
    ]
    login(client, p["owner"].email)
    html = client.get("/contacts").get_data(as_text=True)
    assert 'href="/contacts"' in html  # the navigation's entry
    assert "30 contacts" in html
    html = client.get("/contacts?q=person&sort=-name&size=25").get_data(as_text=True)
    rows = re.findall(r'id="contact-row-(\d+)"', html)
    assert [int(r) for r in rows] == sorted(made, reverse=True)[:25]
    assert "30 contacts" in html  # counted: the list goes on past this page
    assert f'href="/customers/{cid}/contacts#contact-{made[-1]}"' in html
    assert 'href="tel:+989123456729"' in html
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    state = parse_qs(urlparse(nxt).query)
    assert state["q"] == ["person"] and state["sort"] == ["-name"] and state["size"] == ["25"]
    html2 = client.get(nxt).get_data(as_text=True)
    assert [int(r) for r in re.findall(r'id="contact-row-(\d+)"', html2)] == sorted(
        made, reverse=True
    )[25:]
    # htmx asks for the fragment; an edited cursor falls back to the first page
    frag = client.get("/contacts?q=۰۹۱۲", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="contacts-list">') and "30 contacts" in frag
    assert client.get("/contacts?cursor=forged&size=7&sort=bogus").status_code == 200
    html = client.get("/contacts?q=nobody").get_data(as_text=True)
    assert "No contact matches" in html
    vcard = client.get(f"/contacts/{made[0]}.vcf")
    assert vcard.status_code == 200 and vcard.mimetype == "text/vcard"


def test_empty_company_teaches(app, client, team):
    _, p = team
    login(client, p["owner"].email)
    html = client.get("/contacts").get_data(as_text=True)
    assert "No contacts yet" in html and "/customers" in html
