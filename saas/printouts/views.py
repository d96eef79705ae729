"""GET /customers/<id>/sheet.pdf (the card's "Print") and GET /printouts/<job id>.pdf (a
batch's merged PDF while it has not expired)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_login import current_user, login_required

from saas.attachments.files import content_disposition
from saas.printouts import bp, service


def pdf_response(data: bytes, name: str, *, inline: bool = True) -> Response:
    """A PDF answer: shown in the browser (``inline``) or downloaded, never cached."""
    disposition = content_disposition(name)
    if inline:
        disposition = "inline" + disposition.removeprefix("attachment")
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        },
    )


def sheet_name(number: int) -> str:
    return f"customer-{number}.pdf"


@bp.get("/customers/<int:customer_id>/sheet.pdf")
@login_required
def sheet(customer_id: int) -> Any:
    number, data = service.customer_sheet_pdf(current_user, customer_id)
    return pdf_response(data, sheet_name(number))


@bp.get("/printouts/<int:job_id>.pdf")
@login_required
def download(job_id: int) -> Any:
    record, data = service.download(viewer=current_user, job_id=job_id)
    return pdf_response(data, f"customers-{record.id}.pdf", inline=False)


@bp.get("/customers/list.pdf")
@login_required
def list_pdf() -> Any:
    """The current list (the Customers page's view, search, query, sort and columns) as PDF."""
    from saas.customers.state import ListState
    from saas.customers.views import _default_view

    state = ListState.from_args(request.args, _default_view())
    data = service.list_pdf(current_user, state)
    return pdf_response(data, "customers.pdf")
