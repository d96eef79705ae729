"""The Customers grid (issue 7): URL state, columns, page size, sort headers, per-user
preferences, and the attacks on its routes (another tenant, no permission, no CSRF)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from saas.customers import prefs, service
from saas.customers.prefs import ListPreference
from saas.customers.state import ListState, compact
from saas.errors import ValidationFailed
from saas.extensions import db
from tests.conftest import add_member, as_member, csrf, login, make_company


@pytest.fixture
def shop(app):
    company = make_company(app, "Grid Shop", plan="team")
    ann = add_member(app, company, "sales", email="ann@grid.example.com")
    bob = add_member(app, company, "sales", email="bob@grid.example.com")
    for i in range(30):
        as_member(
            app,
            ann if i % 3 else bob,
            lambda a, i=i: service.create_customer(
                actor=a, name=f"Customer {i:02d}", city="Tirana" if i % 2 else "Durrës"
            ),
        )
    return company, ann, bob


# --- URL state --------------------------------------------------------------------------------

STATES = [
    ListState(view="mine"),
    ListState(view="all", q="acme", sort="-number", cols=("number", "name"), size=25),
    ListState(
        view="pool",
        query=compact({"and": [{"field": "city", "op": "in", "value": ["Tirana", "Дуррес"]}]}),
        sort="city",
        cols=("name", "cf.contract", "city"),
        size=200,
        cursor="abc.def",
    ),
    ListState(
        view="shared", q="华信 ۰۹۱۲", query=compact({"or": [{"field": "tags", "op": "empty"}]})
    ),
]


@pytest.mark.parametrize("state", STATES)
def test_state_round_trips_through_its_url_parameters(app, state):
    with app.test_request_context("/"):
        assert ListState.from_args(state.args(cursor=state.cursor), "mine") == state
        url = state.url(cursor=state.cursor)
    with app.test_request_context(url):
        from flask import request

        assert ListState.from_args(request.args, "mine") == state


def test_query_json_is_normalised_to_one_compact_form():
    loose = '{ "and" : [ {"field": "city", "op": "is", "value": "Tirana"} ] }'
    state = ListState.from_args({"view": "all", "query": loose}, "mine")
    assert state.query == '{"and":[{"field":"city","op":"is","value":"Tirana"}]}'
    assert ListState.from_args({"query": '{"and":[]}'}, "mine").query == ""
    # nonsense stays as typed (the page reports it), never an exception
    assert ListState.from_args({"query": "{nope"}, "mine").query == "{nope"
    assert ListState.from_args({"size": "33"}, "mine").size is None
    assert ListState.from_args({"size": "100"}, "mine").size == 100


def _page_state(html: str) -> str:
    match = re.search(r'data-state-url="([^"]+)"', html)
    assert match
    return unescape(match.group(1))


def _rows(html: str) -> int:
    return len(re.findall(r'<tr id="customer-\d+"', html))


def _args(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _heads(html: str) -> list[str]:
    return re.findall(r'<th scope="col" data-column="([^"]+)"', html)


def test_a_state_url_renders_the_same_state(app, client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    state = ListState(view="mine", q="Customer", cols=("name", "city", "number"), size=25)
    with app.test_request_context("/"):
        url = state.url()
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert _page_state(html) == url
    assert _heads(html) == ["name", "city", "number"]
    # a page of 25 of ann's 20 customers: all of them, and the footer counts them
    assert _rows(html) == 20
    assert "20 customers" in html
    # htmx asks for the fragment of the same URL: the same state
    frag = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="customers"')
    assert _page_state(frag) == url


def test_page_size_pages_and_the_pager_keeps_the_state(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    html = client.get("/customers?view=all&size=25&cols=name,number").get_data(as_text=True)
    assert _rows(html) == 25
    assert "30 customers" in html
    nxt = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
    assert nxt
    url = unescape(nxt.group(1))
    assert "size=25" in url and "cols=name,number" in url
    second = client.get(url).get_data(as_text=True)
    assert _rows(second) == 5
    assert _heads(second) == ["name", "number"]


def test_a_page_turn_answers_the_rows_and_the_pager_alone(client, shop):
    """The pager's htmx request (``HX-Target: customer-rows``) gets the next rows and the pager
    (swapped out of band), not the toolbar again; the rows are the ones the whole page shows."""
    company, _, _ = shop
    login(client, company.owner.email)
    first = client.get("/customers?view=all&size=25&cols=name,number,owner&q=Customer")
    html = first.get_data(as_text=True)
    link = re.search(r'<a class="button" rel="next" href="([^"]+)"([^>]*)>', html)
    assert link
    assert 'hx-target="#customer-rows"' in link.group(2)
    assert 'hx-select-oob="#customer-pager"' in link.group(2)
    url = unescape(link.group(1))
    turn = client.get(url, headers={"HX-Request": "true", "HX-Target": "customer-rows"})
    part = turn.get_data(as_text=True)
    assert turn.status_code == 200
    assert "HX-Target" in turn.vary
    assert '<tbody id="customer-rows">' in part and '<div id="customer-pager">' in part
    assert 'rel="prev"' in part and 'rel="next"' not in part  # 5 left: the last page
    for toolbar in ('id="customer-q"', 'id="batch-form"', 'id="columns-form"', "<thead>"):
        assert toolbar not in part
    whole = client.get(url).get_data(as_text=True)  # the same URL as a page (reload, no JS)
    row_ids = re.compile(r'<tr id="customer-(\d+)"')
    assert row_ids.findall(part) == row_ids.findall(whole)
    assert len(row_ids.findall(part)) == 5
    assert "<mark>Customer</mark>" in part  # the search is still highlighted
    # any other htmx request of the list (a tab, a search) gets the whole list
    frag = client.get(url, headers={"HX-Request": "true", "HX-Target": "customers"})
    assert 'id="customer-q"' in frag.get_data(as_text=True)


def test_the_columns_chooser_loads_when_opened_and_works_without_javascript(app, client, shop):
    """The list draws the chooser's summary and a link; htmx reads the chooser of the list's
    state when it is opened; without JavaScript the link shows the list with it open."""
    company, ann, _ = shop
    login(client, company.owner.email)
    html = client.get("/customers?view=all&cols=name,city&size=25").get_data(as_text=True)
    assert 'name="move"' not in html  # not drawn until opened
    link = re.search(r'<div id="columns-form" hx-get="([^"]+)" hx-trigger="toggle once', html)
    assert link
    url = unescape(link.group(1))
    assert "cols=name,city" in url and "size=25" in url
    part = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert part.lstrip().startswith('<form id="columns-form"')
    shown = re.findall(r'name="show" value="([^"]+)" id="col-show-\d+" checked', part)
    assert shown == ["name", "city"]
    assert '<option value="25" selected>' in part
    page = client.get(url).get_data(as_text=True)  # no JavaScript: the list, chooser open
    assert '<details class="popover" id="columns-popover" open>' in page
    assert 'name="move" value="up:city"' in page
    rep = app.test_client()
    login(rep, ann.email)  # a rep: not the "All" view, not even its chooser
    assert rep.get(url, headers={"HX-Request": "true"}).status_code == 403


def test_rows_escape_what_users_typed(app, client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    as_member(
        app,
        ann,
        lambda a: service.create_customer(
            actor=a, name='<img src=x onerror="alert(1)">', city="<b>Tirana</b>"
        ),
    )
    html = client.get("/customers?view=mine&cols=name,city&q=Tirana").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in html and "<b>Tirana" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "&lt;b&gt;<mark>Tirana</mark>&lt;/b&gt;" in html
    assert 'aria-label="Select &lt;img src=x onerror=&#34;alert(1)&#34;&gt;"' in html


def test_unknown_columns_fall_back_and_bad_input_never_fails(client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    html = client.get("/customers?cols=nope,<script>,cf.missing").get_data(as_text=True)
    assert _heads(html) == ["number", "name", "stage", "city", "owner"]
    for bad in ("size=-1", "size=abc", "cursor=%00", "sort=" + "x" * 500, "query=%7B", "view=zzz"):
        assert client.get(f"/customers?{bad}").status_code < 500, bad


# --- preferences ------------------------------------------------------------------------------


def _save(client, cols, size=None):
    data = {"csrf_token": csrf(client, "/customers"), "apply": "1", "view": "mine"}
    data["order"] = cols
    data["show"] = cols
    if size:
        data["size"] = str(size)
    return client.post("/customers/columns", data=data)


def test_columns_are_remembered_per_user(app, client, shop):
    _, ann, bob = shop
    login(client, ann.email)
    resp = _save(client, ["city", "name", "created_at"], size=25)
    assert resp.status_code == 303
    assert "cols=city,name,created_at" in unescape(resp.headers["Location"])
    html = client.get("/customers").get_data(as_text=True)
    assert _heads(html) == ["city", "name", "created_at"]
    assert as_member(app, ann, prefs.get_prefs) == prefs.Prefs(["city", "name", "created_at"], 25)
    # bob's list is untouched
    assert as_member(app, bob, prefs.get_prefs) == prefs.Prefs(None, prefs.DEFAULT_SIZE)
    bob_client = client.application.test_client()
    login(bob_client, bob.email)
    html = bob_client.get("/customers").get_data(as_text=True)
    assert _heads(html) == ["number", "name", "stage", "city", "owner"]


def test_moving_a_column_answers_the_chooser_in_its_new_order(app, client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    data = {
        "csrf_token": csrf(client, "/customers"),
        "view": "mine",
        "order": ["number", "name", "city"],
        "show": ["number", "name", "city"],
        "move": "up:city",
    }
    resp = client.post("/customers/columns", data=data, headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.findall(r'name="order" value="([^"]+)"', html)[:3] == ["number", "city", "name"]
    assert 'id="col-up-city"' in html  # the focused button keeps its id across the swap
    assert as_member(app, ann, prefs.get_prefs).columns is None  # a move saves nothing


def test_preferences_are_validated(app, shop):
    _, ann, _ = shop
    with pytest.raises(ValidationFailed):
        as_member(app, ann, lambda a: prefs.save_prefs(a, page_size=33))
    with pytest.raises(ValidationFailed):
        as_member(app, ann, lambda a: prefs.save_prefs(a, columns=[]))
    with pytest.raises(ValidationFailed):
        as_member(app, ann, lambda a: prefs.save_prefs(a, columns=["x"], allowed={"name"}))
    with pytest.raises(ValidationFailed):
        as_member(app, ann, lambda a: prefs.save_prefs(a, "other", page_size=25))


def test_another_tenants_preferences_cannot_be_read(app, shop):
    _, ann, _ = shop
    other = make_company(app, "Other Grid")
    as_member(app, ann, lambda a: prefs.save_prefs(a, columns=["name"], page_size=100))
    rows = as_member(app, other.owner, lambda a: list(db.session.scalars(select(ListPreference))))
    assert rows == []
    assert as_member(app, other.owner, prefs.get_prefs) == prefs.Prefs(None, prefs.DEFAULT_SIZE)
    as_member(app, other.owner, lambda a: prefs.save_prefs(a, columns=["city"]))
    assert as_member(app, ann, prefs.get_prefs) == prefs.Prefs(["name"], 100)


def test_columns_route_attacks(app, client, shop):
    _, ann, _ = shop
    form = {"apply": "1", "order": ["name"], "show": ["name"]}
    resp = client.post("/customers/columns", data=form)  # not logged in
    assert resp.status_code in (302, 303, 400, 401)
    login(client, ann.email)
    assert client.post("/customers/columns", data=form).status_code == 400  # no CSRF token
    assert as_member(app, ann, prefs.get_prefs).columns is None
    # unknown keys are dropped, never stored; a bad size is a 422 on the chooser
    assert _save(client, ["name", "<x>", "owner_id"]).status_code == 303
    assert as_member(app, ann, prefs.get_prefs).columns == ["name"]
    resp = _save(client, ["name"], size=33)
    assert resp.status_code == 422
    assert "Choose a page size" in resp.get_data(as_text=True)
    # nothing chosen: 422, the saved columns stay
    resp = client.post(
        "/customers/columns",
        data={"csrf_token": csrf(client, "/customers"), "apply": "1", "order": ["name"]},
    )
    assert resp.status_code == 422
    assert as_member(app, ann, prefs.get_prefs).columns == ["name"]


def test_a_rep_cannot_open_the_all_view_by_url(client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    assert client.get("/customers?view=all&cols=name").status_code == 403


def test_sort_header_sorts_and_says_so(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    html = client.get("/customers?view=all&sort=name&cols=name,city").get_data(as_text=True)
    assert re.search(r'data-column="name" aria-sort="ascending"', html)
    names = re.findall(r">(Customer \d\d)</a>", html)
    assert names == sorted(names)
    # the header now offers descending, keeping the rest of the state
    link = re.search(
        r'data-column="name"[^>]*>\s*<span class="th-inner">\s*<a class="sort-link" href="([^"]+)"',
        html,
    )
    assert (
        link
        and "sort=-name" in unescape(link.group(1))
        and "cols=name,city" in unescape(link.group(1))
    )
    html = client.get(unescape(link.group(1))).get_data(as_text=True)
    assert re.search(r'data-column="name" aria-sort="descending"', html)
    names = re.findall(r">(Customer \d\d)</a>", html)
    assert names == sorted(names, reverse=True)
    # a bad sort is reported (422) and the list shows in its default order
    resp = client.get("/customers?view=all&sort=nope")
    assert resp.status_code == 422
    assert "<code>sort</code>" in resp.get_data(as_text=True)


def test_a_bad_query_is_reported_with_its_path(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    bad = (
        '{"and":[{"field":"city","op":"is","value":"Tirana"},{"field":"nope","op":"is","value":1}]}'
    )
    resp = client.get("/customers", query_string={"view": "all", "query": bad})
    assert resp.status_code == 422
    assert "$.and[1].field" in resp.get_data(as_text=True)
    good = '{"and":[{"field":"city","op":"is","value":"tirana"}]}'
    html = client.get("/customers", query_string={"view": "all", "query": good}).get_data(
        as_text=True
    )
    assert _rows(html) == 15 and "15 customers" in html


# --- column filters: distinct values ----------------------------------------------------------


def _api_token(app, member):
    from saas.auth import tokens

    def make(actor):
        return tokens.create_token(actor=actor, name="t")[1]

    return as_member(app, member, make)


def test_distinct_values_count_only_what_the_view_shows(app, client, shop):
    company, ann, _ = shop
    login(client, ann.email)
    # ann's customers: 20, cities alternate; bob's 10 are not counted under "mine"
    html = client.get("/customers/values?field=city&view=mine", headers={"HX-Request": "true"})
    body = html.get_data(as_text=True)
    assert html.status_code == 200
    counts = dict(
        re.findall(r'class="filter-value">([^<]+)</span>\s*<span class="count">(\d+)<', body)
    )
    assert counts == {"Tirana": "10", "Durrës": "10"}
    # the owner under "all" counts everyone's
    owner = client.application.test_client()
    login(owner, company.owner.email)
    body = owner.get(
        "/customers/values?field=city&view=all", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    counts = dict(
        re.findall(r'class="filter-value">([^<]+)</span>\s*<span class="count">(\d+)<', body)
    )
    assert counts == {"Tirana": "15", "Durrës": "15"}
    # a rep asking for the "all" view: refused, nothing counted
    assert client.get("/customers/values?field=city&view=all").status_code == 403
    # owner values under "mine" of ann's: only names of owners ann sees (herself)
    body = client.get(
        "/customers/values?field=owner&view=mine", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Bob" not in body and re.search(r'class="count">20<', body)


def test_applying_a_filter_puts_one_condition_in_the_query(app, client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    resp = client.get(
        "/customers/filter",
        query_string={"view": "mine", "field": "city", "v": ['"Tirana"'], "cols": "name,city"},
    )
    assert resp.status_code == 303
    url = resp.headers["Location"]
    state = ListState.from_args(_args(url), "mine")
    assert state.tree == {"and": [{"field": "city", "op": "in", "value": ["Tirana"]}]}
    html = client.get(url).get_data(as_text=True)
    assert _rows(html) == 10 and "10 customers" in html
    # again for the same column: replaced, not added; with blanks: an "or" with empty
    resp = client.get(
        "/customers/filter",
        query_string={
            "view": "mine",
            "query": state.query,
            "field": "city",
            "v": ['"Durrës"', "null"],
        },
    )
    args = _args(resp.headers["Location"])
    tree = ListState.from_args(args, "mine").tree
    assert tree == {
        "and": [
            {
                "or": [
                    {"field": "city", "op": "in", "value": ["Durrës"]},
                    {"field": "city", "op": "empty"},
                ]
            }
        ]
    }
    # clear: the query is gone
    resp = client.get(
        "/customers/filter",
        query_string={"view": "mine", "query": args["query"], "field": "city", "clear": "1"},
    )
    assert "query=" not in resp.headers["Location"]


def test_values_api_and_its_attacks(app, client, shop):
    _, ann, _ = shop
    other = make_company(app, "Values Other")
    as_member(
        app, other.owner, lambda a: service.create_customer(actor=a, name="Theirs", city="Tirana")
    )
    token = _api_token(app, ann)
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.get("/api/v1/customers/values?field=city&view=mine", headers=auth)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert {i["value"]: i["count"] for i in body["items"]} == {"Tirana": 10, "Durrës": 10}
    assert body["total_distinct"] == 2 and body["capped"] is False and body["counted"] == 20
    # another filter narrows the counts; the field's own filter does not
    query = compact(
        {
            "and": [
                {"field": "city", "op": "in", "value": ["Tirana"]},
                {"field": "name", "op": "contains", "value": "1"},
            ]
        }
    )
    body = client.get(
        "/api/v1/customers/values", query_string={"field": "city", "query": query}, headers=auth
    ).get_json()
    assert sum(i["count"] for i in body["items"]) == len(
        [i for i in range(30) if i % 3 and "1" in f"{i:02d}"]
    )
    # range columns answer min and max
    body = client.get("/api/v1/customers/values?field=number&view=mine", headers=auth).get_json()
    assert body["items"] == [] and body["min"] >= 1 and body["max"] <= 30
    # attacks: other view, unknown field, bad query, no token
    assert (
        client.get("/api/v1/customers/values?field=city&view=all", headers=auth).status_code == 403
    )
    assert client.get("/api/v1/customers/values?field=nope", headers=auth).status_code == 422
    assert client.get("/api/v1/customers/values?field=comments", headers=auth).status_code == 422
    bad = client.get(
        "/api/v1/customers/values",
        query_string={"field": "city", "query": '{"and":[{"field":"x"}]}'},
        headers=auth,
    )
    assert bad.status_code == 422 and "$.and[0]" in bad.get_data(as_text=True)
    assert client.get("/api/v1/customers/values?field=city").status_code == 401
    # the other tenant's owner never sees ann's values, and ann never theirs
    other_token = _api_token(app, other.owner)
    body = client.get(
        "/api/v1/customers/values?field=city&view=all",
        headers={"Authorization": f"Bearer {other_token}"},
    ).get_json()
    assert body["items"] == [{"value": "Tirana", "label": "Tirana", "count": 1}]


# --- the combined-query builder ---------------------------------------------------------------


def _builder_form(**extra):
    form = {
        "view": "all",
        "top": "and",
        "row": ["0", "1.0", "1.1", "2"],
        "group": ["1"],
        "f.0": "city",
        "o.0": "in",
        "v.0": "Tirana",
        "g.1": "or",
        "f.1.0": "name",
        "o.1.0": "contains",
        "v.1.0": "01",
        "f.1.1": "name",
        "o.1.1": "contains",
        "v.1.1": "03",
        "f.2": "number",
        "o.2": "gte",
        "v.2": "1",
    }
    form.update(extra)
    return form


def test_builder_applies_a_three_condition_query_with_an_or_group(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    resp = client.get("/customers/builder", query_string=_builder_form(do="apply"))
    assert resp.status_code == 303
    state = ListState.from_args(_args(resp.headers["Location"]), "mine")
    assert state.view == "all"
    assert state.tree == {
        "and": [
            {"field": "city", "op": "in", "value": ["Tirana"]},
            {
                "or": [
                    {"field": "name", "op": "contains", "value": "01"},
                    {"field": "name", "op": "contains", "value": "03"},
                ]
            },
            {"field": "number", "op": "gte", "value": 1},
        ]
    }
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert sorted(re.findall(r">(Customer \d\d)</a>", html)) == ["Customer 01", "Customer 03"]
    assert "2 customers" in html
    # the page's builder is rendered back from the state: same rows
    assert 'name="f.1.1"' in html and 'value="03"' in html


def test_builder_round_trips_add_remove_and_fits_operators(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    hx = {"HX-Request": "true"}
    html = client.get(
        "/customers/builder", query_string=_builder_form(do="add_in:1"), headers=hx
    ).get_data(as_text=True)
    assert html.lstrip().startswith('<form id="query-builder"')
    assert 'name="row" value="1.2"' in html
    html = client.get(
        "/customers/builder", query_string=_builder_form(do="remove:0"), headers=hx
    ).get_data(as_text=True)
    assert 'name="f.0"' not in html or 'value="city" selected' not in html
    # a field changed to a date: its operator becomes one a date has
    html = client.get(
        "/customers/builder", query_string=_builder_form(**{"f.2": "created_at"}), headers=hx
    ).get_data(as_text=True)
    assert re.search(r'name="o.2"[^>]*>\s*<option value="on" selected', html)


def test_builder_shows_an_invalid_value_on_its_row(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    resp = client.get(
        "/customers/builder",
        query_string=_builder_form(do="apply", **{"v.1.1": "x" * 300}),
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    row = re.search(r'<div class="qrow has-error"[^>]*id="qrow-([^"]+)"', html)
    assert row and row.group(1) == "1-1"
    assert "At most 200 characters" in html
    # a rep cannot use the builder to reach a view they lack
    rep = client.application.test_client()
    login(rep, shop[1].email)
    assert rep.get("/customers/builder", query_string=_builder_form(do="apply")).status_code == 303
    assert rep.get("/customers/builder?view=all&do=apply&row=0&f.0=city&o.0=empty").status_code in (
        303,
        403,
    )


def test_capped_counts_say_so(app, client, shop, monkeypatch):
    from saas.customers import values

    monkeypatch.setattr(values, "COUNT_CAP", 7)
    _, ann, _ = shop
    login(client, ann.email)
    html = client.get(
        "/customers/values?field=city&view=mine", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "≥ " in html and "Counted over the first 7 customers" in html
    counts = [int(n) for n in re.findall(r'class="count">≥ (\d+)<', html)]
    assert counts and sum(counts) <= 8
    token = _api_token(app, ann)
    body = client.get(
        "/api/v1/customers/values?field=city", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert body["capped"] is True and body["counted"] == 7


def test_values_of_tags_and_custom_fields_count_blanks_and_each_option(app, client, shop):
    from saas.customers import fields, lists

    company, _, _ = shop

    def setup(actor):
        fields.create_field(
            actor=actor, label="Channels", type="multi_choice", choices=["Shop", "Web"]
        )
        tag = lists.add_entry(actor=actor, kind="tag", name="Grid test tag")
        ids = [c.id for c in service.list_customers(actor=actor, view="all", limit=5).items]
        for n, cid in enumerate(ids):
            service.update_customer(
                actor,
                cid,
                tags=[tag.id] if n < 2 else [],
                custom_fields={"channels": ["Shop", "Web"] if n < 3 else ["Web"]},
            )
        return tag.id

    tag_id = as_member(app, company.owner, setup)
    token = _api_token(app, company.owner)
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/customers/values?field=tags&view=all", headers=auth).get_json()
    assert {i["value"]: i["count"] for i in body["items"]} == {tag_id: 2, None: 28}
    body = client.get(
        "/api/v1/customers/values?field=cf.channels&view=all", headers=auth
    ).get_json()
    assert {i["value"]: i["count"] for i in body["items"]} == {"Web": 5, "Shop": 3, None: 25}
    # picking VIP and (empty) of the tags: an "or" of has_any and empty; 2 + 28 customers
    login(client, company.owner.email)
    resp = client.get(
        "/customers/filter",
        query_string={"view": "all", "field": "tags", "v": [str(tag_id)]},
    )
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2 customers" in html


@pytest.mark.parametrize(
    "url",
    [
        "/customers/values?field=city&view=mine",
        "/customers/filter?field=city&view=mine&v=%22x%22",
        "/customers/builder?view=mine&do=apply&row=0&f.0=city&o.0=empty",
        "/customers?view=mine&cols=name",
    ],
)
def test_new_routes_need_a_login(client, shop, url):
    resp = client.get(url)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]


def test_a_rep_gets_nothing_of_a_view_they_lack_from_any_new_route(client, shop):
    _, ann, _ = shop
    login(client, ann.email)
    assert client.get("/customers/values?field=owner&view=all").status_code == 403
    assert (
        client.get(
            "/customers/values?field=owner&view=all", headers={"HX-Request": "true"}
        ).status_code
        == 403
    )
    # a filter or a builder apply only writes a URL; opening it is the list's 403
    resp = client.get("/customers/filter?field=city&view=all&v=%22Tirana%22")
    assert resp.status_code == 303 and client.get(resp.headers["Location"]).status_code == 403
    assert client.get("/customers/filter?field=nope&view=mine").status_code == 422


def test_the_builder_loads_when_opened_and_works_without_javascript(client, shop):
    company, _, _ = shop
    login(client, company.owner.email)
    page = client.get("/customers?view=all").get_data(as_text=True)
    assert 'name="f.0"' not in page  # no query: the catalog is not read for the list
    assert 'hx-trigger="toggle once from:#query-panel"' in page
    page = client.get("/customers/builder?view=all").get_data(as_text=True)
    assert '<form id="query-builder"' in page and 'name="f.0"' in page
    assert '<details class="query-panel" id="query-panel" open>' in page


def test_grid_rows_draw_every_column_as_the_customers_themselves_would(app, shop):
    """The grid reads plain rows (``grid.GridRow``, no ORM objects) and loads only what the
    visible cells show; drawn with every column, they give the HTML the customers give."""
    from saas.auth.models import User
    from saas.customers import columns as cols
    from saas.customers import fields, grid, lists, rows
    from saas.customers.models import Customer
    from tests.conftest import as_member

    company, _ann, bob = shop

    def build(owner):
        vip = lists.add_entry(actor=owner, kind="tag", name="Key <account>")
        lists.add_entry(actor=owner, kind="tag", name="Later")
        big = lists.add_entry(actor=owner, kind="level", name="Giant", colour="red")
        retail = lists.add_entry(actor=owner, kind="industry", name="Shipping")
        fair = lists.add_entry(actor=owner, kind="source", name="Fairground")
        fields.create_field(actor=owner, label="Budget", type="money")
        fields.create_field(actor=owner, label="Regions", type="multi_choice", choices="N\nS")
        fields.create_field(actor=owner, label="Signed", type="date")
        service.create_customer(
            actor=owner, name="Tagged & co", country="AL", city="Vlorë", owner_id=bob.id,
            level=big.id, industry=retail.id, source=fair.id, tags=[vip.id, "Later"],
            custom_fields={"budget": "12.5", "regions": ["S", "N"], "signed": "2026-01-31"},
            website="https://tagged.example", contact_frequency_days=14,
        )  # fmt: skip
        service.create_customer(actor=owner, name="Pooled", owner_id=None, stage="active")

    as_member(app, company.owner, build)

    def check(actor):
        every = tuple(cols.columns_for(actor))
        assert {"tags", "level", "industry", "source", "cf.budget", "cf.regions"} <= set(every)
        table = grid.build(actor, ListState(view="all", cols=every, size=100))
        plain = table.page.items
        assert all(isinstance(r, grid.GridRow) for r in plain) and len(plain) == 32
        drawn = str(rows.render(plain, table.columns, actor=actor, q="agged"))
        customers = [db.session.get(Customer, r.id) for r in plain]
        lists.prefetch(customers)
        fields.prefetch(customers)
        for c in customers:
            c.__dict__["_created_by"] = db.session.get(User, c.created_by_id)
        assert drawn == str(rows.render(customers, table.columns, actor=actor, q="agged"))
        for shown in ("Key &lt;account&gt;", "Later", ">Giant<", "Shipping", "Fairground", "N, S",
                      ">Sales Person<", "in the pool", "T<mark>agged</mark> &amp; co"):  # fmt: skip
            assert shown in drawn, shown
        return drawn

    as_member(app, company.owner, check, commit=False)
