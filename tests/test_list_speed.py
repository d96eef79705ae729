"""What keeps a Customers list request cheap (docs/PERFORMANCE.md): an htmx swap defers the
tabs' capped counts to one request of their own, a page costs the same few statements whatever
its size, every list is ordered by No. through an index, and the long selects of the batch bar
are drawn by ``forms.LongSelect`` with exactly WTForms' HTML."""

# ruff: noqa: F811 - `team` is a fixture

from __future__ import annotations

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
from tests.conftest import login, make_company
from tests.test_customer_batch import _bulk
from tests.test_customers import _as, team  # noqa: F401

HX = {"HX-Request": "true"}
_COUNT = re.compile(r'<span class="count" id="tab-count-(\w+)"([^>]*)>([^<]*)</span>')


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


def _counts(html: str) -> dict[str, str]:
    return {view: text for view, _attrs, text in _COUNT.findall(html)}


def test_an_htmx_swap_defers_the_tab_counts_to_one_request(app, team, monkeypatch):
    company, people = team
    ann = people["ann"]
    _bulk(app, ann, 7)
    _bulk(app, ann, 3, owner_id=ann.id, prefix="Mine")
    other = make_company(app, "Other Co")
    _bulk(app, other.owner, 4)  # another company's pool: never counted
    monkeypatch.setattr(service, "COUNT_CAP", 5)
    client = app.test_client()
    login(client, ann.email)

    # a whole page has its counts inline (no JavaScript needed)
    page = client.get("/customers?view=pool").get_data(as_text=True)
    assert _counts(page) == {"pool": "5+", "mine": "3", "shared": "0"}
    assert "/customers/counts" not in page

    # an htmx swap shows the rows without counting, and asks for the counts once
    with statements(app) as sql:
        resp = client.get("/customers?view=pool&q=bulk", headers=HX)
    fragment = resp.get_data(as_text=True)
    assert resp.status_code == 200 and fragment.count('<tr id="customer-') == 7
    assert not any("count(" in s.lower() for s in sql), sql
    assert _counts(fragment) == {"pool": "", "mine": "", "shared": ""}
    loader = re.findall(
        r'<span hidden hx-get="([^"]+)" hx-trigger="load" hx-swap="none">',
        fragment,
    )
    assert loader == ["/customers/counts?q=bulk"]

    # the counts answer swaps into those tabs, out of band, narrowed by the same search
    resp = client.get(loader[0], headers=HX)
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Vary" in resp.headers
    assert _counts(answer) == {"pool": "5+", "mine": "0", "shared": "0"}
    assert all('hx-swap-oob="true"' in attrs for _v, attrs, _t in _COUNT.findall(answer))
    assert _counts(client.get("/customers/counts", headers=HX).get_data(as_text=True)) == {
        "pool": "5+",
        "mine": "3",
        "shared": "0",
    }
    # only the tabs the user may open: the owner also gets "all" and "subordinates"
    owner = app.test_client()
    login(owner, company.owner.email)
    counts = _counts(owner.get("/customers/counts?q=mine", headers=HX).get_data(as_text=True))
    assert counts == {"pool": "0", "mine": "0", "shared": "0", "subordinates": "0", "all": "3"}
    # and nobody's without logging in
    resp = app.test_client().get("/customers/counts", headers=HX)
    assert resp.status_code == 401 and not _counts(resp.get_data(as_text=True))


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
    # the session and its user, the page, its owners, the colleagues, the return reasons
    # (plus the transaction's settings on PostgreSQL): nothing per row, no count
    assert len(large) == len(small), large
    assert len([s for s in large if "set_config" not in s]) <= 5, large


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
