"""The card's history tab (notes + audit trail, newest first) and the note actions on it.

GET /customers/<id>/history is the tab (``card.py``); "More" fetches the next page from
/customers/<id>/history/more (just the lines for htmx, the tab from there on without it). A
note is added with POST /customers/<id>/notes: htmx gets an empty form back and the new note
inserted at the top of the list out of band; without JavaScript, a redirect to the tab.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from saas import htmx
from saas.auth.models import User
from saas.customers import bp, card, history, notes, service
from saas.customers.models import Customer
from saas.errors import PermissionDenied
from saas.forms import submit


class NoteForm(FlaskForm):
    text = TextAreaField(_l("New note"))


def _context(actor: User, customer: Customer, form: NoteForm | None = None) -> dict[str, Any]:
    page = history.history(
        actor=actor, customer_id=customer.id, cursor=request.args.get("cursor") or None
    )
    may_note = service.may_edit(actor, customer)
    return {
        "history": page,
        "may_note": may_note,
        "note_form": form or (NoteForm() if may_note else None),
        "may_change": lambda note: notes.may_change(actor, note),
    }


HISTORY = card.CardTab(
    "history", _l("History"), "customers/history/_tab.html", order=30, context=_context
)
card.register_tab(HISTORY)


def _tab_page(customer: Customer, status: int = 200, **context: Any) -> Response:
    """The card with its history tab open (a whole page)."""
    return htmx.render(
        "customers/show.html",
        "customers/card/_panel.html",
        status=status,
        customer=customer,
        actor=current_user,
        tab=HISTORY,
        tabs=card.tabs_for(current_user, customer),
        **{**_context(current_user, customer), **context},
    )


@bp.get("/customers/<int:customer_id>/history/more")
@login_required
def history_more(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    if not htmx.is_fragment_request():
        return _tab_page(customer)
    context = _context(current_user, customer)
    return htmx.respond("customers/history/_items.html", customer=customer, **context)


@bp.post("/customers/<int:customer_id>/notes")
@login_required
def add_note(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    form = NoteForm()

    def added(note: notes.CustomerNote) -> Response:
        if not htmx.is_fragment_request():
            flash(_("Note added."), "success")
            return htmx.redirect(
                url_for("customers.show_tab", customer_id=customer.id, tab_name="history")
            )
        return htmx.respond(
            "customers/history/_note_added.html",
            events="noteAdded",
            customer=customer,
            note_form=NoteForm(formdata=None),
            item=history.Item("note", note.created_at, note.id, note=note),
            may_change=lambda n: notes.may_change(current_user, n),
        )

    return submit(
        form,
        lambda: notes.add_note(actor=current_user, customer_id=customer.id, text=form.text.data),
        success=added,
        template=lambda status: _tab_page(customer, status, note_form=form),
        fragment="customers/history/_note_form.html",
        form_name="note_form",
        context={"customer": customer},
    )


class NoteEditForm(FlaskForm):
    text = TextAreaField(_l("Note"))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit_note(note_id: int) -> Any:
    note = notes.get_note(current_user, note_id)
    if not notes.may_change(current_user, note):
        raise PermissionDenied()
    form = NoteEditForm(data={"text": note.text} if request.method == "GET" else None)
    back = url_for("customers.show_tab", customer_id=note.customer_id, tab_name="history")

    def saved(saved_note: notes.CustomerNote) -> Response:
        if not htmx.is_fragment_request():
            flash(_("Note saved."), "success")
            return htmx.redirect(back)
        return htmx.respond(
            "customers/history/_item.html",
            item=history.Item("note", saved_note.created_at, saved_note.id, note=saved_note),
            may_change=lambda n: notes.may_change(current_user, n),
        )

    if request.method == "GET" and request.args.get("cancel") and htmx.is_fragment_request():
        return htmx.respond(
            "customers/history/_item.html",
            item=history.Item("note", note.created_at, note.id, note=note),
            may_change=lambda n: notes.may_change(current_user, n),
        )
    return submit(
        form,
        lambda: notes.edit_note(actor=current_user, note_id=note.id, text=form.text.data),
        success=saved,
        template="customers/history/edit_note.html",
        fragment="customers/history/_note_edit.html",
        context={"note": note, "back": back},
    )


@bp.post("/notes/<int:note_id>/delete")
@login_required
def delete_note(note_id: int) -> Any:
    note = notes.get_note(current_user, note_id)
    customer_id = note.customer_id
    notes.delete_note(actor=current_user, note_id=note.id)
    flash(_("Note deleted."), "success")
    if not htmx.is_fragment_request():
        return htmx.redirect(
            url_for("customers.show_tab", customer_id=customer_id, tab_name="history")
        )
    return htmx.respond(None, events="noteDeleted")
