"""Import runs: upload a table, choose the mapping, run it as a job, read the result, undo it.

``upload`` stores the file (``storage.put_new``, so a refused file leaves nothing behind),
reads it with ``reading.open_table`` (the plan's row limit is ``max_rows``) and makes a
``new`` run offering a mapping: the one saved with the latest run of the same shape
(``suggest.shape_key``), else ``suggest.suggest``. ``start`` checks the mapping and the options
and queues the tracked job ``imports.run`` (``apply.run_import``); ``start_undo`` queues
``imports.undo``. Everything needs ``import.run``; a run is visible to its creator and to
holders of ``customers.view_all`` (anyone else: 404, like another tenant's id).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas import progress, storage
from saas.access import authorize
from saas.audit.describe import EVENTS
from saas.auth.models import User
from saas.errors import Conflict, NotFound, ServiceError, ValidationFailed
from saas.extensions import db
from saas.imports import targets as target_list
from saas.imports.models import ImportRow, ImportRun, ImportStatus, RowAction
from saas.jobs import enqueue_after_commit
from saas.progress.service import KINDS, Kind
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.text import single_line

RUN_KIND = "imports.run"
UNDO_KIND = "imports.undo"
KINDS[RUN_KIND] = Kind(_l("Importing customers"), "import.run")
KINDS[UNDO_KIND] = Kind(_l("Undoing an import"), "import.run")
EVENTS["imports.finished"] = _l("%(actor)s imported a table of customers")
EVENTS["imports.undone"] = _l("%(actor)s undid an import")

#: An upload never started (status ``new``) is deleted, file and run, after this long.
ABANDONED_AFTER = timedelta(days=7)
#: Rows shown in the preview beside the mapping.
PREVIEW_ROWS = 10
#: Choices of the run's options (first = default).
DUPLICATES = ("skip", "update", "create")
UPDATE_MODES = ("empty_only", "overwrite")
OWNERS = ("me", "pool", "column")
#: Header of the rejected list's last column (a re-import of it ignores that column).
REASON = _l("Reason")
MB = 1024 * 1024


class FileTooLarge(ServiceError):
    status = 413
    code = "too_large"


class MappingInvalid(ValidationFailed):
    """A bad mapping or option, with ``path``: where in the request body (``mapping.3``)."""

    def __init__(self, message: str, *, code: str, path: str) -> None:
        super().__init__(message, code=code)
        self.path = path

    def details(self) -> dict[str, object]:
        return {"path": self.path}


@dataclass
class Upload:
    """A new run with what the mapping page shows."""

    run: ImportRun
    preview: list[list[str]]
    suggested: list[str | None]
    saved: bool


# --- access -----------------------------------------------------------------------------------


def visible(actor: User, run: ImportRun) -> bool:
    """Whether ``actor`` may follow ``run``: its creator, or a holder of ``customers.view_all``."""
    return run.created_by == actor.id or actor.can("customers.view_all")


def get_run(actor: User, run_id: int) -> ImportRun:
    """A run of the current tenant ``actor`` may follow (``import.run``); else 403/404."""
    authorize(actor, "import.run")
    run = db.session.get(ImportRun, run_id) if isinstance(run_id, int) else None
    if run is None or not visible(actor, run):
        raise NotFound()
    _sync(run)
    return run


def list_runs(actor: User, limit: int = 50) -> list[ImportRun]:
    """The latest runs ``actor`` may follow, newest first."""
    authorize(actor, "import.run")
    query = select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)
    if not actor.can("customers.view_all"):
        query = query.where(ImportRun.created_by == actor.id)
    runs = list(db.session.scalars(query))
    for run in runs:
        _sync(run)
    return runs


def _sync(run: ImportRun) -> None:
    """A run whose job record failed (the job raised, or the sweep found its worker dead) is
    ``failed`` too: what the committed chunks wrote stays, counted, and can be undone."""
    if run.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.UNDOING):
        return
    record = db.session.get(progress.JobRecord, run.job_id) if run.job_id else None
    if record is not None and record.status == progress.JobStatus.FAILED:
        run.status = ImportStatus.FAILED
        run.message = record.message
        run.finished_at = run.finished_at or record.finished_at
        db.session.flush()


def job_of(run: ImportRun) -> progress.JobRecord | None:
    return db.session.get(progress.JobRecord, run.job_id) if run.job_id else None


# --- upload -----------------------------------------------------------------------------------


def max_rows(tenant_id: int | None = None) -> int:
    """The plan's row limit of one imported table."""
    tenant = db.session.get(Tenant, tenant_id or require_tenant_id())
    return int(tenant.plan.import_max_rows) if tenant and tenant.plan else 1000


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_MB", 50)) * MB


def _extension(filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    return ext if re.fullmatch(r"[a-z0-9]{1,8}", ext) else "bin"


def _is_reason(header: str) -> bool:
    folded = single_line(header).casefold()
    return folded in {"reason", str(REASON).casefold()}


def saved_mapping(shape: str, width: int) -> list[str | None] | None:
    """The mapping of the latest run of this shape that was started, fitted to ``width``."""
    mapping = db.session.scalar(
        select(ImportRun.mapping)
        .where(ImportRun.shape_key == shape, ImportRun.mapping.is_not(None))
        .order_by(ImportRun.id.desc())
        .limit(1)
    )
    if not mapping:
        return None
    return (list(mapping) + [None] * width)[:width]


def upload(*, actor: User, filename: str | None, data: bytes) -> Upload:
    """Store and read an uploaded table; a ``new`` run with a suggested (or saved) mapping.

    A file that cannot be read is refused with ``reading.ImportFileError`` (422, a specific
    code), one over ``IMPORT_MAX_MB`` with 413; nothing is kept of a refused file.
    """
    from saas.imports import reading, suggest

    authorize(actor, "import.run")
    name = single_line(os.path.basename((filename or "").replace("\\", "/")))[:255] or "import"
    if len(data) > max_bytes():
        raise FileTooLarge(
            _(
                "The file is larger than %(n)s MB. Split it into smaller files.",
                n=max_bytes() // MB,
            )
        )
    tenant_id = require_tenant_id()
    key = storage.unique_key("imports/upload", _extension(name))
    storage.put_new(tenant_id, key, data)
    path = storage.get_storage().local_path(tenant_id, key)
    table = reading.open_table(path, name, max_rows=max_rows(tenant_id))
    columns = [str(c) for c in table.columns]
    shape_columns = columns[:-1] if columns and _is_reason(columns[-1]) else columns
    run = ImportRun(
        created_by=actor.id,
        filename=name,
        storage_key=key,
        format=table.format,
        columns=columns,
        header_row=table.header_row,
        total_rows=table.total_rows,
        shape_key=suggest.shape_key(shape_columns),
        status=ImportStatus.NEW,
    )
    db.session.add(run)
    db.session.flush()
    preview = table.preview(PREVIEW_ROWS)
    saved = saved_mapping(run.shape_key, len(columns))
    if saved is not None:
        suggested = saved
    else:
        suggested = list(
            suggest.suggest(columns, preview, custom_fields=target_list.custom_fields())
        )
        suggested = (suggested + [None] * len(columns))[: len(columns)]
    valid = {t.key for t in target_list.targets()}
    suggested = [t if t in valid else None for t in suggested]
    return Upload(run, preview, suggested, saved is not None)


def open_run_table(run: ImportRun) -> Any:
    """The run's stored table, read again (constant memory)."""
    from saas.imports import reading

    path = storage.get_storage().local_path(run.tenant_id, run.storage_key)
    return reading.open_table(path, run.filename, max_rows=max(run.total_rows, 1))


def preview_of(run: ImportRun) -> list[list[str]]:
    """The first rows of a run's table, as text (the mapping page)."""
    return open_run_table(run).preview(PREVIEW_ROWS)


def offered_mapping(run: ImportRun) -> tuple[list[str | None], bool]:
    """The run's mapping if chosen, else the saved one of its shape, else the suggestion."""
    from saas.imports import suggest

    if run.mapping:
        return list(run.mapping), True
    saved = saved_mapping(run.shape_key, len(run.columns))
    if saved is not None:
        return saved, True
    preview = preview_of(run)
    found = list(suggest.suggest(run.columns, preview, custom_fields=target_list.custom_fields()))
    valid = {t.key for t in target_list.targets()}
    return [t if t in valid else None for t in (found + [None] * len(run.columns))][
        : len(run.columns)
    ], False


# --- mapping and options ----------------------------------------------------------------------


def clean_mapping(run: ImportRun, mapping: Any) -> list[str | None]:
    """``{column index or name: target key or null}`` as one target per column.

    Refused with the ``path`` of the bad entry: an unknown column or target, a target chosen
    twice (phones and emails may repeat), no column for the customer's name.
    """
    if not isinstance(mapping, Mapping):
        raise MappingInvalid(_("Choose a target for the columns."), code="mapping", path="mapping")
    columns = list(run.columns)
    valid = {t.key: t for t in target_list.targets()}
    out: list[str | None] = [None] * len(columns)
    where: dict[int, str] = {}
    for key, target in mapping.items():
        key = str(key)
        path = f"mapping.{key}"
        if key.isdigit() and int(key) < len(columns):
            index = int(key)
        elif key in columns:
            index = columns.index(key)
        else:
            raise MappingInvalid(
                _("The table has no column %(name)s.", name=key[:100]),
                code="unknown_column",
                path=path,
            )
        if target is None or target in ("", "ignore"):
            out[index] = None
            continue
        if not isinstance(target, str) or target not in valid:
            raise MappingInvalid(
                _("Choose one of the offered fields for %(name)s.", name=columns[index][:100]),
                code="unknown_target",
                path=path,
            )
        out[index] = target
        where[index] = path
    seen: dict[str, int] = {}
    for index, target in enumerate(out):
        if target is None:
            continue
        if target in seen and not valid[target].repeatable:
            raise MappingInvalid(
                _(
                    "%(field)s is chosen for two columns: %(a)s and %(b)s.",
                    field=str(valid[target].label),
                    a=columns[seen[target]][:100],
                    b=columns[index][:100],
                ),
                code="target_twice",
                path=where.get(index, "mapping"),
            )
        seen.setdefault(target, index)
    if "name" not in seen and "contact.name" not in seen:
        raise MappingInvalid(
            _("Choose the column that holds the customer's name."),
            code="name_required",
            path="mapping",
        )
    return out


def clean_options(actor: User, mapping: list[str | None], **options: Any) -> dict[str, Any]:
    """The run's options checked: ``duplicates``, ``update_mode``, ``owner``,
    ``create_missing``, ``jalali`` (None: the actor's calendar)."""
    out: dict[str, Any] = {}
    for name, allowed in (
        ("duplicates", DUPLICATES),
        ("update_mode", UPDATE_MODES),
        ("owner", OWNERS),
    ):
        value = options.get(name) or allowed[0]
        if value not in allowed:
            raise MappingInvalid(_("Choose one of the offered values."), code="invalid", path=name)
        out[name] = value
    out["create_missing"] = bool(options.get("create_missing"))
    jalali = options.get("jalali")
    out["jalali"] = (
        (actor.calendar == "jalali" or actor.language == "fa") if jalali is None else bool(jalali)
    )
    if out["owner"] == "column" and "owner" not in mapping:
        raise MappingInvalid(
            _("Choose the column that holds the manager, or another owner."),
            code="owner_column",
            path="owner",
        )
    authorize(actor, "customers.create")
    if out["owner"] == "column":
        authorize(actor, "customers.assign")  # giving customers to others
    if out["create_missing"]:
        authorize(actor, "settings.manage")  # list entries are the admins' to add
    return out


def start(*, actor: User, run_id: int, mapping: Any, **options: Any) -> ImportRun:
    """Queue the import of a ``new`` run with ``mapping`` and ``options`` (the tracked job
    ``imports.run`` on ``default``); 409 when it was started already."""
    from saas.imports.apply import run_import

    run = get_run(actor, run_id)
    if run.status != ImportStatus.NEW:
        raise Conflict(_("This import has been started already."), code="started")
    clean = clean_mapping(run, mapping)
    run.options = clean_options(actor, clean, **options)
    run.mapping = clean
    record = progress.create_job(RUN_KIND, actor=actor, total=run.total_rows)
    run.job_id = record.id
    run.status = ImportStatus.QUEUED
    db.session.flush()
    enqueue_after_commit(run_import, run.tenant_id, run.id, record.id, actor_id=actor.id)
    return run


def start_undo(*, actor: User, run_id: int) -> ImportRun:
    """Queue the undo of a finished (or failed) run: what it created goes to the trash, what
    it updated gets its old values back. 409 while it runs and once undone."""
    from saas.imports.apply import undo_import

    run = get_run(actor, run_id)
    if run.status in (ImportStatus.UNDOING, ImportStatus.UNDONE):
        raise Conflict(_("This import has been undone already."), code="undone")
    if run.status not in (ImportStatus.DONE, ImportStatus.FAILED):
        raise Conflict(_("This import has not finished yet."), code="not_finished")
    record = progress.create_job(
        UNDO_KIND, actor=actor, total=max(run.created + run.updated, 0) or None
    )
    run.job_id = record.id
    run.status = ImportStatus.UNDOING
    db.session.flush()
    enqueue_after_commit(undo_import, run.tenant_id, run.id, record.id, actor_id=actor.id)
    return run


# --- results ----------------------------------------------------------------------------------


def rejected_rows(run: ImportRun) -> Iterator[ImportRow]:
    """The run's rejected rows in file order, read in windows (constant memory)."""
    last = 0
    while True:
        rows = list(
            db.session.scalars(
                select(ImportRow)
                .where(
                    ImportRow.run_id == run.id,
                    ImportRow.action == RowAction.REJECTED,
                    ImportRow.id > last,
                )
                .order_by(ImportRow.id)
                .limit(1000)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def rejected_workbook(*, actor: User, run_id: int) -> tuple[ImportRun, bytes]:
    """The rejected rows as xlsx: the original columns and a last "Reason" column, ready to be
    fixed and imported again (the same shape ⇒ the same mapping). 409 before the run ends."""
    from openpyxl import Workbook

    run = get_run(actor, run_id)
    if run.status in (ImportStatus.NEW, ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise Conflict(_("This import has not finished yet."), code="not_finished")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected"))
    sheet.append([*run.columns, str(REASON)])
    for row in rejected_rows(run):
        cells = list(row.cells or [])
        cells = (cells + [None] * len(run.columns))[: len(run.columns)]
        sheet.append([_cell(sheet, c) for c in cells] + [row.reason])
    out = io.BytesIO()
    workbook.save(out)
    return run, out.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    """A cell written back as it was read: text that starts with "=" stays text (openpyxl would
    store it as a formula), so the file re-imports to the same values and runs nothing."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def template_workbook() -> bytes:
    """An empty table with one header per built-in target and custom field, in the reader's
    language: filled in, it imports with the suggested mapping."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    sheet.append([str(t.label) for t in target_list.targets() if t.key != "number"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def summary(run: ImportRun) -> dict[str, int]:
    return {
        "created": run.created,
        "updated": run.updated,
        "skipped": run.skipped,
        "rejected": run.rejected,
    }


def get_targets(actor: User) -> list[target_list.Target]:
    """The targets a column can be mapped to (``import.run``)."""
    authorize(actor, "import.run")
    return target_list.targets()


def seconds_left(run: ImportRun, record: progress.JobRecord | None) -> int | None:
    """Time left while running: the pace so far over the rows still to go."""
    if run.status != ImportStatus.RUNNING or not run.started_at or not run.done:
        return None
    from saas.utils import utcnow

    elapsed = (utcnow() - run.started_at).total_seconds()
    return max(0, round(elapsed / run.done * max(run.total_rows - run.done, 0)))


def sweep_abandoned(now: datetime) -> int:
    """Delete the current tenant's uploads that were never started (``new``) and are older
    than ``ABANDONED_AFTER``: the run and, once the transaction commits, its stored file (the
    nightly job; a run that started keeps its history). How many went."""
    stale = db.session.scalars(
        select(ImportRun).where(
            ImportRun.status == ImportStatus.NEW, ImportRun.created_at < now - ABANDONED_AFTER
        )
    ).all()
    for run in stale:
        if run.storage_key:
            storage.delete_after_commit(run.tenant_id, run.storage_key)
        db.session.delete(run)
    return len(stale)
