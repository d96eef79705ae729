"""The ``customers`` table: one row per customer of a tenant, owned by a user or in the pool."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.auth.models import User
from saas.customers.attributes import ListEntry
from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class CustomerStage(StrEnum):
    POTENTIAL = "potential"
    ACTIVE = "active"
    ENDED = "ended"


KIND_LABELS = {CustomerKind.COMPANY: _l("Company"), CustomerKind.PERSON: _l("Person")}
STAGE_LABELS = {
    CustomerStage.POTENTIAL: _l("Potential"),
    CustomerStage.ACTIVE: lazy_pgettext("customer stage", "Active"),
    CustomerStage.ENDED: _l("Ended"),
}


class Customer(TenantScoped, db.Model):
    """A customer. ``owner_id`` NULL = in the pool; ``deleted_at`` set = in the trash.

    Indexes are laid out for a million rows per tenant (docs/ARCHITECTURE.md "Customers"):
    every list reads one tenant's rows through an index led by ``tenant_id``.
    """

    __tablename__ = "customers"
    __audit__ = True
    __audit_exclude__ = (
        "name_key",
        "last_followup_at",
        "updated_at",
        "updated_by_id",
        "created_at",
        "created_by_id",
    )
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("owner_id", "users"),
        tenant_fk("created_by_id", "users"),
        tenant_fk("updated_by_id", "users"),
        tenant_fk("level_id", "customer_list_entries"),
        tenant_fk("industry_id", "customer_list_entries"),
        tenant_fk("source_id", "customer_list_entries"),
        tenant_fk("stage_id", "customer_list_entries"),
        # "Mine" / a rep's customers / the pool (owner_id IS NULL), newest No. first
        Index("ix_customers_tenant_owner_number", "tenant_id", "owner_id", "number"),
        # the duplicate check (one equality lookup) and the quick search's name prefix
        # (LIKE 'key%': pattern ops make it a range scan on PostgreSQL in any collation)
        Index(
            "ix_customers_tenant_name_key",
            "tenant_id",
            "name_key",
            postgresql_ops={"name_key": "varchar_pattern_ops"},
        ),
        # the duplicate check's similar names (PostgreSQL: pg_trgm, revision 0012)
        Index(
            "ix_customers_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # "All" (live rows) and the trash, newest first
        Index("ix_customers_tenant_deleted_id", "tenant_id", "deleted_at", "id"),
        # the pool rules' nightly job: owned customers without follow-up since a date
        Index("ix_customers_tenant_followup", "tenant_id", "last_followup_at"),
        # … and owned customers claimed before a date and not won yet
        Index("ix_customers_tenant_claimed", "tenant_id", "claimed_at"),
    )

    #: Per-tenant serial (No.), from ``tenants.customer_seq``: gap-free, never reused.
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    #: ``normalize.name_key(name)``: what the duplicate check compares.
    name_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=CustomerKind.COMPANY)
    #: The category of ``stage_id``'s entry (potential/active/ended): what pool rules read.
    stage: Mapped[str] = mapped_column(String(16), default=CustomerStage.POTENTIAL)
    #: Entries of the tenant's lists (``customers.lists``); tags are ``customer_tags`` rows.
    level_id: Mapped[int | None]
    industry_id: Mapped[int | None]
    source_id: Mapped[int | None]
    stage_id: Mapped[int | None]
    #: ISO 3166 alpha-2.
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(300))
    comments: Mapped[str | None] = mapped_column(Text)
    #: Get in touch every N days (1 to 3650); NULL: no rhythm set.
    contact_frequency_days: Mapped[int | None]
    #: What and how the customer likes to buy (free text, ≤ 2,000 characters).
    purchase_preferences: Mapped[str | None] = mapped_column(Text)
    #: NULL: in the pool.
    owner_id: Mapped[int | None]
    #: Protected: never returned to the pool by the pool rules.
    locked: Mapped[bool] = mapped_column(default=False)
    claimed_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    #: Why it was last returned to the pool.
    return_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None]
    updated_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Last follow-up (any change or note, a claim): the pool rules count days from it.
    last_followup_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set: in the trash.
    deleted_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(
        primaryjoin="foreign(Customer.owner_id) == User.id", viewonly=True
    )

    level: Mapped[ListEntry | None] = relationship(
        primaryjoin="foreign(Customer.level_id) == ListEntry.id", viewonly=True, lazy="selectin"
    )
    industry: Mapped[ListEntry | None] = relationship(
        primaryjoin="foreign(Customer.industry_id) == ListEntry.id", viewonly=True, lazy="selectin"
    )
    source: Mapped[ListEntry | None] = relationship(
        primaryjoin="foreign(Customer.source_id) == ListEntry.id", viewonly=True, lazy="selectin"
    )
    stage_entry: Mapped[ListEntry | None] = relationship(
        primaryjoin="foreign(Customer.stage_id) == ListEntry.id", viewonly=True, lazy="selectin"
    )

    @property
    def tags(self) -> list[ListEntry]:
        """The tags, in the tag list's order (``customers.lists``)."""
        from saas.customers.lists import tags_of

        return tags_of(self)

    @property
    def custom_fields(self) -> dict[str, Any]:
        """``{key: JSON value}`` of the live custom fields (``customers.fields``)."""
        from saas.customers.fields import values_of

        return values_of(self)

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))  # type: ignore[call-overload]

    @property
    def stage_label(self) -> str:
        if self.stage_entry is not None:  # the tenant's name for it
            return self.stage_entry.name
        return str(STAGE_LABELS.get(self.stage, self.stage))  # type: ignore[call-overload]


class ShareAccess(StrEnum):
    READ = "read"
    WRITE = "write"


ACCESS_LABELS = {ShareAccess.READ: _l("Can view"), ShareAccess.WRITE: _l("Can edit")}


class CustomerShare(TenantScoped, db.Model):
    """A customer shared with a user: ``read`` (see it) or ``write`` (also edit it, its notes
    and contacts), until a date (inclusive; NULL = no end). A share past its ``until`` is void:
    the access rules ignore it and the nightly sweep deletes it."""

    __tablename__ = "customer_shares"
    __audit__ = True
    __audit_exclude__ = ("created_at", "created_by_id")
    __table_args__ = tenant_args(
        # one share per (customer, user); also "who has access to this customer" (sharing tab)
        UniqueConstraint("tenant_id", "customer_id", "user_id"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        tenant_fk("created_by_id", "users"),
        # "Shared with me", newest customer first: walked backwards by customer_id
        Index("ix_customer_shares_tenant_user_customer", "tenant_id", "user_id", "customer_id"),
        # the nightly sweep of expired shares
        Index("ix_customer_shares_tenant_until", "tenant_id", "until"),
    )

    customer_id: Mapped[int]
    user_id: Mapped[int]
    access: Mapped[str] = mapped_column(String(8), default=ShareAccess.READ)
    #: Last day of access (inclusive, UTC date); NULL: until cancelled.
    until: Mapped[date | None]
    created_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(
        primaryjoin="foreign(CustomerShare.user_id) == User.id", viewonly=True
    )

    @property
    def access_label(self) -> str:
        return str(ACCESS_LABELS.get(self.access, self.access))  # type: ignore[call-overload]
