"""Settings → Lists (levels, stages, industries, sources, tags, return reasons) and
Settings → Custom fields: add, rename, recolour, reorder, archive — in place with htmx, real
forms (a redirect) without JavaScript. Permission ``settings.manage``."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.customers import bp as customers_bp
from saas.customers import lists
from saas.customers.attributes import LIST_LABELS, ListEntry, ListKind
from saas.customers.settings_forms import EntryForm
from saas.errors import ServiceError
from saas.forms import add_error, error_status
from saas.settings import bp

#: Service error codes → the form field they belong on.
NAME_CODES = {"required": "name", "too_long": "name"}

# --- Lists -----------------------------------------------------------------------------------


def _list_context(kind: str, add_form: EntryForm | None = None, **extra: Any) -> dict[str, Any]:
    items = lists.entries(kind)
    return {
        "kind": kind,
        "kind_label": lists.list_label(kind),
        "kinds": [(k.value, str(label)) for k, label in LIST_LABELS.items()],
        "items": items,
        "row_forms": {e.id: extra.get("row_forms", {}).get(e.id) or _row_form(e) for e in items},
        "add_form": add_form or _add_form(kind),
        "live_count": sum(1 for e in items if not e.archived),
    }


def _add_form(kind: str) -> EntryForm:
    form = EntryForm(prefix="new", formdata=None)
    form.colour.data = "gray"
    form.category.data = "potential"
    return form


def _row_form(entry: ListEntry, formdata: Any = None) -> EntryForm:
    form = EntryForm(prefix=f"e{entry.id}", formdata=formdata)
    if formdata is None:
        form.name.data = entry.name
        form.colour.data = entry.colour
        form.category.data = entry.category or "potential"
    return form


def _panel(kind: str, status: int = 200, **ctx: Any) -> Response:
    """The kind's panel for htmx, the page otherwise."""
    return htmx.render(
        "settings/lists.html", "settings/_list.html", status=status, **_list_context(kind, **ctx)
    )


@bp.get("/lists")
@login_required
@permission_required("settings.manage")
def lists_index() -> Any:
    return htmx.redirect(url_for("settings.lists_page", kind=ListKind.LEVEL.value))


@bp.get("/lists/<kind>")
@login_required
@permission_required("settings.manage")
def lists_page(kind: str) -> Any:
    lists.list_label(kind)  # 404 for an unknown list
    return _panel(kind)


@bp.post("/lists/<kind>")
@login_required
@permission_required("settings.manage")
def add_list_entry(kind: str) -> Any:
    lists.list_label(kind)
    form = EntryForm(prefix="new")
    status = 422
    if form.validate_on_submit():
        try:
            entry = lists.add_entry(
                actor=current_user,
                kind=kind,
                name=form.name.data,
                colour=form.colour.data,
                category=form.category.data if kind == ListKind.STAGE else None,
            )
        except ServiceError as exc:
            add_error(form, exc, NAME_CODES)
            status = error_status(exc)
        else:
            flash(_("%(name)s added.", name=entry.name), "success")
            if not htmx.is_fragment_request():
                return htmx.redirect(url_for("settings.lists_page", kind=kind))
            return htmx.respond("settings/_list.html", **_list_context(kind))
    return _panel(kind, status=status, add_form=form)


def _entry_answer(entry: ListEntry, message: str | None = None) -> Response:
    if message:
        flash(message, "success")
    if not htmx.is_fragment_request():
        return htmx.redirect(url_for("settings.lists_page", kind=entry.kind))
    return htmx.respond("settings/_list.html", **_list_context(entry.kind))


@bp.post("/lists/entries/<int:entry_id>")
@login_required
@permission_required("settings.manage")
def update_list_entry(entry_id: int) -> Any:
    entry = lists.get_entry(entry_id)
    form = _row_form(entry, formdata=request.form)
    status = 422
    if form.validate_on_submit():
        try:
            lists.update_entry(
                actor=current_user,
                entry_id=entry.id,
                name=form.name.data,
                colour=form.colour.data,
                category=form.category.data if entry.kind == ListKind.STAGE else None,
            )
        except ServiceError as exc:
            add_error(form, exc, NAME_CODES)
            status = error_status(exc)
        else:
            return _entry_answer(entry, _("%(name)s saved.", name=entry.name))
    return _panel(entry.kind, status=status, row_forms={entry.id: form})


@bp.post("/lists/entries/<int:entry_id>/move")
@login_required
@permission_required("settings.manage")
def move_list_entry(entry_id: int) -> Any:
    entry = lists.get_entry(entry_id)
    step = -1 if request.form.get("direction") == "up" else 1
    siblings = lists.entries(entry.kind)
    index = next(i for i, e in enumerate(siblings) if e.id == entry.id)
    lists.move_entry(actor=current_user, entry_id=entry.id, position=index + 1 + step)
    return _entry_answer(entry)


@bp.post("/lists/entries/<int:entry_id>/archive")
@login_required
@permission_required("settings.manage")
def archive_list_entry(entry_id: int) -> Any:
    entry = lists.get_entry(entry_id)
    archived = request.form.get("archived") != "0"
    try:
        lists.archive_entry(actor=current_user, entry_id=entry.id, archived=archived)
    except ServiceError as exc:
        if not htmx.is_fragment_request():
            flash(exc.message, "error")
            return htmx.redirect(url_for("settings.lists_page", kind=entry.kind))
        flash(exc.message, "error")
        return htmx.respond("settings/_list.html", **_list_context(entry.kind))
    if archived:
        message = _("%(name)s archived: no longer offered, kept where it is used.", name=entry.name)
    else:
        message = _("%(name)s restored.", name=entry.name)
    return _entry_answer(entry, message)


# --- what the card shows (templates/customers/_details_attributes.html) -----------------------


@customers_bp.app_template_global("customer_tags")
def customer_tags(customer: Any) -> list[ListEntry]:
    return lists.tags_of(customer)


@customers_bp.app_template_global("customer_fields")
def customer_fields(customer: Any) -> list[tuple[Any, str]]:
    from saas.customers import fields

    return fields.shown(customer)
