"""Card pages that change a customer: edit (form and inline), share, return, assign, reclaim,
lock, trash and restore; the Trash page; the card's Sharing tab.

Thin views: each calls one function of ``service``/``sharing`` (which decide who may) and
answers with a redirect back to the card, or for htmx with the changed fragment.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.auth.models import User
from saas.customers import attribute_forms, bp, service, sharing
from saas.customers.card import CardTab, register_tab
from saas.customers.forms import AssignForm, CustomerForm, ReturnForm, ShareForm
from saas.customers.models import ACCESS_LABELS, KIND_LABELS, Customer
from saas.errors import ServiceError
from saas.forms import add_error, error_status, options, submit
from saas.settings.service import countries

#: Fields the details tab edits in place, and their labels.
INLINE_FIELDS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "country": _l("Country"),
    "city": _l("City"),
    "address": _l("Address"),
    "website": _l("Website"),
    "comments": _l("Comments"),
    "contact_frequency_days": _l("Contact frequency (days)"),
    "purchase_preferences": _l("Purchase preferences"),
}


def _customer_form(customer: Customer) -> CustomerForm:
    """The edit form of ``customer``: its fields, the company's lists and custom fields."""
    form = attribute_forms.customer_form(customer, obj=customer)
    form.kind.choices = options((k.value, label) for k, label in KIND_LABELS.items())
    form.country.choices = options([("", "—"), *countries(str(get_locale()))])
    if not form.is_submitted():
        form.country.data = customer.country or ""
    del form.to_pool
    del form.contact
    return form


def _card_url(customer: Customer, tab: str | None = None) -> str:
    if tab is None:
        return url_for("customers.show", customer_id=customer.id)
    return url_for("customers.show_tab", customer_id=customer.id, tab_name=tab)


def _back(customer: Customer) -> Response:
    """Back to the card, or to the list when the actor no longer sees the customer."""
    if service.may_see(current_user, customer):
        return htmx.redirect(_card_url(customer))
    return htmx.redirect(url_for("customers.index"))


# --- edit -----------------------------------------------------------------------------------


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int) -> Any:
    customer = service.get_editable(current_user, customer_id)
    form = _customer_form(customer)

    def saved(customer: Customer) -> Response:
        flash(_("Changes saved."), "success")
        return htmx.redirect(_card_url(customer))

    return submit(
        form,
        lambda: service.update_customer(
            current_user,
            customer.id,
            **{
                name: form[name].data or None
                for name in service.EDITABLE
                if name in form and name not in service.ENTRY_FIELDS
            },
            **attribute_forms.values(form),
        ),
        success=saved,
        template="customers/edit.html",
        fragment="customers/_form.html",
        fields={"required": "name", "too_long": "name", "tag": "tags", "duplicate": "name"},
        context={
            "customer": customer,
            "action": url_for("customers.edit", customer_id=customer.id),
        },
    )


def _inline(
    customer: Customer,
    name: str,
    *,
    editing: bool,
    form: Any = None,
    status: int = 200,
    focus: bool = False,
) -> Response:
    return htmx.render(
        "customers/edit.html",
        "customers/_inline_field.html",
        status=status,
        customer=customer,
        name=name,
        label=INLINE_FIELDS[name],
        editing=editing,
        focus=focus,
        form=form if form is not None else _customer_form(customer),
        may_edit=service.may_edit(current_user, customer),
        action=url_for("customers.edit", customer_id=customer.id),
    )


def _inline_name(name: str) -> str:
    if name not in INLINE_FIELDS:
        abort(404)
    return name


@bp.get("/customers/<int:customer_id>/field/<name>")
@login_required
def show_field(customer_id: int, name: str) -> Any:
    """One value of the details tab (what Escape / Cancel goes back to)."""
    customer = service.get_customer(current_user, customer_id)
    return _inline(customer, _inline_name(name), editing=False, focus=True)


@bp.get("/customers/<int:customer_id>/field/<name>/edit")
@login_required
def edit_field(customer_id: int, name: str) -> Any:
    """The input of one value, in place (the whole edit form without JavaScript)."""
    customer = service.get_editable(current_user, customer_id)
    return _inline(customer, _inline_name(name), editing=True)


@bp.post("/customers/<int:customer_id>/field/<name>")
@login_required
def save_field(customer_id: int, name: str) -> Any:
    customer = service.get_editable(current_user, customer_id)
    name = _inline_name(name)
    form = _customer_form(customer)
    field = form[name]
    if not field.validate(form):
        return _inline(customer, name, editing=True, form=form, status=422)
    try:
        service.update_customer(current_user, customer.id, **{name: field.data or None})
    except ServiceError as exc:
        field.errors = [*field.errors, exc.message]
        return _inline(customer, name, editing=True, form=form, status=error_status(exc))
    if not htmx.is_fragment_request():
        return htmx.redirect(_card_url(customer))
    resp = _inline(customer, name, editing=False, focus=True)
    return htmx.trigger(resp, "customerUpdated")


# --- ownership: return, assign, reclaim, lock -------------------------------------------------


@bp.post("/customers/<int:customer_id>/return")
@login_required
def return_to_pool(customer_id: int) -> Any:
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for returning the customer."), "error")
        return htmx.redirect(url_for("customers.show", customer_id=customer_id))
    customer = service.return_to_pool(
        actor=current_user, customer_id=customer_id, reason=form.reason.data
    )
    flash(_("%(name)s is back in the pool.", name=customer.name), "success")
    return _back(customer)


@bp.post("/customers/<int:customer_id>/assign")
@login_required
@permission_required("customers.assign")
def assign(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    form = AssignForm()
    form.user_id.choices = [(u.id, u.name) for u in _active_users()]
    if not form.validate_on_submit():
        abort(422)
    customer = service.assign(
        actor=current_user, customer_id=customer.id, user_id=form.user_id.data
    )
    flash(_("%(name)s is assigned.", name=customer.name), "success")
    return _back(customer)


@bp.post("/customers/<int:customer_id>/reclaim")
@login_required
def reclaim(customer_id: int) -> Any:
    to = request.form.get("to", "pool")
    customer = sharing.reclaim(actor=current_user, customer_id=customer_id, to=to)
    if customer.owner_id is None:
        flash(_("%(name)s is back in the pool.", name=customer.name), "success")
    else:
        flash(_("%(name)s is yours now.", name=customer.name), "success")
    return _back(customer)


@bp.post("/customers/<int:customer_id>/lock")
@login_required
def lock(customer_id: int) -> Any:
    customer = sharing.set_locked(actor=current_user, customer_id=customer_id, locked=True)
    flash(_("%(name)s is locked: the pool rules leave it with its owner.", name=customer.name))
    return _back(customer)


@bp.post("/customers/<int:customer_id>/unlock")
@login_required
def unlock(customer_id: int) -> Any:
    customer = sharing.set_locked(actor=current_user, customer_id=customer_id, locked=False)
    flash(_("%(name)s is unlocked.", name=customer.name))
    return _back(customer)


# --- trash ------------------------------------------------------------------------------------


@bp.post("/customers/<int:customer_id>/delete")
@login_required
@permission_required("customers.delete")
def delete(customer_id: int) -> Any:
    customer = sharing.trash(actor=current_user, customer_id=customer_id)
    flash(
        _(
            "%(name)s is in the trash for %(days)s days.",
            name=customer.name,
            days=sharing.TRASH_DAYS,
        ),
        "success",
    )
    return htmx.redirect(url_for("customers.index"))


@bp.get("/customers/trash")
@login_required
@permission_required("customers.delete")
def trash() -> Any:
    page = sharing.list_trash(actor=current_user, cursor=request.args.get("cursor") or None)
    return htmx.render(
        "customers/trash.html",
        "customers/_trash_list.html",
        customers=page.items,
        listing=page,
        purge_days=sharing.TRASH_DAYS,
    )


@bp.post("/customers/<int:customer_id>/restore")
@login_required
@permission_required("customers.delete")
def restore(customer_id: int) -> Any:
    customer = sharing.restore(actor=current_user, customer_id=customer_id)
    flash(_("%(name)s is restored.", name=customer.name), "success")
    if htmx.is_fragment_request():
        return htmx.respond(None, events="customerRestored")
    return htmx.redirect(url_for("customers.trash"))


# --- sharing ----------------------------------------------------------------------------------


def _active_users() -> list[User]:
    from sqlalchemy import select

    from saas.extensions import db

    return list(
        db.session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)
        )
    )


def _share_form(customer: Customer, form: ShareForm | None = None) -> ShareForm:
    form = form or ShareForm()
    form.user_ids.choices = [
        (u.id, u.name) for u in sharing.shareable_users(current_user, customer)
    ]
    form.access.choices = options((a.value, label) for a, label in ACCESS_LABELS.items())
    return form


def sharing_context(actor: User, customer: Customer) -> dict[str, Any]:
    """What the Sharing tab shows: the owner, the live shares, and (for those in charge) the
    form to add people."""
    manage = service.in_charge(actor, customer)
    shares = sharing.list_shares(actor, customer)
    return {
        "shares": shares,
        "row_forms": {
            s.user_id: _share_form(
                customer, ShareForm(formdata=None, data={"access": s.access, "until": s.until})
            )
            for s in shares
        }
        if manage
        else {},
        "manage": manage and customer.owner_id is not None,
        "share_form": _share_form(customer) if manage else None,
        "access_choices": list(ACCESS_LABELS.items()),
        "today": service.today(),
    }


register_tab(
    CardTab(
        "sharing",
        _l("Sharing"),
        "customers/card/_sharing.html",
        order=50,
        context=sharing_context,
    )
)


def _sharing_panel(customer: Customer, *, status: int = 200, form: ShareForm | None = None):
    if not htmx.is_fragment_request():
        return htmx.redirect(_card_url(customer, "sharing"))
    context = sharing_context(current_user, customer)
    if form is not None:
        context["share_form"] = form
    return htmx.respond(
        "customers/card/_sharing.html",
        status=status,
        customer=customer,
        actor=current_user,
        **context,
    )


@bp.post("/customers/<int:customer_id>/share")
@login_required
def share(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    form = _share_form(customer)
    if not form.validate_on_submit():
        if not htmx.is_fragment_request():
            flash(_("Choose at least one person."), "error")
        return _sharing_panel(customer, status=422, form=form)
    try:
        sharing.share(
            actor=current_user,
            customer_id=customer.id,
            user_ids=form.user_ids.data,
            access=form.access.data,
            until=form.until.data,
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        add_error(form, exc)
        if not htmx.is_fragment_request():
            flash(exc.message, "error")
        return _sharing_panel(customer, status=error_status(exc), form=form)
    flash(_("Sharing saved."), "success")
    return _sharing_panel(customer)


@bp.post("/customers/<int:customer_id>/unshare")
@login_required
def unshare(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    try:
        user_id = int(request.form.get("user_id", ""))
    except ValueError:
        abort(422)
    sharing.unshare(actor=current_user, customer_id=customer.id, user_ids=[user_id])
    flash(_("Sharing cancelled."), "success")
    return _sharing_panel(customer)


def actions_context(actor: User, customer: Customer) -> dict[str, Any]:
    """What the card's action buttons may offer ``actor`` (the service still decides)."""
    owned = customer.owner_id is not None
    is_owner = customer.owner_id == actor.id
    return {
        "can_edit": service.may_edit(actor, customer),
        "can_return": owned
        and (is_owner or actor.can("customers.assign") or service.is_above(actor, customer)),
        "can_assign": actor.can("customers.assign"),
        "can_share": owned and service.in_charge(actor, customer),
        "can_reclaim": owned
        and not is_owner
        and (actor.can("customers.assign") or service.is_above(actor, customer)),
        "can_lock": owned and service.in_charge(actor, customer),
        "can_delete": sharing.may_delete(actor, customer),
        "assignees": _active_users() if actor.can("customers.assign") else [],
    }


@bp.app_template_global("customer_actions")
def customer_actions(customer: Customer) -> dict[str, Any]:
    """``actions_context`` for the logged-in user (the card header's buttons)."""
    return actions_context(current_user, customer)
