"""Per-user list preferences: which columns a list shows, in which order, and its page size.

One row per (user, list) in ``list_preferences`` (revision 0020), tenant-owned like every other
table: the ORM scoping and the PostgreSQL policy keep one company's rows from another, and the
service only ever reads and writes the acting user's own row, so a user can neither read nor
change a colleague's choice. ``list_name`` names the list (``customers`` today; the contacts
grid can keep its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from saas.auth.models import User
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow

#: Page sizes a list offers; the first page of a list without a choice has ``DEFAULT_SIZE``.
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
#: Most columns a list keeps (a custom field per column would otherwise grow without end).
MAX_COLUMNS = 40
LIST_NAMES = ("customers",)


class ListPreference(TenantScoped, db.Model):
    """One user's columns and page size of one list."""

    __tablename__ = "list_preferences"
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "user_id", "list_name"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )

    user_id: Mapped[int]
    list_name: Mapped[str] = mapped_column(String(32))
    #: Visible column keys in order; NULL: the list's default columns.
    columns: Mapped[list[str] | None] = mapped_column(JSON)
    #: One of ``PAGE_SIZES``; NULL: ``DEFAULT_SIZE``.
    page_size: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Prefs:
    columns: list[str] | None
    page_size: int


def _row(actor: User, list_name: str) -> ListPreference | None:
    return db.session.scalar(
        select(ListPreference).where(
            ListPreference.user_id == actor.id, ListPreference.list_name == list_name
        )
    )


def _check_list(list_name: str) -> None:
    if list_name not in LIST_NAMES:
        raise ValidationFailed(_("Choose one of the offered values."), code="list")


def get_prefs(actor: User, list_name: str = "customers") -> Prefs:
    """``actor``'s own preferences of ``list_name`` (defaults when none are saved)."""
    _check_list(list_name)
    row = _row(actor, list_name)
    if row is None:
        return Prefs(None, DEFAULT_SIZE)
    size = row.page_size if row.page_size in PAGE_SIZES else DEFAULT_SIZE
    return Prefs(list(row.columns) if row.columns else None, size)


def check_size(size: object) -> int:
    """``size`` if it is one of ``PAGE_SIZES``, else ``ValidationFailed`` (code ``size``)."""
    if isinstance(size, bool) or size not in PAGE_SIZES:
        raise ValidationFailed(
            _(
                "Choose a page size of %(sizes)s.",
                sizes=", ".join(str(s) for s in PAGE_SIZES),
            ),
            code="size",
        )
    return size  # type: ignore[return-value]


def save_prefs(
    actor: User,
    list_name: str = "customers",
    *,
    columns: list[str] | None = None,
    page_size: int | None = None,
    allowed: set[str] | None = None,
) -> Prefs:
    """Remember ``actor``'s columns (keys of ``allowed``, in order, each once, at least one)
    and/or page size for ``list_name``. Only the actor's own row is written; an argument left
    None keeps its saved value."""
    _check_list(list_name)
    if columns is not None:
        seen: list[str] = []
        for key in columns:
            if not isinstance(key, str) or (allowed is not None and key not in allowed):
                raise ValidationFailed(_("Unknown column: %(key)s", key=str(key)[:64]), code="cols")
            if key not in seen:
                seen.append(key)
        if not seen:
            raise ValidationFailed(_("Keep at least one column."), code="cols")
        if len(seen) > MAX_COLUMNS:
            raise ValidationFailed(_("Choose at most %(n)s columns.", n=MAX_COLUMNS), code="cols")
        columns = seen
    if page_size is not None:
        page_size = check_size(page_size)
    row = _row(actor, list_name)
    if row is None:
        row = ListPreference(user_id=actor.id, list_name=list_name)
        db.session.add(row)
    if columns is not None:
        row.columns = columns
    if page_size is not None:
        row.page_size = page_size
    db.session.flush()
    return get_prefs(actor, list_name)
