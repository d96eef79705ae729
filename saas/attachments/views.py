"""The card's attachments tab: the list, an upload form, download and delete.

Uploads may be larger than the app's general request limit (MAX_CONTENT_LENGTH): for the two
upload endpoints the limit is raised to the installation's ATTACHMENT_MAX_MB before anything
reads the body (a URL value preprocessor runs before the CSRF check parses the form); the
plan's own, lower limit is the service's to enforce, with a message that names it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from saas import htmx
from saas.attachments import files, service
from saas.attachments.models import CustomerAttachment
from saas.auth.models import User
from saas.customers import bp, card
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.forms import submit

#: Endpoints whose request body may be as large as ATTACHMENT_MAX_MB.
UPLOAD_ENDPOINTS = frozenset({"customers.upload_attachment", "api.upload_attachment"})


@bp.app_url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    if endpoint in UPLOAD_ENDPOINTS:
        mb = int(current_app.config["ATTACHMENT_MAX_MB"])
        request.max_content_length = mb * service.MB + 64 * 1024


class UploadForm(FlaskForm):
    file = FileField(_l("File"))


def _context(actor: User, customer: Customer, form: UploadForm | None = None) -> dict[str, Any]:
    may_upload = customers.may_edit(actor, customer)
    limits = service.limits()
    return {
        "attachments": service.list_attachments(actor=actor, customer_id=customer.id),
        "may_upload": may_upload,
        "upload_form": form or (UploadForm() if may_upload else None),
        "limits": limits,
        "MB": service.MB,
    }


ATTACHMENTS = card.CardTab(
    "attachments",
    _l("Files"),
    "customers/attachments/_tab.html",
    order=40,
    context=_context,
)
card.register_tab(ATTACHMENTS)


def _tab(customer: Customer, status: int = 200, **context: Any) -> Response:
    """The card with its attachments tab open (the page, or the panel for htmx)."""
    return htmx.render(
        "customers/show.html",
        "customers/card/_panel.html",
        status=status,
        customer=customer,
        actor=current_user,
        tab=ATTACHMENTS,
        tabs=card.tabs_for(current_user, customer),
        **{**_context(current_user, customer), **context},
    )


@bp.post("/customers/<int:customer_id>/attachments")
@login_required
def upload_attachment(customer_id: int) -> Any:
    customer = customers.get_customer(current_user, customer_id)
    form = UploadForm()
    back = url_for("customers.show_tab", customer_id=customer.id, tab_name="attachments")

    def uploaded(attachment: CustomerAttachment) -> Response:
        flash(_("%(name)s attached.", name=attachment.name), "success")
        if not htmx.is_fragment_request():
            return htmx.redirect(back)
        return _tab(customer)

    def action() -> CustomerAttachment:
        upload = form.file.data
        return service.upload_attachment(
            actor=current_user,
            customer_id=customer.id,
            filename=getattr(upload, "filename", None),
            data=upload.read() if upload else b"",
        )

    return submit(
        form,
        action,
        success=uploaded,
        template=lambda status: _tab(customer, status, upload_form=form),
        form_name="upload_form",
        fields={"too_large": "file", "storage_full": "file"},
    )


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download_attachment(attachment_id: int) -> Any:
    attachment, data = service.download_attachment(actor=current_user, attachment_id=attachment_id)
    return Response(
        data, mimetype=attachment.content_type, headers=files.download_headers(attachment.name)
    )


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id: int) -> Any:
    attachment = service.get_attachment(current_user, attachment_id)
    customer_id, name = attachment.customer_id, attachment.name
    service.delete_attachment(actor=current_user, attachment_id=attachment.id)
    flash(_("%(name)s deleted.", name=name), "success")
    if not htmx.is_fragment_request():
        return htmx.redirect(
            url_for("customers.show_tab", customer_id=customer_id, tab_name="attachments")
        )
    return htmx.respond(None, events="attachmentDeleted")
