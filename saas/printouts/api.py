"""API: a customer's sheet as PDF, and batches of sheets merged into one PDF (a job)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, url_for
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.printouts import service
from saas.printouts.views import pdf_response, sheet_name
from saas.progress.models import JobRecord


class PrintoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_ids: list[int] = Field(
        min_length=1,
        max_length=service.MAX_IDS,
        description=f"Customers to print, in order (at most {service.MAX_IDS}); ids the caller "
        "may not see are skipped and counted as missing",
    )


class PrintoutOut(BaseModel):
    id: int = Field(description="The job's id (also readable at /api/v1/jobs/{id})")
    status: str = Field(description="queued, running, succeeded or failed")
    done: int
    total: int | None
    finished: bool
    count: int | None = Field(default=None, description="Sheets in the PDF")
    missing: int | None = Field(default=None, description="Ids not found (or not visible)")
    summary: list[str] = Field(default_factory=list)
    download_url: str | None = Field(
        default=None, description="The merged PDF, until expires_at; null before or after"
    )
    expires_at: datetime | None = None
    expired: bool = False


def _out(record: JobRecord) -> PrintoutOut:
    result = record.result or {}
    ready = service.downloadable(record)
    return PrintoutOut(
        id=record.id,
        status=record.status,
        done=record.done,
        total=record.total,
        finished=record.finished,
        count=result.get("count"),
        missing=result.get("missing"),
        summary=result.get("summary") or [],
        download_url=url_for("api.printout_pdf", job_id=record.id) if ready else None,
        expires_at=service.expires_at(record) if ready else None,
        expired=service.expired(record),
    )


@api.route(
    "/customers/<int:customer_id>/sheet.pdf",
    "GET",
    summary="A customer's printed sheet (PDF: details, fields, contacts, recent history, files)",
    raw="application/pdf",
    errors={404: "No such customer (or not yours to see)"},
)
def customer_sheet(customer_id: int) -> Response:
    number, data = service.customer_sheet_pdf(current_user, customer_id)
    return pdf_response(data, sheet_name(number), inline=False)


@api.route(
    "/printouts",
    "POST",
    summary="Print many customers' sheets into one PDF: a job on the documents queue",
    body=PrintoutRequest,
    response=PrintoutOut,
    status=202,
    errors={},
)
def create_printout(body: PrintoutRequest) -> Any:
    record = service.start_batch(actor=current_user, ids=body.customer_ids)
    return _out(record), 202


@api.route(
    "/printouts/<int:job_id>",
    "GET",
    summary="A batch printout: progress, then the download link (until it expires)",
    response=PrintoutOut,
    errors={404: "No such printout (or not yours)"},
)
def get_printout(job_id: int) -> Any:
    return _out(service.get_printout(viewer=current_user, job_id=job_id))


@api.route(
    "/printouts/<int:job_id>.pdf",
    "GET",
    summary="The merged PDF of a finished batch printout",
    raw="application/pdf",
    errors={
        404: "No such printout (or not yours, or nothing could be printed)",
        409: "Not finished yet",
        410: "Expired: the file was deleted; print again",
    },
)
def printout_pdf(job_id: int) -> Response:
    record, data = service.download(viewer=current_user, job_id=job_id)
    return pdf_response(data, f"customers-{record.id}.pdf", inline=False)
