"""Forms of the customer pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.contacts.forms import PrimaryContactForm
from saas.forms import CalendarDateField, LongSelect


class CustomerForm(FlaskForm):
    """Choices are set by the view (``options``), in the reader's language."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"))
    stage = SelectField(_l("Stage"))
    country = SelectField(_l("Country"))
    city = StringField(_l("City"), validators=[Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=500)])
    website = StringField(_l("Website"), validators=[Length(max=300)])
    comments = TextAreaField(_l("Comments"), validators=[Length(max=10_000)])
    contact_frequency_days = IntegerField(
        _l("Contact frequency (days)"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
    )
    purchase_preferences = TextAreaField(_l("Purchase preferences"), validators=[Length(max=2000)])
    #: Put the new customer in the pool instead of keeping it.
    to_pool = BooleanField(_l("Put it in the pool for anyone to claim"))
    #: The primary contact, saved with the customer (blank: none).
    contact = FormField(PrimaryContactForm)


class ShareForm(FlaskForm):
    """Share a customer: with whom, how, until when (choices set by the view)."""

    user_ids = SelectMultipleField(_l("People"), coerce=int, validators=[DataRequired()])
    access = SelectField(_l("Access"))
    until = CalendarDateField(_l("Until (last day, optional)"), validators=[Optional()])


class ReturnForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Assign to"), coerce=int)


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


class BatchForm(FlaskForm):
    """A batch action on the ticked rows (``ids``: the row checkboxes, ``form=batch-form``).
    The service checks every id; the form only parses them (an unknown id is "not found")."""

    action = SelectField(_l("With the selected customers"))
    ids = SelectMultipleField(_l("Customers"), coerce=_int_or_none, validate_choice=False)
    reason = StringField(_l("Reason for returning"), validators=[Length(max=200)])
    user_id = SelectField(
        _l("Assign to"), coerce=_int_or_none, validate_choice=False, widget=LongSelect()
    )
    user_ids = SelectMultipleField(
        _l("Share with"),
        coerce=_int_or_none,
        validate_choice=False,
        widget=LongSelect(multiple=True),
    )
    # checked by the action that uses them (batch._prepare_*): a form posted without its
    # parameter fields (they load when an action is chosen) is not refused for the others
    access = SelectField(_l("Access"), validate_choice=False)
    until = CalendarDateField(_l("Shared until"), validators=[Optional()])
    to = SelectField(_l("Reclaim"), validate_choice=False)
    view = HiddenField()
    q = HiddenField()
