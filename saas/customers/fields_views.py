"""Settings → Custom fields: add, edit, reorder, archive (``settings.manage``); move and
archive answer in place with htmx, a redirect without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.customers import fields
from saas.customers.attributes import CustomField
from saas.customers.settings_forms import FieldForm
from saas.forms import submit
from saas.settings import bp

#: Service error codes → the form field they belong on.
CODES = {"required": "label", "too_long": "label", "type": "type"}


def _panel_context(form: FieldForm | None = None) -> dict[str, Any]:
    return {"items": fields.fields(archived=True), "form": form or FieldForm(formdata=None)}


@bp.get("/custom-fields")
@login_required
@permission_required("settings.manage")
def custom_fields() -> Any:
    return htmx.render(
        "settings/custom_fields.html", "settings/_custom_fields.html", **_panel_context()
    )


@bp.post("/custom-fields")
@login_required
@permission_required("settings.manage")
def add_custom_field() -> Any:
    form = FieldForm()

    def added(field: CustomField) -> Response:
        flash(_("%(name)s added.", name=field.label), "success")
        if not htmx.is_fragment_request():
            return htmx.redirect(url_for("settings.custom_fields"))
        return htmx.respond("settings/_custom_fields.html", **_panel_context())

    return submit(
        form,
        lambda: fields.create_field(
            actor=current_user,
            label=form.label.data,
            type=form.type.data,
            required=form.required.data,
            unique=form.unique.data,
            choices=form.choices.data or "",
        ),
        success=added,
        template="settings/custom_fields.html",
        fragment="settings/_custom_fields.html",
        fields=CODES,
        context=lambda: {"items": fields.fields(archived=True)},
    )


@bp.route("/custom-fields/<int:field_id>", methods=["GET", "POST"])
@login_required
@permission_required("settings.manage")
def edit_custom_field(field_id: int) -> Any:
    field = fields.get_field(field_id)
    form = FieldForm()
    form.type.validators = []
    form.type.data = field.type  # fixed
    if not form.is_submitted():
        form.label.data = field.label
        form.required.data = field.required
        form.unique.data = field.unique
        form.choices.data = "\n".join(field.choices or [])

    def saved(result: CustomField) -> Response:
        flash(_("%(name)s saved.", name=result.label), "success")
        return htmx.redirect(url_for("settings.custom_fields"))

    return submit(
        form,
        lambda: fields.update_field(
            actor=current_user,
            field_id=field.id,
            label=form.label.data,
            required=form.required.data,
            unique=form.unique.data,
            choices=form.choices.data if field.choices is not None else None,
        ),
        success=saved,
        template="settings/custom_field.html",
        fields=CODES,
        context={"custom_field": field, "unique_types": [str(t) for t in fields.UNIQUE_TYPES]},
    )


def _answer(message: str | None = None) -> Response:
    if message:
        flash(message, "success")
    if not htmx.is_fragment_request():
        return htmx.redirect(url_for("settings.custom_fields"))
    return htmx.respond("settings/_custom_fields.html", **_panel_context())


@bp.post("/custom-fields/<int:field_id>/move")
@login_required
@permission_required("settings.manage")
def move_custom_field(field_id: int) -> Any:
    field = fields.get_field(field_id)
    order = [f.id for f in fields.fields(archived=True)]
    step = -1 if request.form.get("direction") == "up" else 1
    fields.move_field(
        actor=current_user, field_id=field.id, position=order.index(field.id) + 1 + step
    )
    return _answer()


@bp.post("/custom-fields/<int:field_id>/archive")
@login_required
@permission_required("settings.manage")
def archive_custom_field(field_id: int) -> Any:
    archived = request.form.get("archived") != "0"
    field = fields.archive_field(actor=current_user, field_id=field_id, archived=archived)
    if archived:
        return _answer(_("%(name)s archived: hidden, its values kept.", name=field.label))
    return _answer(_("%(name)s restored.", name=field.label))
