"""Forms of the customer pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from saas.contacts.forms import PrimaryContactForm


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
    #: Put the new customer in the pool instead of keeping it.
    to_pool = BooleanField(_l("Put it in the pool for anyone to claim"))
    #: The primary contact, saved with the customer (blank: none).
    contact = FormField(PrimaryContactForm)
