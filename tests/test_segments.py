"""Segments: saved list states, private or shared; CRUD and permissions as attacks (another
tenant's ids, another user's private segment, a rep changing a shared one); re-runs see new data;
running applies the caller's visibility; a stored query that no longer fits is a clear 422.
"""

# ruff: noqa: F811 - `team` is a fixture

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.customers import segments, service
from saas.customers.segment_models import CustomerSegment
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import make_company
from tests.test_customers import _api, _as, _bearer, _create, team  # noqa: F401


def _segment(app, member, name="Tirana", **kw):
    return _as(app, member, lambda a: segments.create_segment(actor=a, name=name, **kw).id)


def _fields(app, member, segment_id, *names):
    return _as(
        app,
        member,
        lambda a: tuple(getattr(segments.get_segment(a, segment_id), n) for n in names),
    )


def _names(app, member, segment_id, **kw):
    return _as(
        app,
        member,
        lambda a: sorted(c.name for c in segments.evaluate(a, segment_id, **kw).items),
    )


# --- CRUD ---------------------------------------------------------------------------------


def test_create_list_rename_update_delete_are_audited(app, team):
    _, people = team
    ann = people["ann"]
    sid = _segment(app, ann, "Acme ones", q="acme", cols=["number", "name", "number"])
    assert _fields(app, ann, sid, "view", "q", "query", "sort", "cols", "shared") == (
        "mine",
        "acme",
        None,
        None,
        ["number", "name"],  # duplicates once
        False,
    )
    _segment(app, ann, "Beta", shared=True)
    assert _as(app, ann, lambda a: [s.name for s in segments.list_segments(a)]) == [
        "Acme ones",
        "Beta",
    ]
    _as(app, ann, lambda a: segments.rename_segment(a, sid, "  Acme  customers "))
    _as(app, ann, lambda a: segments.update_segment(a, sid, q="acm", shared=True))
    assert _fields(app, ann, sid, "name", "q", "shared", "view") == (
        "Acme customers",
        "acm",
        True,
        "mine",
    )
    # one name per creator, whatever the case
    with pytest.raises(Conflict):
        _segment(app, ann, "acme CUSTOMERS")
    with pytest.raises(Conflict):
        _as(app, ann, lambda a: segments.rename_segment(a, sid, "beta"))
    for bad in ("", "   ", "x" * 101, 5):
        with pytest.raises(ValidationFailed):
            _segment(app, ann, bad)
    _as(app, ann, lambda a: segments.delete_segment(a, sid))
    with pytest.raises(NotFound):
        _as(app, ann, lambda a: segments.get_segment(a, sid))

    def sentences(a):
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "customer_segments", AuditEntry.object_id == sid)
            .order_by(AuditEntry.id)
        )
        return [describe(e).sentence.striptags() for e in entries]

    said = _as(app, ann, sentences)
    assert len(said) == 4
    assert said[0] == "Sales Person saved the segment Acme ones"
    assert said[1] == "Sales Person changed the segment Acme customers"
    assert said[3] == "Sales Person deleted the segment Acme customers"


def test_state_is_checked_when_saved(app, team):
    _, people = team
    ann = people["ann"]
    with pytest.raises(PermissionDenied):  # a list the rep may not open
        _segment(app, ann, view="all")
    for bad in (
        {"view": "nope"},
        {"q": "x" * 201},
        {"q": 5},
        {"cols": "name"},
        {"cols": ["Name; drop"]},
        {"cols": ["a"] * 61},
        {"sort": "number; drop"},
    ):
        with pytest.raises(ValidationFailed):
            _segment(app, ann, **bad)


# --- attacks --------------------------------------------------------------------------------


def test_private_segments_are_invisible_to_everyone_else(app, team, client):
    company, people = team
    ann, bob, owner = people["ann"], people["bob"], company.owner
    private = _segment(app, ann, "Mine only")
    for who in (bob, owner):  # a colleague, and even the company's owner (an admin)
        assert _as(app, who, lambda a: segments.list_segments(a)) == []
        for attempt in (
            lambda a: segments.get_segment(a, private),
            lambda a: segments.evaluate(a, private),
            lambda a: segments.rename_segment(a, private, "Taken"),
            lambda a: segments.update_segment(a, private, shared=True),
            lambda a: segments.delete_segment(a, private),
        ):
            with pytest.raises(NotFound):
                _as(app, who, attempt)
    # over the API: the same 404 as an id that never existed
    token = _bearer(app, bob)
    for method, url, body in (
        ("GET", f"/api/v1/segments/{private}", None),
        ("GET", f"/api/v1/segments/{private}/customers", None),
        ("PATCH", f"/api/v1/segments/{private}", {"name": "Taken"}),
        ("DELETE", f"/api/v1/segments/{private}", None),
        ("GET", f"/api/v1/customers?segment={private}", None),
        ("GET", "/api/v1/segments/999999", None),
        ("GET", f"/api/v1/segments/{2**70}", None),  # past any integer column: still a 404
        ("GET", f"/api/v1/customers?segment={2**70}", None),
        ("POST", "/api/v1/customers/batch", {"action": "claim", "segment": 2**63}),
    ):
        answer = _api(client, token, method, url, body)
        assert answer.status_code == 404, (method, url, answer.get_json())
    assert _as(app, ann, lambda a: segments.get_segment(a, private).name) == "Mine only"


def test_another_tenants_segment_ids_are_not_found(app, team, client):
    _, people = team
    other = make_company(app, "Other Co")
    theirs = _segment(app, other.owner, "Theirs", shared=True)
    ann = people["ann"]
    with pytest.raises(NotFound):
        _as(app, ann, lambda a: segments.get_segment(a, theirs))
    with pytest.raises(NotFound):
        _as(app, ann, lambda a: segments.delete_segment(a, theirs))
    token = _bearer(app, ann)
    for method, url, body in (
        ("GET", f"/api/v1/segments/{theirs}", None),
        ("GET", f"/api/v1/segments/{theirs}/customers", None),
        ("PATCH", f"/api/v1/segments/{theirs}", {"shared": False}),
        ("DELETE", f"/api/v1/segments/{theirs}", None),
        ("GET", f"/api/v1/customers?segment={theirs}", None),
        ("POST", "/api/v1/customers/batch", {"action": "claim", "segment": theirs}),
    ):
        assert _api(client, token, method, url, body).status_code == 404, (method, url)
    assert [s["name"] for s in _api(client, token, "GET", "/api/v1/segments").get_json()] == []
    # the other company's segment is untouched
    with app.test_request_context("/"), tenant_context(other.tenant_id):
        assert db.session.get(CustomerSegment, theirs).name == "Theirs"


def test_only_the_creator_or_an_admin_changes_a_shared_segment(app, team, client):
    company, people = team
    ann, bob, viewer = people["ann"], people["bob"], people["viewer"]
    shared = _segment(app, ann, "Team list", shared=True)
    # everyone sees and runs it …
    for who in (bob, viewer, company.owner):
        assert _as(app, who, lambda a: segments.get_segment(a, shared).name) == "Team list"
    # … a rep and a read-only viewer may not change or delete it
    for who in (bob, viewer):
        for attempt in (
            lambda a: segments.rename_segment(a, shared, "Mine now"),
            lambda a: segments.update_segment(a, shared, q="x"),
            lambda a: segments.update_segment(a, shared, shared=False),
            lambda a: segments.delete_segment(a, shared),
        ):
            with pytest.raises(PermissionDenied):
                _as(app, who, attempt)
        token = _bearer(app, who)
        assert (
            _api(client, token, "PATCH", f"/api/v1/segments/{shared}", {"name": "X"}).status_code
            == 403
        )
        assert _api(client, token, "DELETE", f"/api/v1/segments/{shared}").status_code == 403
    assert _as(app, ann, lambda a: segments.get_segment(a, shared).name) == "Team list"
    # an admin may (the company's owner)
    _as(app, company.owner, lambda a: segments.rename_segment(a, shared, "Renamed by admin"))
    assert _as(app, ann, lambda a: segments.get_segment(a, shared).name) == "Renamed by admin"
    _as(app, company.owner, lambda a: segments.delete_segment(a, shared))
    with pytest.raises(NotFound):
        _as(app, ann, lambda a: segments.get_segment(a, shared))


# --- running --------------------------------------------------------------------------------


def test_a_segment_reruns_over_new_data(app, team):
    _, people = team
    ann = people["ann"]
    _create(app, ann, "Acme One")
    _create(app, ann, "Beta")
    sid = _segment(app, ann, "Acme", q="acme")
    assert _names(app, ann, sid) == ["Acme One"]
    _create(app, ann, "Acme Two")
    assert _names(app, ann, sid) == ["Acme One", "Acme Two"]  # not a frozen id list

    def page(cursor=None):
        def run(a):
            found = segments.evaluate(a, sid, limit=1, cursor=cursor)
            return [c.name for c in found.items], found.next

        return _as(app, ann, run)

    first, cursor = page()
    second, _ = page(cursor)
    assert sorted(first + second) == ["Acme One", "Acme Two"]


def test_running_a_shared_segment_applies_the_callers_visibility(app, team):
    company, people = team
    ann, bob, viewer = people["ann"], people["bob"], people["viewer"]
    _create(app, ann, "Acme of Ann")
    _create(app, bob, "Acme of Bob")
    mine = _segment(app, ann, "My Acme", shared=True, q="acme")
    assert _names(app, ann, mine) == ["Acme of Ann"]
    assert _names(app, bob, mine) == ["Acme of Bob"]  # "mine" is the caller's own
    everything = _segment(app, company.owner, "All Acme", shared=True, view="all", q="acme")
    assert _names(app, viewer, everything) == ["Acme of Ann", "Acme of Bob"]
    with pytest.raises(PermissionDenied):  # the rep may not open "All": no widening
        _as(app, bob, lambda a: segments.evaluate(a, everything))


def test_a_stored_query_that_no_longer_fits_is_a_clear_422(app, team, client):
    _, people = team
    ann = people["ann"]
    sid = _segment(app, ann, "Broken later", shared=True)
    with app.test_request_context("/"), tenant_context(ann.tenant_id):
        db.session.execute(
            update(CustomerSegment)
            .where(CustomerSegment.id == sid)
            .values(query={"and": [{"field": "cf.gone", "op": "is", "value": "x"}]})
        )
        db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        _as(app, ann, lambda a: segments.evaluate(a, sid))
    assert caught.value.code == "segment_invalid"
    assert "Broken later" in caught.value.message
    answer = _api(client, _bearer(app, ann), "GET", f"/api/v1/segments/{sid}/customers")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "segment_invalid"


def test_the_view_query_of_a_state_is_the_services(app, team):
    _, people = team
    ann = people["ann"]
    _create(app, ann, "Acme")
    state = _as(app, ann, lambda a: segments.clean_state(a, view="mine", q="acme"))
    count = _as(
        app, ann, lambda a: len(db.session.scalars(segments.customer_query(a, state)).all())
    )
    assert count == 1 == _as(app, ann, lambda a: service.count_view(a, "mine", "acme"))


def test_a_segment_whose_custom_field_was_deleted_says_so_instead_of_failing(app, team, client):
    from saas.customers import fields as custom_fields

    company, _people = team
    owner = company.owner
    field_id = _as(
        app, owner, lambda a: custom_fields.create_field(actor=a, label="Region", type="text").id
    )
    key = _as(app, owner, lambda a: custom_fields.get_field(field_id).key)
    _as(
        app,
        owner,
        lambda a: (
            service.create_customer(actor=a, name="North Co", custom_fields={key: "North"}).id
        ),
    )
    _as(app, owner, lambda a: service.create_customer(actor=a, name="South Co").id)
    condition = {"field": f"cf.{key}", "op": "contains", "value": "nor"}
    sid = _segment(
        app, owner, "Northern", shared=True, view="all", query={"and": [{"or": [condition]}]}
    )
    assert _names(app, owner, sid) == ["North Co"]
    assert _fields(app, owner, sid, "query") == ({"and": [{"or": [condition]}]},)
    _as(app, owner, lambda a: custom_fields.archive_field(actor=a, field_id=field_id))
    with pytest.raises(ValidationFailed) as caught:
        _as(app, owner, lambda a: segments.evaluate(a, sid))
    assert caught.value.code == "segment_invalid" and "Northern" in caught.value.message
    answer = _api(client, _bearer(app, owner), "GET", f"/api/v1/segments/{sid}/customers")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "segment_invalid" and error["path"] == "$.and[0].or[0].field"
    assert "Northern" in error["message"]
    # the segment itself still opens, so it can be fixed or deleted
    assert _api(client, _bearer(app, owner), "GET", f"/api/v1/segments/{sid}").status_code == 200
    fixed = _api(
        client,
        _bearer(app, owner),
        "PATCH",
        f"/api/v1/segments/{sid}",
        {"query": {"and": [{"field": "name", "op": "starts_with", "value": "north"}]}},
    )
    assert fixed.status_code == 200, fixed.get_json()
    assert _names(app, owner, sid) == ["North Co"]
