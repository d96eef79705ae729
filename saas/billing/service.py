"""Change the tenant's plan: preview what will happen (price, seats, proration), then confirm.

Billing is monthly. A company's period runs from the day of the month it signed up (the anchor,
clamped to shorter months) to the same day next month. A plan change takes effect today: the
unused days of the old plan are credited, the remaining days of the new plan charged, both in
proportion to the days left in the period (today included), rounded to the cent. The period
itself does not move, so the next full charge of the new plan is on the period's end.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from saas.access import authorize
from saas.auth.models import User
from saas.billing.models import PlanChange
from saas.billing.providers import get_provider
from saas.errors import Conflict, NotFound
from saas.extensions import db
from saas.formatting import number
from saas.tenancy import service as tenancy
from saas.tenancy.models import Plan, Tenant
from saas.users import seats
from saas.utils import utcnow

CENT = Decimal("0.01")


@dataclass(frozen=True)
class BillingPeriod:
    """One monthly period: ``start`` included, ``end`` (the next renewal) excluded."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def days_left(self, today: date) -> int:
        """Days from ``today`` (included) to the end of the period."""
        return (self.end - today).days


def _anniversary(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def billing_period(anchor: date, today: date) -> BillingPeriod:
    """The monthly period anchored on ``anchor``'s day of the month that contains ``today``."""
    year, month = today.year, today.month
    if _anniversary(year, month, anchor.day) > today:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    start = _anniversary(year, month, anchor.day)
    return BillingPeriod(start, _anniversary(*_next_month(year, month), anchor.day))


def prorate(price: Decimal, days_left: int, days: int) -> Decimal:
    """``price`` for ``days_left`` of ``days``, rounded half up to the cent."""
    return (Decimal(price) * days_left / days).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PlanChangePreview:
    """What changing to ``to_plan`` today would do; ``refusal`` says why it cannot be done."""

    from_plan: Plan
    to_plan: Plan
    seats_used: int
    period: BillingPeriod
    effective: date
    days_left: int
    #: Unused part of the current plan, credited.
    credit: Decimal
    #: The new plan for the rest of the period.
    charge: Decimal
    #: ``charge - credit``: charged now when positive, credited when negative.
    amount: Decimal
    currency: str
    refusal: str | None = None

    @property
    def is_upgrade(self) -> bool:
        return self.to_plan.price_monthly > self.from_plan.price_monthly


def _today() -> date:
    return utcnow().date()


def _get_plan(plan_code: str) -> Plan:
    plan = tenancy.get_plan(plan_code)
    if plan is None:
        raise NotFound(_("No such plan."))
    return plan


def _refusal(plan: Plan, used: int) -> str | None:
    if plan.max_users is None or used <= plan.max_users:
        return None
    return _(
        "The %(plan)s plan allows %(limit)s users, but %(used)s seats are in use "
        "(active users and pending invitations). Deactivate users or withdraw "
        "invitations on the Team page first.",
        plan=plan.label,
        limit=number(plan.max_users),
        used=number(used),
    )


def _preview(tenant: Tenant, plan: Plan, today: date) -> PlanChangePreview:
    period = billing_period(tenant.created_at.date(), today)
    left = period.days_left(today)
    credit = prorate(tenant.plan.price_monthly, left, period.days)
    charge = prorate(plan.price_monthly, left, period.days)
    used = seats.seats_used()
    return PlanChangePreview(
        from_plan=tenant.plan,
        to_plan=plan,
        seats_used=used,
        period=period,
        effective=today,
        days_left=left,
        credit=credit,
        charge=charge,
        amount=charge - credit,
        currency=plan.currency,
        refusal=_refusal(plan, used),
    )


def preview_plan_change(
    *, actor: User, plan_code: str, today: date | None = None
) -> PlanChangePreview | None:
    """What moving to ``plan_code`` would cost and whether it is allowed; None for the same plan."""
    authorize(actor, "billing.manage")
    plan = _get_plan(plan_code)
    if plan.id == actor.tenant.plan_id:
        return None
    return _preview(actor.tenant, plan, today or _today())


def change_plan(
    *,
    actor: User,
    plan_code: str,
    expected_amount: Decimal | None = None,
    today: date | None = None,
) -> PlanChange | None:
    """Move the actor's tenant to ``plan_code``; refuse a plan smaller than the seats in use.

    ``expected_amount`` is the amount the person confirmed: if the preview no longer holds (a new
    day, a new price), nothing happens and ``Conflict`` (``amount_changed``) says so.
    """
    authorize(actor, "billing.manage")
    tenant = actor.tenant
    plan = _get_plan(plan_code)
    if plan.id == tenant.plan_id:
        return None
    seats.lock_seats(tenant)  # re-reads the tenant: another plan change may have committed
    if plan.id == tenant.plan_id:
        return None
    preview = _preview(tenant, plan, today or _today())
    if preview.refusal:
        raise Conflict(preview.refusal, code="seats_in_use")
    if expected_amount is not None and expected_amount != preview.amount:
        raise Conflict(
            _("The amount has changed since you looked. Check it and confirm again."),
            code="amount_changed",
        )
    provider = get_provider()
    charge = provider.change_plan(tenant=tenant, plan=plan, amount=preview.amount)
    change = PlanChange(
        tenant_id=tenant.id,
        from_plan_id=tenant.plan_id,
        to_plan_id=plan.id,
        actor_id=actor.id,
        provider=provider.name,
        reference=charge.reference,
        amount=preview.amount,
        currency=preview.currency,
    )
    db.session.add(change)
    tenant.plan = plan
    db.session.flush()
    return change


def plan_history() -> list[PlanChange]:
    """The current tenant's plan changes, newest first."""
    return list(db.session.scalars(select(PlanChange).order_by(PlanChange.id.desc())))


def next_renewal(tenant: Tenant, today: date | None = None) -> date:
    """The day the current plan is next charged in full."""
    return billing_period(tenant.created_at.date(), today or _today()).end
