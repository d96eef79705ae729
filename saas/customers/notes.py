"""Notes on a customer: who wrote what, when. Shown in the history tab with the audit trail.

Adding a note needs ``service.may_edit`` on the customer (a read-only sharee may read notes but
not add one) and counts as follow-up (``service.touch``). A note is changed or deleted by its
author (while they may still edit the customer) or by a holder of ``customers.delete`` (an
administrator) who may see the customer. Deletion is soft (``deleted_at``), so the history keeps
the audit line "Ann deleted a note" in its place; every change is audited (model audit).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.audit.describe import REGISTRY, Describer
from saas.auth.models import User
from saas.customers import service
from saas.customers.models import Customer
from saas.errors import NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.pagination import PAGE, Page, paginate
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow

#: Longest note, in characters.
MAX_NOTE = 10_000


class CustomerNote(TenantScoped, db.Model):
    """A quick timestamped note on a customer."""

    __tablename__ = "customer_notes"
    __audit__ = True
    __audit_exclude__ = ("created_at", "updated_at", "edited_at")
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("author_id", "users"),
        # a customer's notes, newest first (the history tab's keyset pages)
        Index("ix_customer_notes_tenant_customer_id", "tenant_id", "customer_id", "id"),
    )

    customer_id: Mapped[int]
    #: Who wrote it (NULL only if written by the system).
    author_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the text was edited.
    edited_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Set: deleted (kept so the history can say so).
    deleted_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(
        primaryjoin="foreign(CustomerNote.author_id) == User.id", viewonly=True
    )
    customer: Mapped[Customer] = relationship(
        primaryjoin="foreign(CustomerNote.customer_id) == Customer.id", viewonly=True
    )


_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
#: Bidirectional embeddings, overrides and isolates: they can make text read as something else
#: ("Trojan source"). Marks (LRM/RLM) and ZWNJ, which Persian needs, stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str | None) -> str:
    """A note's text: line breaks kept (as ``\\n``), other control and format-override
    characters dropped, surrounding whitespace trimmed; ``ValidationFailed`` when empty or too
    long."""
    value = _LINE_BREAKS.sub("\n", value or "")
    value = "".join(
        ch
        for ch in value
        if ch in "\n\t"
        or (unicodedata.category(ch) not in ("Cc", "Cs", "Co") and ch not in _BIDI_CONTROLS)
    ).strip()
    if not value:
        raise ValidationFailed(_("%(what)s is required.", what=_("Note")), code="text")
    if len(value) > MAX_NOTE:
        raise ValidationFailed(
            _("A note may be at most %(n)s characters long.", n=f"{MAX_NOTE:,}"), code="text"
        )
    return value


def add_note(*, actor: User, customer_id: int, text: str) -> CustomerNote:
    """A new note on a customer ``actor`` may edit; counts as follow-up."""
    customer = service.get_customer(actor, customer_id)
    if not service.may_edit(actor, customer):
        raise PermissionDenied()
    note = CustomerNote(customer_id=customer.id, author_id=actor.id, text=clean_text(text))
    db.session.add(note)
    service.touch(customer, actor)
    db.session.flush()
    return note


def list_notes(
    *, actor: User, customer_id: int, cursor: str | None = None, limit: int = PAGE
) -> Page[CustomerNote]:
    """A keyset page of a visible customer's live notes, newest first."""
    customer = service.get_customer(actor, customer_id)
    query = select(CustomerNote).where(
        CustomerNote.customer_id == customer.id, CustomerNote.deleted_at.is_(None)
    )
    return paginate(
        query,
        name=f"notes:{customer.id}",
        key=CustomerNote.id,
        id_col=CustomerNote.id,
        cursor=cursor,
        limit=max(1, min(limit, 200)),
    )


def get_note(actor: User, note_id: int) -> CustomerNote:
    """A live note on a customer ``actor`` may see; ``NotFound`` otherwise."""
    note = db.session.get(CustomerNote, note_id) if isinstance(note_id, int) else None
    if note is None or note.deleted_at is not None:
        raise NotFound()
    service.get_customer(actor, note.customer_id)  # 404 unless the customer is visible
    return note


def may_change(actor: User, note: CustomerNote) -> bool:
    """Whether ``actor`` may edit or delete ``note`` (its author, or an administrator)."""
    customer = db.session.get(Customer, note.customer_id)
    if customer is None or not service.may_see(actor, customer):
        return False
    if actor.can("customers.delete"):
        return True
    return note.author_id == actor.id and service.may_edit(actor, customer)


def _changeable(actor: User, note_id: int) -> CustomerNote:
    note = get_note(actor, note_id)
    if not may_change(actor, note):
        raise PermissionDenied()
    return note


def edit_note(*, actor: User, note_id: int, text: str) -> CustomerNote:
    """Change a note's text (its author or an administrator); audited with old and new text."""
    note = _changeable(actor, note_id)
    clean = clean_text(text)
    if clean != note.text:
        note.text = clean
        note.edited_at = utcnow()
        db.session.flush()
    return note


def delete_note(*, actor: User, note_id: int) -> None:
    """Delete a note (its author or an administrator): kept as deleted, audited."""
    note = _changeable(actor, note_id)
    note.deleted_at = utcnow()
    db.session.flush()


# --- the audit log in words (``saas/audit/describe.py``) --------------------------------------


def _refine_note(changes: dict) -> str | None:
    return "deleted" if (changes.get("deleted_at") or [None, None])[1] else None


def _note_customer(note: CustomerNote) -> str | None:
    customer = db.session.get(Customer, note.customer_id)
    return customer.name if customer is not None else None


REGISTRY["customer_notes"] = Describer(
    plural=_l("Notes"),
    name=_note_customer,
    fields={"text": _l("Note"), "author_id": _l("Author")},
    sentences={
        "created": _l("%(actor)s wrote a note on %(object)s"),
        "updated": _l("%(actor)s edited a note on %(object)s"),
        "deleted": _l("%(actor)s deleted a note on %(object)s"),
    },
    refine=_refine_note,
    fallback=_l("a customer"),
)
