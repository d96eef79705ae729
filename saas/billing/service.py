"""Change the tenant's plan."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from saas.access import authorize
from saas.auth.models import User
from saas.billing.models import PlanChange
from saas.billing.providers import get_provider
from saas.errors import Conflict, NotFound
from saas.extensions import db
from saas.tenancy import service as tenancy
from saas.users import seats


def change_plan(*, actor: User, plan_code: str) -> PlanChange | None:
    """Move the actor's tenant to ``plan_code``; refuse a plan smaller than the seats in use."""
    authorize(actor, "billing.manage")
    tenant = actor.tenant
    plan = tenancy.get_plan(plan_code)
    if plan is None:
        raise NotFound(_("No such plan."))
    if plan.id == tenant.plan_id:
        return None
    seats.lock_seats(tenant)
    used = seats.seats_used()
    if plan.max_users is not None and used > plan.max_users:
        raise Conflict(
            _(
                "The %(plan)s plan allows %(limit)d users, but %(used)d seats are in use "
                "(active users and pending invitations). Deactivate users or revoke "
                "invitations first.",
                plan=plan.label,
                limit=plan.max_users,
                used=used,
            ),
            code="seats_in_use",
        )
    provider = get_provider()
    charge = provider.change_plan(tenant=tenant, plan=plan)
    change = PlanChange(
        tenant_id=tenant.id,
        from_plan_id=tenant.plan_id,
        to_plan_id=plan.id,
        actor_id=actor.id,
        provider=provider.name,
        reference=charge.reference,
        amount=plan.price_monthly,
        currency=plan.currency,
    )
    db.session.add(change)
    tenant.plan = plan
    db.session.flush()
    return change


def plan_history() -> list[PlanChange]:
    """The current tenant's plan changes, newest first."""
    return list(db.session.scalars(select(PlanChange).order_by(PlanChange.id.desc())))
