"""Plan changes, as the billing provider recorded them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy.models import Plan, TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class PlanChange(TenantScoped, db.Model):
    """One change of plan and what the provider said about its payment."""

    __tablename__ = "plan_changes"
    __audit__ = True
    __table_args__ = tenant_args(tenant_fk("actor_id", "users"))

    from_plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    to_plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    actor_id: Mapped[int | None]
    #: Name of the provider that handled it (``builtin`` records only).
    provider: Mapped[str] = mapped_column(String(32))
    #: The provider's reference for the payment or subscription.
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    to_plan: Mapped[Plan] = relationship(foreign_keys=[to_plan_id])
    from_plan: Mapped[Plan] = relationship(foreign_keys=[from_plan_id])
