"""The Customers page's tabs, counts and quick search; batch actions on a selection (in the
request and as a tracked RQ job run by a real SimpleWorker), on the service, the page and the API.
"""

# ruff: noqa: RUF001, F811 - Persian digits are part of these tests; `team` is a fixture

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select, update

from saas.customers import batch, search, service
from saas.customers.models import Customer
from saas.errors import PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.progress.models import JobRecord
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import csrf, login, make_company, run_jobs
from tests.test_customers import _api, _as, _bearer, _create, team  # noqa: F401


def _bulk(app, member, n, *, owner_id=None, prefix="Bulk"):
    """``n`` customers of ``member``'s company in one INSERT (numbers from a high range)."""
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        start = (db.session.scalar(select(func.max(Customer.number))) or 0) + 1
        rows = [
            {
                "tenant_id": member.tenant_id,
                "number": start + i,
                "name": f"{prefix} {i}",
                "name_key": f"{prefix.lower()}{i}",
                "kind": "company",
                "stage": "potential",
                "owner_id": owner_id,
                "locked": False,
            }
            for i in range(n)
        ]
        db.session.execute(insert(Customer), rows)
        db.session.execute(
            update(Tenant).where(Tenant.id == member.tenant_id).values(customer_seq=start + n - 1)
        )
        new_ids = db.session.scalars(select(Customer.id).where(Customer.number >= start)).all()
        # a core INSERT skips the ORM's upkeep of the quick search's documents: write them
        search.refresh(db.session.connection(), member.tenant_id, new_ids)
        db.session.commit()
        return list(
            db.session.scalars(
                select(Customer.id).where(Customer.number >= start).order_by(Customer.id)
            )
        )


def _job(job_id):
    """A detached copy of a job record's fields."""
    record = db.session.get(JobRecord, job_id)
    return SimpleNamespace(
        status=record.status, total=record.total, done=record.done, result=record.result
    )


# --- counts and quick search ----------------------------------------------------------------


def test_tab_counts_are_capped(app, team, monkeypatch):
    _, people = team
    ann = people["ann"]
    _bulk(app, ann, 7)
    _bulk(app, ann, 3, owner_id=ann.id, prefix="Mine")
    assert _as(app, ann, lambda a: service.count_view(a, "pool")) == 7
    assert _as(app, ann, lambda a: service.count_view(a, "mine")) == 3
    # the cap: at most cap + 1 rows are counted, whatever the table holds
    assert _as(app, ann, lambda a: service.count_view(a, "pool", cap=5)) == 6
    monkeypatch.setattr(service, "COUNT_CAP", 5)
    client = app.test_client()
    login(client, ann.email)
    page = client.get("/customers?view=pool").get_data(as_text=True)
    counts = dict(re.findall(r'view=(\w+)[^>]*>[^<]*<span class="count">([^<]+)</span>', page))
    assert counts == {"pool": "5+", "mine": "3", "shared": "0"}


def test_counts_of_a_permissionless_view_are_not_offered(app, team):
    _, people = team
    with pytest.raises(PermissionDenied):
        _as(app, people["ann"], lambda a: service.count_view(a, "all"))


def test_quick_search_by_number_or_name_part(app, team):
    _, people = team
    ann = people["ann"]
    acme = _create(app, ann, "ACME Trading Ltd")
    _create(app, ann, "Acmeco")
    _create(app, ann, "Beta Acme")
    num = _as(app, ann, lambda a: db.session.get(Customer, acme).number)

    def names(q):
        return _as(
            app,
            ann,
            lambda a: sorted(
                c.name for c in service.list_customers(actor=a, view="mine", q=q).items
            ),
        )

    assert names("acme") == ["ACME Trading Ltd", "Acmeco", "Beta Acme"]  # any part of the name
    assert names("ac") == ["ACME Trading Ltd", "Acmeco"]  # under 3 characters: a name prefix
    assert names("ＡＣＭＥ trad") == ["ACME Trading Ltd"]  # the match key's normalisation
    assert names(str(num)) == ["ACME Trading Ltd"]
    assert names(f"No. {num}") == ["ACME Trading Ltd"]
    assert names(str(num).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))) == [
        "ACME Trading Ltd"
    ]
    assert names("%") == [] and names("_") == []  # no wildcard reaches the LIKE
    assert names("zzz") == []
    assert _as(app, ann, lambda a: service.count_view(a, "mine", "acme")) == 3


def test_search_page_keeps_the_query_in_tabs_and_pager(app, team):
    _, people = team
    ann = people["ann"]
    _bulk(app, ann, 60, owner_id=ann.id, prefix="Zeta")
    _create(app, ann, "Unrelated Ltd")
    client = app.test_client()
    login(client, ann.email)
    page = client.get("/customers?view=mine&q=zeta").get_data(as_text=True)
    assert "Unrelated" not in page and page.count('name="ids"') == 50
    assert "q=zeta" in re.search(r'rel="next" href="([^"]+)"', page).group(1)
    empty = client.get("/customers?view=mine&q=nothing").get_data(as_text=True)
    assert "No customer matches" in empty


def test_empty_states_teach(app, team):
    company, people = team
    client = app.test_client()
    login(client, people["ann"].email)
    first = client.get("/customers").get_data(as_text=True)
    # a sales rep may not import (import.run): no link that would answer 403
    assert "Add your first customer" in first and "Import your customer table" not in first
    owner = app.test_client()
    login(owner, company.owner.email)
    offered = owner.get("/customers").get_data(as_text=True)
    assert "Import your customer table" in offered and 'href="/imports"' in offered
    assert "The pool is empty" in client.get("/customers?view=pool").get_data(as_text=True)
    _create(app, people["bob"], "Bob's")
    mine = client.get("/customers").get_data(as_text=True)
    assert "You have no customers yet" in mine


# --- batch actions: the service -------------------------------------------------------------


def test_batch_claim_with_partial_refusals_does_the_rest(app, team):
    _, people = team
    ann, bob = people["ann"], people["bob"]
    pool = _bulk(app, ann, 5)
    bobs = _create(app, bob, "Bob's own")
    other = make_company(app, "Other Co")
    foreign = _create(app, other.owner, "Foreign")
    ids = [*pool, bobs, foreign, 999_999, pool[0]]  # a duplicate id counts once
    result = _as(app, ann, lambda a: batch.start(actor=a, action="claim", ids=ids))
    assert sorted(result["done"]) == pool and result["total"] == 8
    refused = {r["code"]: r for r in result["refused"]}
    # bob's customer is not in the pool: refused, naming who holds it (as a single claim does)
    assert refused["already_claimed"]["ids"] == [bobs]
    # the other tenant's id and an unknown one: the same "not found", never told apart
    assert refused["not_found"]["ids"] == [foreign, 999_999]
    assert refused["not_found"]["count"] == 2
    assert result["summary"][0] == "Claim: done for 5 of 8."
    assert "2 of 8 were not found" in result["summary"][1]
    assert "1 of 8 refused: " in result["summary"][2]
    assert "Foreign" not in " ".join(result["summary"])  # nothing of another tenant leaks
    owners = _as(app, ann, lambda a: set(db.session.scalars(select(Customer.owner_id))))
    assert owners == {ann.id, bob.id}
    assert _as(app, other.owner, lambda a: db.session.get(Customer, foreign).owner_id) == (
        other.owner.id
    )


def test_batch_assign_refuses_what_is_not_yours_to_assign(app, team):
    _, people = team
    lead, ann, bob = people["lead"], people["ann"], people["bob"]
    # lead (customers.assign, manager of ann) sees ann's; bob's are out of lead's sight
    anns = [_create(app, ann, f"A{i}") for i in range(3)]
    bobs = [_create(app, bob, f"B{i}") for i in range(2)]
    result = _as(
        app,
        lead,
        lambda a: batch.start(
            actor=a, action="assign", ids=[*anns, *bobs], params={"user_id": lead.id}
        ),
    )
    assert sorted(result["done"]) == anns
    assert result["refused"][0]["ids"] == bobs
    # bob's are invisible to lead (another reporting line): "not found", not "forbidden"
    assert result["refused"][0]["code"] == "not_found"
    # a sales rep may not assign at all: one 403 before anything is done
    with pytest.raises(PermissionDenied):
        _as(app, ann, lambda a: batch.start(actor=a, action="assign", ids=anns, params={}))


def test_batch_return_with_reason_and_forbidden_refusals(app, team):
    _, people = team
    ann, viewer = people["ann"], people["viewer"]
    anns = [_create(app, ann, f"A{i}") for i in range(3)]
    # the viewer sees every customer (view_all) but owns none: 3 of 3 are not theirs to return
    result = _as(
        app,
        viewer,
        lambda a: batch.start(actor=a, action="return", ids=anns, params={"reason": "Old"}),
    )
    assert result["done"] == [] and result["refused"][0]["code"] == "forbidden"
    assert result["summary"][1] == "3 of 3 are not yours to return."
    with pytest.raises(ValidationFailed):  # the reason is checked once, up front
        _as(app, ann, lambda a: batch.start(actor=a, action="return", ids=anns, params={}))
    done = _as(
        app, ann, lambda a: batch.start(actor=a, action="return", ids=anns, params={"reason": "x"})
    )
    assert sorted(done["done"]) == anns
    again = _as(
        app, ann, lambda a: batch.start(actor=a, action="return", ids=anns, params={"reason": "x"})
    )
    assert again["refused"][0]["code"] == "in_pool" and "3 of 3 refused" in again["summary"][1]


def test_batch_input_is_checked(app, team):
    _, people = team
    ann = people["ann"]
    for action, ids in (("nope", [1]), ("claim", []), ("claim", ["1"]), ("claim", [True])):
        with pytest.raises(ValidationFailed):
            _as(app, ann, lambda a, x=action, i=ids: batch.start(actor=a, action=x, ids=i))
    with pytest.raises(ValidationFailed):
        _as(
            app,
            ann,
            lambda a: batch.start(actor=a, action="claim", ids=list(range(batch.MAX_IDS + 1))),
        )


# --- batch actions: the job path --------------------------------------------------------------


def test_a_large_batch_runs_as_a_tracked_job_with_a_real_worker(app, team):
    _, people = team
    ann, bob = people["ann"], people["bob"]
    pool = _bulk(app, ann, batch.SYNC_LIMIT + 40)
    bobs = _create(app, bob, "Bob's own")
    ids = [*pool, bobs]
    job_id = _as(app, ann, lambda a: batch.start(actor=a, action="claim", ids=ids).id)
    record = _as(app, ann, lambda a: _job(job_id))
    assert record.status == "queued" and record.total == len(ids)
    run_jobs(app)
    record = _as(app, ann, lambda a: _job(job_id))
    assert record.status == "succeeded" and record.done == len(ids)
    assert len(record.result["done"]) == len(pool)
    assert record.result["refused"] == [
        {
            "code": "already_claimed",
            "message": "Sales Person already holds this customer.",
            "ids": [bobs],
            "count": 1,
        }
    ]
    assert record.result["summary"][0] == f"Claim: done for {len(pool)} of {len(ids)}."
    mine = _as(app, ann, lambda a: service.count_view(a, "mine"))
    assert mine == len(pool)
    # the page of the job shows the summary to its creator; others get 404
    client = app.test_client()
    login(client, ann.email)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"done for {len(pool)}" in page
    other = app.test_client()
    login(other, bob.email)
    assert other.get(f"/jobs/{job_id}").status_code == 404


def test_a_large_batch_summary_is_in_the_actors_language(app, team):
    _, people = team
    ann = people["ann"]
    _as(app, ann, lambda a: setattr(a, "language", "fa"))
    pool = _bulk(app, ann, batch.SYNC_LIMIT + 1)
    job_id = _as(app, ann, lambda a: batch.start(actor=a, action="claim", ids=pool).id)
    run_jobs(app)
    record = _as(app, ann, lambda a: _job(job_id))
    first = record.result["summary"][0]
    assert "۲۰۱" in first and not re.search("[0-9]", first)  # Persian digits


# --- batch actions: the page and the API ----------------------------------------------------


def test_batch_from_the_page_flashes_the_summary(app, team):
    _, people = team
    ann, bob = people["ann"], people["bob"]
    pool = _bulk(app, ann, 3)
    bobs = _create(app, bob, "Bob's own")
    client = app.test_client()
    login(client, ann.email)
    page = client.get("/customers?view=pool").get_data(as_text=True)
    assert 'id="batch-form"' in page and page.count('form="batch-form"') == 3
    token = csrf(client, "/customers?view=pool")
    resp = client.post(
        "/customers/batch",
        data={
            "csrf_token": token,
            "action": "claim",
            "ids": [*map(str, pool), str(bobs)],
            "view": "pool",
            "access": "read",
            "to": "pool",
        },
    )
    assert resp.status_code == 303 and "view=pool" in resp.headers["Location"]
    after = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Claim: done for 3 of 4." in after and "1 of 4 refused: " in after
    # nothing selected: the list again with the error, 422
    resp = client.post(
        "/customers/batch",
        data={
            "csrf_token": token,
            "action": "claim",
            "view": "mine",
            "access": "read",
            "to": "pool",
        },
    )
    assert resp.status_code == 422 and "Choose at least one customer." in resp.get_data(True)
    # an action the actor is not offered (viewer: no pool) is refused by the form
    viewer = app.test_client()
    login(viewer, people["viewer"].email)
    token = csrf(viewer, "/customers?view=all")
    resp = viewer.post(
        "/customers/batch",
        data={"csrf_token": token, "action": "claim", "ids": [str(pool[0])], "view": "all"},
    )
    assert resp.status_code == 422


def test_batch_api_result_job_and_refusals(app, client, team):
    _, people = team
    ann, bob = people["ann"], people["bob"]
    token = _bearer(app, ann)
    pool = _bulk(app, ann, 4)
    bobs = _create(app, bob, "Bob's own")
    other = make_company(app, "Other Co")
    foreign = _create(app, other.owner, "Foreign")
    resp = _api(
        client,
        token,
        "POST",
        "/api/v1/customers/batch",
        {"action": "claim", "ids": [*pool, bobs, foreign]},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert sorted(body["done"]) == pool and body["job_id"] is None
    refused = {r["code"]: r for r in body["refused"]}
    assert refused["not_found"]["ids"] == [foreign] and refused["not_found"]["count"] == 1
    assert refused["already_claimed"]["ids"] == [bobs]
    assert "Foreign" not in str(body)
    for bad in (
        {"action": "claim", "ids": ["1"]},
        {"action": "claim", "ids": []},
        {"action": "claim", "ids": [1], "extra": 1},
        {"action": "fly", "ids": [1]},
        {"action": "return", "ids": [1]},  # no reason
        {"action": "claim", "ids": list(range(1, 10_002))},
    ):
        assert _api(client, token, "POST", "/api/v1/customers/batch", bad).status_code == 422, bad
    assert (
        _api(
            client,
            token,
            "POST",
            "/api/v1/customers/batch",
            {"action": "assign", "ids": pool, "user_id": bob.id},
        ).status_code
        == 403
    )
    many = _bulk(app, ann, batch.SYNC_LIMIT + 1, prefix="Many")
    queued = _api(
        client, token, "POST", "/api/v1/customers/batch", {"action": "claim", "ids": many}
    )
    assert queued.status_code == 202 and queued.get_json()["job_id"]
    run_jobs(app)
    status = _api(client, token, "GET", f"/api/v1/jobs/{queued.get_json()['job_id']}").get_json()
    assert status["finished"] and len(status["result"]["done"]) == len(many)
    doc = client.get("/api/v1/openapi.json").get_json()
    responses = doc["paths"]["/api/v1/customers/batch"]["post"]["responses"]
    assert {"200", "202", "401", "403", "422"} <= set(responses)


def test_the_return_form_offers_the_companys_reasons_and_takes_free_text(app, team):
    from saas.customers import lists

    company, people = team
    ann = people["ann"]
    other = make_company(app, "Other Co")
    for owner, name in ((company.owner, "Moved abroad"), (other.owner, "Rival secret reason")):
        _as(app, owner, lambda a, n=name: lists.add_entry(actor=a, kind="return_reason", name=n))
    mine = _bulk(app, ann, 2, owner_id=ann.id)
    client = app.test_client()
    login(client, ann.email)
    listed = client.get("/customers?view=mine").get_data(as_text=True)
    # the list draws the action alone; its parameters load when an action is first chosen
    assert 'id="batch-params" class="batch-params-all" hx-get="/customers/batch/params"' in listed
    assert "return-reasons" not in listed
    page = client.get("/customers/batch/params", headers={"HX-Request": "true"})
    page = page.get_data(as_text=True)
    datalist = re.search(r'<datalist id="return-reasons">(.*?)</datalist>', page, re.S).group(1)
    offered = re.findall(r'<option value="([^"]*)">', datalist)
    assert offered[-1] == "Moved abroad" and "No response" in offered
    assert "Rival secret reason" not in page
    assert re.search(r'<input[^>]*id="reason"[^>]*list="return-reasons"', page)
    # a suggestion or any free text is taken as the reason
    token = csrf(client, "/customers?view=mine")
    for cid, reason in zip(mine, ("Moved abroad", "Asked us to call in spring"), strict=True):
        resp = client.post(
            "/customers/batch",
            data={"csrf_token": token, "action": "return", "ids": [str(cid)], "reason": reason,
                  "view": "mine", "access": "read", "to": "pool"},
        )  # fmt: skip
        assert resp.status_code == 303
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        got = [db.session.get(Customer, cid) for cid in mine]
        assert [(c.owner_id, c.return_reason) for c in got] == [
            (None, "Moved abroad"),
            (None, "Asked us to call in spring"),
        ]


def test_without_javascript_an_action_that_needs_a_parameter_comes_back_with_its_fields(app, team):
    """The list draws no parameter fields (htmx loads them); a plain form post of "Assign"
    without a colleague answers 422 with the fields drawn and the ticked customer kept."""
    company, people = team
    ann = people["ann"]
    mine = _bulk(app, ann, 1, owner_id=ann.id)
    client = app.test_client()
    login(client, company.owner.email)
    token = csrf(client, "/customers?view=all")
    resp = client.post(
        "/customers/batch",
        data={"csrf_token": token, "action": "assign", "ids": [str(mine[0])], "view": "all"},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'<select[^>]*id="user_id"', page)  # now drawn, with its error
    assert "Choose an active member of the company." in page
    assert f'value="{ann.id}">' in page
    assert 'hx-get="/customers/batch/params"' not in page
