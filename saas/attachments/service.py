"""Attachments on a customer: upload, list, download, delete — each audited.

Reading (list, download) needs ``customers.service.may_see``; writing (upload, delete)
``may_edit`` — a read-only sharee may download but not upload. An upload is refused when it is
larger than the plan's ``attachment_max_mb`` (capped by the installation's
``ATTACHMENT_MAX_MB``), when it would take the company past its plan's ``storage_mb``, or when
its bytes are a program; its type is what the bytes say (``files.py``), never the client's.
The bytes go to storage under a random key (``storage.put_new``: removed again if the
transaction rolls back); a deletion keeps the row and removes the file once it commits
(``storage.delete_after_commit``). An upload and a deletion count as follow-up (``touch``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas import storage
from saas.attachments import files
from saas.attachments.models import CustomerAttachment
from saas.audit.service import record_event
from saas.auth.models import User
from saas.customers import service as customers
from saas.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from saas.extensions import db
from saas.formatting import number
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow

MB = 1024 * 1024


class TooLarge(ServiceError):
    """The file is over a size limit (413)."""

    status = 413
    code = "too_large"


class StorageFull(ServiceError):
    """The company's storage would be over its plan's total (413)."""

    status = 413
    code = "storage_full"


@dataclass(frozen=True)
class Limits:
    #: Largest file, in bytes.
    max_bytes: int
    #: The company's total, in bytes (None: unlimited), and what it uses now.
    storage_bytes: int | None
    used_bytes: int


def used_bytes() -> int:
    """Bytes of the current company's live attachments."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(CustomerAttachment.size), 0)).where(
                CustomerAttachment.deleted_at.is_(None)
            )
        )
        or 0
    )


def limits() -> Limits:
    """The current company's size limits (its plan, capped by the installation)."""
    tenant = db.session.get(Tenant, require_tenant_id())
    plan = tenant.plan
    cap = int(current_app.config["ATTACHMENT_MAX_MB"]) * MB
    per_file = min(plan.attachment_max_mb * MB, cap)
    total = plan.storage_mb * MB if plan.storage_mb is not None else None
    return Limits(per_file, total, used_bytes())


def _editable(actor: User, customer_id: int):
    customer = customers.get_customer(actor, customer_id)
    if not customers.may_edit(actor, customer):
        raise PermissionDenied()
    return customer


def upload_attachment(
    *, actor: User, customer_id: int, filename: str | None, data: bytes
) -> CustomerAttachment:
    """Attach ``data`` to a customer ``actor`` may edit, shown as ``filename`` (sanitised)."""
    customer = _editable(actor, customer_id)
    if not data:
        raise ValidationFailed(_("Choose a file to upload."), code="file")
    limit = limits()
    if len(data) > limit.max_bytes:
        raise TooLarge(
            _(
                "The file is larger than %(n)s MB, the most your plan allows.",
                n=number(limit.max_bytes // MB),
            )
        )
    if limit.storage_bytes is not None and limit.used_bytes + len(data) > limit.storage_bytes:
        raise StorageFull(
            _(
                "Your company's files would take more than the %(n)s MB your plan includes. "
                "Delete files you no longer need, or choose a larger plan.",
                n=number(limit.storage_bytes // MB),
            )
        )
    kind = files.sniff(data)
    if files.is_program(kind):
        raise ValidationFailed(_("Programs cannot be attached."), code="file")
    tenant_id = require_tenant_id()
    key = storage.put_new(
        tenant_id, storage.unique_key(f"attachments/{customer.id}/file", "bin"), data
    )
    attachment = CustomerAttachment(
        customer_id=customer.id,
        uploaded_by_id=actor.id,
        name=files.display_name(filename),
        size=len(data),
        content_type=files.stored_type(kind),
        storage_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(attachment)
    customers.touch(customer, actor)
    db.session.flush()
    return attachment


def list_attachments(*, actor: User, customer_id: int) -> list[CustomerAttachment]:
    """A visible customer's live files, newest first."""
    customer = customers.get_customer(actor, customer_id)
    return list(
        db.session.scalars(
            select(CustomerAttachment)
            .where(
                CustomerAttachment.customer_id == customer.id,
                CustomerAttachment.deleted_at.is_(None),
            )
            .order_by(CustomerAttachment.id.desc())
        )
    )


def get_attachment(actor: User, attachment_id: int) -> CustomerAttachment:
    """A live file of a customer ``actor`` may see; ``NotFound`` otherwise."""
    found = (
        db.session.get(CustomerAttachment, attachment_id)
        if isinstance(attachment_id, int)
        else None
    )
    if found is None or found.deleted_at is not None:
        raise NotFound()
    customers.get_customer(actor, found.customer_id)
    return found


def download_attachment(*, actor: User, attachment_id: int) -> tuple[CustomerAttachment, bytes]:
    """A file and its bytes, for ``actor`` who may see its customer; audited as a download."""
    attachment = get_attachment(actor, attachment_id)
    data = storage.get_storage().get(attachment.tenant_id, attachment.storage_key)
    if data is None:
        raise NotFound()
    record_event("customer_attachments.downloaded", attachment)
    return attachment, data


def delete_attachment(*, actor: User, attachment_id: int) -> None:
    """Delete a file of a customer ``actor`` may edit; the bytes go once the deletion commits."""
    attachment = get_attachment(actor, attachment_id)
    customer = _editable(actor, attachment.customer_id)
    attachment.deleted_at = utcnow()
    storage.delete_after_commit(attachment.tenant_id, attachment.storage_key)
    customers.touch(customer, actor)
    db.session.flush()


def purge_customer_files(customer_id: int) -> int:
    """Schedule every stored file of a customer for deletion once the transaction commits.

    For the trash purge, which deletes customers for good: their attachment rows go with them
    (``ON DELETE CASCADE``), so their files must be dropped by key first. Returns how many.
    No permission check: the caller (a scheduled job) decides; nothing is audited here, the
    customer's own deletion is.
    """
    tenant_id = require_tenant_id()
    keys = db.session.scalars(
        select(CustomerAttachment.storage_key).where(CustomerAttachment.customer_id == customer_id)
    ).all()
    for key in keys:
        storage.delete_after_commit(tenant_id, key)
    return len(keys)
