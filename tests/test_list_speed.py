"""What keeps a Customers list request cheap (docs/PERFORMANCE.md): an htmx swap defers the
tabs' capped counts to one request of their own, a page costs the same few statements whatever
its size, every list is ordered by No. through an index, and the long selects of the batch bar
are drawn by ``forms.LongSelect`` with exactly WTForms' HTML."""

# ruff: noqa: F811 - `team` is a fixture

from __future__ import annotations

import html
import random
import re
from contextlib import contextmanager

from sqlalchemy import event, select, update
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from saas.customers import service
from saas.customers.models import Customer
from saas.extensions import db
from saas.forms import LongSelect
from saas.tenancy.context import tenant_context
from tests.conftest import as_member, login, make_company
from tests.test_customer_batch import _bulk
from tests.test_customers import _as, _create, team  # noqa: F401

HX = {"HX-Request": "true"}
#: Statements of a list fragment besides the RLS settings: the session with its user, the
#: preferences, the page and its owners, colleagues, return reasons, segments, custom fields,
#: and the query bar's field catalog with every choice list (7 of them: the largest part left).
BUDGET = 17
_INLINE = re.compile(r'view=(\w+)[^>]*>[^<]*<span class="count">([^<]+)</span>')
_EMPTY = re.compile(r'<span class="count" id="tab-count-(\w+)"></span>')
_OOB = re.compile(r'<span class="count" id="tab-count-(\w+)" hx-swap-oob="true">([^<]*)</span>')
_FOOTER = re.compile(r'<p class="row-count" id="row-count"( hx-swap-oob="true")?>([^<]*)</p>')


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_an_htmx_swap_defers_the_counts_to_one_request(app, team, monkeypatch):
    company, people = team
    ann = people["ann"]
    _bulk(app, ann, 7)
    for k in range(3):  # through the service: the quick search finds them
        _create(app, ann, f"Zebra {k}")
    other = make_company(app, "Other Co")
    _bulk(app, other.owner, 4)  # another company's pool: never counted
    monkeypatch.setattr(service, "COUNT_CAP", 5)
    client = app.test_client()
    login(client, ann.email)

    # a whole page has its counts inline (no JavaScript needed)
    page = client.get("/customers?view=pool").get_data(as_text=True)
    assert dict(_INLINE.findall(page)) == {"pool": "5+", "mine": "3", "shared": "0"}
    assert _FOOTER.findall(page) == [("", "7 customers")]
    assert "/customers/counts" not in page

    # an htmx swap shows the rows without counting, and asks for the counts once
    with statements(app) as sql:
        resp = client.get("/customers?view=mine&q=zebra", headers=HX)
    fragment = resp.get_data(as_text=True)
    assert resp.status_code == 200 and fragment.count('<tr id="customer-') == 3
    assert not any("count(" in s.lower() for s in sql), sql
    assert not _INLINE.findall(fragment) and _EMPTY.findall(fragment) == ["pool", "mine", "shared"]
    assert _FOOTER.findall(fragment) == [("", "")]
    loader = re.findall(
        r'<span hidden hx-get="([^"]+)" hx-trigger="load" hx-swap="none">', fragment
    )
    assert loader == ["/customers/counts?view=mine&amp;q=zebra"]

    # the counts answer swaps into the tabs and the footer, out of band, for the same state
    resp = client.get(html.unescape(loader[0]), headers=HX)
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    assert dict(_OOB.findall(answer)) == {"pool": "0", "mine": "3", "shared": "0"}
    assert _FOOTER.findall(answer) == [(' hx-swap-oob="true"', "3 customers")]
    answer = client.get("/customers/counts?view=pool", headers=HX).get_data(as_text=True)
    assert dict(_OOB.findall(answer)) == {"pool": "5+", "mine": "3", "shared": "0"}
    assert _FOOTER.findall(answer) == [(' hx-swap-oob="true"', "7 customers")]
    # under a combined query the tabs have no counts; the footer has the query's
    query = '{"field":"name","op":"starts_with","value":"Zebra"}'
    fragment = client.get(
        "/customers", query_string={"view": "mine", "query": query}, headers=HX
    ).get_data(as_text=True)
    assert not _EMPTY.findall(fragment) and fragment.count('<tr id="customer-') == 3
    answer = client.get(
        "/customers/counts", query_string={"view": "mine", "query": query}, headers=HX
    ).get_data(as_text=True)
    assert not _OOB.findall(answer)
    assert _FOOTER.findall(answer) == [(' hx-swap-oob="true"', "3 customers")]
    # only the tabs the user may open; a view not theirs is refused, not counted
    assert client.get("/customers/counts?view=all", headers=HX).status_code == 403
    owner = app.test_client()
    login(owner, company.owner.email)
    answer = owner.get("/customers/counts?view=all&q=zebra", headers=HX).get_data(as_text=True)
    counts = dict(_OOB.findall(answer))
    assert counts["all"] == "3" and counts["pool"] == "0" and counts["mine"] == "0"
    assert _FOOTER.findall(answer) == [(' hx-swap-oob="true"', "3 customers")]
    # and nobody's without logging in
    resp = app.test_client().get("/customers/counts", headers=HX)
    assert resp.status_code == 401 and not _OOB.findall(resp.get_data(as_text=True))


def test_a_list_page_costs_the_same_few_statements_whatever_its_size(app, team):
    company, people = team
    client = app.test_client()
    login(client, company.owner.email)
    _bulk(app, people["ann"], 3, owner_id=people["ann"].id)
    client.get("/customers?view=all", headers=HX)
    with statements(app) as small:
        assert client.get("/customers?view=all", headers=HX).status_code == 200
    _bulk(app, people["bob"], 40, owner_id=people["bob"].id, prefix="More")
    _bulk(app, people["ann"], 10, prefix="Pool")
    with statements(app) as large:
        page = client.get("/customers?view=all", headers=HX).get_data(as_text=True)
    assert page.count('<tr id="customer-') == 50
    # nothing per row, no count (plus the transaction's settings on PostgreSQL)
    assert len(large) == len(small), large
    assert not any("count(" in s.lower() for s in large), large
    assert len([s for s in large if "set_config" not in s]) <= BUDGET, "\n".join(
        s[:150] for s in large
    )


def test_every_list_is_ordered_by_number_and_pages_by_it(app, team):
    _, people = team
    ann = people["ann"]
    ids = _bulk(app, ann, 5, owner_id=ann.id) + _bulk(app, ann, 4, prefix="Pool")
    # numbers in another order than ids (e.g. imported with their old numbers)
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        base = 1000
        for k, cid in enumerate(ids):
            number = base + (k * 7) % len(ids)
            db.session.execute(update(Customer).where(Customer.id == cid).values(number=number))
        db.session.commit()

    def pages(view):
        seen, cursor = [], None
        for _ in range(10):
            page = _as(
                app,
                ann,
                lambda a, cursor=cursor: (
                    (p := service.list_customers(actor=a, view=view, cursor=cursor, limit=2)),
                    [c.number for c in p.items],
                ),
            )
            page, numbers_seen = page
            seen += numbers_seen
            cursor = page.next
            if not cursor:
                return seen
        raise AssertionError("no end")

    def numbers(where):
        with app.test_request_context("/"), tenant_context(ann.tenant_id):
            return sorted(db.session.scalars(select(Customer.number).where(where)), reverse=True)

    assert pages("mine") == numbers(Customer.owner_id == ann.id)
    assert pages("pool") == numbers(Customer.owner_id.is_(None))


def test_long_select_draws_exactly_what_wtforms_draws():
    rng = random.Random(7)
    alphabet = "ab\"'<>&é华 \u06f1"
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        label = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        kw = {"disabled": True} if rng.random() < 0.1 else {}
        choice = SelectChoice(value, label or None, render_kw=kw)
        choice.selected = rng.random() < 0.5
        assert LongSelect.render_option(choice) == Select.render_option(choice)
    choice = SelectChoice(5, "five")
    choice.selected = True
    assert LongSelect.render_option(choice) == Select.render_option(choice)


def test_select_all_matching_gets_its_count_with_the_deferred_counts(app, team):
    company, people = team
    _bulk(app, people["bob"], 53, owner_id=people["bob"].id)
    client = app.test_client()
    login(client, company.owner.email)
    whole = client.get("/customers?view=all").get_data(as_text=True)
    assert "Select all 53 customers matching" in whole
    fragment = client.get("/customers?view=all", headers=HX).get_data(as_text=True)
    assert 'id="batch-matching"' in fragment and "Select all 53" not in fragment
    loader = re.findall(r'<span hidden hx-get="([^"]+)" hx-trigger="load"', fragment)
    assert loader == ["/customers/counts?view=all&amp;matching=1"]
    answer = client.get(html.unescape(loader[0]), headers=HX).get_data(as_text=True)
    assert 'id="batch-matching" data-batch-matching hidden hx-swap-oob="true"' in answer
    assert "Select all 53 customers matching" in answer
    # a list that fits one page offers no "all matching", now or later
    small = client.get("/customers?view=mine", headers=HX).get_data(as_text=True)
    assert "batch-matching" not in small and "matching=1" not in small


def test_a_combined_query_fragment_reads_the_fields_it_names_not_the_whole_catalog(app, team):
    company, people = team
    from saas.customers import fields

    _bulk(app, people["ann"], 3, prefix="Zebra")
    as_member(
        app, company.owner, lambda a: fields.create_field(actor=a, label="Contract", type="text")
    )
    client = app.test_client()
    login(client, company.owner.email)
    query = (
        '{"and":[{"field":"kind","op":"is","value":"company"},{"or":['
        '{"field":"name","op":"starts_with","value":"Zebra"},'
        '{"field":"cf.contract","op":"is","value":"K-1"}]}]}'
    )
    args = {"view": "all", "query": query}
    client.get("/customers", query_string=args, headers=HX)
    with statements(app) as sql:
        resp = client.get("/customers", query_string=args, headers=HX)
    fragment = resp.get_data(as_text=True)
    assert resp.status_code == 200 and fragment.count('<tr id="customer-') == 3
    # the custom fields are read once (parser, SQL, columns and words all ask for them), and
    # no choice list is read: none of the named fields has one
    assert sum("FROM custom_fields" in s for s in sql) == 1, sql
    assert not any("FROM customer_list_entries" in s for s in sql), sql
    # the query in words is shown; the builder (the whole catalog) loads when opened
    assert "Kind is Company" in fragment and "Contract is K-1" in fragment
    assert 'name="f.0"' not in fragment
    loader = re.search(
        r'<div id="query-builder" hx-get="([^"]+)" hx-trigger="toggle once from:#query-panel"',
        fragment,
    )
    assert loader is not None
    builder = client.get(html.unescape(loader.group(1)), headers=HX).get_data(as_text=True)
    assert 'name="f.0"' in builder and 'value="K-1"' in builder


def test_the_custom_fields_read_once_are_forgotten_when_one_is_written(app, team):
    company, _people = team
    from saas.customers import fields

    def check(actor):
        with statements(app) as sql:
            assert fields.fields() == [] and fields.fields() == []
        assert sum("FROM custom_fields" in s for s in sql) == 1
        made = fields.create_field(actor=actor, label="Region", type="text")
        assert [f.key for f in fields.fields()] == [made.key]  # the flush forgot them
        fields.archive_field(actor=actor, field_id=made.id)
        assert fields.fields() == []
        assert [f.key for f in fields.fields(archived=True)] == [made.key]
        db.session.rollback()  # the rollback forgets them too: nothing was committed
        assert fields.fields(archived=True) == []

    as_member(app, company.owner, check, commit=False)
