"""Settings → Backups (the owner's): the list with download links, "Back up now" with its
progress bar, the weekly backups setting, and a restore form while the company is empty."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.backups import bp, restore, service
from saas.backups.api import zip_response
from saas.errors import ServiceError
from saas.progress.service import KINDS

#: Endpoints whose request body may be as large as a backup (BACKUP_MAX_MB).
UPLOAD_ENDPOINTS = frozenset({"backups.restore", "api.restore_backup"})


@bp.app_url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = restore.max_upload_mb() * 1024 * 1024 + 64 * 1024


def _owner_only() -> None:
    if not service.is_owner(current_user):
        abort(403)


def _page(status: int = 200, error: str | None = None, job: Any = None) -> Any:
    backups = service.list_backups(actor=current_user)
    return htmx.render(
        "backups/index.html",
        "backups/_list.html",
        status=status,
        backups=backups,
        downloadable=service.downloadable,
        tenant=current_user.tenant,
        max_weeks=service.MAX_WEEKS,
        empty_company=restore.company_is_empty(),
        max_mb=restore.max_upload_mb(),
        error=error,
        job=job,
        kind=KINDS[service.KIND] if job is not None else None,
    )


@bp.get("/settings/backups")
@login_required
def index() -> Any:
    _owner_only()
    return _page()


@bp.post("/settings/backups")
@login_required
def create() -> Any:
    _owner_only()
    backup = service.start_backup(actor=current_user)
    url = url_for("jobs.show", job_id=backup.job_id)
    if htmx.is_fragment_request():
        from saas.extensions import db
        from saas.progress.models import JobRecord

        job = db.session.get(JobRecord, backup.job_id)
        return htmx.respond("jobs/_progress.html", job=job, kind=KINDS[service.KIND])
    return htmx.redirect(url)


@bp.post("/settings/backups/weekly")
@login_required
def save_weekly() -> Any:
    _owner_only()
    raw = (request.form.get("weeks") or "").strip()
    try:
        weeks = int(raw) if raw.isdigit() else -1
        service.set_weeks(actor=current_user, weeks=weeks)
    except ServiceError as exc:
        return _page(422, error=exc.message)
    flash(_("Saved."), "success")
    return htmx.redirect(url_for("backups.index"))


@bp.get("/settings/backups/<int:backup_id>.zip")
@login_required
def download(backup_id: int) -> Any:
    backup, path = service.download(actor=current_user, backup_id=backup_id)
    return zip_response(backup, path)


@bp.post("/settings/backups/restore", endpoint="restore")
@login_required
def restore_upload_view() -> Any:
    _owner_only()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(422, error=_("Choose a backup file (.zip) to restore."))
    try:
        record = restore.start_restore(actor=current_user, data=upload.read())
    except ServiceError as exc:
        return _page(exc.status, error=exc.message)
    return htmx.redirect(url_for("jobs.show", job_id=record.id))
