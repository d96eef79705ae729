"""Backups of a whole company: made as a tracked job, listed, downloaded, expired, weekly.

A backup is a zip of
- ``data.xlsx``: the sheet ``_company`` (the company's settings, ``tables.TENANT_COLUMNS``),
  one sheet per backed-up tenant table (``tables.backed_up_tables``: header row = column names,
  then every row of the company, cells as ``tables.to_cell`` writes them), and ``_long`` (the
  pieces of texts longer than a cell); written with openpyxl's write-only mode, so memory stays
  flat whatever the row count;
- ``files/<storage key>``: every stored file a row names (attachments, contact photos, logo);
- ``manifest.json``: format, schema version (the Alembic head), company, time, rows per table,
  SHA-256 and size of every file and of ``data.xlsx``.

It is read in one transaction (a consistent snapshot: PostgreSQL REPEATABLE READ), so a
customer added meanwhile is either wholly in it or not at all; the progress bar is written
through a second session so the snapshot is not cut by its commits. Only the company's owner
may make, list, download or restore backups (``require_owner``). "Back up now" keeps the file
downloadable for ``EXPIRES_AFTER``; weekly backups (``Tenant.backup_weeks`` > 0) are kept that
many weeks; the hourly ``tasks.backup_upkeep`` makes the week's backup and deletes what is over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, g, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from saas import errors, progress, storage
from saas.audit.describe import EVENTS
from saas.auth.models import User
from saas.backups import tables
from saas.backups.models import Backup, BackupKind
from saas.errors import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.jobs import enqueue_after_commit, job
from saas.progress.models import JobRecord, JobStatus
from saas.progress.service import KINDS, Kind
from saas.tenancy.context import current_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow

log = logging.getLogger(__name__)

KIND = "backups.backup"
RESTORE_KIND = "backups.restore"
# The owner follows these jobs as their creator; weekly ones have none: billing.manage is the
# owner role's own permission (an admin lacks it).
KINDS[KIND] = Kind(_l("Backing up the company"), "billing.manage")
KINDS[RESTORE_KIND] = Kind(_l("Restoring a backup"), "billing.manage")

# The audit log reads the backup events as sentences.
EVENTS.update(
    {
        "backups.made": _l("%(actor)s made a backup of the company"),
        "backups.downloaded": _l("%(actor)s downloaded a backup of the company"),
        "backups.restored": _l("%(actor)s restored a backup into the company"),
    }
)

FORMAT = "baza-backup"
FORMAT_VERSION = 1
#: How long "Back up now" can be downloaded.
EXPIRES_AFTER = timedelta(hours=24)
#: Most weeks a company may keep weekly backups.
MAX_WEEKS = 52
#: Rows read from the database per round trip (and per progress step).
CHUNK = 1000


class Expired(Gone):
    def default_message(self) -> str:
        return str(_l("This backup has expired and was deleted. Make a new one."))


class NotReady(errors.NotReady):
    def default_message(self) -> str:
        return str(_l("The backup is not ready yet."))


def is_owner(user: User | None) -> bool:
    """Whether ``user`` is the company's active owner."""
    return bool(user is not None and user.is_active and user.role.key == "owner")


def require_owner(actor: User | None) -> None:
    """``PermissionDenied`` unless ``actor`` is the company's owner (backups hold everything,
    the team's emails and the audit trail included)."""
    if not is_owner(actor):
        raise PermissionDenied(_l("Only the company's owner can make or restore backups."))


def app_version() -> str:
    """The installed Baza version (pyproject.toml), for people reading a manifest."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("baza")
    except PackageNotFoundError:
        return "unknown"


def schema_version() -> str:
    """The Alembic head of this code (what ``flask db upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    directory = current_app.extensions["migrate"].directory
    config = Config()
    config.set_main_option("script_location", directory)
    heads = ScriptDirectory.from_config(config).get_heads()
    return ",".join(sorted(heads))


# --- making a backup ---------------------------------------------------------------------------


def start_backup(*, actor: User) -> Backup:
    """Queue a backup of the actor's company (tracked job on ``documents``)."""
    require_owner(actor)
    return _queue(actor=actor, kind=BackupKind.MANUAL)


def _queue(*, actor: User | None, kind: str, week: str | None = None) -> Backup:
    record = progress.create_job(KIND, actor=actor)
    backup = Backup(
        kind=kind,
        week=week,
        job_id=record.id,
        created_by_id=actor.id if actor else None,
        status=JobStatus.QUEUED,
    )
    db.session.add(backup)
    db.session.flush()
    enqueue_after_commit(
        build_backup, record.tenant_id, record.id, backup.id, actor_id=actor.id if actor else None
    )
    return backup


@contextmanager
def side_session() -> Iterator[Session]:
    """A second session (own connection and transaction) for progress written while the main
    transaction must stay open. Tenant scoping and row security apply as in the main one."""
    session = Session(db.engine)
    try:
        yield session
    finally:
        session.close()


def report_progress(record_id: int, done: int, total: int | None = None) -> None:
    """Write a job's progress now, whatever the main transaction is doing."""
    values: dict[str, Any] = {"done": done, "updated_at": utcnow()}
    if total is not None:
        values["total"] = total
    try:
        with side_session() as session:
            session.execute(update(JobRecord).where(JobRecord.id == record_id).values(**values))
            session.commit()
    except Exception:  # progress is a courtesy: never fail the work for it
        log.exception("could not write the progress of job %s", record_id)


@dataclass
class _Cells:
    """Cells for a write-only workbook: text forced to text, long text in pieces."""

    workbook: Workbook
    long_sheet: Any
    long_count: int = 0

    def __post_init__(self) -> None:
        self.long_sheet.append(["ref", "part", "text"])

    def row(self, sheet: Any, values: list[Any]) -> list[Any]:
        return [self.cell(sheet, v) for v in values]

    def as_text(self, sheet: Any, value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula nor an error code
        return cell

    def cell(self, sheet: Any, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) > tables.CELL_MAX:
            self.long_count += 1
            ref = str(self.long_count)
            for part, start in enumerate(range(0, len(value), tables.PIECE)):
                piece = value[start : start + tables.PIECE]
                self.long_sheet.append(
                    [self.as_text(self.long_sheet, ref), part, self.as_text(self.long_sheet, piece)]
                )
            value = tables.LONG + ref
        return self.as_text(sheet, value)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _begin_snapshot() -> None:
    """Read the rest of this transaction as one snapshot (PostgreSQL: REPEATABLE READ)."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _member_emails() -> dict[int, str]:
    """account id → email of the current company's members."""
    from saas.auth.models import Account

    rows = db.session.execute(
        select(Account.id, Account.email).join(User, User.account_id == Account.id)
    )
    return {account_id: email for account_id, email in rows}


def write_backup(tenant_id: int, folder: Path, record_id: int | None = None) -> dict[str, Any]:
    """Write the current tenant's backup as ``folder/backup.zip``; its manifest."""
    _begin_snapshot()
    tenant = db.session.get(Tenant, tenant_id)
    backed = tables.backed_up_tables()
    counts_total = {
        t.name: db.session.scalar(
            select(func.count()).select_from(t).where(t.c.tenant_id == tenant_id)
        )
        or 0
        for t in backed
    }
    total = sum(counts_total.values())
    if record_id is not None:
        report_progress(record_id, 0, total)
    workbook = Workbook(write_only=True)
    company = workbook.create_sheet(tables.TENANT_SHEET)
    cells = _Cells(workbook, workbook.create_sheet(tables.LONG_SHEET))
    tenant_table = Tenant.__table__
    company.append(list(tables.TENANT_COLUMNS))
    company.append(
        cells.row(
            company,
            [tables.to_cell(tenant_table.c[c], getattr(tenant, c)) for c in tables.TENANT_COLUMNS],
        )
    )
    file_keys: list[str] = [tenant.logo_key] if tenant.logo_key else []
    counts: dict[str, int] = {}
    done = 0
    for table in backed:
        sheet = workbook.create_sheet(tables.sheet_name(table.name))
        columns = list(table.c)
        # users carry their login's email: a restore finds (or makes) the person by it
        emails = _member_emails() if table.name == "users" else None
        sheet.append([c.name for c in columns] + (["email"] if emails is not None else []))
        file_columns = tables.FILE_COLUMNS.get(table.name, ())
        n = 0
        rows = db.session.execute(
            select(table)
            .where(table.c.tenant_id == tenant_id)
            .order_by(table.c.id)
            .execution_options(yield_per=CHUNK)
        )
        for row in rows:
            values = row._mapping
            cells_of_row = [tables.to_cell(c, values[c.name]) for c in columns]
            if emails is not None:
                cells_of_row.append(emails.get(values["account_id"]))
            sheet.append(cells.row(sheet, cells_of_row))
            for name in file_columns:
                if values[name]:
                    file_keys.append(values[name])
            n += 1
            if record_id is not None and (done + n) % (CHUNK * 10) == 0:
                report_progress(record_id, done + n)
        counts[table.name] = n
        done += n
    data_path = folder / "data.xlsx"
    workbook.save(data_path)
    store = storage.get_storage()
    files: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    zip_path = folder / "backup.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(data_path, "data.xlsx")
        for key in dict.fromkeys(file_keys):
            data = store.get(tenant_id, key)
            if data is None:
                missing.append(key)
                continue
            files[key] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            archive.writestr(f"files/{key}", data)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "schema_version": schema_version(),
            "tenant_id": tenant_id,
            "tenant_name": tenant.name,
            "created_at": utcnow().isoformat() + "Z",
            "tables": counts,
            "sheets": {t.name: tables.sheet_name(t.name) for t in backed},
            "excluded_tables": dict(tables.EXCLUDED),
            "data": {"sha256": _sha256_file(data_path), "size": data_path.stat().st_size},
            "files": files,
            "missing_files": missing,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    db.session.rollback()  # end the snapshot
    if record_id is not None:
        report_progress(record_id, total, total)
    return manifest


@job("documents", retries=0)
def build_backup(tenant_id: int, record_id: int, backup_id: int) -> None:
    """Tracked: write the backup, store it, record where (and until when) it can be fetched
    (the summary in the language of who asked; weekly ones in the company owner's)."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    if actor is None:
        actor = db.session.scalar(select(User).where(User.role.has(key="owner")))
    with force_locale((actor.language if actor else None) or "en"):
        _build_backup(tenant_id, record_id, backup_id)


def _build_backup(tenant_id: int, record_id: int, backup_id: int) -> None:
    with progress.track(record_id) as tracker:
        folder = Path(tempfile.mkdtemp(prefix="baza-backup-"))
        try:
            manifest = write_backup(tenant_id, folder, record_id)
            zip_path = folder / "backup.zip"  # moved into storage, never read whole
            size, digest = zip_path.stat().st_size, _sha256_file(zip_path)
            day = utcnow().strftime("%Y%m%d")
            key = storage.unique_key(f"backups/backup-{day}", "zip")
            backup = db.session.get(Backup, backup_id)
            tracker.record = db.session.get(JobRecord, record_id)
            storage.put_new_file(tenant_id, key, zip_path)
            backup.storage_key = key
            backup.size = size
            backup.sha256 = digest
            backup.status = JobStatus.SUCCEEDED
            backup.finished_at = utcnow()
            backup.counts = {"tables": manifest["tables"], "files": len(manifest["files"])}
            if backup.kind == BackupKind.MANUAL:
                backup.expires_at = utcnow() + EXPIRES_AFTER
            rows = sum(manifest["tables"].values())
            tracker.record.total = tracker.record.done = rows
            tracker.record.result = {
                "backup_id": backup.id,
                "summary": [
                    str(
                        _l(
                            "Backup made: %(rows)s rows, %(files)s files.",
                            rows=rows,
                            files=len(manifest["files"]),
                        )
                    )
                ],
                "download_url": _path_for("backups.download", backup_id=backup.id),
                "expires_at": backup.expires_at.isoformat() if backup.expires_at else None,
            }
            from saas.audit.service import record_event

            record_event("backups.made", backup, rows=rows, files=len(manifest["files"]))
        except Exception:
            db.session.rollback()
            backup = db.session.get(Backup, backup_id)
            if backup is not None:
                backup.status = JobStatus.FAILED
                backup.finished_at = utcnow()
                db.session.commit()
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _path_for(endpoint: str, **values: Any) -> str:
    """``url_for`` in a job (no request: a path on the app's root)."""
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


# --- reading backups ---------------------------------------------------------------------------


def list_backups(*, actor: User) -> list[Backup]:
    """The company's backups, newest first (owner only)."""
    require_owner(actor)
    return list(
        db.session.scalars(select(Backup).order_by(Backup.created_at.desc(), Backup.id.desc()))
    )


def get_backup(*, actor: User, backup_id: int) -> Backup:
    """One backup of the current company (``NotFound`` for another company's id)."""
    require_owner(actor)
    backup = db.session.get(Backup, backup_id)
    if backup is None:
        raise NotFound()
    return backup


def downloadable(backup: Backup, now: datetime | None = None) -> bool:
    return (
        backup.status == JobStatus.SUCCEEDED
        and bool(backup.storage_key)
        and (backup.expires_at is None or backup.expires_at > (now or utcnow()))
    )


def download(*, actor: User, backup_id: int) -> tuple[Backup, Path]:
    """Where the zip of a finished backup is (streamed from disk, never read whole: a large
    company's backup is hundreds of megabytes): 409 while it is made, 410 once expired or
    deleted."""
    backup = get_backup(actor=actor, backup_id=backup_id)
    if backup.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise NotReady()
    if backup.status == JobStatus.FAILED:
        raise Conflict(_l("This backup failed. Make a new one."), code="failed")
    if not downloadable(backup):
        if backup.storage_key:
            storage.get_storage().delete(backup.tenant_id, backup.storage_key)
        raise Expired()
    path = storage.get_storage().local_path(backup.tenant_id, backup.storage_key)
    if not path.is_file():
        raise Expired()
    from saas.audit.service import record_event

    record_event("backups.downloaded", backup)
    return backup, path


def file_name(backup: Backup) -> str:
    return f"baza-backup-{backup.created_at:%Y-%m-%d}-{backup.id}.zip"


# --- settings, weekly backups, upkeep ----------------------------------------------------------


def set_weeks(*, actor: User, weeks: Any) -> Tenant:
    """Keep weekly backups for ``weeks`` weeks (0 = no weekly backups)."""
    require_owner(actor)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 0 <= weeks <= MAX_WEEKS:
        raise ValidationFailed(
            _l("Enter a number of weeks from 0 to %(n)s.", n=MAX_WEEKS), code="weeks"
        )
    tenant = db.session.get(Tenant, current_tenant_id())
    tenant.backup_weeks = weeks
    db.session.flush()
    return tenant


def iso_week(when: datetime) -> str:
    year, week, _day = when.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_backup(now: datetime | None = None) -> Backup | None:
    """The current tenant's backup of this ISO week, queued if due and not made yet (None when
    weekly backups are off or this week's exists: running twice in a week makes one)."""
    now = now or utcnow()
    tenant = db.session.get(Tenant, current_tenant_id())
    if not tenant.backup_weeks:
        return None
    week = iso_week(now)
    if db.session.scalar(select(Backup.id).where(Backup.week == week)) is not None:
        return None
    try:
        with db.session.begin_nested():
            return _queue(actor=None, kind=BackupKind.WEEKLY, week=week)
    except Exception as exc:  # a concurrent run made it (UNIQUE(tenant_id, week))
        from sqlalchemy.exc import IntegrityError

        if isinstance(exc, IntegrityError):
            return None
        raise


def prune_backups(now: datetime | None = None) -> int:
    """Delete the current tenant's backups past their time: manual ones after
    ``EXPIRES_AFTER``, weekly ones older than ``backup_weeks`` weeks (all when it is 0), failed
    ones — and ones still "running" (their worker died) — after a day, so the week's backup is
    tried again. The files go once the deletion commits. How many."""
    now = now or utcnow()
    tenant = db.session.get(Tenant, current_tenant_id())
    keep_from = now - timedelta(weeks=tenant.backup_weeks or 0)
    gone = 0
    for backup in db.session.scalars(select(Backup)):
        if backup.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            # a worker that died mid-backup leaves it "running": after a day it is given up
            over = backup.created_at <= now - EXPIRES_AFTER
        elif backup.status == JobStatus.FAILED:
            over = backup.created_at <= now - EXPIRES_AFTER
        elif backup.kind == BackupKind.WEEKLY:
            over = backup.created_at <= keep_from
        else:
            over = backup.expires_at is not None and backup.expires_at <= now
        if over:
            if backup.storage_key:
                storage.delete_after_commit(backup.tenant_id, backup.storage_key)
            db.session.delete(backup)
            gone += 1
    db.session.flush()
    return gone


def temp_dir() -> str:
    """A private scratch folder for one backup or restore (removed by the caller)."""
    return tempfile.mkdtemp(prefix="baza-backup-", dir=os.environ.get("BAZA_TMP"))
