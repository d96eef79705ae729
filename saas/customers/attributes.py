"""Tables of the tenant-editable lists and custom fields of customers.

* ``customer_list_entries``: one row per entry of a list (levels, stages, industries, sources,
  tags, return reasons), with a badge colour and a position; archived entries stay on the
  customers that have them but are not offered any more.
* ``customer_tags``: which tags a customer carries (many per customer), indexed
  ``(tenant_id, tag_id, customer_id)`` so "customers tagged X" is one index range.
* ``custom_fields``: the admin's field definitions, in the admin's order.
* ``customer_field_values``: typed EAV, one row per (customer, field) — one row per chosen
  option for a multi-choice field — with the value in the column of its type, each typed column
  indexed ``(tenant_id, field_id, value_*, customer_id)`` so the list issue can filter and sort
  on a custom field with one index range (docs/ARCHITECTURE.md "Custom fields").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, Numeric, String, Text, UniqueConstraint, column
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class ListKind(StrEnum):
    LEVEL = "level"
    STAGE = "stage"
    INDUSTRY = "industry"
    SOURCE = "source"
    TAG = "tag"
    RETURN_REASON = "return_reason"


#: Plural names of the lists (Settings → Lists) and the singular a form label uses.
LIST_LABELS: dict[str, Any] = {
    ListKind.LEVEL: _l("Levels"),
    ListKind.STAGE: _l("Stages"),
    ListKind.INDUSTRY: _l("Industries"),
    ListKind.SOURCE: _l("Sources"),
    ListKind.TAG: _l("Tags"),
    ListKind.RETURN_REASON: _l("Return reasons"),
}

#: Badge colours: each is a CSS class ``badge-c-<name>`` in static/css/baza.css whose text and
#: background pass WCAG AA (4.5:1; tests/test_lists.py measures them).
PALETTE: dict[str, Any] = {
    "gray": _l("Grey"),
    "red": _l("Red"),
    "orange": _l("Orange"),
    "yellow": _l("Yellow"),
    "green": _l("Green"),
    "teal": _l("Teal"),
    "blue": _l("Blue"),
    "purple": _l("Purple"),
    "pink": _l("Pink"),
}


class ListEntry(TenantScoped, db.Model):
    """One entry of one of a tenant's lists."""

    __tablename__ = "customer_list_entries"
    __audit__ = True
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "kind", "name"),
        Index("ix_customer_list_entries_tenant_kind_position", "tenant_id", "kind", "position"),
    )

    #: ``ListKind``.
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    #: A key of ``PALETTE``.
    colour: Mapped[str] = mapped_column(String(16), default="gray")
    position: Mapped[int] = mapped_column(default=0)
    #: Stages only: potential | active | ended (``CustomerStage``), what pool rules read.
    category: Mapped[str | None] = mapped_column(String(16))
    archived_at: Mapped[datetime | None]

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def badge_class(self) -> str:
        return f"badge badge-c-{self.colour if self.colour in PALETTE else 'gray'}"


class CustomerTag(TenantScoped, db.Model):
    """A tag (a ``tag`` list entry) on a customer."""

    __tablename__ = "customer_tags"
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "customer_id", "tag_id"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("tag_id", "customer_list_entries"),
        # "customers tagged X" (the list filters of the next issue): one index range
        Index("ix_customer_tags_tenant_tag_customer", "tenant_id", "tag_id", "customer_id"),
    )

    customer_id: Mapped[int]
    tag_id: Mapped[int]


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"


FIELD_TYPE_LABELS: dict[str, Any] = {
    FieldType.TEXT: _l("Text"),
    FieldType.LONG_TEXT: _l("Long text"),
    FieldType.NUMBER: _l("Number"),
    FieldType.MONEY: _l("Money"),
    FieldType.DATE: _l("Date"),
    FieldType.CHOICE: _l("Choice"),
    FieldType.MULTI_CHOICE: _l("Several choices"),
    FieldType.YES_NO: _l("Yes/no"),
}


class CustomField(TenantScoped, db.Model):
    """A field an admin added to the company's customers."""

    __tablename__ = "custom_fields"
    __audit__ = True
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "key"),
        Index("ix_custom_fields_tenant_position", "tenant_id", "position"),
    )

    #: Stable key of the API (``custom_fields: {key: value}``), from the first label.
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    #: ``FieldType``; fixed once created (values are stored in the column of their type).
    type: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(default=False)
    unique: Mapped[bool] = mapped_column(default=False)
    #: Choice and multi-choice: the options, in order.
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def type_label(self) -> str:
        return str(FIELD_TYPE_LABELS.get(self.type, self.type))


def _typed_index(name: str) -> Index:
    """``(tenant_id, field_id, <column>, customer_id)``, only over rows that use the column."""
    where = column(name).is_not(None)
    return Index(
        f"ix_customer_field_values_{name}",
        "tenant_id",
        "field_id",
        name,
        "customer_id",
        postgresql_where=where,
        sqlite_where=where,
    )


class CustomerFieldValue(TenantScoped, db.Model):
    """The value of one custom field for one customer (one row per option of a multi-choice)."""

    __tablename__ = "customer_field_values"
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("field_id", "custom_fields", ondelete="CASCADE"),
        # a customer's values (the card, the form)
        Index("ix_customer_field_values_customer", "tenant_id", "customer_id", "field_id"),
        _typed_index("value_text"),
        _typed_index("value_number"),
        _typed_index("value_date"),
        _typed_index("value_bool"),
        # unique fields: the database refuses a second customer with the same value even when
        # two saves race past the service's indexed check (NULL = not a unique field)
        UniqueConstraint("tenant_id", "field_id", "unique_key"),
    )

    customer_id: Mapped[int]
    field_id: Mapped[int]
    #: text and choice values (and each option of a multi-choice): short enough to index.
    value_text: Mapped[str | None] = mapped_column(String(200))
    #: long text: not indexed (searched by the full-text search of the list issue).
    value_long: Mapped[str | None] = mapped_column(Text)
    #: number and money (exact decimals).
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    value_date: Mapped[date | None]
    value_bool: Mapped[bool | None]
    #: Set only for fields marked unique: the value as compared (case-folded text …).
    unique_key: Mapped[str | None] = mapped_column(String(200))
