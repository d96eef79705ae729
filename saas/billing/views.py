"""Billing page: the plan, seats, and changing the plan (preview, then confirm)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.billing import bp, service
from saas.errors import Conflict
from saas.tenancy import service as tenancy
from saas.users import seats


def _index(*, refusal: str | None = None, status: int = 200) -> Any:
    """The billing page; ``refusal`` is why a plan change could not be made (shown in place)."""
    tenant = current_user.tenant
    return (
        render_template(
            "billing/index.html",
            tenant=tenant,
            plans=tenancy.list_plans(),
            seats_used=seats.seats_used(),
            history=service.plan_history(),
            next_renewal=service.next_renewal(tenant),
            refusal=refusal,
        ),
        status,
    )


def _confirm_page(preview: service.PlanChangePreview, *, notice: str | None = None) -> Any:
    if preview.refusal:
        return _index(refusal=preview.refusal, status=409)
    return (
        render_template("billing/confirm.html", preview=preview, notice=notice),
        409 if notice else 200,
    )


@bp.get("/billing")
@login_required
@permission_required("billing.manage")
def index() -> Any:
    return _index()


@bp.get("/billing/plan/<code>")
@login_required
@permission_required("billing.manage")
def preview_plan(code: str) -> Any:
    """What the change would do, with a button to confirm it. Nothing changes here."""
    preview = service.preview_plan_change(actor=current_user, plan_code=code)
    if preview is None:
        return redirect(url_for("billing.index"), 303)
    return _confirm_page(preview)


def _confirmed_amount() -> Decimal | None:
    try:
        return Decimal(request.form["amount"])
    except (KeyError, InvalidOperation):
        return None


@bp.post("/billing/plan")
@login_required
@permission_required("billing.manage")
def change_plan() -> Any:
    """Change the plan with the amount the person confirmed; without one, show the preview."""
    code = request.form.get("plan", "")
    amount = _confirmed_amount()
    if amount is None:
        preview = service.preview_plan_change(actor=current_user, plan_code=code)
        if preview is None:
            return htmx.redirect(url_for("billing.index"))
        return _confirm_page(preview)
    try:
        change = service.change_plan(actor=current_user, plan_code=code, expected_amount=amount)
    except Conflict as err:
        if err.code == "amount_changed":
            preview = service.preview_plan_change(actor=current_user, plan_code=code)
            if preview is not None:
                return _confirm_page(preview, notice=err.message)
        if err.code == "seats_in_use":
            return _index(refusal=err.message, status=409)
        raise
    if change is not None:
        flash(_("Your company is now on the %(plan)s plan.", plan=change.to_plan.label), "success")
    return htmx.redirect(url_for("billing.index"))
