"""API: make, list, read and download backups of the company; restore one into a new company.

Every route is the owner's only (403 for anyone else); another company's backup id is 404.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Response, send_file, url_for
from flask_login import current_user
from pydantic import BaseModel, Field
from werkzeug.datastructures import FileStorage

from saas.api import api
from saas.attachments.files import content_disposition
from saas.backups import restore, service
from saas.backups.models import Backup
from saas.progress.models import JobRecord

OWNER_ONLY = "Only the company's owner may use backups"


class BackupOut(BaseModel):
    id: int
    kind: str = Field(description="manual (Back up now) or weekly (the scheduler's)")
    status: str = Field(description="queued, running, succeeded or failed")
    job_id: int | None = Field(description="The job building it (/api/v1/jobs/{id}: progress)")
    created_at: datetime
    finished_at: datetime | None
    size: int | None = Field(description="Bytes of the zip")
    sha256: str | None = Field(description="SHA-256 of the zip")
    counts: dict[str, Any] | None = Field(description="Rows per table and files")
    expires_at: datetime | None = Field(
        description="A manual backup's download ends then (weekly ones: kept N weeks)"
    )
    download_url: str | None = Field(description="The zip, while it can be downloaded")


class RestoreOut(BaseModel):
    id: int = Field(description="The restore job's id (poll /api/v1/jobs/{id})")
    status: str
    finished: bool


def _out(backup: Backup) -> BackupOut:
    return BackupOut(
        id=backup.id,
        kind=backup.kind,
        status=backup.status,
        job_id=backup.job_id,
        created_at=backup.created_at,
        finished_at=backup.finished_at,
        size=backup.size,
        sha256=backup.sha256,
        counts=backup.counts,
        expires_at=backup.expires_at,
        download_url=url_for("api.download_backup", backup_id=backup.id)
        if service.downloadable(backup)
        else None,
    )


@api.route(
    "/backups",
    "POST",
    summary="Back up the whole company now: a zip (data.xlsx, files, manifest) made by a job",
    response=BackupOut,
    status=202,
    errors={403: OWNER_ONLY},
)
def create_backup() -> Any:
    return _out(service.start_backup(actor=current_user)), 202


@api.route(
    "/backups",
    "GET",
    summary="The company's backups, newest first",
    response=BackupOut,
    many=True,
    errors={403: OWNER_ONLY},
)
def list_backups() -> Any:
    return [_out(b) for b in service.list_backups(actor=current_user)]


@api.route(
    "/backups/<int:backup_id>",
    "GET",
    summary="A backup: status, then its download link",
    response=BackupOut,
    errors={403: OWNER_ONLY, 404: "No such backup in this company"},
)
def get_backup(backup_id: int) -> Any:
    return _out(service.get_backup(actor=current_user, backup_id=backup_id))


@api.route(
    "/backups/<int:backup_id>/download",
    "GET",
    summary="The backup's zip",
    raw="application/zip",
    errors={
        403: OWNER_ONLY,
        404: "No such backup in this company",
        409: "Not finished yet, or it failed",
        410: "Expired: the file was deleted; make a new backup",
    },
)
def download_backup(backup_id: int) -> Response:
    backup, path = service.download(actor=current_user, backup_id=backup_id)
    return zip_response(backup, path)


def zip_response(backup: Backup, path: Path) -> Response:
    """The backup's zip streamed from disk as an attachment, never cached."""
    response = send_file(path, mimetype="application/zip", conditional=False, etag=False, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(service.file_name(backup))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.route(
    "/backups/restore",
    "POST",
    summary="Restore a backup into this company, which must be new and empty: a job. The "
    "backup's owner becomes you; other users come back as deactivated members",
    files={"file": "A backup zip made by Baza (the same version)"},
    response=RestoreOut,
    status=202,
    errors={
        403: OWNER_ONLY,
        409: "This company already has customers (restore into a new company), or a restore "
        "is running",
        413: "Larger than this installation restores (upload or unpacked size)",
        422: "Not a backup, damaged (a checksum differs), or made by another version",
    },
)
def restore_backup(uploads: dict[str, FileStorage]) -> Any:
    record: JobRecord = restore.start_restore(actor=current_user, data=uploads["file"].read())
    return RestoreOut(id=record.id, status=record.status, finished=record.finished), 202
