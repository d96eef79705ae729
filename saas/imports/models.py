"""The import tables: ``import_runs`` (one uploaded file and what became of it) and
``import_rows`` (per file row that changed something or was refused: the undo log and the
rejected list).

A run's counts and its rows are committed together, chunk by chunk, so whatever state a run
is left in (a worker killed mid-file included) the rows say exactly what it wrote and undo can
take it back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class ImportStatus(StrEnum):
    """Where a run is. ``new``: uploaded, not started (the mapping is being chosen)."""

    NEW = "new"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDOING = "undoing"
    UNDONE = "undone"


#: Statuses after which the run writes nothing more (undo may start from DONE or FAILED).
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.UNDONE)


class RowAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REJECTED = "rejected"


class ImportRun(TenantScoped, db.Model):
    """One uploaded table and its import. Bookkeeping: the customers it writes are audited."""

    __tablename__ = "import_runs"
    __table_args__ = tenant_args(
        tenant_fk("created_by", "users"),
        tenant_fk("job_id", "jobs"),
        # the imports page, newest first
        Index("ix_import_runs_tenant_created", "tenant_id", "created_at"),
        # the saved mapping of a table of the same shape: the latest run that had one
        Index("ix_import_runs_tenant_shape", "tenant_id", "shape_key", "id"),
    )

    created_by: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(255))
    #: ``storage`` key of the uploaded file (under tenants/<id>/imports/).
    storage_key: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))
    columns: Mapped[list[str]] = mapped_column(JSON)
    #: 1-based row of the header in the file.
    header_row: Mapped[int] = mapped_column(default=1)
    total_rows: Mapped[int] = mapped_column(default=0)
    #: ``suggest.shape_key(columns)``: tables of the same shape reuse the mapping.
    shape_key: Mapped[str] = mapped_column(String(64))
    #: One target per column (``None``: ignored), as chosen for the run.
    mapping: Mapped[list[str | None] | None] = mapped_column(JSON)
    #: duplicates, update_mode, owner, create_missing, jalali.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.NEW)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    #: Rows read so far (each counted in one of the four above).
    done: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[int | None]
    #: A short technical note (why it failed).
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class ImportRow(TenantScoped, db.Model):
    """What one file row did: created or updated a customer (with the old values of what it
    changed, for undo), or was rejected (with its values and the reason, for rejected.xlsx)."""

    __tablename__ = "import_rows"
    __table_args__ = tenant_args(
        tenant_fk("run_id", "import_runs", ondelete="CASCADE"),
        # a run's rows of one kind in file order (undo, rejected.xlsx)
        Index("ix_import_rows_tenant_run_action", "tenant_id", "run_id", "action", "id"),
    )

    run_id: Mapped[int]
    #: Row number in the file (1-based, as a spreadsheet shows it).
    row: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    #: The customer created or updated (no foreign key: a purge must not be blocked by a log).
    customer_id: Mapped[int | None]
    #: Rejected: why, in the importer's language.
    reason: Mapped[str | None] = mapped_column(Text)
    #: Rejected: the row's cells as text, in the file's column order.
    cells: Mapped[list[Any] | None] = mapped_column(JSON)
    #: Updated: ``{"customer": {field: old}, "custom_fields": {key: old}, "tags": [ids],
    #: "contacts": {id: {field: old}}, "new_contacts": [ids], "new_phones": [ids],
    #: "new_emails": [ids]}``; created: ``None``.
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
