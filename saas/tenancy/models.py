"""Global tables (plans, tenants) and the mixin every tenant-owned table uses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, ForeignKeyConstraint, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.utils import utcnow

#: Translated names of the built-in plans (the row's ``name`` is the fallback).
PLAN_LABELS = {"free": _l("Free"), "team": _l("Team"), "business": _l("Business")}


class Plan(db.Model):
    """A subscription plan. Global table: limits are data, not code branches."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key used by code and the API: free, team, business.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    #: Active users allowed (invitations pending count too); NULL = unlimited.
    max_users: Mapped[int | None]
    price_monthly: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    position: Mapped[int] = mapped_column(default=0)
    #: Largest attachment, in MB (also capped by the installation's ATTACHMENT_MAX_MB).
    attachment_max_mb: Mapped[int] = mapped_column(default=5, server_default="5")
    #: Total size of a company's attachments, in MB; NULL = unlimited.
    storage_mb: Mapped[int | None]
    #: Most data rows one imported table may have.
    import_max_rows: Mapped[int] = mapped_column(default=1000, server_default="1000")

    @property
    def label(self) -> str:
        """The plan's name in the user's language."""
        return str(PLAN_LABELS.get(self.code, self.name))


class Tenant(db.Model):
    """A subscribing company. Global table; everything else hangs off its id."""

    __tablename__ = "tenants"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: ISO 4217 code used for new money amounts.
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    #: ISO 3166 alpha-2 code used to read phone numbers without a country prefix.
    default_country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: Storage key of the logo (under tenants/<id>/), or NULL.
    logo_key: Mapped[str | None] = mapped_column(String(200))
    smtp_host: Mapped[str | None] = mapped_column(String(200))
    smtp_port: Mapped[int | None]
    smtp_user: Mapped[str | None] = mapped_column(String(200))
    #: Fernet token (saas/crypto.py, purpose "smtp"): never stored in plain text.
    smtp_password_encrypted: Mapped[str | None] = mapped_column(Text)
    smtp_from: Mapped[str | None] = mapped_column(String(200))
    #: none | starttls | ssl
    smtp_security: Mapped[str | None] = mapped_column(String(16))
    #: Bumped by every seat-consuming operation: the UPDATE serialises them per tenant.
    seat_lock: Mapped[int] = mapped_column(default=0)
    #: The last customer number given out (``customers.service.next_number``).
    customer_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    #: What an exact duplicate customer does: ``warn`` or ``block`` (``customers.duplicates``).
    duplicate_policy: Mapped[str] = mapped_column(String(8), default="warn", server_default="warn")
    #: Weekly backups kept for this many weeks; 0 = no weekly backups (``saas/backups``).
    backup_weeks: Mapped[int] = mapped_column(default=0, server_default="0")

    plan: Mapped[Plan] = relationship(lazy="joined")

    __audit_exclude__ = ("seat_lock", "customer_seq", "smtp_password_encrypted")
    __audit_mask__ = ("smtp_password_encrypted",)


class TenantScoped:
    """Mixin of every tenant-owned table: an ``id`` key, ``tenant_id``, ``UNIQUE(tenant_id, id)``.

    Use ``tenant_args(...)`` for ``__table_args__`` and ``tenant_fk(...)`` for foreign keys to
    other tenant tables, so the database itself refuses a row pointing into another tenant.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


def tenant_args(*items: object) -> tuple:
    """``__table_args__`` for a tenant table: ``UNIQUE(tenant_id, id)`` plus ``items``."""
    return (UniqueConstraint("tenant_id", "id"), *items)


def tenant_fk(column: str, table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, column) → table(tenant_id, id)``."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )
