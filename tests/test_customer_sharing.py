"""Who may do what to a customer: the permission matrix (service and API), sharing and its
expiry, the Shared / Subordinates lists, edit, reclaim, lock, trash and the nightly purge.

The matrix: one customer owned by Ann (sales rep; her manager Lead; Lead's manager Boss),
shared read-only with Bob, for writing with Cat, and for writing with Dan until yesterday
(expired). Every operation by every caller → the expected outcome, on the service and through
the API. Each operation runs on a fresh customer per caller, so callers cannot affect each other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from saas.audit.models import AuditEntry
from saas.auth import tokens
from saas.auth.models import Role
from saas.customers import service, sharing
from saas.customers.models import Customer, CustomerShare
from saas.customers.normalize import name_key
from saas.errors import ServiceError
from saas.extensions import db
from saas.jobs import get_queue
from saas.tenancy.context import tenant_context
from tests.conftest import add_member, as_member, make_company, run_jobs

# --- the world ---------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


#: Columns of the matrix, in order.
CALLERS = (
    "owner",  # Ann, the sales rep who owns the customer
    "read",  # Bob: shared read-only
    "write",  # Cat: shared for writing
    "expired",  # Dan: shared for writing until yesterday
    "manager",  # Lead: Ann's manager
    "above",  # Boss: Lead's manager
    "rep",  # Eve: another sales rep
    "viewer",  # sees every customer, changes nothing
    "admin",
    "other",  # the owner of another company, using this company's ids
)


@dataclass
class World:
    tenant_id: int
    people: dict[str, Any]
    outsider: Any


@pytest.fixture
def world(app) -> World:
    company = make_company(app, plan="business")
    boss = add_member(app, company, "manager", email="boss@acme.example.com")
    lead = add_member(app, company, "manager", email="lead@acme.example.com", manager=boss)
    people = {
        "owner": add_member(app, company, "sales", email="ann@acme.example.com", manager=lead),
        "read": add_member(app, company, "sales", email="bob@acme.example.com"),
        "write": add_member(app, company, "sales", email="cat@acme.example.com"),
        "expired": add_member(app, company, "sales", email="dan@acme.example.com"),
        "manager": lead,
        "above": boss,
        "rep": add_member(app, company, "sales", email="eve@acme.example.com"),
        "viewer": add_member(app, company, "viewer", email="viewer@acme.example.com"),
        "admin": add_member(app, company, "admin", email="admin@acme.example.com"),
    }
    for key, name in (("owner", "Ann"), ("read", "Bob"), ("write", "Cat"), ("expired", "Dan")):
        _as(app, people[key], lambda a, n=name: setattr(a, "name", n))
    other = make_company(app, "Other Co", plan="business")
    return World(company.tenant_id, people, other.owner)


def _member(world: World, caller: str):
    return world.outsider if caller == "other" else world.people[caller]


def _shared_customer(app, world: World, name: str = "Acme", *, trashed: bool = False) -> int:
    """A customer of Ann shared with Bob (read), Cat (write) and Dan (write, expired)."""
    p = world.people

    def build(ann):
        c = service.create_customer(actor=ann, name=name)
        sharing.share(actor=ann, customer_id=c.id, user_ids=[p["read"].id], access="read")
        sharing.share(
            actor=ann,
            customer_id=c.id,
            user_ids=[p["write"].id, p["expired"].id],
            access="write",
        )
        db.session.execute(
            update(CustomerShare)
            .where(CustomerShare.customer_id == c.id, CustomerShare.user_id == p["expired"].id)
            .values(until=service.today() - timedelta(days=1))
        )
        if trashed:
            c.deleted_at = datetime(2026, 1, 1)
        return c.id

    return _as(app, p["owner"], build)


# --- the matrix -----------------------------------------------------------------------------------

OK, DENIED, GONE, CONFLICT = "ok", 403, 404, 409
#: "ACME Ltd" typed in full-width letters.
FULL_WIDTH = "\uff21\uff23\uff2d\uff25 Ltd"


def _row(*outcomes: Any) -> dict[str, Any]:
    assert len(outcomes) == len(CALLERS)
    return dict(zip(CALLERS, outcomes, strict=True))


# fmt: off
#: operation → expected outcome per caller:
#:          owner     read    write   expired manager above  rep     viewer  admin  other
MATRIX = {
    "see":      _row(OK,       OK,     OK,     GONE,   OK,    OK,    GONE,   OK,     OK,    GONE),
    "edit":     _row(OK,       DENIED, OK,     GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    # what notes, contacts and attachments call: service.get_editable (may_edit)
    "write":    _row(OK,       DENIED, OK,     GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    # the customer is held: everyone with pool access hears who holds it (the viewer has none)
    "claim":    _row(CONFLICT, CONFLICT, CONFLICT, CONFLICT, CONFLICT, CONFLICT, CONFLICT,
                     DENIED, CONFLICT, GONE),
    "return":   _row(OK,       DENIED, DENIED, GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    "assign":   _row(DENIED,   DENIED, DENIED, DENIED, OK,    OK,    DENIED, DENIED, OK,    GONE),
    "share":    _row(OK,       DENIED, DENIED, GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    "unshare":  _row(OK,       DENIED, DENIED, GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    "reclaim":  _row(CONFLICT, DENIED, DENIED, GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    "lock":     _row(OK,       DENIED, DENIED, GONE,   OK,    OK,    GONE,   DENIED, OK,    GONE),
    # customers.delete: only admins (and the owner role) hold it among the built-in roles
    "delete":   _row(DENIED,   DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK,  GONE),
    "restore":  _row(DENIED,   DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK,  GONE),
}
# fmt: on


def _service_call(op: str, world: World) -> Any:
    p = world.people
    calls = {
        "see": lambda a, cid: service.get_customer(a, cid),
        "edit": lambda a, cid: service.update_customer(a, cid, city="Tirana"),
        "write": lambda a, cid: service.get_editable(a, cid),
        "claim": lambda a, cid: service.claim(actor=a, customer_id=cid),
        "return": lambda a, cid: service.return_to_pool(actor=a, customer_id=cid, reason="Gone"),
        "assign": lambda a, cid: service.assign(actor=a, customer_id=cid, user_id=p["rep"].id),
        "share": lambda a, cid: sharing.share(actor=a, customer_id=cid, user_ids=[p["rep"].id]),
        "unshare": lambda a, cid: sharing.unshare(
            actor=a, customer_id=cid, user_ids=[p["read"].id]
        ),
        "reclaim": lambda a, cid: sharing.reclaim(actor=a, customer_id=cid, to="pool"),
        "lock": lambda a, cid: sharing.set_locked(actor=a, customer_id=cid, locked=True),
        "delete": lambda a, cid: sharing.trash(actor=a, customer_id=cid),
        "restore": lambda a, cid: sharing.restore(actor=a, customer_id=cid),
    }
    return calls[op]


def _outcome(fn) -> Any:
    try:
        fn()
    except ServiceError as exc:
        return exc.status
    return OK


@pytest.mark.parametrize("op", list(MATRIX))
def test_permission_matrix_on_the_service(app, world, op):
    call = _service_call(op, world)
    got = {}
    for caller in CALLERS:
        cid = _shared_customer(app, world, f"{op} for {caller}", trashed=op == "restore")
        member = _member(world, caller)
        got[caller] = _outcome(lambda: _as(app, member, lambda a: call(a, cid)))  # noqa: B023
    assert got == MATRIX[op]


def _bearer(app, member) -> str:
    def make(actor):
        return tokens.create_token(actor=actor, name="t")[1]

    return _as(app, member, make)


#: operation → (method, path, JSON body) of the API; the status of "ok".
API = {
    "see": ("GET", "/api/v1/customers/{cid}", None, 200),
    "edit": ("PATCH", "/api/v1/customers/{cid}", {"city": "Tirana"}, 200),
    "claim": ("POST", "/api/v1/customers/{cid}/claim", None, 200),
    "return": ("POST", "/api/v1/customers/{cid}/return", {"reason": "Gone"}, 200),
    "assign": ("POST", "/api/v1/customers/{cid}/assign", {"user_id": "{rep}"}, 200),
    "share": ("POST", "/api/v1/customers/{cid}/share", {"user_ids": ["{rep}"]}, 200),
    "unshare": ("POST", "/api/v1/customers/{cid}/unshare", {"user_ids": ["{read}"]}, 200),
    "reclaim": ("POST", "/api/v1/customers/{cid}/reclaim", {"to": "pool"}, 200),
    "lock": ("POST", "/api/v1/customers/{cid}/lock", None, 200),
    "delete": ("DELETE", "/api/v1/customers/{cid}", None, 204),
    "restore": ("POST", "/api/v1/customers/{cid}/restore", None, 200),
}


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("op", list(API))
def test_permission_matrix_through_the_api(app, client, world, op):
    method, path, body, ok_status = API[op]
    ids = {k: m.id for k, m in world.people.items()}
    got, expected = {}, {}
    for caller in CALLERS:
        cid = _shared_customer(app, world, f"{op} for {caller}", trashed=op == "restore")
        token = _bearer(app, _member(world, caller))
        resp = client.open(
            path.format(cid=cid),
            method=method,
            json=_fill(body, ids),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code < 500
        got[caller] = resp.status_code
        want = MATRIX[op][caller]
        expected[caller] = ok_status if want == OK else want
        if resp.status_code >= 400:
            assert set(resp.get_json()["error"]) == {"code", "message"}
    assert got == expected


# --- sharing --------------------------------------------------------------------------------------


def test_share_change_unshare_and_expiry(app, world):
    p = world.people
    cid = _shared_customer(app, world)
    bob, cat = p["read"], p["write"]
    # Bob (read) sees but cannot edit; Ann changes him to write until tomorrow
    assert _as(app, bob, lambda a: service.may_edit(a, service.get_customer(a, cid))) is False
    tomorrow = service.today() + timedelta(days=1)
    _as(
        app,
        p["owner"],
        lambda a: sharing.share(
            actor=a, customer_id=cid, user_ids=[bob.id], access="write", until=tomorrow
        ),
    )
    assert _as(app, bob, lambda a: service.may_edit(a, service.get_customer(a, cid))) is True
    # the sharing tab's list: live shares only (Dan's expired one is not shown)
    listed = _as(
        app,
        p["owner"],
        lambda a: [
            (s.user_id, s.access, s.until)
            for s in sharing.list_shares(a, service.get_customer(a, cid))
        ],
    )
    assert listed == [(bob.id, "write", tomorrow), (cat.id, "write", None)]
    # unshare: Cat loses access at once
    assert _as(
        app, p["owner"], lambda a: sharing.unshare(actor=a, customer_id=cid, user_ids=[cat.id])
    )
    with pytest.raises(ServiceError) as exc:
        _as(app, cat, lambda a: service.get_customer(a, cid))
    assert exc.value.status == 404
    # bad input: a past date, an unknown access, nobody, the owner, someone of another company
    yesterday = service.today() - timedelta(days=1)
    bad = [
        {"user_ids": [bob.id], "until": yesterday},
        {"user_ids": [bob.id], "access": "admin"},
        {"user_ids": []},
        {"user_ids": [p["owner"].id]},
        {"user_ids": [world.outsider.id]},
        {"user_ids": ["5"]},
    ]
    for kw in bad:
        with pytest.raises(ServiceError) as exc:
            _as(app, p["owner"], lambda a, kw=kw: sharing.share(actor=a, customer_id=cid, **kw))
        assert exc.value.status == 422, kw
    # a pool customer cannot be shared
    pool_id = _as(
        app, p["owner"], lambda a: service.create_customer(actor=a, name="P", owner_id=None).id
    )
    with pytest.raises(ServiceError) as exc:
        _as(
            app,
            p["admin"],
            lambda a: sharing.share(actor=a, customer_id=pool_id, user_ids=[bob.id]),
        )
    assert exc.value.status == 409


def test_the_nightly_sweep_deletes_expired_shares_audited_and_idempotent(app, world):
    cid = _shared_customer(app, world)
    queue_now = (datetime.now() + timedelta(days=0)).isoformat()
    with app.app_context():
        get_queue("default").enqueue("saas.customers.tasks.nightly", now=queue_now)
        get_queue("default").enqueue("saas.customers.tasks.nightly", now=queue_now)
    run_jobs(app)
    with app.app_context(), tenant_context(world.tenant_id):
        left = db.session.scalars(
            select(CustomerShare.user_id).where(CustomerShare.customer_id == cid)
        ).all()
        deleted = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "customer_shares.deleted")
        )
    assert sorted(left) == sorted([world.people["read"].id, world.people["write"].id])
    assert deleted == 1


# --- the lists ------------------------------------------------------------------------------------


def _ids(app, member, view, **kw):
    return _as(
        app,
        member,
        lambda a: [c.id for c in service.list_customers(actor=a, view=view, **kw).items],
    )


def test_shared_and_subordinates_lists(app, world):
    p = world.people
    first = _shared_customer(app, world, "First")
    second = _shared_customer(app, world, "Second")
    own_lead = _as(app, p["manager"], lambda a: service.create_customer(actor=a, name="Lead's").id)
    assert _ids(app, p["read"], "shared") == [second, first]
    assert _ids(app, p["write"], "shared") == [second, first]
    assert _ids(app, p["expired"], "shared") == []
    assert _ids(app, p["rep"], "shared") == []
    # keyset pages
    assert _ids(app, p["read"], "shared", limit=1) == [second]
    # subordinates: anyone below, any depth; not one's own
    assert _ids(app, p["manager"], "subordinates") == [second, first]
    assert _ids(app, p["above"], "subordinates") == [own_lead, second, first]
    with pytest.raises(ServiceError) as exc:
        _ids(app, p["owner"], "subordinates")
    assert exc.value.status == 403
    # a trashed customer leaves every list
    _as(app, p["admin"], lambda a: sharing.trash(actor=a, customer_id=first))
    assert _ids(app, p["read"], "shared") == [second]
    assert _ids(app, p["above"], "subordinates") == [own_lead, second]


# --- edit -----------------------------------------------------------------------------------------


def test_update_validates_like_create_and_counts_as_follow_up(app, world):
    p = world.people
    cid = _shared_customer(app, world)
    before = _as(app, p["owner"], lambda a: service.get_customer(a, cid).updated_at)
    c = _as(
        app,
        p["write"],
        lambda a: (
            service.update_customer(a, cid, name=FULL_WIDTH, country="al", city=" Tirana ")
            and service.get_customer(a, cid)
        ),
    )
    with app.app_context(), tenant_context(world.tenant_id):
        c = db.session.get(Customer, cid)
        assert (c.name, c.country, c.city, c.updated_by_id) == (
            FULL_WIDTH,
            "AL",
            "Tirana",
            p["write"].id,
        )
        assert c.name_key == name_key(FULL_WIDTH) and c.updated_at >= before
    for kw in (
        {"name": ""},
        {"name": "x" * 10_000},
        {"country": "XX"},
        {"kind": "alien"},
        {"comments": "y" * 10_001},
        {"owner_id": p["rep"].id},
        {"locked": True},
    ):
        with pytest.raises(ServiceError) as exc:
            _as(app, p["owner"], lambda a, kw=kw: service.update_customer(a, cid, **kw))
        assert exc.value.status == 422, kw
    with app.app_context(), tenant_context(world.tenant_id):
        assert db.session.get(Customer, cid).name == FULL_WIDTH  # nothing half-saved


# --- reclaim, races, lock -------------------------------------------------------------------------


def test_reclaim_to_the_pool_or_to_me(app, world):
    p = world.people
    a1 = _shared_customer(app, world, "One")
    a2 = _shared_customer(app, world, "Two")
    c = _as(app, p["above"], lambda a: sharing.reclaim(actor=a, customer_id=a1, to="me"))
    assert c is not None
    c = _as(app, p["manager"], lambda a: sharing.reclaim(actor=a, customer_id=a2, to="pool"))
    with app.app_context(), tenant_context(world.tenant_id):
        assert db.session.get(Customer, a1).owner_id == p["above"].id
        two = db.session.get(Customer, a2)
        assert two.owner_id is None and two.return_reason
    with pytest.raises(ServiceError) as exc:
        _as(app, p["manager"], lambda a: sharing.reclaim(actor=a, customer_id=a2, to="pool"))
    assert exc.value.status == 409
    with pytest.raises(ServiceError) as exc:
        _as(app, p["manager"], lambda a: sharing.reclaim(actor=a, customer_id=a1, to="moon"))
    assert exc.value.status == 422


def _moves(p):
    """The ownership moves that race: who, what (each valid while Ann owns the customer)."""
    return {
        "reclaim to me": (
            p["manager"],
            lambda a, cid: sharing.reclaim(actor=a, customer_id=cid, to="me"),
        ),
        "reclaim to pool": (p["above"], lambda a, cid: sharing.reclaim(actor=a, customer_id=cid)),
        "return": (
            p["owner"],
            lambda a, cid: service.return_to_pool(actor=a, customer_id=cid, reason="Race"),
        ),
        "assign": (
            p["admin"],
            lambda a, cid: service.assign(actor=a, customer_id=cid, user_id=p["rep"].id),
        ),
    }


def test_racing_moves_to_the_pool_one_wins_the_others_409(app, world):
    """Threads at a barrier: the owner's return and three reclaims to the pool — whatever the
    order, exactly one moves the customer and the others hear 409; one audit entry."""
    p = world.people
    for round_ in range(3):
        cid = _shared_customer(app, world, f"Race {round_}")
        moves = [
            (p["owner"], lambda a, cid=cid: service.return_to_pool(
                actor=a, customer_id=cid, reason="Race")),
            (p["manager"], lambda a, cid=cid: sharing.reclaim(actor=a, customer_id=cid)),
            (p["above"], lambda a, cid=cid: sharing.reclaim(actor=a, customer_id=cid)),
            (p["admin"], lambda a, cid=cid: sharing.reclaim(actor=a, customer_id=cid)),
        ]  # fmt: skip
        barrier = threading.Barrier(len(moves))
        outcomes: list[Any] = [None] * len(moves)

        def go(i, member, fn, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                _as(app, member, fn)
                outcomes[i] = "won"
            except ServiceError as exc:
                outcomes[i] = exc.status

        threads = [threading.Thread(target=go, args=(i, m, f)) for i, (m, f) in enumerate(moves)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes, key=str) == [409, 409, 409, "won"], outcomes
        with app.app_context(), tenant_context(world.tenant_id):
            changes = db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.object_type == "customers",
                    AuditEntry.object_id == cid,
                    AuditEntry.action == "customers.updated",
                )
            )
        assert changes == 1


_MOVES = ["reclaim to me", "reclaim to pool", "return", "assign"]


# every ordered pair of two different moves (the same move twice is not a race between two)
@pytest.mark.parametrize(("winner", "loser"), [(w, lo) for w in _MOVES for lo in _MOVES if w != lo])
def test_a_move_decided_on_a_stale_read_loses_with_409(app, world, winner, loser):
    """The loser read the customer (Ann's) before the winner committed its move: its
    conditional UPDATE (``WHERE owner_id = Ann``) changes nothing and it hears 409 naming the
    new holder, or that it changed — never a lost update."""
    p = world.people
    cid = _shared_customer(app, world)
    moves = _moves(p)

    def loser_fn(actor):
        # the read the decision is made on, held (the session's identity map keeps it)
        held = service.get_customer(actor, cid)
        member, move = moves[winner]
        won: list[Any] = []
        done = threading.Thread(
            target=lambda: won.append(_as(app, member, lambda a: move(a, cid).owner_id))
        )
        done.start()
        done.join()
        assert len(won) == 1, "the winner's move failed"
        assert held.owner_id == world.people["owner"].id  # still the stale read
        return moves[loser][1](actor, cid)

    with pytest.raises(ServiceError) as exc:
        _as(app, moves[loser][0], loser_fn)
    assert exc.value.status == 409, exc.value.message
    with app.app_context(), tenant_context(world.tenant_id):
        changes = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.object_id == cid, AuditEntry.action == "customers.updated"
            )
        )
    assert changes == 1


def test_lock_and_unlock(app, world):
    p = world.people
    cid = _shared_customer(app, world)
    assert _as(
        app, p["owner"], lambda a: sharing.set_locked(actor=a, customer_id=cid, locked=True).locked
    )
    # locking twice changes nothing more
    _as(app, p["owner"], lambda a: sharing.set_locked(actor=a, customer_id=cid, locked=True))
    assert not _as(
        app, p["above"], lambda a: sharing.set_locked(actor=a, customer_id=cid, locked=False).locked
    )
    with app.app_context(), tenant_context(world.tenant_id):
        entries = db.session.scalars(
            select(AuditEntry.changes)
            .where(AuditEntry.object_id == cid, AuditEntry.action == "customers.updated")
            .order_by(AuditEntry.id)
        ).all()
    assert [e["locked"] for e in entries if "locked" in e] == [[False, True], [True, False]]


# --- trash ----------------------------------------------------------------------------------------


def test_owner_with_delete_permission_trashes_own_and_restores(app, world):
    p = world.people

    def give_delete(admin):
        role = db.session.scalar(select(Role).where(Role.key == "sales"))
        role.permissions = sorted({*role.permissions, "customers.delete"})

    _as(app, p["admin"], give_delete)
    cid = _shared_customer(app, world)
    other = _as(app, p["rep"], lambda a: service.create_customer(actor=a, name="Eve's").id)
    _as(app, p["owner"], lambda a: sharing.trash(actor=a, customer_id=cid))
    with pytest.raises(ServiceError) as exc:  # Bob may delete, but it is not his
        _as(app, p["read"], lambda a: sharing.trash(actor=a, customer_id=other))
    assert exc.value.status == 404
    # the trash lists what one may restore: Ann sees hers, not Eve's
    _as(app, p["rep"], lambda a: sharing.trash(actor=a, customer_id=other))
    assert _as(app, p["owner"], lambda a: [c.id for c in sharing.list_trash(actor=a).items]) == [
        cid
    ]
    assert _as(app, p["admin"], lambda a: [c.id for c in sharing.list_trash(actor=a).items]) == [
        other,
        cid,
    ]
    with pytest.raises(ServiceError) as exc:
        _as(app, p["owner"], lambda a: sharing.restore(actor=a, customer_id=other))
    assert exc.value.status == 404
    _as(app, p["owner"], lambda a: sharing.restore(actor=a, customer_id=cid))
    assert _as(app, p["read"], lambda a: service.get_customer(a, cid).id) == cid


def test_nightly_purge_by_a_real_worker_with_a_controllable_clock(app, world):
    p = world.people
    old = _shared_customer(app, world, "Old")
    recent = _shared_customer(app, world, "Recent")
    live = _shared_customer(app, world, "Live")
    now = datetime(2026, 12, 1, 3, 0)

    def trash_at(cid, when):
        def go(admin):
            sharing.trash(actor=admin, customer_id=cid)
            db.session.execute(update(Customer).where(Customer.id == cid).values(deleted_at=when))

        _as(app, p["admin"], go)

    from pathlib import Path

    from saas.attachments import service as attachments

    def attach(cid):
        return lambda admin: (
            attachments.upload_attachment(
                actor=admin, customer_id=cid, filename="offer.txt", data=b"an offer"
            ).storage_key
        )

    old_key = _as(app, p["admin"], attach(old))
    recent_key = _as(app, p["admin"], attach(recent))
    files = Path(app.config["TENANTS_DIR"]) / str(world.tenant_id)
    assert (files / old_key).is_file() and (files / recent_key).is_file()
    trash_at(old, now - timedelta(days=31))
    trash_at(recent, now - timedelta(days=29))
    for _twice in range(2):
        with app.app_context():
            get_queue("default").enqueue("saas.customers.tasks.nightly", now=now.isoformat())
        run_jobs(app)
    with app.app_context(), tenant_context(world.tenant_id):
        left = set(db.session.scalars(select(Customer.id)))
        purged = db.session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "customers.deleted")
        ).all()
        shares = db.session.scalar(
            select(func.count(CustomerShare.id)).where(CustomerShare.customer_id == old)
        )
    assert left == {recent, live}
    assert purged == [old]
    assert shares == 0
    # the purged customer's files are gone from storage; the one still in the trash keeps its
    assert not (files / old_key).exists() and (files / recent_key).is_file()


def test_the_scheduler_registers_the_nightly_job(app):
    from saas.cli import scheduled_jobs

    names = [fn.__name__ for fn, _kw in scheduled_jobs()]
    assert "nightly" in names
