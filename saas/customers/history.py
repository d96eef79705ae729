"""A customer's history: its notes and its audit trail merged, newest first, in keyset pages.

Two sources, each read through an index led by ``tenant_id``: live notes
(``customer_notes (tenant_id, customer_id, id)``) and audit entries of the customer itself or of
the rows that belong to it (its notes' edits and deletions, its attachments: ``audit_entries
(tenant_id, object_type, object_id)``). A page takes ``limit + 1`` rows of each source past the
cursor and merges them by ``(time, source, id)``: the order is total, so paging never skips or
repeats a line when new ones arrive meanwhile. The cursor is signed per customer
(``saas.pagination``), so it cannot be edited into another customer's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from saas.audit.describe import Description, describe
from saas.audit.models import AuditEntry
from saas.auth.models import User
from saas.customers import service
from saas.customers.notes import CustomerNote
from saas.extensions import db
from saas.pagination import make_cursor, read_cursor

PAGE = 30

#: Source ranks: the tie-breaker between a note and an audit entry written at the same time.
NOTE, CHANGE = 1, 0


@dataclass
class Related:
    """Audit entries of another table that belong to a customer's history."""

    object_type: str
    #: ``customer_id -> select(Model.id)`` of that customer's rows.
    ids: Callable[[int], Select]
    #: Actions left out (e.g. ``customer_notes.created``: the note itself is shown).
    skip: tuple[str, ...] = ()


#: Tables whose audit entries show in a customer's history (attachments add theirs).
RELATED: list[Related] = [
    Related(
        "customer_notes",
        lambda cid: select(CustomerNote.id).where(CustomerNote.customer_id == cid),
        skip=("customer_notes.created",),
    ),
]


def register_related(related: Related) -> None:
    """Show the audit entries of ``related.object_type`` in customers' histories."""
    RELATED[:] = [r for r in RELATED if r.object_type != related.object_type] + [related]


@dataclass
class Item:
    """One line of the history: a note, or a change in words."""

    kind: str  # "note" | "change"
    at: datetime
    id: int
    note: CustomerNote | None = None
    entry: AuditEntry | None = None
    description: Description | None = None

    @property
    def rank(self) -> int:
        return NOTE if self.kind == "note" else CHANGE


@dataclass
class HistoryPage:
    items: list[Item]
    next: str | None


def _past(at_col: Any, id_col: Any, rank: int, boundary: tuple[datetime, int, int] | None):
    """``(at, rank, id) < boundary`` for one source (its rank is a constant)."""
    if boundary is None:
        return None
    at, b_rank, b_id = boundary
    if rank < b_rank:
        same = at_col == at
    elif rank == b_rank:
        same = and_(at_col == at, id_col < b_id)
    else:
        same = None
    return or_(at_col < at, same) if same is not None else at_col < at


def _boundary(name: str, cursor: str | None) -> tuple[datetime, int, int] | None:
    read = read_cursor(name, cursor)
    if read is None:
        return None
    key, row_id, _direction = read
    try:
        at, rank = datetime.fromisoformat(key[0]), int(key[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return at, rank, row_id


def history(
    *, actor: User, customer_id: int, cursor: str | None = None, limit: int = PAGE
) -> HistoryPage:
    """A page of a visible customer's history, newest first (``NotFound`` if not visible)."""
    customer = service.get_customer(actor, customer_id)
    limit = max(1, min(limit, 200))
    name = f"history:{customer.id}"
    boundary = _boundary(name, cursor)

    notes_q = select(CustomerNote).where(
        CustomerNote.customer_id == customer.id, CustomerNote.deleted_at.is_(None)
    )
    if (cond := _past(CustomerNote.created_at, CustomerNote.id, NOTE, boundary)) is not None:
        notes_q = notes_q.where(cond)
    notes = db.session.scalars(
        notes_q.order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc()).limit(limit + 1)
    ).all()

    mine = and_(AuditEntry.object_type == "customers", AuditEntry.object_id == customer.id)
    related = [
        and_(
            AuditEntry.object_type == r.object_type,
            AuditEntry.object_id.in_(r.ids(customer.id)),
            AuditEntry.action.not_in(r.skip) if r.skip else True,
        )
        for r in RELATED
    ]
    audit_q = select(AuditEntry).where(or_(mine, *related))
    if (cond := _past(AuditEntry.created_at, AuditEntry.id, CHANGE, boundary)) is not None:
        audit_q = audit_q.where(cond)
    entries = db.session.scalars(
        audit_q.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    ).all()

    items = [Item("note", n.created_at, n.id, note=n) for n in notes] + [
        Item("change", e.created_at, e.id, entry=e) for e in entries
    ]
    items.sort(key=lambda i: (i.at, i.rank, i.id), reverse=True)
    more = len(items) > limit
    items = items[:limit]
    for item in items:
        if item.entry is not None:
            item.description = describe(item.entry)
    nxt = None
    if more and items:
        last = items[-1]
        nxt = make_cursor(name, [last.at.isoformat(), last.rank], last.id, "next")
    return HistoryPage(items, nxt)
