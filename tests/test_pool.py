"""Pool rules and limits: settings, caps refused with their reason, the nightly job run by a real
RQ worker with a controllable clock (returns, warnings once, lock, idempotence), masking."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.customers import pool, service
from saas.customers.models import Customer
from saas.customers.pool_models import PoolEvent, PoolSettings, PoolWarning
from saas.errors import PermissionDenied, ServiceError, ValidationFailed
from saas.extensions import db
from saas.jobs import get_queue
from saas.mail.models import MailMessage
from saas.tenancy.context import tenant_context
from saas.utils import utcnow
from tests.conftest import add_member, as_member, login, make_company, run_jobs

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _in(app, company, fn):
    with app.test_request_context("/"), tenant_context(company.tenant_id):
        result = fn()
        db.session.commit()
        return result


def _rules(app, company, **values):
    _as(app, company.owner, lambda a: pool.update_settings(actor=a, **values))


def _create(app, member, name, **kw):
    return _as(app, member, lambda a: service.create_customer(actor=a, name=name, **kw).id)


def _set(app, company, cid, **values):
    _in(app, company, lambda: db.session.execute(
        update(Customer).where(Customer.id == cid).values(**values)
    ))  # fmt: skip


def _customer(app, company, cid):
    def read():
        c = db.session.get(Customer, cid)
        return {"owner_id": c.owner_id, "reason": c.return_reason, "locked": c.locked}

    return _in(app, company, read)


def _nightly(app, now: datetime):
    """Enqueue the scheduled job with the clock at ``now`` and run it with a real worker."""
    from saas.customers.pool_tasks import apply_pool_rules

    with app.app_context():
        job = get_queue("default").enqueue(apply_pool_rules, now.isoformat())
    run_jobs(app, ("default",))
    with app.app_context():
        job.refresh()
        return job.return_value()


def _claim(app, member, cid):
    """Claim as ``member``; the new owner's id."""
    return _as(app, member, lambda a: service.claim(actor=a, customer_id=cid).owner_id)


def _words(entry) -> str:
    """An audit entry's sentence as plain text."""
    return describe(entry).sentence.striptags()


def _refusal(app, member, fn):
    with pytest.raises(ServiceError) as info:
        _as(app, member, fn)
    return info.value


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    return company, ann, bob


NOW = datetime(2027, 3, 10, 2, 10)


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"followup_days": -1}, "followup_days"),
        ({"followup_days": 0}, "followup_days"),
        ({"unwon_days": 100_000}, "unwon_days"),
        ({"max_owned": -5}, "max_owned"),
        ({"max_claims_per_day": 10**9}, "max_claims_per_day"),
        ({"cooldown_days": True}, "cooldown_days"),
        ({"followup_days": "30"}, "followup_days"),
        ({"warn_days": 3}, "warn_days"),  # nothing returns: nothing to warn of
        ({"followup_days": 30, "unwon_days": 5, "warn_days": 5}, "warn_days"),
    ],
)
def test_absurd_settings_are_refused_on_their_field(app, team, values, code):
    company, _, _ = team
    error = _refusal(app, company.owner, lambda a: pool.update_settings(actor=a, **values))
    assert isinstance(error, ValidationFailed) and error.code == code, error.message
    assert _in(app, company, pool.get_settings) is None


def test_only_settings_managers_set_the_rules_and_each_tenant_has_its_own(app, team):
    company, ann, _ = team
    other = make_company(app, "Other Co")
    with pytest.raises(PermissionDenied):
        _as(app, ann, lambda a: pool.update_settings(actor=a, followup_days=3))
    _rules(app, company, followup_days=30, warn_days=3, mask_pool_contacts=True)
    _rules(app, other, followup_days=7)
    _rules(app, company, followup_days=45, warn_days=5, max_owned=10)
    assert _in(app, company, pool.current_rules) == {
        "followup_days": 45,
        "unwon_days": None,
        "warn_days": 5,
        "max_owned": 10,
        "max_locked": None,
        "max_claims_per_day": None,
        "cooldown_days": None,
        "mask_pool_contacts": False,
        "levels": {},
    }
    assert _in(app, other, pool.current_rules)["followup_days"] == 7
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalar(select(func.count(PoolSettings.id))) == 1  # one row per tenant
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "pool_settings")
        ).all()
        with app.test_request_context("/"):
            sentences = [_words(e) for e in entries]
    assert sorted(sentences) == sorted(
        ["Acme Owner set the pool rules", "Acme Owner changed the pool rules"]
    ), sentences


# --- limits -----------------------------------------------------------------------------------


def test_claims_per_day_cap_is_refused_with_its_reason_and_rolls_the_claim_back(app, team):
    company, ann, _ = team
    ids = [_create(app, company.owner, f"Pool {i}", owner_id=None) for i in range(3)]
    _rules(app, company, max_claims_per_day=2)
    _claim(app, ann, ids[0])
    _claim(app, ann, ids[1])
    error = _refusal(app, ann, lambda a: service.claim(actor=a, customer_id=ids[2]))
    assert (error.status, error.code) == (409, "claim_limit")
    assert "limit of claims per day (2)" in error.message
    assert _customer(app, company, ids[2])["owner_id"] is None  # still in the pool
    # yesterday's claims do not count
    _in(app, company, lambda: db.session.execute(
        update(PoolEvent).values(at=utcnow() - timedelta(days=2))
    ))  # fmt: skip
    assert _claim(app, ann, ids[2]) == ann.id


def test_owning_cap_refuses_claim_assign_and_create(app, team):
    company, ann, bob = team
    mine = _create(app, ann, "Ann's")
    pooled = _create(app, company.owner, "Pooled", owner_id=None)
    bobs = _create(app, bob, "Bob's")
    _rules(app, company, max_owned=1)
    error = _refusal(app, ann, lambda a: service.claim(actor=a, customer_id=pooled))
    assert (error.status, error.code) == (409, "owning_limit")
    assert "limit of customers one person may own (1)" in error.message
    error = _refusal(
        app, company.owner, lambda a: service.assign(actor=a, customer_id=bobs, user_id=ann.id)
    )
    assert error.code == "owning_limit" and error.message.startswith("Sales Person has reached")
    assert _customer(app, company, bobs)["owner_id"] == bob.id
    error = _refusal(app, ann, lambda a: service.create_customer(actor=a, name="Third"))
    assert error.code == "owning_limit"
    # the limit counts live customers: giving one back makes room
    _as(app, ann, lambda a: service.return_to_pool(actor=a, customer_id=mine, reason="Done"))
    assert _claim(app, ann, pooled) == ann.id


def test_lock_cap(app, team):
    company, ann, _ = team
    first = _create(app, ann, "First")
    second = _create(app, ann, "Second")
    _rules(app, company, max_locked=1)
    _as(app, ann, lambda a: pool.check_lock(a, exclude=first))  # locking the first: fine
    _set(app, company, first, locked=True)
    error = _refusal(app, ann, lambda a: pool.check_lock(a, exclude=second))
    assert (error.status, error.code) == (409, "lock_limit")
    # re-checking the already locked one does not count it twice
    _as(app, ann, lambda a: pool.check_lock(a, exclude=first))


def test_cooldown_after_returning_or_losing_a_customer(app, team):
    company, ann, bob = team
    cid = _create(app, ann, "Acme")
    _rules(app, company, cooldown_days=7)
    _as(app, ann, lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="No budget"))
    error = _refusal(app, ann, lambda a: service.claim(actor=a, customer_id=cid))
    assert (error.status, error.code) == (409, "cooldown")
    assert "again from" in error.message
    assert _claim(app, bob, cid) == bob.id  # others may
    # Bob loses it to Ann by assignment: now Bob waits
    _as(app, company.owner, lambda a: service.return_to_pool(actor=a, customer_id=cid, reason="x"))
    assert _refusal(app, bob, lambda a: service.claim(actor=a, customer_id=cid)).code == "cooldown"

    # a week later Ann may claim it again
    def a_week_ago():
        for event in db.session.scalars(select(PoolEvent)):
            event.at -= timedelta(days=8)

    _in(app, company, a_week_ago)
    assert _claim(app, ann, cid) == ann.id


def test_no_settings_means_no_limits(app, team):
    company, ann, _ = team
    for i in range(5):
        _claim(app, ann, _create(app, company.owner, f"P{i}", owner_id=None))


# --- the nightly job --------------------------------------------------------------------------


def test_nightly_job_returns_due_customers_protects_locked_and_is_idempotent(app, team):
    company, ann, bob = team
    other = make_company(app, "Other Co")
    stale = _create(app, ann, "Stale")
    fresh = _create(app, ann, "Fresh")
    locked = _create(app, ann, "Locked")
    unwon = _create(app, bob, "Unwon")
    won = _create(app, bob, "Won", stage="active")
    pooled = _create(app, company.owner, "Pooled", owner_id=None)
    foreign = _create(app, other.owner, "Foreign")
    _rules(app, company, followup_days=30, unwon_days=60)  # B has no rules
    old = NOW - timedelta(days=31)
    _set(app, company, stale, last_followup_at=old, claimed_at=NOW - timedelta(days=1))
    recent = NOW - timedelta(days=1)  # claimed (created) yesterday: the unwon rule waits
    _set(app, company, fresh, last_followup_at=NOW - timedelta(days=29), claimed_at=recent)
    _set(app, company, locked, last_followup_at=old, claimed_at=old, locked=True)
    _set(app, company, unwon, claimed_at=NOW - timedelta(days=61), last_followup_at=NOW)
    _set(app, company, won, claimed_at=NOW - timedelta(days=61), last_followup_at=NOW)
    _set(app, other, foreign, last_followup_at=NOW - timedelta(days=365))

    assert _nightly(app, NOW) == {"returned": 2, "warned": 0, "failed": 0}
    state = {cid: _customer(app, company, cid) for cid in (stale, fresh, locked, unwon, won)}
    assert state[stale] == {"owner_id": None, "reason": "No follow-up for 30 days", "locked": False}
    assert state[unwon]["owner_id"] is None
    assert state[unwon]["reason"] == "Not won 60 days after being claimed"
    assert state[fresh]["owner_id"] == ann.id
    assert state[locked]["owner_id"] == ann.id
    assert state[won]["owner_id"] == bob.id
    assert _customer(app, other, foreign)["owner_id"] == other.owner.id

    def history():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "customers", AuditEntry.object_id.in_([stale, unwon]))
            .where(AuditEntry.action == "customers.updated")
        ).all()
        returns = [e for e in entries if "owner_id" in e.changes]
        return sorted((e.object_id, e.actor_id, _words(e)) for e in returns)

    audit = _in(app, company, history)
    assert audit == sorted(
        [
            (stale, None, "The system returned Stale to the pool: No follow-up for 30 days"),
            (
                unwon,
                None,
                "The system returned Unwon to the pool: Not won 60 days after being claimed",
            ),
        ]
    ), audit
    # the previous owners' cooldown starts from the return
    released = _in(app, company, lambda: pool.last_release(stale, ann.id))
    assert released == NOW

    # run twice: the same result, no second audit entry
    assert _nightly(app, NOW) == {"returned": 0, "warned": 0, "failed": 0}
    assert _in(app, company, history) == audit
    assert _customer(app, company, pooled)["owner_id"] is None


def test_a_follow_up_or_a_claim_restarts_the_clock(app, team):
    company, ann, _ = team
    cid = _create(app, ann, "Acme")
    _rules(app, company, followup_days=10)
    _set(app, company, cid, last_followup_at=NOW - timedelta(days=11))
    _in(app, company, lambda: pool.followed_up(db.session.get(Customer, cid), NOW))
    assert _nightly(app, NOW)["returned"] == 0
    # customers.service.touch (an edit, a note …) is a follow-up
    _set(app, company, cid, last_followup_at=NOW - timedelta(days=11))
    _as(app, ann, lambda a: service.touch(db.session.get(Customer, cid), a))
    followed = _in(app, company, lambda: db.session.get(Customer, cid).last_followup_at)
    assert abs(followed - utcnow()) < timedelta(minutes=1)
    assert _customer(app, company, cid)["owner_id"] == ann.id
    # a claim counts as follow-up too
    pooled = _create(app, company.owner, "Pooled", owner_id=None)
    _set(app, company, pooled, last_followup_at=datetime(2020, 1, 1))
    _claim(app, ann, pooled)
    assert _nightly(app, utcnow() + timedelta(days=9))["returned"] == 0
    assert _nightly(app, utcnow() + timedelta(days=10, minutes=1))["returned"] == 2
    assert _customer(app, company, pooled)["owner_id"] is None
    assert _customer(app, company, cid)["owner_id"] is None


def test_warning_once_per_due_date_on_the_dashboard_and_by_mail(app, team, client):
    company, ann, bob = team
    soon = _create(app, ann, "Soon Ltd")
    later = _create(app, ann, "Later Ltd")
    bobs = _create(app, bob, "Bob Ltd")
    _rules(app, company, followup_days=30, warn_days=3)
    now = utcnow()
    _set(app, company, soon, last_followup_at=now - timedelta(days=28))  # due in 2 days
    _set(app, company, later, last_followup_at=now - timedelta(days=20))  # due in 10 days
    _set(app, company, bobs, last_followup_at=now - timedelta(days=29))

    assert _nightly(app, now) == {"returned": 0, "warned": 2, "failed": 0}
    assert _nightly(app, now + timedelta(hours=5)) == {"returned": 0, "warned": 0, "failed": 0}

    def mails():
        return sorted(
            (m.to_addr, m.kind, m.subject, m.body_text)
            for m in db.session.scalars(
                select(MailMessage).where(MailMessage.kind == "pool_warning")
            )
        )

    sent = _in(app, company, mails)
    assert [(to, kind) for to, kind, *_ in sent] == [
        ("ann@acme.example.com", "pool_warning"),
        ("bob@acme.example.com", "pool_warning"),
    ]
    assert "Soon Ltd" in sent[0][3] and "Later Ltd" not in sent[0][3]
    assert sent[0][2] == "1 of your customers returns to the pool soon"

    login(client, ann.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "dashboard-pool-returns" in page and "Soon Ltd" in page and "Bob Ltd" not in page
    assert f"/customers/{soon}" in page

    # a follow-up takes it off the panel; a new due date later warns again, once
    _in(app, company, lambda: pool.followed_up(db.session.get(Customer, soon)))
    assert "dashboard-pool-returns" not in client.get("/dashboard").get_data(as_text=True)
    _set(app, company, soon, last_followup_at=now + timedelta(days=1) - timedelta(days=28))
    # Bob's is due the next night: returned; Soon's new due date is warned of
    assert _nightly(app, now + timedelta(days=1)) == {"returned": 1, "warned": 1, "failed": 0}
    assert _nightly(app, now + timedelta(days=1))["warned"] == 0
    assert len(_in(app, company, mails)) == 3
    # due: returned, and the warning leaves the panel
    assert _nightly(app, now + timedelta(days=4))["returned"] == 1
    assert "dashboard-pool-returns" not in client.get("/dashboard").get_data(as_text=True)
    count = _in(app, company, lambda: db.session.scalar(select(func.count(PoolWarning.id))))
    assert count == 3


def test_a_failing_tenant_does_not_stop_the_others(app, team, monkeypatch):
    company, ann, _ = team
    other = make_company(app, "Other Co")
    cid = _create(app, ann, "Acme")
    oid = _create(app, other.owner, "Foreign")
    _rules(app, company, followup_days=1)
    _rules(app, other, followup_days=1)
    _set(app, company, cid, last_followup_at=NOW - timedelta(days=2))
    _set(app, other, oid, last_followup_at=NOW - timedelta(days=2))
    real = pool.run_rules
    fail_for = company.tenant_id

    def flaky(now=None):
        from saas.tenancy.context import current_tenant_id

        result = real(now=now)
        if current_tenant_id() == fail_for:
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(pool, "run_rules", flaky)
    assert _nightly(app, NOW) == {"returned": 1, "warned": 0, "failed": 1}
    assert _customer(app, company, cid)["owner_id"] == ann.id  # rolled back
    assert _customer(app, other, oid)["owner_id"] is None


def test_the_scheduler_registers_the_nightly_job(app, monkeypatch):
    from rq.cron import CronScheduler

    started = []
    monkeypatch.setattr(CronScheduler, "start", lambda self: started.append(self))
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    (cron,) = started
    jobs = [
        j
        for j in cron.get_jobs()
        if "apply_pool_rules" in (getattr(j, "func_name", None) or repr(j))
    ]
    assert len(jobs) == 1 and jobs[0].cron == "10 2 * * *"


# --- anti-poaching ----------------------------------------------------------------------------


def test_masked_until_revealed_and_every_reveal_is_audited(app, team):
    company, ann, bob = team
    cid = _create(app, company.owner, "Acme", owner_id=None)
    mine = _create(app, ann, "Mine")
    assert _as(app, ann, lambda a: pool.masked(a, db.session.get(Customer, cid))) is False
    _rules(app, company, mask_pool_contacts=True)
    assert _as(app, ann, lambda a: pool.masked(a, db.session.get(Customer, cid))) is True
    assert _as(app, ann, lambda a: pool.masked(a, db.session.get(Customer, mine))) is False
    _as(app, ann, lambda a: pool.reveal(actor=a, customer_id=cid))
    _as(app, ann, lambda a: pool.reveal(actor=a, customer_id=cid))  # nothing left to reveal
    assert _as(app, ann, lambda a: pool.masked(a, db.session.get(Customer, cid))) is False
    assert _as(app, bob, lambda a: pool.masked(a, db.session.get(Customer, cid))) is True

    def reveals():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "customers.revealed")
        ).all()
        return [_words(e) for e in entries]

    assert _in(app, company, reveals) == ["Sales Person revealed the phones and emails of Acme"]


def test_reveal_of_another_tenants_customer_is_404(app, team):
    company, _, _ = team
    other = make_company(app, "Other Co")
    cid = _create(app, company.owner, "Acme", owner_id=None)
    _rules(app, company, mask_pool_contacts=True)
    error = _refusal(app, other.owner, lambda a: pool.reveal(actor=a, customer_id=cid))
    assert error.status == 404


# --- web and API ------------------------------------------------------------------------------


def test_settings_page_shows_explanations_and_keeps_input_with_errors(app, team, client):
    company, _, _ = team
    login(client, company.owner.email)
    page = client.get("/settings/pool").get_data(as_text=True)
    assert "without follow-up" in page and 'name="followup_days"' in page
    from tests.conftest import csrf

    token = csrf(client, "/settings/pool")
    resp = client.post(
        "/settings/pool",
        data={"csrf_token": token, "followup_days": "-3", "max_owned": "abc", "warn_days": ""},
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'value="-3"' in body and 'aria-invalid="true"' in body
    resp = client.post(
        "/settings/pool",
        data={"csrf_token": token, "followup_days": "10", "warn_days": "10"},
    )
    assert resp.status_code == 422
    assert "shortest return period" in resp.get_data(as_text=True)
    resp = client.post(
        "/settings/pool",
        data={"csrf_token": token, "followup_days": "10", "warn_days": "2", "cooldown_days": "3"},
    )
    assert resp.status_code == 303
    rules = _in(app, company, pool.current_rules)
    assert (rules["followup_days"], rules["warn_days"], rules["cooldown_days"]) == (10, 2, 3)


def _token(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def test_api_contract(app, team, client):
    company, ann, _ = team
    auth = {"Authorization": f"Bearer {_token(app, company.owner)}"}
    resp = client.put(
        "/api/v1/pool-rules", json={"followup_days": 30, "warn_days": 3}, headers=auth
    )
    assert resp.status_code == 200 and resp.json["followup_days"] == 30
    assert resp.json["max_owned"] is None
    for bad in ({"followup_days": -1}, {"followup_days": "30"}, {"nope": 1}, {"warn_days": 40}):
        resp = client.put("/api/v1/pool-rules", json=bad, headers=auth)
        assert resp.status_code == 422, (bad, resp.json)
        assert set(resp.json["error"]) >= {"code", "message"}
    assert client.get("/api/v1/pool-rules", headers=auth).json["followup_days"] == 30

    rep = {"Authorization": f"Bearer {_token(app, ann)}"}
    assert client.get("/api/v1/pool-rules", headers=rep).status_code == 403
    _rules(app, company, max_claims_per_day=1)
    first = _create(app, company.owner, "One", owner_id=None)
    second = _create(app, company.owner, "Two", owner_id=None)
    assert client.post(f"/api/v1/customers/{first}/claim", headers=rep).status_code == 200
    resp = client.post(f"/api/v1/customers/{second}/claim", headers=rep)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "claim_limit"

    spec = client.get("/api/v1/openapi.json").json
    claim = spec["paths"]["/api/v1/customers/{customer_id}/claim"]["post"]["responses"]
    assert "claim_limit" in claim["409"]["description"]
    assert "422" in spec["paths"]["/api/v1/pool-rules"]["put"]["responses"]


def test_the_card_offers_reveal_while_masked_and_the_masks_hide_all_but_a_little(app, team, client):
    company, ann, _ = team
    cid = _create(app, company.owner, "Acme", owner_id=None)
    _rules(app, company, mask_pool_contacts=True)
    login(client, ann.email)
    card = client.get(f"/customers/{cid}").get_data(as_text=True)
    assert "Reveal phones and emails" in card
    from tests.conftest import csrf

    resp = client.post(
        f"/customers/{cid}/reveal", data={"csrf_token": csrf(client, f"/customers/{cid}")}
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/customers/{cid}")
    assert "Reveal phones and emails" not in client.get(f"/customers/{cid}").get_data(as_text=True)
    assert pool.mask_phone("+86 138 0013 8012") == "+86 *** **** **12"
    assert pool.mask_phone("0912 345 6789") == "**** *** **89"
    assert pool.mask_email("ann@acme.example.com") == "a***@acme.example.com"
    assert pool.mask_email("") == ""


def test_a_refused_claim_on_the_customers_page_says_why(app, team, client):
    company, ann, _ = team
    first = _create(app, company.owner, "One", owner_id=None)
    second = _create(app, company.owner, "Two", owner_id=None)
    _rules(app, company, max_claims_per_day=1)
    login(client, ann.email)
    from tests.conftest import csrf

    token = csrf(client, "/customers?view=pool")
    assert client.post(f"/customers/{first}/claim", data={"csrf_token": token}).status_code == 303
    resp = client.post(
        f"/customers/{second}/claim", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 409
    assert "limit of claims per day (1)" in resp.get_data(as_text=True)
    assert _customer(app, company, second)["owner_id"] is None


# --- per level --------------------------------------------------------------------------------


def _levels(app, company):
    from saas.customers import lists

    return _in(app, company, lambda: {e.name: e.id for e in lists.entries("level")})


def test_per_level_days_a_level_may_switch_a_rule_off(app, team, client):
    company, ann, _ = team
    levels = _levels(app, company)
    assert len(levels) >= 2, levels
    gold, cold = list(levels.values())[:2]
    plain = _create(app, ann, "Plain")
    gold_31 = _create(app, ann, "Gold 31")
    gold_61 = _create(app, ann, "Gold 61")
    cold_400 = _create(app, ann, "Cold 400")
    _as(
        app,
        company.owner,
        lambda a: pool.update_settings(
            actor=a,
            followup_days=30,
            levels={gold: {"followup_days": 60}, cold: {"followup_days": 0}},
        ),
    )
    recent = NOW - timedelta(days=1)
    _set(app, company, plain, last_followup_at=NOW - timedelta(days=31), claimed_at=recent)
    for cid, days, level in ((gold_31, 31, gold), (gold_61, 61, gold), (cold_400, 400, cold)):
        _set(app, company, cid, last_followup_at=NOW - timedelta(days=days), claimed_at=recent,
             level_id=level)  # fmt: skip
    assert _nightly(app, NOW) == {"returned": 2, "warned": 0, "failed": 0}
    owners = {
        cid: _customer(app, company, cid)["owner_id"] for cid in (plain, gold_31, gold_61, cold_400)
    }
    assert owners == {plain: None, gold_31: ann.id, gold_61: None, cold_400: ann.id}
    assert _customer(app, company, gold_61)["reason"] == "No follow-up for 60 days"
    assert _nightly(app, NOW)["returned"] == 0

    # the page shows each level with its values; the API round-trips them; bad values refused
    login(client, company.owner.email)
    page = client.get("/settings/pool").get_data(as_text=True)
    assert f'name="level_{gold}_followup_days"' in page and 'value="60"' in page
    auth = {"Authorization": f"Bearer {_token(app, company.owner)}"}
    got = client.get("/api/v1/pool-rules", headers=auth).json["levels"]
    assert {(r["level_id"], r["followup_days"]) for r in got} == {(gold, 60), (cold, 0)}
    other = make_company(app, "Other Co")
    foreign = next(iter(_levels(app, other).values()))
    resp = client.put(
        "/api/v1/pool-rules",
        json={"followup_days": 30, "levels": [{"level_id": foreign, "followup_days": 5}]},
        headers=auth,
    )
    assert resp.status_code == 422  # another tenant's level
    resp = client.put(
        "/api/v1/pool-rules",
        json={"followup_days": 30, "levels": [{"level_id": gold, "followup_days": -1}]},
        headers=auth,
    )
    assert resp.status_code == 422
    resp = client.put("/api/v1/pool-rules", json={"followup_days": 30}, headers=auth)
    assert resp.status_code == 200 and resp.json["levels"] == []
