"""The ``customer_attachments`` table: one row per file attached to a customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class CustomerAttachment(TenantScoped, db.Model):
    """A file on a customer. The bytes live in storage under ``storage_key`` (random, never
    the user's name); ``name`` is only the sanitised display name. Deleting keeps the row
    (``deleted_at``) for the history and removes the file once the deletion commits."""

    __tablename__ = "customer_attachments"
    __audit__ = True
    __audit_exclude__ = ("storage_key", "sha256", "created_at")
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("uploaded_by_id", "users"),
        # a customer's files, newest first
        Index("ix_customer_attachments_tenant_customer_id", "tenant_id", "customer_id", "id"),
        # the storage a company uses (live files)
        Index("ix_customer_attachments_tenant_deleted", "tenant_id", "deleted_at"),
    )

    customer_id: Mapped[int]
    uploaded_by_id: Mapped[int | None]
    #: Display name (sanitised from the client's file name).
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    #: The type the bytes showed (``files.stored_type``), never the client's.
    content_type: Mapped[str] = mapped_column(String(100))
    storage_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    uploaded_by: Mapped[User | None] = relationship(
        primaryjoin="foreign(CustomerAttachment.uploaded_by_id) == User.id", viewonly=True
    )


# --- the audit log in words (``saas/audit/describe.py``) and the customer's history ----------


def _refine(changes: dict) -> str | None:
    return "deleted" if (changes.get("deleted_at") or [None, None])[1] else None


def _register() -> None:
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    from saas.audit.describe import FORMATS, REFERENCES, REGISTRY, Describer
    from saas.customers.history import Related, register_related
    from saas.customers.models import Customer
    from saas.formatting import number

    REFERENCES.setdefault("customer_id", (Customer, lambda customer: customer.name))
    FORMATS.setdefault("file_size", lambda value: _l("%(n)s bytes", n=number(value)))
    REGISTRY["customer_attachments"] = Describer(
        plural=_l("Files"),
        name=lambda attachment: attachment.name,
        fields={
            "name": _l("File name"),
            "size": _l("Size"),
            "content_type": _l("Type"),
            "customer_id": _l("Customer"),
            "deleted_at": _l("Deleted"),
        },
        formats={"size": "file_size", "deleted_at": "datetime"},
        sentences={
            "created": _l("%(actor)s attached %(object)s to %(customer_id)s"),
            "updated": _l("%(actor)s changed the file %(object)s"),
            "deleted": _l("%(actor)s deleted the file %(object)s"),
            "customer_attachments.downloaded": _l("%(actor)s downloaded %(object)s"),
        },
        refine=_refine,
        fallback=_l("a file"),
    )
    register_related(
        Related(
            "customer_attachments",
            lambda cid: select(CustomerAttachment.id).where(CustomerAttachment.customer_id == cid),
            skip=("customer_attachments.downloaded",),
        )
    )


_register()
