"""What the dashboard suggests doing next."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.auth.models import Invitation, User
from saas.extensions import db
from saas.tenancy.models import Tenant

#: The zone a company starts in when signup could not guess one.
SIGNUP_TIMEZONE = "UTC"


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    url: str
    action: str
    done: bool


def _company_set_up(tenant: Tenant) -> bool:
    """The company is placed: a country and a time zone of its own (its currency goes with them).

    Signup guesses both from the browser's zone; without that guess the company starts in UTC
    with no country, and this step stays open until the owner chooses them.
    """
    return bool(tenant.default_country) and tenant.timezone != SIGNUP_TIMEZONE


def _preferences_set(user: User) -> bool:
    """The user chose a time zone or a calendar of their own."""
    return bool(user.timezone) or user.calendar != "gregorian"


def _has_customers() -> bool:
    """The company has a customer (live or in the trash): one indexed row read."""
    from saas.customers.models import Customer

    return db.session.scalar(select(Customer.id).limit(1)) is not None


def next_steps(user: User) -> list[Step]:
    """The set-up steps the user can take, with whether each is done."""
    steps = []
    if user.can("customers.create"):
        steps.append(
            Step(
                _("Add your first customer"),
                _("A customer with its contacts: colleagues see who owns it."),
                url_for("customers.new"),
                _("Add a customer"),
                _has_customers(),
            )
        )
    if user.can("settings.manage"):
        tenant = user.tenant
        steps.append(
            Step(
                _("Set up your company"),
                _("Currency, country for phone numbers and time zone."),
                url_for("settings.company"),
                _("Company settings"),
                _company_set_up(tenant),
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
    if user.can("settings.manage"):
        steps.append(
            Step(
                _("Make it yours"),
                _("Add your company's logo: everyone sees it in the top bar."),
                url_for("settings.company", _anchor="settings-logo"),
                _("Add a logo"),
                bool(user.tenant.logo_key),
            )
        )
    steps.append(
        Step(
            _("Your preferences"),
            _("Choose your language, time zone and how dates are shown."),
            url_for("settings.profile"),
            _("Your profile"),
            _preferences_set(user),
        )
    )
    return steps
