"""API: a customer's sheet as PDF, and batches of sheets merged into one PDF (a job)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.printouts import service
from saas.printouts.views import pdf_response, sheet_name
from saas.progress.api import DownloadJobOut, download_job_fields
from saas.progress.models import JobRecord


class PrintoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_ids: list[int] = Field(
        min_length=1,
        max_length=service.MAX_IDS,
        description=f"Customers to print, in order (at most {service.MAX_IDS}); ids the caller "
        "may not see are skipped and counted as missing",
    )


class PrintoutOut(DownloadJobOut):
    count: int | None = Field(default=None, description="Sheets in the PDF")
    missing: int | None = Field(default=None, description="Ids not found (or not visible)")


def _out(record: JobRecord) -> PrintoutOut:
    result = record.result or {}
    return PrintoutOut(
        **download_job_fields(record, service, "api.printout_pdf"),
        count=result.get("count"),
        missing=result.get("missing"),
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
