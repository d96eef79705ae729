"""API: ``POST /api/v1/exports`` (a list state, a segment or the whole base → xlsx/CSV),
``GET /api/v1/exports/{id}`` (progress, counts, the link) and ``GET …/download`` (the file)."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.errors import ValidationFailed
from saas.exports import service
from saas.exports.views import file_response
from saas.progress.api import DownloadJobOut, download_job_fields
from saas.progress.models import JobRecord


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal["xlsx", "csv"] = Field(
        default="xlsx", description="xlsx (typed cells) or csv (UTF-8 with a BOM, CRLF)"
    )
    contacts: Literal["none", "rows", "sheet"] = Field(
        default="none",
        description="Contacts: none; rows under each customer (contact columns on the right); "
        "sheet: a second sheet 'Contacts' (xlsx only, 422 with csv)",
    )
    view: Literal["mine", "pool", "shared", "subordinates", "all"] | None = Field(
        default=None,
        description="The list (visibility rule, always applied; 403 for a list the caller may "
        "not open). 'all' with no q/query/segment is the whole base",
    )
    q: str | None = Field(default=None, max_length=200, description="Quick search")
    query: dict[str, Any] | None = Field(
        default=None,
        description="The combined query tree (as GET /api/v1/customers?query=); a bad node is "
        "a 422 with its path",
    )
    sort: str | None = Field(default=None, max_length=80, description="e.g. name or -number")
    columns: list[str] | None = Field(
        default=None,
        max_length=60,
        description="Column keys in order (as the Customers grid's cols); unknown keys are "
        "left out; default: the segment's, else the caller's saved choice",
    )
    segment: int | None = Field(
        default=None,
        ge=1,
        description="A segment id (404 when the caller may not see it); view/q/query/sort "
        "given beside it replace the segment's",
    )


class ExportOut(DownloadJobOut):
    percent: int | None
    format: str | None = None
    count: int | None = Field(default=None, description="Customers in the file")
    contacts: int | None = Field(default=None, description="Contacts in the file")


def _out(record: JobRecord) -> ExportOut:
    result = record.result or {}
    return ExportOut(
        **download_job_fields(record, service, "api.export_download"),
        percent=record.percent,
        format=result.get("format"),
        count=result.get("count"),
        contacts=result.get("contacts"),
    )


@api.route(
    "/exports",
    "POST",
    summary="Export customers (a list state, a segment, or the whole base) to xlsx or CSV: "
    "201 with the finished export when at most 500 rows match, else 202 with a job to poll",
    body=ExportRequest,
    response=ExportOut,
    status=202,
    also={201: "Written at once (at most 500 rows): download_url is set"},
    errors={
        403: "No customers.export permission, or a list the caller may not open",
        404: "No such segment (or not the caller's to see)",
    },
)
def create_export(body: ExportRequest) -> Any:
    if body.segment is None and body.view is None and body.query is None:
        raise ValidationFailed("Give a view, a query or a segment.", code="source")
    whole = body.segment is None and body.view == "all" and not body.q and not body.query
    spec, state = service.prepare(
        current_user,
        format=body.format,
        contacts=body.contacts,
        view=body.view if body.view is not None or body.segment is not None else "mine",
        q=body.q,
        query=body.query,
        sort=body.sort,
        cols=body.columns,
        segment=body.segment,
        whole=whole,
    )
    record = service.start(current_user, spec, state)
    return _out(record), 201 if record.finished else 202


@api.route(
    "/exports/<int:job_id>",
    "GET",
    summary="An export: status, progress, counts, then the download link (until it expires)",
    response=ExportOut,
    errors={404: "No such export (or not yours)"},
)
def get_export(job_id: int) -> Any:
    return _out(service.get_export(viewer=current_user, job_id=job_id))


@api.route(
    "/exports/<int:job_id>/download",
    "GET",
    summary="The exported file (attachment; customers-<date>.xlsx or .csv)",
    raw=(service.MEDIA_TYPES["xlsx"], "text/csv"),
    errors={
        403: "No customers.export permission",
        404: "No such export (or not yours, or it failed)",
        409: "Not finished yet",
        410: "Expired: the file was deleted; export again",
    },
)
def export_download(job_id: int) -> Response:
    record, path = service.download(viewer=current_user, job_id=job_id)
    return file_response(record, path)
