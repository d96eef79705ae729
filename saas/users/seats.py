"""Seats: active members plus pending invitations, within the plan's limit.

Every seat-consuming operation calls ``ensure_free_seat`` (or ``lock_seats`` then
``check_free_seat``): it locks the tenant row and only then reads the plan and counts, so two
requests for the last seat cannot both win. Whatever the caller read before the lock (the
tenant's plan, the invitation's or user's state) may be stale by then: ``lock_seats`` re-reads the
tenant and its plan from the database, and callers refresh their own objects after it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from saas.auth.models import Invitation, User
from saas.errors import SeatLimitReached
from saas.extensions import db
from saas.formatting import number
from saas.tenancy.models import Plan, Tenant
from saas.utils import utcnow


def seats_used(*, exclude_invitation_id: int | None = None) -> int:
    """Active users plus pending invitations of the current tenant."""
    users = db.session.scalar(select(func.count(User.id)).where(User.is_active.is_(True)))
    pending = select(func.count(Invitation.id)).where(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )
    if exclude_invitation_id is not None:
        pending = pending.where(Invitation.id != exclude_invitation_id)
    return (users or 0) + (db.session.scalar(pending) or 0)


def lock_seats(tenant: Tenant) -> Plan:
    """Serialise seat-consuming operations of ``tenant`` until the transaction ends.

    An UPDATE of the tenant row takes its row lock on PostgreSQL and the write lock on SQLite,
    so two requests racing for the last seat count one after the other: exactly one wins.
    The tenant and its plan are then read again (a plan change may have committed while this
    request waited for the lock) and the current plan is returned.
    """
    db.session.execute(
        update(Tenant)
        .where(Tenant.id == tenant.id)
        .values(seat_lock=Tenant.seat_lock + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(tenant)
    plan = db.session.scalars(
        select(Plan).where(Plan.id == tenant.plan_id).execution_options(populate_existing=True)
    ).one()
    return plan


def ensure_free_seat(
    tenant: Tenant, *, actor: User | None = None, exclude_invitation_id: int | None = None
) -> None:
    """Lock the seats, then raise ``SeatLimitReached`` if the plan has none free.

    The message tells ``actor`` what to do: upgrade (if they may), or whom to ask.
    """
    plan = lock_seats(tenant)
    check_free_seat(tenant, plan, actor=actor, exclude_invitation_id=exclude_invitation_id)


def check_free_seat(
    tenant: Tenant,
    plan: Plan,
    *,
    actor: User | None = None,
    exclude_invitation_id: int | None = None,
) -> None:
    """Raise ``SeatLimitReached`` if ``plan`` has no free seat; call after ``lock_seats``."""
    limit = plan.max_users
    if limit is None or seats_used(exclude_invitation_id=exclude_invitation_id) < limit:
        return
    full = _(
        "Your %(plan)s plan includes %(limit)s users and all seats are taken "
        "(pending invitations hold a seat).",
        plan=plan.label,
        limit=number(limit),
    )
    if actor is None:
        raise SeatLimitReached(
            _(
                "%(company)s has no free seat on its plan right now. Ask the person who "
                "invited you to upgrade the plan, then open this link again.",
                company=tenant.name,
            )
        )
    if actor.can("billing.manage"):
        advice = _("Upgrade the plan on the Billing page to add more users.")
    else:
        advice = _("Ask the owner of the company to upgrade the plan.")
    raise SeatLimitReached(f"{full} {advice}")
