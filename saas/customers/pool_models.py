"""Pool rules' tables: the tenant's rules and limits, the claim/return log, sent warnings.

``pool_settings`` holds one row per tenant (absent = no rules, no limits). ``pool_events`` is
the log the limits read (claims per day, the cooldown after giving a customer up, reveals), so
no limit scans the audit log: ``(tenant_id, user_id, kind, at)`` answers "claims of Ann
today", ``(tenant_id, customer_id, user_id, kind, at)`` "when did Ann last give Acme up".
``pool_warnings`` remembers which owner was warned of which due date, so the nightly job warns
once per customer per due date however often it runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class PoolEventKind(StrEnum):
    #: The user claimed the customer from the pool (counts toward claims per day).
    CLAIMED = "claimed"
    #: The user stopped owning the customer: returned it, or lost it (the nightly job, a
    #: manager, an assignment to someone else). Starts the cooldown.
    RELEASED = "released"
    #: The user revealed the masked phones and emails of a pool customer.
    REVEALED = "revealed"


class PoolSettings(TenantScoped, db.Model):
    """A tenant's pool rules and limits. NULL in a number = that rule or limit is off."""

    __tablename__ = "pool_settings"
    __audit__ = True
    __table_args__ = tenant_args(UniqueConstraint("tenant_id"))

    #: Return to the pool after this many days without follow-up.
    followup_days: Mapped[int | None]
    #: Return to the pool this many days after being claimed while not won (stage potential).
    unwon_days: Mapped[int | None]
    #: Warn the owner this many days before a customer returns.
    warn_days: Mapped[int | None]
    #: Customers one user may own.
    max_owned: Mapped[int | None]
    #: Customers one user may lock.
    max_locked: Mapped[int | None]
    #: Claims from the pool per user per day (the company's time zone).
    max_claims_per_day: Mapped[int | None]
    #: Days before a previous owner may claim a customer they returned or lost again.
    cooldown_days: Mapped[int | None]
    #: Anti-poaching: phones and emails of pool customers are masked until revealed.
    mask_pool_contacts: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PoolLevelRule(TenantScoped, db.Model):
    """A customer level's own return periods: NULL = the company's rule, 0 = off for the level."""

    __tablename__ = "pool_level_rules"
    __audit__ = True
    __table_args__ = tenant_args(
        tenant_fk("level_id", "customer_list_entries", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "level_id"),
    )

    level_id: Mapped[int]
    followup_days: Mapped[int | None]
    unwon_days: Mapped[int | None]


class PoolEvent(TenantScoped, db.Model):
    """One claim, release or reveal of a customer by a user: what the limits count."""

    __tablename__ = "pool_events"
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        Index("ix_pool_events_user_kind_at", "tenant_id", "user_id", "kind", "at"),
        Index("ix_pool_events_customer_user", "tenant_id", "customer_id", "user_id", "kind", "at"),
    )

    customer_id: Mapped[int]
    user_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PoolWarning(TenantScoped, db.Model):
    """The owner was warned that the customer returns to the pool on ``due_at``."""

    __tablename__ = "pool_warnings"
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "customer_id", "user_id", "due_on"),
        Index("ix_pool_warnings_user_due", "tenant_id", "user_id", "due_at"),
    )

    customer_id: Mapped[int]
    user_id: Mapped[int]
    #: When the customer will return (UTC) and its date: one warning per due date.
    due_at: Mapped[datetime]
    due_on: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
