"""Forms of the settings pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class CompanyForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    default_currency = SelectField(_l("Default currency"))
    default_country = SelectField(_l("Default country (for phone numbers)"))
    timezone = SelectField(_l("Time zone"))
    #: ``customers.duplicates.Policy``: warn about duplicate customers, or refuse exact ones.
    #: Checked by ``duplicates.set_policy``; a post without it keeps the policy.
    duplicate_policy = SelectField(_l("Duplicate customers"), validate_choice=False)


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG, JPEG, GIF or WebP, up to 2 MB)"))


class SmtpForm(FlaskForm):
    host = StringField(_l("SMTP server"), validators=[Optional(), Length(max=200)])
    port = IntegerField(_l("Port"), validators=[Optional(), NumberRange(1, 65535)])
    user = StringField(_l("User name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Password (leave empty to keep)"), validators=[Optional()])
    sender = StringField(_l("From address"), validators=[Optional(), Length(max=200)])
    security = SelectField(
        _l("Security"),
        choices=[
            SelectChoice("starttls", "STARTTLS"),
            SelectChoice("ssl", "SSL/TLS"),
            SelectChoice("none", _l("None")),
        ],
    )
    current_password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired()],
    )


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))
    calendar = SelectField(
        _l("Date display"),
        choices=[
            SelectChoice("gregorian", _l("Gregorian")),
            SelectChoice("jalali", _l("Jalali (Persian)")),
        ],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    end_others = BooleanField(
        _l("Sign out my other sessions and revoke my API tokens"), default=True
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class LeaveForm(FlaskForm):
    current_password = PasswordField(_l("Your password"), validators=[DataRequired()])
