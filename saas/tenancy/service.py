"""Plans and the current tenant row."""

from __future__ import annotations

from sqlalchemy import select

from saas.extensions import db
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Plan, Tenant


def get_plan(code: str) -> Plan | None:
    """The plan with ``code``, or None."""
    return db.session.scalar(select(Plan).where(Plan.code == code))


def list_plans() -> list[Plan]:
    """Every plan, cheapest first."""
    return list(db.session.scalars(select(Plan).order_by(Plan.position)))


def current_tenant() -> Tenant:
    """The current tenant row."""
    return db.session.get(Tenant, require_tenant_id())
