"""API: upload a table, run it with a mapping, follow it, download its rejected rows, undo it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response, url_for
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.datastructures import FileStorage

from saas.api import api
from saas.imports import service
from saas.imports import targets as target_list
from saas.imports.models import FINISHED, ImportRun, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TargetOut(BaseModel):
    key: str = Field(description="What a mapping names: `name`, `contact.email`, `cf.<key>` …")
    label: str
    group: str
    repeatable: bool = Field(description="May be chosen for several columns (phones, emails)")


class ImportCreated(BaseModel):
    id: int
    filename: str
    format: str = Field(description="xlsx, xls, csv or vcf")
    columns: list[str] = Field(description="The header row's names, in order")
    header_row: int = Field(description="Row of the header in the file (1-based)")
    total_rows: int = Field(description="Data rows below the header")
    suggested_mapping: dict[str, str | None] = Field(
        description="Column index → target key (null: ignore); send it back as `mapping`"
    )
    saved_mapping: bool = Field(
        description="True: the mapping of the last import of a table of the same shape"
    )
    preview: list[list[str]] = Field(description="The first rows as text")


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str | None] = Field(
        description='Column index ("0") or header name → target key (GET /imports/targets), '
        'null or "ignore" to skip it. `name` (or `contact.name`) must be mapped; a target '
        "may be used once, phones and emails several times"
    )
    duplicates: Literal["skip", "update", "create"] = Field(
        default="skip",
        description="A row matching an existing customer (same name key, phone, email or No.) "
        "or an earlier row: skip it, update that customer, or create another",
    )
    update_mode: Literal["empty_only", "overwrite"] = Field(
        default="empty_only", description="Updating: fill only empty fields, or overwrite"
    )
    owner: Literal["me", "pool", "column"] = Field(
        default="me",
        description="Owner of created customers: the caller, the pool, or the `owner` column "
        "(a member's name or email; needs customers.assign)",
    )
    create_missing: bool = Field(
        default=False,
        description="Add unknown levels, stages, industries, sources and tags to the lists "
        "(needs settings.manage); otherwise such rows are rejected",
    )
    jalali: bool | None = Field(
        default=None, description="Read dates as Jalali; default: the caller's calendar"
    )


class ImportOut(BaseModel):
    id: int
    filename: str
    format: str
    status: str = Field(description="new, queued, running, done, failed, undoing or undone")
    total_rows: int
    done: int = Field(description="Rows handled so far")
    percent: int
    created: int
    updated: int
    skipped: int
    rejected: int
    job_id: int | None = Field(description="The job (GET /api/v1/jobs/{id})")
    seconds_left: int | None = Field(description="Estimate while running")
    mapping: list[str | None] | None
    options: dict[str, Any] | None
    message: str | None = Field(description="Why it failed (technical)")
    rejected_url: str | None = Field(description="The rejected rows as xlsx, once finished")
    created_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None


def out(run: ImportRun) -> ImportOut:
    record = service.job_of(run)
    finished = run.status in (*FINISHED, ImportStatus.UNDOING)
    return ImportOut(
        id=run.id,
        filename=run.filename,
        format=run.format,
        status=run.status,
        total_rows=run.total_rows,
        done=run.done,
        percent=min(100, run.done * 100 // run.total_rows) if run.total_rows else 100,
        created=run.created,
        updated=run.updated,
        skipped=run.skipped,
        rejected=run.rejected,
        job_id=run.job_id,
        seconds_left=service.seconds_left(run, record),
        mapping=run.mapping,
        options=run.options,
        message=run.message,
        rejected_url=url_for("api.import_rejected", run_id=run.id) if finished else None,
        created_at=run.created_at,
        finished_at=run.finished_at,
        undone_at=run.undone_at,
    )


ERRORS_RUN = {403: "Not allowed to import", 404: "No such import (or not yours)"}


@api.route(
    "/imports/targets",
    "GET",
    summary="What a column can be mapped to: customer, contact and custom fields",
    response=TargetOut,
    many=True,
    errors={403: "Not allowed to import"},
)
def import_targets() -> list[TargetOut]:
    service.get_targets(current_user)
    return [
        TargetOut(key=t.key, label=str(t.label), group=str(t.group), repeatable=t.repeatable)
        for t in target_list.targets()
    ]


@api.route(
    "/imports",
    "POST",
    summary="Upload a table to import (multipart/form-data, field `file`: xlsx, xls, csv, vcf)",
    files={"file": "The table; the header row is found, the rows counted against the plan"},
    response=ImportCreated,
    status=201,
    errors={
        400: "Not a multipart/form-data request",
        403: "Not allowed to import",
        413: "Larger than the installation's upload limit",
        422: "Unreadable file: the code says why (empty_file, no_header, not_a_table, "
        "truncated, encrypted, too_big, too_many_rows, too_many_columns, cell_too_long, "
        "encoding)",
    },
)
def upload_import(uploads: dict[str, FileStorage]) -> Any:
    upload = uploads["file"]
    result = service.upload(actor=current_user, filename=upload.filename, data=upload.read())
    run = result.run
    return ImportCreated(
        id=run.id,
        filename=run.filename,
        format=run.format,
        columns=run.columns,
        header_row=run.header_row,
        total_rows=run.total_rows,
        suggested_mapping={str(i): t for i, t in enumerate(result.suggested)},
        saved_mapping=result.saved,
        preview=result.preview,
    ), 201


@api.route(
    "/imports",
    "GET",
    summary="The latest imports (yours; all with customers.view_all), newest first",
    response=ImportOut,
    many=True,
    errors={403: "Not allowed to import"},
)
def list_imports() -> list[ImportOut]:
    return [out(run) for run in service.list_runs(current_user)]


@api.route(
    "/imports/<int:run_id>",
    "GET",
    summary="An import: status, progress, counts created/updated/skipped/rejected",
    response=ImportOut,
    errors=ERRORS_RUN,
)
def get_import(run_id: int) -> ImportOut:
    return out(service.get_run(current_user, run_id))


@api.route(
    "/imports/<int:run_id>/run",
    "POST",
    summary="Start an uploaded import with a mapping and options: a job (poll the import)",
    body=RunRequest,
    response=ImportOut,
    status=202,
    errors={
        **ERRORS_RUN,
        403: "Not allowed to import, or to use an option (owner column: customers.assign; "
        "create_missing: settings.manage)",
        409: "Started already",
        422: "Bad mapping or option: error.path names it (mapping.<column>, owner …)",
    },
)
def run_import(body: RunRequest, run_id: int) -> Any:
    run = service.start(
        actor=current_user,
        run_id=run_id,
        mapping=body.mapping,
        duplicates=body.duplicates,
        update_mode=body.update_mode,
        owner=body.owner,
        create_missing=body.create_missing,
        jalali=body.jalali,
    )
    return out(run), 202


@api.route(
    "/imports/<int:run_id>/rejected.xlsx",
    "GET",
    summary="The rejected rows: the original columns and a Reason column, to fix and re-import",
    raw=XLSX,
    errors={**ERRORS_RUN, 409: "Not finished yet"},
)
def import_rejected(run_id: int) -> Response:
    run, data = service.rejected_workbook(actor=current_user, run_id=run_id)
    return xlsx_response(data, f"rejected-{run.id}.xlsx")


@api.route(
    "/imports/<int:run_id>/undo",
    "POST",
    summary="Undo an import: created customers to the trash, updated ones get their old values",
    response=ImportOut,
    status=202,
    errors={**ERRORS_RUN, 409: "Not finished yet, or undone already"},
)
def undo_import(run_id: int) -> Any:
    return out(service.start_undo(actor=current_user, run_id=run_id)), 202


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
