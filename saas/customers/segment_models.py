"""The ``customer_segments`` table: saved list states ("segments") of the Customers page.

A segment stores the list state — ``view``, quick search ``q``, the combined-query tree
``query`` (the engine's JSON, ``query.dump``), ``sort`` and the visible columns ``cols`` —
under a name, private to its creator or shared with the company. It is a stored, re-runnable
query, never a frozen list of ids: running it (``segments.evaluate``) re-validates the tree and
applies the *caller's* visibility.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class CustomerSegment(TenantScoped, db.Model):
    """A named, saved list state. ``shared`` False: only its creator sees it."""

    __tablename__ = "customer_segments"
    __audit__ = True
    __audit_exclude__ = ("created_at", "updated_at", "created_by_id")
    __table_args__ = tenant_args(
        # one name per creator (the service says so in words first)
        UniqueConstraint("tenant_id", "created_by_id", "name"),
        tenant_fk("created_by_id", "users", ondelete="CASCADE"),
        # the segments menu: the company's shared ones
        Index("ix_customer_segments_tenant_shared", "tenant_id", "shared"),
    )

    name: Mapped[str] = mapped_column(String(100))
    shared: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int]
    #: The list (``customers.service.VIEWS``) the state narrows.
    view: Mapped[str] = mapped_column(String(16), default="mine")
    #: Quick-search text, or NULL.
    q: Mapped[str | None] = mapped_column(String(200))
    #: The combined-query tree (``query.dump``), or NULL.
    query: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: ``"<field>"`` or ``"-<field>"``; NULL: the view's order.
    sort: Mapped[str | None] = mapped_column(String(100))
    #: Visible column keys in order; NULL: the user's own columns.
    cols: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
