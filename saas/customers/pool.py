"""Pool rules and limits: when owned customers go back to the pool, and who may take how many.

Rules (``pool_settings``, one row per tenant; a NULL number = that rule is off):

* a customer returns to the pool after ``followup_days`` without follow-up
  (``customers.last_followup_at``: any change or note, a claim), or ``unwon_days`` after being
  claimed while still not won (stage ``potential``); locked customers never return;
* its owner is warned ``warn_days`` before, once per customer per due date (``pool_warnings``),
  on the dashboard and by mail;
* limits: customers one user may own (``max_owned``), lock (``max_locked``), claims per user per
  day (``max_claims_per_day``, the company's calendar day) and the cooldown before a previous
  owner may claim a customer they returned or lost again (``cooldown_days``). A refusal is
  ``PoolLimitReached`` (409) with a code naming the limit and a sentence naming the number.

Limits are checked after the ownership UPDATE has won its row and with the user's row locked
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock is held since the UPDATE), so two
claims by one user at once cannot both slip under a cap; a refusal rolls the claim back.

``run_rules(now)`` is the nightly job's work for the current tenant (``pool_tasks``); ``now`` is
the controllable clock. Returns are conditional UPDATEs (only if the owner and the follow-up
are still the ones read), audited per row with no actor (the system); run twice, the second run
finds nothing due and nothing new to warn about.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from saas.access import authorize
from saas.audit.service import record_event
from saas.auth.models import User
from saas.customers.models import Customer, CustomerStage
from saas.customers.pool_models import (
    PoolEvent,
    PoolEventKind,
    PoolLevelRule,
    PoolSettings,
    PoolWarning,
)
from saas.errors import Conflict, NotFound, ValidationFailed
from saas.extensions import db
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow

#: Longest period a day count may name (ten years).
MAX_DAYS = 3650
#: Largest cap (customers owned or locked, claims per day).
MAX_CAP = 1_000_000

#: The settings a form or the API may change, with their bounds (lowest, highest).
NUMBERS: dict[str, tuple[int, int]] = {
    "followup_days": (1, MAX_DAYS),
    "unwon_days": (1, MAX_DAYS),
    "warn_days": (1, MAX_DAYS),
    "max_owned": (0, MAX_CAP),
    "max_locked": (0, MAX_CAP),
    "max_claims_per_day": (0, MAX_CAP),
    "cooldown_days": (1, MAX_DAYS),
}


class PoolLimitReached(Conflict):
    """A claim, assignment or lock beyond one of the company's pool limits (409)."""

    code = "pool_limit"


# --- settings ----------------------------------------------------------------------------------


def get_settings() -> PoolSettings | None:
    """The current tenant's pool rules, or None when it never set any."""
    require_tenant_id()
    return db.session.scalar(select(PoolSettings))


#: A level's own periods: 0 switches the rule off for the level, NULL takes the company's.
LEVEL_NUMBERS = ("followup_days", "unwon_days")


def level_rules() -> dict[int, dict[str, int | None]]:
    """Each level with its own periods: level id → {followup_days, unwon_days}."""
    require_tenant_id()
    return {
        r.level_id: {n: getattr(r, n) for n in LEVEL_NUMBERS}
        for r in db.session.scalars(select(PoolLevelRule).order_by(PoolLevelRule.level_id))
    }


def current_rules() -> dict[str, Any]:
    """The rules as plain values (all off when never set): what forms and the API show."""
    row = get_settings()
    values: dict[str, Any] = {name: getattr(row, name, None) for name in NUMBERS}
    values["mask_pool_contacts"] = bool(row and row.mask_pool_contacts)
    values["levels"] = level_rules()
    return values


def _bounded(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(_("Enter a whole number."), code=name)
    low, high = NUMBERS[name]
    if value < low or value > high:
        raise ValidationFailed(
            _("Enter a number from %(low)s to %(high)s.", low=low, high=high), code=name
        )
    return value


def _clean_levels(levels: Any) -> dict[int, dict[str, int | None]]:
    """``{level id: {followup_days, unwon_days}}`` checked: levels of this tenant, 0 to MAX_DAYS."""
    from saas.customers.lists import get_entry

    clean: dict[int, dict[str, int | None]] = {}
    for level_id, values in (levels or {}).items():
        try:
            get_entry(level_id, "level")
        except NotFound:
            raise ValidationFailed(_("Choose one of the offered values."), code="levels") from None
        own = {}
        for name in LEVEL_NUMBERS:
            value = (values or {}).get(name)
            code = f"level_{level_id}_{name}"
            if value is None or value == "":
                own[name] = None
            elif isinstance(value, bool) or not isinstance(value, int):
                raise ValidationFailed(_("Enter a whole number."), code=code)
            elif not 0 <= value <= MAX_DAYS:
                raise ValidationFailed(
                    _("Enter a number from %(low)s to %(high)s.", low=0, high=MAX_DAYS), code=code
                )
            else:
                own[name] = value
        if any(v is not None for v in own.values()):
            clean[level_id] = own
    return clean


def update_settings(
    *, actor: User, mask_pool_contacts: bool = False, levels: Any = None, **numbers: Any
) -> PoolSettings:
    """Set the tenant's pool rules and limits (``settings.manage``); every number is optional
    (None = off) and bounded; the warning must come before the earliest return."""
    authorize(actor, "settings.manage")
    unknown = set(numbers) - set(NUMBERS)
    if unknown:
        raise ValueError(f"unknown pool settings {sorted(unknown)}")
    if not isinstance(mask_pool_contacts, bool):
        raise ValidationFailed(_("Choose yes or no."), code="mask_pool_contacts")
    clean = {name: _bounded(name, numbers.get(name)) for name in NUMBERS}
    own = _clean_levels(levels) if levels is not None else level_rules()
    periods = [clean[n] for n in LEVEL_NUMBERS if clean[n] is not None]
    periods += [v for values in own.values() for v in values.values() if v]
    if clean["warn_days"] is not None:
        if not periods:
            raise ValidationFailed(
                _("A warning needs a rule that returns customers to the pool."), code="warn_days"
            )
        if clean["warn_days"] >= min(periods):
            raise ValidationFailed(
                ngettext(
                    "Warn fewer days ahead than the shortest return period (%(num)s day).",
                    "Warn fewer days ahead than the shortest return period (%(num)s days).",
                    min(periods),
                ),
                code="warn_days",
            )
    row = get_settings()
    if row is None:
        row = PoolSettings()
        db.session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    row.mask_pool_contacts = mask_pool_contacts
    if levels is not None:
        existing = {r.level_id: r for r in db.session.scalars(select(PoolLevelRule))}
        for level_id, rule in existing.items():
            if level_id not in own:
                db.session.delete(rule)
        for level_id, values in own.items():
            rule = existing.get(level_id) or PoolLevelRule(level_id=level_id)
            db.session.add(rule)
            for name, value in values.items():
                setattr(rule, name, value)
    db.session.flush()
    return row


# --- limits ------------------------------------------------------------------------------------


def _lock_user(user_id: int) -> None:
    """Serialize one user's limit checks: their row is locked until the transaction ends
    (PostgreSQL; SQLite serializes every writer already)."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _is_actor(user: User) -> bool:
    from flask import g

    return g.get("actor_id") == user.id


def check_owning(user: User, *, exclude: int | None = None) -> None:
    """Refuse (409 ``owning_limit``) when ``user`` already owns the most customers allowed;
    ``exclude`` is a customer already counted as theirs by the operation being checked."""
    row = get_settings()
    if row is None or row.max_owned is None:
        return
    _lock_user(user.id)
    query = select(func.count(Customer.id)).where(
        Customer.owner_id == user.id, Customer.deleted_at.is_(None)
    )
    if exclude is not None:
        query = query.where(Customer.id != exclude)
    if (db.session.scalar(query) or 0) >= row.max_owned:
        if _is_actor(user):
            message = _(
                "You have reached the pool rules' limit of customers one person may own (%(n)s).",
                n=row.max_owned,
            )
        else:
            message = _(
                "%(name)s has reached the pool rules' limit of customers one person may own "
                "(%(n)s).",
                name=user.name,
                n=row.max_owned,
            )
        raise PoolLimitReached(message, code="owning_limit")


def check_lock(user: User, *, exclude: int | None = None) -> None:
    """Refuse (409 ``lock_limit``) when ``user`` already has the most locked customers allowed;
    call it before locking one of their customers (``exclude``: that customer)."""
    row = get_settings()
    if row is None or row.max_locked is None:
        return
    _lock_user(user.id)
    query = select(func.count(Customer.id)).where(
        Customer.owner_id == user.id, Customer.locked.is_(True), Customer.deleted_at.is_(None)
    )
    if exclude is not None:
        query = query.where(Customer.id != exclude)
    if (db.session.scalar(query) or 0) >= row.max_locked:
        raise PoolLimitReached(
            _(
                "%(name)s has reached the pool rules' limit of locked customers per person "
                "(%(n)s).",
                name=user.name,
                n=row.max_locked,
            ),
            code="lock_limit",
        )


def _day_start(now: datetime) -> datetime:
    """Midnight of ``now``'s day in the company's time zone, as naive UTC."""
    tenant = db.session.get(Tenant, require_tenant_id())
    try:
        zone = ZoneInfo(tenant.timezone or "UTC") if tenant else ZoneInfo("UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    start = datetime.combine(local.date(), time(), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def last_release(customer_id: int, user_id: int) -> datetime | None:
    """When ``user_id`` last stopped owning ``customer_id`` (returned it or lost it)."""
    return db.session.scalar(
        select(PoolEvent.at)
        .where(
            PoolEvent.customer_id == customer_id,
            PoolEvent.user_id == user_id,
            PoolEvent.kind == PoolEventKind.RELEASED,
        )
        .order_by(PoolEvent.at.desc())
        .limit(1)
    )


def check_claim(actor: User, customer: Customer, *, now: datetime | None = None) -> None:
    """Refuse a claim beyond a limit: the cooldown (``cooldown``), claims today
    (``claim_limit``), customers owned (``owning_limit``). ``customer`` may already be the
    actor's (the claim's UPDATE ran first); it is not counted against them."""
    row = get_settings()
    if row is None:
        return
    from saas.formatting import user_date

    now = now or utcnow()
    _lock_user(actor.id)
    if row.cooldown_days is not None:
        released = last_release(customer.id, actor.id)
        if released is not None and released > now - timedelta(days=row.cooldown_days):
            again = released + timedelta(days=row.cooldown_days)
            raise PoolLimitReached(
                _(
                    "You gave this customer up on %(date)s; the pool rules let you claim it "
                    "again from %(again)s.",
                    date=user_date(released),
                    again=user_date(again, with_time=True),
                ),
                code="cooldown",
            )
    if row.max_claims_per_day is not None:
        claims = db.session.scalar(
            select(func.count(PoolEvent.id)).where(
                PoolEvent.user_id == actor.id,
                PoolEvent.kind == PoolEventKind.CLAIMED,
                PoolEvent.at >= _day_start(now),
                PoolEvent.customer_id != customer.id,
            )
        )
        if (claims or 0) >= row.max_claims_per_day:
            raise PoolLimitReached(
                _(
                    "You have reached the pool rules' limit of claims per day (%(n)s); claim "
                    "again tomorrow.",
                    n=row.max_claims_per_day,
                ),
                code="claim_limit",
            )
    check_owning(actor, exclude=customer.id)


def record(kind: PoolEventKind, customer_id: int, user_id: int, at: datetime | None = None) -> None:
    """Log a claim, release or reveal for the limits to count."""
    db.session.add(
        PoolEvent(kind=kind, customer_id=customer_id, user_id=user_id, at=at or utcnow())
    )


def claimed(actor: User, customer: Customer, *, now: datetime | None = None) -> None:
    """After ``actor``'s claim UPDATE won: check the limits (raise → the claim is rolled back),
    then log the claim."""
    check_claim(actor, customer, now=now)
    record(PoolEventKind.CLAIMED, customer.id, actor.id, now)


def released(
    customer_id: int, previous_owner_id: int | None, *, now: datetime | None = None
) -> None:
    """``previous_owner_id`` stopped owning ``customer_id``: the cooldown starts."""
    if previous_owner_id is not None:
        record(PoolEventKind.RELEASED, customer_id, previous_owner_id, now)


# --- the nightly rules --------------------------------------------------------------------------


@dataclass(order=True)
class Due:
    """An owned customer the rules return at ``due_at``, and why."""

    due_at: datetime
    customer_id: int
    owner_id: int
    #: ``followup`` or ``unwon``, with the rule's days.
    rule: str
    days: int
    #: The value the rule counted from (the UPDATE re-checks it: a follow-up meanwhile wins).
    since: datetime


def _groups(row: PoolSettings) -> list[tuple[Any, int | None, int | None]]:
    """(customer filter, follow-up days, unwon days) per group of customers with one rule."""
    groups = []
    rules = level_rules()
    for level_id, own in rules.items():
        periods = [
            (row_value if own[name] is None else (own[name] or None))
            for name, row_value in (
                ("followup_days", row.followup_days),
                ("unwon_days", row.unwon_days),
            )
        ]
        groups.append((Customer.level_id == level_id, *periods))
    rest = (
        or_(Customer.level_id.is_(None), Customer.level_id.not_in(list(rules))) if rules else true()
    )
    groups.append((rest, row.followup_days, row.unwon_days))
    return groups


def _owned() -> Any:
    return and_(
        Customer.owner_id.is_not(None), Customer.locked.is_(False), Customer.deleted_at.is_(None)
    )


def due_customers(row: PoolSettings, horizon: datetime, groups: list | None = None) -> list[Due]:
    """Owned, unlocked customers that return to the pool on or before ``horizon``; each with
    its earliest due date. Reads through ``(tenant_id, last_followup_at)`` and
    ``(tenant_id, claimed_at)``."""
    found: dict[int, Due] = {}

    def keep(due: Due) -> None:
        if due.customer_id not in found or due < found[due.customer_id]:
            found[due.customer_id] = due

    for criteria, followup_days, unwon_days in groups if groups is not None else _groups(row):
        if followup_days is not None:
            cutoff = horizon - timedelta(days=followup_days)
            for cid, owner, since in db.session.execute(
                select(Customer.id, Customer.owner_id, Customer.last_followup_at).where(
                    _owned(), criteria, Customer.last_followup_at <= cutoff
                )
            ):
                keep(
                    Due(
                        since + timedelta(days=followup_days),
                        cid,
                        owner,
                        "followup",
                        followup_days,
                        since,
                    )
                )
        if unwon_days is not None:
            cutoff = horizon - timedelta(days=unwon_days)
            for cid, owner, since in db.session.execute(
                select(Customer.id, Customer.owner_id, Customer.claimed_at).where(
                    _owned(),
                    criteria,
                    Customer.claimed_at <= cutoff,
                    Customer.stage == CustomerStage.POTENTIAL,
                )
            ):
                keep(
                    Due(since + timedelta(days=unwon_days), cid, owner, "unwon", unwon_days, since)
                )
    return sorted(found.values())


def _reason(due: Due, owner: User | None) -> str:
    """The return reason, written in the losing owner's language."""
    with force_locale(owner.language if owner else "en"):
        if due.rule == "followup":
            return ngettext(
                "No follow-up for %(num)s day", "No follow-up for %(num)s days", due.days
            )
        return ngettext(
            "Not won %(num)s day after being claimed",
            "Not won %(num)s days after being claimed",
            due.days,
        )


def _return(due: Due, now: datetime) -> bool:
    """One conditional UPDATE: back to the pool if still owned by the same owner, unlocked, and
    with no follow-up (or claim, or win) since the rule's date was read."""
    owner = db.session.get(User, due.owner_id)
    # held (the identity map is weak) and loaded, so the audit entry of the UPDATE names it
    customer = db.session.get(Customer, due.customer_id)
    condition = [
        Customer.id == due.customer_id,
        Customer.owner_id == due.owner_id,
        Customer.locked.is_(False),
        Customer.deleted_at.is_(None),
    ]
    if due.rule == "followup":
        condition.append(Customer.last_followup_at == due.since)
    else:
        condition += [Customer.claimed_at == due.since, Customer.stage == CustomerStage.POTENTIAL]
    result = db.session.execute(
        update(Customer)
        .where(*condition)
        .values(
            owner_id=None,
            returned_at=now,
            return_reason=_reason(due, owner)[:200],
            updated_at=now,
            updated_by_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    released(due.customer_id, due.owner_id, now=now)
    return customer is not None


@dataclass
class RulesReport:
    returned: int = 0
    warned: int = 0


def run_rules(now: datetime | None = None) -> RulesReport:
    """The current tenant's nightly work: return what is due, warn owners of what soon is."""
    now = now or utcnow()
    report = RulesReport()
    row = get_settings()
    if row is None:
        return report
    groups = _groups(row)
    if all(f is None and u is None for _c, f, u in groups):
        return report
    horizon = now + timedelta(days=row.warn_days or 0)
    upcoming: list[Due] = []
    for due in due_customers(row, horizon, groups):
        if due.due_at <= now:
            report.returned += _return(due, now)
        elif row.warn_days is not None:
            upcoming.append(due)
    report.warned = _warn(upcoming, now)
    return report


def _warn(upcoming: list[Due], now: datetime) -> int:
    """Record a warning per (customer, owner, due date) not warned of yet, and mail each
    owner once listing their new ones."""
    new: dict[int, list[Due]] = defaultdict(list)
    for due in upcoming:
        due_on = due.due_at.date().isoformat()
        exists = db.session.scalar(
            select(PoolWarning.id).where(
                PoolWarning.customer_id == due.customer_id,
                PoolWarning.user_id == due.owner_id,
                PoolWarning.due_on == due_on,
            )
        )
        if exists:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    PoolWarning(
                        customer_id=due.customer_id,
                        user_id=due.owner_id,
                        due_at=due.due_at,
                        due_on=due_on,
                        created_at=now,
                    )
                )
        except IntegrityError:  # a second run at the same moment warned first
            continue
        new[due.owner_id].append(due)
    for owner_id, dues in new.items():
        _mail_warning(owner_id, dues)
    return sum(len(d) for d in new.values())


def _mail_warning(owner_id: int, dues: list[Due]) -> None:
    """One mail to the owner listing the customers that return soon (links on ``BASE_URL``)."""
    from flask import current_app, has_request_context

    from saas.links import external_url
    from saas.mail.service import queue_mail

    owner = db.session.get(User, owner_id)
    if owner is None or not owner.is_active:
        return
    if not has_request_context():  # the scheduled job: links need a request to build on
        base = (
            current_app.config.get("BASE_URL") or f"http://localhost:{current_app.config['PORT']}"
        )
        with current_app.test_request_context("/", base_url=base):
            return _mail_warning(owner_id, dues)
    customers = {
        c.id: c
        for c in db.session.scalars(
            select(Customer).where(Customer.id.in_([d.customer_id for d in dues]))
        )
    }
    items = [
        (
            customers[d.customer_id],
            d.due_at,
            external_url("customers.show", customer_id=d.customer_id),
        )
        for d in dues
        if d.customer_id in customers
    ]
    queue_mail(
        kind="pool_warning",
        to=owner.email,
        template="pool_warning",
        language=owner.language,
        user=owner,
        items=items,
        dashboard_url=external_url("dashboard.index"),
    )


def upcoming_returns(
    user: User, *, now: datetime | None = None, limit: int = 20
) -> list[tuple[Customer, datetime]]:
    """The dashboard's panel: ``user``'s customers they were warned about, still theirs, still
    unlocked and with no follow-up since the warning, soonest first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Customer, PoolWarning.due_at)
        .join(PoolWarning, PoolWarning.customer_id == Customer.id)
        .where(
            PoolWarning.user_id == user.id,
            PoolWarning.due_at > now,
            Customer.owner_id == user.id,
            Customer.locked.is_(False),
            Customer.deleted_at.is_(None),
            Customer.last_followup_at <= PoolWarning.created_at,
        )
        .order_by(PoolWarning.due_at, Customer.id)
        .limit(limit)
    ).all()
    return [(c, at) for c, at in rows]


# --- follow-up ---------------------------------------------------------------------------------


def followed_up(customer: Customer, at: datetime | None = None) -> None:
    """``customer`` had a follow-up (a change, a note, a claim): its rules' clock restarts."""
    customer.last_followup_at = at or utcnow()


# --- anti-poaching ------------------------------------------------------------------------------


def masked(actor: User, customer: Customer) -> bool:
    """Whether ``customer``'s phones and emails are hidden from ``actor``: the company masks
    pool customers, this one is in the pool, and ``actor`` has not revealed it since it last
    came back to the pool."""
    if customer.owner_id is not None:
        return False
    row = get_settings()
    if row is None or not row.mask_pool_contacts:
        return False
    since = customer.returned_at or customer.created_at
    revealed = db.session.scalar(
        select(PoolEvent.id)
        .where(
            PoolEvent.customer_id == customer.id,
            PoolEvent.user_id == actor.id,
            PoolEvent.kind == PoolEventKind.REVEALED,
            PoolEvent.at >= since,
        )
        .limit(1)
    )
    return revealed is None


def reveal(*, actor: User, customer_id: int) -> Customer:
    """Show ``actor`` the masked phones and emails of a pool customer; audited
    ("Ann revealed the phones and emails of Acme"). Nothing to reveal: nothing recorded."""
    from saas.customers.service import get_customer

    customer = get_customer(actor, customer_id)
    if masked(actor, customer):
        record(PoolEventKind.REVEALED, customer.id, actor.id)
        record_event("customers.revealed", customer)
        db.session.flush()
    return customer


def mask_phone(number: str | None) -> str:
    """A phone with all but its last two digits hidden: ``+86 *** **** **12``."""
    if not number:
        return ""
    digits = sum(ch.isdigit() for ch in number)
    seen = 0
    out = []
    for i, ch in enumerate(number):
        if ch.isdigit():
            seen += 1
            keep = seen > digits - 2 or (number.startswith("+") and i <= 2)
            out.append(ch if keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_email(address: str | None) -> str:
    """An email with its local part hidden but the first letter: ``a***@example.com``."""
    if not address:
        return ""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"
