"""Forms of the team pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    #: The invitee's language: the mail, the page they land on, their account.
    language = SelectField(_l("Their language"))


class UserForm(FlaskForm):
    role = SelectField(_l("Role"))
    manager = SelectField(_l("Reports to"))


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RoleForm(FlaskForm):
    name = StringField(_l("Role name"), validators=[DataRequired(), Length(max=100)])
    permissions = CheckboxesField(_l("Permissions"))
