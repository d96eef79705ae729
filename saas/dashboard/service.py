"""What the dashboard suggests doing next."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.auth.models import Invitation, User
from saas.extensions import db


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    url: str
    action: str
    done: bool


def next_steps(user: User) -> list[Step]:
    """The set-up steps the user can take, with whether each is done."""
    steps = []
    if user.can("settings.manage"):
        tenant = user.tenant
        steps.append(
            Step(
                _("Set up your company"),
                _("Company name, logo, currency, country for phone numbers and time zone."),
                url_for("settings.company"),
                _("Company settings"),
                bool(tenant.logo_key or tenant.default_country),
            )
        )
    if user.can("users.manage"):
        people = db.session.scalar(select(func.count(User.id))) or 0
        invited = db.session.scalar(select(func.count(Invitation.id))) or 0
        steps.append(
            Step(
                _("Invite a colleague"),
                _("Work on one shared customer base instead of merging spreadsheets."),
                url_for("users.invite"),
                _("Invite"),
                people + invited > 1,
            )
        )
    steps.append(
        Step(
            _("Make it yours"),
            _("Choose your language, time zone and how dates are shown."),
            url_for("settings.profile"),
            _("Your profile"),
            False,
        )
    )
    return steps
