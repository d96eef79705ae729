"""API endpoints of attachments: a customer's files (list, upload), one file (download, delete)."""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.datastructures import FileStorage

from saas.api import api
from saas.attachments import files, service
from saas.attachments.models import CustomerAttachment


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    name: str = Field(description="Display name (sanitised from the uploaded file's name)")
    size: int = Field(description="Bytes")
    content_type: str = Field(
        description="The type the bytes showed; application/octet-stream for anything that is "
        "not a known document, picture or archive type"
    )
    uploaded_by_id: int | None
    created_at: datetime


@api.route(
    "/customers/<int:customer_id>/attachments",
    "GET",
    summary="A customer's files, newest first",
    response=AttachmentOut,
    many=True,
    errors={404: "No such customer (or not yours to see)"},
)
def list_attachments(customer_id: int) -> list[CustomerAttachment]:
    return service.list_attachments(actor=current_user, customer_id=customer_id)


@api.route(
    "/customers/<int:customer_id>/attachments",
    "POST",
    summary="Attach a file to a customer (multipart/form-data, field `file`)",
    files={"file": "The file; its type is read from its bytes, programs are refused"},
    response=AttachmentOut,
    status=201,
    errors={
        403: "You may see this customer but not work on it",
        404: "No such customer (or not yours to see)",
        413: "Larger than the plan allows per file, or over the company's storage",
    },
)
def upload_attachment(uploads: dict[str, FileStorage], customer_id: int) -> CustomerAttachment:
    upload = uploads["file"]
    return service.upload_attachment(
        actor=current_user,
        customer_id=customer_id,
        filename=upload.filename,
        data=upload.read(),
    )


@api.route(
    "/attachments/<int:attachment_id>",
    "GET",
    summary="Download a file (Content-Disposition: attachment with its name, RFC 5987)",
    raw="application/octet-stream",
    errors={404: "No such file (or not yours to see)"},
)
def download_attachment(attachment_id: int) -> Response:
    attachment, data = service.download_attachment(actor=current_user, attachment_id=attachment_id)
    return Response(
        data, mimetype=attachment.content_type, headers=files.download_headers(attachment.name)
    )


@api.route(
    "/attachments/<int:attachment_id>",
    "DELETE",
    summary="Delete a file",
    status=204,
    errors={
        403: "You may see this customer but not work on it",
        404: "No such file (or not yours to see)",
    },
)
def delete_attachment(attachment_id: int) -> None:
    service.delete_attachment(actor=current_user, attachment_id=attachment_id)
