"""Forms of contacts: the contact form of the card's tab, and the new-customer sub-form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FileField,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from saas.contacts.models import ACCOUNT_LABELS, EMAIL_LABELS, PHONE_LABELS
from saas.forms import CalendarDateField, options

#: Empty rows offered below the filled ones (to add a phone, an email, an account).
SPARE_ROWS = 1


def phone_choices() -> list:
    return options((k.value, label) for k, label in PHONE_LABELS.items())


def email_choices() -> list:
    return options([("", "—"), *((k.value, label) for k, label in EMAIL_LABELS.items())])


def account_choices() -> list:
    return options(ACCOUNT_LABELS.items())


class PhoneRow(Form):
    number = StringField(_l("Phone"), validators=[Length(max=64)])
    kind = SelectField(_l("Type"), choices=phone_choices, validate_choice=False)


class EmailRow(Form):
    email = StringField(_l("Email"), validators=[Length(max=320)])
    kind = SelectField(_l("Type"), choices=email_choices, validate_choice=False)


class AccountRow(Form):
    kind = SelectField(_l("Messenger or network"), choices=account_choices, validate_choice=False)
    handle = StringField(_l("Account"), validators=[Length(max=200)])


class ContactForm(FlaskForm):
    """A contact; the lists have one spare row to add to (more after saving)."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position"), validators=[Length(max=200)])
    phones = FieldList(FormField(PhoneRow), min_entries=1)
    emails = FieldList(FormField(EmailRow), min_entries=1)
    accounts = FieldList(FormField(AccountRow), min_entries=1)
    birthday = CalendarDateField(_l("Birthday"), validators=[Optional()])
    interests = TextAreaField(_l("Hobbies and interests"), validators=[Length(max=10_000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=10_000)])
    #: Checked: make it primary (unchecking changes nothing: make another one primary instead).
    primary = BooleanField(_l("Primary contact"))

    def values(self) -> dict[str, Any]:
        """The service's fields (blank rows dropped)."""
        return {
            "name": self.name.data,
            "position": self.position.data,
            "phones": [
                {"number": r.number.data, "type": r.kind.data}
                for r in self.phones
                if (r.number.data or "").strip()
            ],
            "emails": [
                {"email": r.email.data, "type": r.kind.data or None}
                for r in self.emails
                if (r.email.data or "").strip()
            ],
            "accounts": [
                {"kind": r.kind.data, "handle": r.handle.data}
                for r in self.accounts
                if (r.handle.data or "").strip()
            ],
            "birthday": self.birthday.data,
            "interests": self.interests.data,
            "notes": self.notes.data,
        } | ({"primary": True} if self.primary.data else {})

    def _filled(self, name: str) -> list:
        key = {"phones": "number", "emails": "email", "accounts": "handle"}[name]
        return [r for r in getattr(self, name) if (r[key].data or "").strip()]

    def place(self, path: tuple, message: str) -> bool:
        """Put a service error on its field (``("phones", 1, "number")``: the second filled
        phone row); False when the path names no field of this form."""
        if not path or path[0] not in self._fields:
            return False
        field = self._fields[path[0]]
        if path[0] in ("phones", "emails", "accounts") and len(path) > 1:
            rows = self._filled(path[0])
            if not isinstance(path[1], int) or path[1] >= len(rows):
                return False
            row = rows[path[1]]
            key = (
                path[2]
                if len(path) > 2
                else {"phones": "number", "emails": "email", "accounts": "handle"}[path[0]]
            )
            field = row[key]
        field.errors = [*field.errors, message]
        return True


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"))


class RelationForm(FlaskForm):
    kind = StringField(_l("Relationship"), validators=[DataRequired(), Length(max=100)])
    other_id = SelectField(_l("Other contact"), validate_choice=False)


class PrimaryContactForm(Form):
    """The new-customer form's primary contact (all optional: no name, no contact)."""

    name = StringField(_l("Contact's full name"), validators=[Length(max=200)])
    position = StringField(_l("Position"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=64)])
    phone_type = SelectField(_l("Phone type"), choices=phone_choices, validate_choice=False)
    email = StringField(_l("Email"), validators=[Length(max=320)])

    def values(self) -> dict[str, Any] | None:
        """The contact to create with the customer, or None when the sub-form is blank."""
        filled = any(
            (f.data or "").strip() for f in (self.name, self.position, self.phone, self.email)
        )
        if not filled:
            return None
        return {
            "name": self.name.data,
            "position": self.position.data,
            "phones": (
                [{"number": self.phone.data, "type": self.phone_type.data}]
                if (self.phone.data or "").strip()
                else []
            ),
            "emails": (
                [{"email": self.email.data, "type": None}]
                if (self.email.data or "").strip()
                else []
            ),
        }

    def place(self, path: tuple, message: str) -> bool:
        """Put a service error (path ``("contacts", 0, "phones", 0, "number")``) on its field."""
        rest = path[2:] if path[:1] == ("contacts",) else path
        target = {
            "name": self.name,
            "position": self.position,
            "phones": self.phone,
            "emails": self.email,
        }.get(rest[0] if rest else "")
        if target is None:
            return False
        target.errors = [*target.errors, message]
        return True
