"""Forms of Settings → Lists and Settings → Custom fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from saas.customers.attributes import FIELD_TYPE_LABELS, PALETTE
from saas.customers.models import STAGE_LABELS
from saas.forms import options


class EntryForm(FlaskForm):
    """One list entry (the add form, and each row's in-place form with prefix ``e<id>``)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    # the service checks both (and ignores the category outside stages)
    colour = SelectField(_l("Colour"), validate_choice=False)
    category = SelectField(_l("Counts as"), validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.colour.choices = options(PALETTE.items())
        self.category.choices = options((k.value, label) for k, label in STAGE_LABELS.items())


class FieldForm(FlaskForm):
    """A custom field's definition (its type is fixed once created)."""

    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    type = SelectField(_l("Type"))
    choices = TextAreaField(_l("Options (one per line)"), validators=[Length(max=10_000)])
    required = BooleanField(_l("Required"))
    unique = BooleanField(_l("Unique: no two customers may have the same value"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = options(FIELD_TYPE_LABELS.items())
