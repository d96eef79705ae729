"""Import pages: /imports (upload, past imports), the mapping page, the run's progress and
result (polling itself while it runs), the rejected rows and the template as xlsx, undo."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.errors import ServiceError
from saas.forms import error_status
from saas.imports import bp, service
from saas.imports import targets as target_list
from saas.imports.api import xlsx_response
from saas.imports.forms import RunForm, UploadForm
from saas.imports.models import ImportRun, ImportStatus

#: Endpoints whose request body may be as large as IMPORT_MAX_MB.
UPLOAD_ENDPOINTS = frozenset({"imports.upload", "api.upload_import"})


@bp.app_url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = (
            int(current_app.config.get("IMPORT_MAX_MB", 50)) * service.MB + 64 * 1024
        )


def _index(form: UploadForm | None = None, error: ServiceError | None = None, status: int = 200):
    return htmx.render(
        "imports/index.html",
        status=status,
        form=form or UploadForm(),
        error=error,
        runs=service.list_runs(current_user),
        max_rows=service.max_rows(),
        max_mb=service.max_bytes() // service.MB,
    )


@bp.get("/imports")
@login_required
@permission_required("import.run")
def index() -> Any:
    return _index()


@bp.post("/imports")
@login_required
@permission_required("import.run")
def upload() -> Any:
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, status=422)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", None):
        form.file.errors = [_("Choose a file to import.")]
        return _index(form, status=422)
    try:
        result = service.upload(actor=current_user, filename=upload.filename, data=upload.read())
    except ServiceError as exc:
        form.file.errors = [exc.message]
        return _index(form, exc, status=error_status(exc))
    return htmx.redirect(url_for("imports.mapping", run_id=result.run.id))


def _mapping_page(
    run: ImportRun,
    form: RunForm,
    chosen: list[str | None],
    saved: bool,
    error: ServiceError | None = None,
    status: int = 200,
) -> Any:
    preview = service.preview_of(run)
    groups: dict[str, list[target_list.Target]] = {}
    for target in target_list.targets():
        groups.setdefault(str(target.group), []).append(target)
    return htmx.render(
        "imports/mapping.html",
        status=status,
        run=run,
        form=form,
        chosen=chosen,
        saved=saved,
        groups=groups,
        preview=preview,
        error=error,
        error_path=getattr(error, "path", None),
    )


@bp.get("/imports/<int:run_id>/mapping")
@login_required
@permission_required("import.run")
def mapping(run_id: int) -> Any:
    run = service.get_run(current_user, run_id)
    if run.status != ImportStatus.NEW:
        return htmx.redirect(url_for("imports.show", run_id=run.id))
    chosen, saved = service.offered_mapping(run)
    form = RunForm()
    form.jalali.data = current_user.calendar == "jalali" or current_user.language == "fa"
    return _mapping_page(run, form, chosen, saved)


@bp.post("/imports/<int:run_id>/mapping")
@login_required
@permission_required("import.run")
def start(run_id: int) -> Any:
    run = service.get_run(current_user, run_id)
    form = RunForm()
    chosen = [request.form.get(f"map-{i}") or None for i in range(len(run.columns))]
    if not form.validate_on_submit():
        return _mapping_page(run, form, chosen, False, status=422)
    try:
        service.start(
            actor=current_user,
            run_id=run.id,
            mapping={str(i): t for i, t in enumerate(chosen)},
            duplicates=form.duplicates.data,
            update_mode=form.update_mode.data,
            owner=form.owner.data,
            create_missing=form.create_missing.data,
            jalali=form.jalali.data,
        )
    except ServiceError as exc:
        return _mapping_page(run, form, chosen, False, exc, status=error_status(exc))
    return htmx.redirect(url_for("imports.show", run_id=run.id))


@bp.get("/imports/<int:run_id>")
@login_required
@permission_required("import.run")
def show(run_id: int) -> Any:
    run = service.get_run(current_user, run_id)
    return htmx.render(
        "imports/show.html",
        "imports/_status.html",
        run=run,
        seconds_left=service.seconds_left(run, service.job_of(run)),
    )


@bp.get("/imports/<int:run_id>/rejected.xlsx")
@login_required
@permission_required("import.run")
def rejected(run_id: int) -> Any:
    run, data = service.rejected_workbook(actor=current_user, run_id=run_id)
    return xlsx_response(data, f"rejected-{run.id}.xlsx")


@bp.post("/imports/<int:run_id>/undo")
@login_required
@permission_required("import.run")
def undo(run_id: int) -> Any:
    service.start_undo(actor=current_user, run_id=run_id)
    flash(_("Undoing the import…"), "success")
    return htmx.redirect(url_for("imports.show", run_id=run_id))


@bp.get("/imports/template.xlsx")
@login_required
@permission_required("import.run")
def template() -> Any:
    return xlsx_response(service.template_workbook(), "customers-template.xlsx")
