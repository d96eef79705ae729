"""Segments on the Customers page: "Save as segment", opening one (its state loaded into the
URL), the Segments page (rename, share, delete, as attacks too), and "Select all N matching"
posting the list state to the batch form instead of ids.
"""

# ruff: noqa: F811 - `team` is a fixture

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from saas.customers import batch, segments
from saas.customers.models import Customer
from saas.customers.segment_models import CustomerSegment
from saas.extensions import db
from saas.progress.models import JobRecord
from saas.tenancy.context import tenant_context
from tests.conftest import csrf, login, run_jobs
from tests.test_batch_query import TIRANA, _insert
from tests.test_customers import _as, _create, team  # noqa: F401


def _query(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _segment_ids(app, member):
    return _as(app, member, lambda a: [s.id for s in segments.list_segments(a)])


def test_save_as_segment_then_open_it_loads_its_state_into_the_url(app, client, team):
    _, people = team
    ann = people["ann"]
    _create(app, ann, "Acme Tirana", city="Tirana")
    _create(app, ann, "Acme Durres", city="Durres")
    login(client, ann.email)
    page = client.get("/customers").get_data(as_text=True)
    assert "Save as segment" in page and 'id="segments-popover"' in page
    token = csrf(client, "/customers")
    state = {
        "view": "mine",
        "q": "acme",
        "query": json.dumps({"and": [TIRANA]}),
        "sort": "-name",
        "cols": "number,name,city",
    }
    saved = client.post(
        "/customers/segments",
        data={"csrf_token": token, "name": "Tirana Acme", "shared": "1", **state},
    )
    assert saved.status_code == 303
    (sid,) = _segment_ids(app, ann)
    shown = _query(saved.headers["Location"])
    assert shown["segment"] == str(sid) and shown["q"] == "acme" and shown["sort"] == "-name"
    assert json.loads(shown["query"]) == {"and": [TIRANA]}
    assert shown["cols"] == "number,name,city"
    # opening it later: /customers?segment=<id> → the URL of its state
    opened = client.get(f"/customers?segment={sid}")
    assert opened.status_code == 303
    assert _query(opened.headers["Location"]) == shown
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Acme Tirana" in page and "Acme Durres" not in page
    assert "Segment: Tirana Acme" in page  # the menu names the open segment
    assert "Save the list as shown into “Tirana Acme”" in page
    # a bad name is said, and nothing is saved
    refused = client.post("/customers/segments", data={"csrf_token": token, "name": "  ", **state})
    assert refused.status_code == 303
    assert "error" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert _segment_ids(app, ann) == [sid]
    # an invalid tree is a refusal too, not a 500
    bad = client.post(
        "/customers/segments",
        data={"csrf_token": token, "name": "Bad", "view": "mine", "query": '{"and": [1]}'},
    )
    assert bad.status_code == 303 and _segment_ids(app, ann) == [sid]


def test_save_the_list_as_shown_into_the_open_segment(app, client, team):
    _, people = team
    ann = people["ann"]
    sid = _as(app, ann, lambda a: segments.create_segment(actor=a, name="Mine", q="old").id)
    login(client, ann.email)
    token = csrf(client, "/customers")
    resp = client.post(
        f"/customers/segments/{sid}/state",
        data={"csrf_token": token, "view": "mine", "q": "new", "sort": "name"},
    )
    assert resp.status_code == 303
    assert _as(app, ann, lambda a: segments.get_segment(a, sid).q) == "new"


def test_the_segments_page_renames_shares_and_deletes_only_for_those_allowed(app, client, team):
    _company, people = team
    ann, bob = people["ann"], people["bob"]
    shared = _as(app, ann, lambda a: segments.create_segment(actor=a, name="Team", shared=True).id)
    private = _as(app, ann, lambda a: segments.create_segment(actor=a, name="Secret").id)
    login(client, bob.email)
    page = client.get("/customers/segments").get_data(as_text=True)
    assert "Team" in page and "Secret" not in page
    assert f"/customers/segments/{shared}/delete" not in page  # not his to delete
    token = csrf(client, "/customers")
    data = {"csrf_token": token, "name": "Bob's now", "shared": "1"}
    assert client.post(f"/customers/segments/{shared}", data=data).status_code == 403
    assert client.post(f"/customers/segments/{shared}/delete", data=data).status_code == 403
    assert client.post(f"/customers/segments/{private}", data=data).status_code == 404
    assert client.post(f"/customers/segments/{private}/delete", data=data).status_code == 404
    assert client.get(f"/customers?segment={private}").status_code == 404
    assert client.get("/customers?segment=abc").status_code == 404
    assert client.get(f"/customers?segment={2**70}").status_code == 404
    assert client.post(f"/customers/segments/{2**70}", data=data).status_code == 404
    # the creator renames and unshares it, then deletes it
    client = app.test_client()
    login(client, ann.email)
    token = csrf(client, "/customers/segments")
    page = client.get("/customers/segments").get_data(as_text=True)
    assert f"/customers/segments/{shared}/delete" in page
    renamed = client.post(
        f"/customers/segments/{shared}", data={"csrf_token": token, "name": "Team list"}
    )
    assert renamed.status_code == 303
    assert _as(app, ann, lambda a: segments.get_segment(a, shared).name) == "Team list"
    assert _as(app, ann, lambda a: segments.get_segment(a, shared).shared) is False
    dup = client.post(
        f"/customers/segments/{shared}",
        data={"csrf_token": token, "name": "secret", "shared": "1"},
    )
    assert dup.status_code == 303  # refused with a message: the name is taken
    assert "exists already" in client.get("/customers/segments").get_data(as_text=True)
    assert (
        client.post(f"/customers/segments/{shared}/delete", data={"csrf_token": token}).status_code
        == 303
    )
    assert _segment_ids(app, ann) == [private]


def test_a_shared_segment_of_a_list_the_user_may_not_open_falls_back_to_theirs(app, client, team):
    company, people = team
    sid = _as(
        app,
        company.owner,
        lambda a: segments.create_segment(actor=a, name="Everything", shared=True, view="all").id,
    )
    login(client, people["bob"].email)
    opened = client.get(f"/customers?segment={sid}")
    assert opened.status_code == 303
    assert _query(opened.headers["Location"])["view"] == "mine"
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "reads a list you may not open" in page


def test_select_all_matching_posts_the_list_state_instead_of_ids(app, client, team):
    _company, people = team
    ann = people["ann"]
    tirana = _insert(app, ann, 27, city="Tirana")
    durres = _insert(app, ann, 4, city="Durres")
    login(client, ann.email)
    url = "/customers?view=pool&size=25&query=" + json.dumps({"and": [TIRANA]})
    page = client.get(url).get_data(as_text=True)
    # 27 match, 25 on the page: the offer names them all
    assert re.search(r'name="scope" value="matching"', page)
    assert "Select all 27 customers matching" in page
    token = csrf(client, url)
    resp = client.post(
        "/customers/batch",
        data={
            "csrf_token": token,
            "action": "claim",
            "scope": "matching",
            "view": "pool",
            "q": "",
            "query": json.dumps({"and": [TIRANA]}),
            "ids": [str(tirana[0])],  # ticked rows are ignored once "all matching" is on
            "access": "read",
            "to": "pool",
        },
    )
    assert resp.status_code == 303
    assert json.loads(_query(resp.headers["Location"])["query"]) == {"and": [TIRANA]}
    assert "Claim: done for 27 of 27." in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        owners = dict(db.session.execute(select(Customer.id, Customer.owner_id)).all())
    assert all(owners[i] == ann.id for i in tirana)
    assert all(owners[i] is None for i in durres)


def test_select_all_matching_of_a_large_list_is_a_job_with_a_progress_page(
    app, client, team, monkeypatch
):
    _, people = team
    ann = people["ann"]
    monkeypatch.setattr(batch, "SYNC_LIMIT", 5)
    monkeypatch.setattr(batch, "CHUNK", 4)
    _insert(app, ann, 11, city="Tirana")
    login(client, ann.email)
    token = csrf(client, "/customers?view=pool")
    resp = client.post(
        "/customers/batch",
        data={
            "csrf_token": token,
            "action": "claim",
            "scope": "matching",
            "view": "pool",
            "query": "",
            "access": "read",
            "to": "pool",
        },
    )
    assert resp.status_code == 303
    job_path = urlsplit(resp.headers["Location"]).path
    assert job_path.startswith("/jobs/")
    run_jobs(app)
    progress_page = client.get(job_path).get_data(as_text=True)
    assert "Claim: done for 11 of 11." in progress_page
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        record = db.session.scalar(select(JobRecord))
        assert (record.status, record.done, record.total) == ("succeeded", 11, 11)
        assert db.session.scalar(select(CustomerSegment.id)) is None


def test_an_htmx_list_reads_the_segments_menu_only_when_it_is_opened(app, client, team):
    from tests.test_list_speed import statements

    _, people = team
    ann, bob = people["ann"], people["bob"]
    _create(app, ann, "Acme Tirana", city="Tirana")
    login(client, ann.email)
    token = csrf(client, "/customers")
    client.post("/customers/segments", data={"csrf_token": token, "name": "Mine", "view": "mine"})
    (sid,) = _segment_ids(app, ann)
    hx = {"HX-Request": "true", "HX-Target": "customers"}
    with statements(app) as sql:
        fragment = client.get(f"/customers?view=mine&q=acme&segment={sid}", headers=hx)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "Acme Tirana" in html
    # the summary names the open segment; the menu and its forms are not drawn or read
    assert "Segment: Mine" in html and "Save as segment" not in html
    assert sum("FROM customer_segments" in s for s in sql) == 1, sql  # the open one alone
    loader = re.search(
        r'<div id="segments-menu" hx-get="([^"]+)" hx-trigger="toggle once from:#segments-popover"'
        r' hx-swap="outerHTML settle:0ms">',
        html,
    )
    assert loader is not None
    url = unescape(loader.group(1))
    assert _query(url) == {"view": "mine", "q": "acme", "segment": str(sid)}
    menu = client.get(url, headers=hx)
    body = menu.get_data(as_text=True)
    assert menu.status_code == 200 and body.lstrip().startswith('<div id="segments-menu">')
    assert f'href="/customers?segment={sid}" aria-current="true">Mine</a>' in body
    assert "Save as segment" in body and 'name="q" value="acme"' in body
    assert "Save the list as shown into “Mine”" in body
    # without JavaScript: the list, with the popover open
    page = client.get(url).get_data(as_text=True)
    assert '<details class="popover" id="segments-popover" open>' in page
    assert "Save as segment" in page and "Acme Tirana" in page
    # another user's private segment is neither listed nor opened through the menu
    other = app.test_client()
    login(other, bob.email)
    body = other.get(url, headers=hx).get_data(as_text=True)
    assert "Mine</a>" not in body and "Save the list as shown" not in body
    assert other.get("/customers/segments-menu?view=all", headers=hx).status_code == 403
    assert app.test_client().get("/customers/segments-menu", headers=hx).status_code == 401
