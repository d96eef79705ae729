"""Batch actions over a query or a segment ("Select all N matching"): partial refusals reported
like those over ids, small selections in the request, large ones as a real RQ job (SimpleWorker
burst) that reads the matches in keyset chunks with its progress; the selection is exactly one
of ids, query, segment; a query never reaches past the caller's list.
"""

# ruff: noqa: F811 - `team` is a fixture

from __future__ import annotations

from sqlalchemy import func, insert, select, update

from saas.customers import batch
from saas.customers.models import Customer
from saas.customers.pool_models import PoolSettings
from saas.extensions import db
from saas.progress.models import JobRecord
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import make_company, run_jobs
from tests.test_customers import _api, _as, _bearer, team  # noqa: F401

TIRANA = {"field": "city", "op": "is", "value": "Tirana"}


def _insert(app, member, n, *, city, owner_id=None, prefix="Bulk"):
    """``n`` customers in ``city`` of ``member``'s company in one INSERT."""
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        start = (db.session.scalar(select(func.max(Customer.number))) or 0) + 1
        rows = [
            {
                "tenant_id": member.tenant_id,
                "number": start + i,
                "name": f"{prefix} {start + i}",
                "name_key": f"{prefix.lower()}{start + i}",
                "kind": "company",
                "stage": "potential",
                "city": city,
                "owner_id": owner_id,
                "locked": False,
            }
            for i in range(n)
        ]
        db.session.execute(insert(Customer), rows)
        db.session.execute(
            update(Tenant).where(Tenant.id == member.tenant_id).values(customer_seq=start + n - 1)
        )
        db.session.commit()
        return list(
            db.session.scalars(
                select(Customer.id).where(Customer.number >= start).order_by(Customer.id)
            )
        )


def _owners(app, member, ids):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        return [
            db.session.get(Customer, i).owner_id for i in sorted(ids)
        ]  # one read per id: small lists only


def _claim_limit(app, member, n):
    with app.test_request_context("/"), tenant_context(member.tenant_id):
        db.session.add(PoolSettings(max_claims_per_day=n))
        db.session.commit()


def test_partial_refusals_are_reported_for_ids_query_and_segment(app, client, team):
    _company, people = team
    ann = people["ann"]
    _claim_limit(app, ann, 3)
    tirana = _insert(app, ann, 5, city="Tirana")
    durres = _insert(app, ann, 3, city="Durres")
    token = _bearer(app, ann)

    # over a query: the 5 of Tirana in the pool, 3 claimed, 2 refused by the daily limit
    answer = _api(
        client,
        token,
        "POST",
        "/api/v1/customers/batch",
        {"action": "claim", "view": "pool", "query": TIRANA},
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["total"] == 5 and body["done_count"] == 3 and len(body["done"]) == 3
    assert [(r["code"], r["count"]) for r in body["refused"]] == [("claim_limit", 2)]
    assert body["summary"][0] == "Claim: done for 3 of 5."
    assert body["summary"][1].startswith("2 of 5 refused: ")
    assert set(body["done"]) <= set(tirana)
    assert _owners(app, ann, durres) == [None, None, None]  # outside the query: untouched

    # over a segment (the same state saved): the 2 left are refused again, with the reason
    seg = _api(
        client,
        token,
        "POST",
        "/api/v1/segments",
        {"name": "Tirana pool", "view": "pool", "query": {"and": [TIRANA]}},
    )
    assert seg.status_code == 201, seg.get_json()
    again = _api(
        client,
        token,
        "POST",
        "/api/v1/customers/batch",
        {"action": "claim", "segment": seg.get_json()["id"]},
    ).get_json()
    assert again["total"] == 2 and again["done_count"] == 0
    assert [(r["code"], r["count"]) for r in again["refused"]] == [("claim_limit", 2)]

    # over ids, for comparison: another tenant's id is "not found", counted with the rest
    other = make_company(app, "Other Co")
    theirs = _insert(app, other.owner, 1, city="Tirana")
    by_ids = _api(
        client,
        token,
        "POST",
        "/api/v1/customers/batch",
        {"action": "claim", "ids": [durres[0], *theirs]},
    ).get_json()
    assert by_ids["total"] == 2 and by_ids["done_count"] == 0
    assert {r["code"] for r in by_ids["refused"]} == {"not_found", "claim_limit"}


def test_the_selection_is_exactly_one_of_ids_query_segment(app, client, team):
    _, people = team
    ann = people["ann"]
    token = _bearer(app, ann)
    ids = _insert(app, ann, 2, city="Tirana")

    def post(body):
        return _api(client, token, "POST", "/api/v1/customers/batch", {"action": "claim", **body})

    assert post({}).status_code == 422
    assert post({"ids": ids, "segment": 1}).status_code == 422
    assert post({"ids": ids, "query": TIRANA}).status_code == 422
    bad = post({"view": "pool", "query": {"and": [{"field": "nope", "op": "is", "value": 1}]}})
    assert bad.status_code == 422 and bad.get_json()["error"]["path"] == "$.and[0].field"
    # a view the rep may not open is refused, not narrowed silently
    assert post({"view": "all", "query": TIRANA}).status_code == 403
    assert post({"segment": 999_999}).status_code == 404
    assert _owners(app, ann, ids) == [None, None]  # nothing was done


def test_a_query_batch_never_reaches_past_the_callers_list(app, team):
    _, people = team
    ann, bob = people["ann"], people["bob"]
    bobs = _insert(app, bob, 3, city="Tirana", owner_id=bob.id)
    anns = _insert(app, ann, 2, city="Tirana", owner_id=ann.id)
    # ann locks "all of mine in Tirana, or anything": an OR group cannot escape "mine"
    escape = {"or": [TIRANA, {"field": "name", "op": "not_empty"}]}
    result = _as(
        app,
        ann,
        lambda a: batch.start(
            actor=a, action="lock", query={"view": "mine", "query": escape}, params={}
        ),
    )
    assert result["total"] == 2 and sorted(result["done"]) == sorted(anns)
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        assert not any(db.session.get(Customer, i).locked for i in bobs)


def test_a_large_query_batch_is_a_real_rq_job_with_progress_in_keyset_chunks(
    app, client, team, monkeypatch
):
    company, people = team
    ann = people["ann"]
    owned = _insert(app, ann, 150, city="Tirana", owner_id=ann.id)
    pooled = _insert(app, ann, 120, city="Tirana")
    _insert(app, ann, 30, city="Durres", owner_id=ann.id)  # not matched
    chunks: list[int] = []
    real = batch._matching_ids

    def spy(actor, state, *, after, limit):
        found = list(real(actor, state, after=after, limit=limit))
        chunks.append(len(found))
        return iter(found)

    monkeypatch.setattr(batch, "_matching_ids", spy)
    token = _bearer(app, company.owner)
    answer = _api(
        client,
        token,
        "POST",
        "/api/v1/customers/batch",
        {"action": "return", "reason": "Cleanup", "view": "all", "query": TIRANA},
    )
    assert answer.status_code == 202, answer.get_json()
    job_id = answer.get_json()["job_id"]
    assert chunks == [batch.SYNC_LIMIT + 1]  # the request only looked whether it is large
    chunks.clear()
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        assert db.session.get(JobRecord, job_id).status == "queued"
    run_jobs(app)
    # the job read the matches 100 at a time, by id, never all at once
    assert chunks == [100, 100, 70, 0]
    polled = _api(client, token, "GET", f"/api/v1/jobs/{job_id}").get_json()
    assert polled["status"] == "succeeded"
    assert polled["done"] == polled["total"] == 270
    result = polled["result"]
    assert result["done_count"] == 150 and sorted(result["done"]) == sorted(owned)
    assert [(r["code"], r["count"]) for r in result["refused"]] == [("in_pool", 120)]
    assert sorted(result["refused"][0]["ids"]) == sorted(pooled)
    assert result["summary"][0] == "Return to the pool: done for 150 of 270."
    assert _owners(app, ann, owned[:3]) == [None, None, None]
