"""Billing page: the plan, seats, and changing the plan."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.billing import bp, service
from saas.tenancy import service as tenancy
from saas.users import seats


@bp.get("/billing")
@login_required
@permission_required("billing.manage")
def index() -> Any:
    return render_template(
        "billing/index.html",
        tenant=current_user.tenant,
        plans=tenancy.list_plans(),
        seats_used=seats.seats_used(),
        history=service.plan_history(),
    )


@bp.post("/billing/plan")
@login_required
@permission_required("billing.manage")
def change_plan() -> Any:
    change = service.change_plan(actor=current_user, plan_code=request.form.get("plan", ""))
    if change is not None:
        flash(_("Your company is now on the %(plan)s plan.", plan=change.to_plan.label), "success")
    return htmx.redirect(url_for("billing.index"))
