"""Outbox: mail kept in the app when no SMTP server is configured, and what was sent."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.mail import bp, search, service


@bp.get("/outbox")
@login_required
@permission_required("outbox.view")
def outbox() -> Any:
    page = search.outbox_page(request.args.get("cursor") or None)
    return htmx.render(
        "mail/outbox.html",
        "mail/_outbox_table.html",
        messages=page.items,
        listing=page,
        problems=search.problem_count(),
    )


@bp.get("/outbox/<int:message_id>")
@login_required
@permission_required("outbox.view")
def message(message_id: int) -> Any:
    msg = search.get_message(message_id)
    return render_template(
        "mail/message.html", msg=msg, show_body=search.body_visible_to(current_user, msg)
    )


@bp.post("/outbox/<int:message_id>/resend")
@login_required
@permission_required("outbox.view")
def resend(message_id: int) -> Any:
    """Send a failed or interrupted message again (a person checked it did not arrive)."""
    service.resend_message(actor=current_user, message_id=message_id)
    flash(_("The message will be sent again."), "success")
    return redirect(url_for("mail.message", message_id=message_id), 303)


@bp.post("/outbox/resend-failed")
@login_required
@permission_required("outbox.view")
def resend_failed() -> Any:
    """Resend every failed or interrupted message as a tracked job; follow its progress."""
    record = service.start_resend_failed(actor=current_user)
    return htmx.redirect(url_for("jobs.show", job_id=record.id))
