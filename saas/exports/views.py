"""The export dialog (``/customers/export?<list state>[&segment=<id>]``: format, contacts, the
list as shown or the whole base) and the download of a finished export."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.attachments.files import content_disposition
from saas.customers import segments
from saas.customers import service as customers
from saas.customers.state import ListState
from saas.errors import ServiceError
from saas.exports import bp, service


def _default_view() -> str:
    allowed = customers.views_for(current_user)
    return "mine" if "mine" in allowed else allowed[0]


def _segment_id(raw: Any) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else (-1 if raw else None)


def _describe(state: ListState | None, segment: Any) -> str:
    if segment is not None:
        return _("The segment “%(name)s”", name=segment.name)
    labels = {
        "mine": _("My customers"),
        "pool": _("The pool"),
        "shared": _("Shared with me"),
        "subordinates": _("My team's customers"),
        "all": _("All customers"),
    }
    return _("The list “%(name)s” as shown", name=labels.get(state.view, state.view))


def _request_state() -> tuple[ListState | None, int | None]:
    values = request.values
    segment_id = _segment_id(values.get("segment"))
    if segment_id is not None and "view" not in values:
        return None, segment_id  # the segment's stored state
    return ListState.from_args(values, _default_view()), segment_id


@bp.route("/customers/export", methods=["GET", "POST"])
@login_required
@permission_required(service.PERMISSION)
def new() -> Any:
    """GET: the dialog; POST: start the export and go to its progress page."""
    state, segment_id = _request_state()
    segment = segments.get_segment(current_user, segment_id) if segment_id is not None else None
    error = None
    if request.method == "POST":
        try:
            spec, checked = service.prepare(
                current_user,
                format=request.form.get("format", "xlsx"),
                contacts=request.form.get("contacts", "none"),
                # the list as shown: with a segment open, its parts replace the segment's
                view=state.view if state else None,
                q=state.q if state else None,
                query=(service.parse_query_text(state.query) or {}) if state else None,
                sort=state.sort if state else None,
                cols=(list(state.cols) or None) if state else None,
                segment=segment_id,
                whole=request.form.get("source") == "all",
            )
            record = service.start(current_user, spec, checked)
            return htmx.redirect(url_for("jobs.show", job_id=record.id))
        except ServiceError as exc:
            if exc.status == 404:
                raise
            error = exc.message
    status = 422 if error else 200
    return (
        render_template(
            "exports/new.html",
            state=state,
            segment=segment,
            source=_describe(state, segment),
            may_export_all="all" in customers.views_for(current_user),
            chosen={
                "format": request.form.get("format", "xlsx"),
                "contacts": request.form.get("contacts", "none"),
                "source": request.form.get("source", "list"),
            },
            error=error,
            sync_limit=service.SYNC_LIMIT,
        ),
        status,
    )


def file_response(record: Any, path: Any) -> Response:
    """The stored export as an attachment with an RFC 5987 file name, never cached."""
    result = record.result or {}
    fmt = result.get("format", "xlsx")
    response = send_file(
        path,
        mimetype=service.MEDIA_TYPES.get(fmt, "application/octet-stream"),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(
        result.get("name") or f"customers.{fmt}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/exports/<int:job_id>/download")
@login_required
def download(job_id: int) -> Any:
    record, path = service.download(viewer=current_user, job_id=job_id)
    return file_response(record, path)
