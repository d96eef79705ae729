"""Dashboard page."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from saas.customers.pool import upcoming_returns
from saas.dashboard import bp
from saas.dashboard.service import next_steps
from saas.mail.search import mail_health
from saas.users import seats


@bp.get("/dashboard")
@login_required
def index() -> Any:
    tenant = current_user.tenant
    return render_template(
        "dashboard/index.html",
        tenant=tenant,
        seats_used=seats.seats_used(),
        steps=next_steps(current_user),
        mail_health=mail_health() if current_user.can("outbox.view") else None,
        pool_returns=upcoming_returns(current_user),
    )
