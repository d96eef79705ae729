"""Forms of the import pages: the upload, and the run's options (the column selects are
rendered from the table's columns, ``map-<index>``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice


class UploadForm(FlaskForm):
    file = FileField(_l("Table (xlsx, xls, csv or vcf)"))


class RunForm(FlaskForm):
    duplicates = RadioField(
        _l("Rows that match a customer already in Baza (same name, phone or email)"),
        choices=[
            SelectChoice("skip", _l("Skip them")),
            SelectChoice("update", _l("Update that customer")),
            SelectChoice("create", _l("Create another customer anyway")),
        ],
        default="skip",
    )
    update_mode = RadioField(
        _l("When updating"),
        choices=[
            SelectChoice("empty_only", _l("Fill only its empty fields")),
            SelectChoice("overwrite", _l("Overwrite with the table's values")),
        ],
        default="empty_only",
    )
    owner = RadioField(
        _l("Owner of the new customers"),
        choices=[
            SelectChoice("me", _l("Me")),
            SelectChoice("pool", _l("The pool")),
            SelectChoice("column", _l("The manager column of the table")),
        ],
        default="me",
    )
    create_missing = BooleanField(
        _l("Create missing list entries (levels, stages, industries, sources, tags)")
    )
    jalali = BooleanField(_l("Dates are in the Jalali calendar (۱۴۰۳/۰۵/۱۲)"))  # noqa: RUF001
