"""The Customers page (tabs with counts, quick search, keyset pages, batch actions on a
selection, a new-customer form, claim in place) and the customer card (header + the tabs of
``card.py``)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from saas import htmx
from saas.access import permission_required
from saas.auth.models import User
from saas.contacts.views import add_primary_contact
from saas.customers import attribute_forms, batch, bp, card, lists, search, service
from saas.customers.forms import BatchForm
from saas.customers.models import KIND_LABELS, Customer
from saas.extensions import db
from saas.formatting import number as format_number
from saas.forms import options, submit
from saas.progress.models import JobRecord
from saas.settings.service import countries

#: ``text|highlight(q)``: escaped text with quick search ``q``'s matches in ``<mark>``.
bp.add_app_template_filter(search.highlight, "highlight")

#: Tab labels and their order; a view of ``service.VIEWS`` not named here comes last.
VIEW_LABELS = {
    "pool": _l("Pool"),
    "mine": _l("My customers"),
    "shared": _l("Shared with me"),
    "subordinates": _l("Subordinates'"),
    "all": _l("All"),
}
TAB_ORDER = ("pool", "mine", "shared", "subordinates", "all")


def _tab_order(view: str) -> int:
    return TAB_ORDER.index(view) if view in TAB_ORDER else len(TAB_ORDER)


def _tabs(q: str | None) -> list[dict[str, Any]]:
    """The tabs ``current_user`` may open, each with its (capped) count."""
    tabs = []
    for view in sorted(service.views_for(current_user), key=_tab_order):
        count = service.count_view(current_user, view, q)
        tabs.append(
            {
                "view": view,
                "label": str(VIEW_LABELS.get(view, view)),
                "count": count,
                "count_text": _("%(n)s+", n=format_number(service.COUNT_CAP))
                if count > service.COUNT_CAP
                else format_number(count),
            }
        )
    return tabs


def _default_view() -> str:
    allowed = service.views_for(current_user)
    return "mine" if "mine" in allowed else allowed[0]


def _colleagues() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name))
    )


def _batch_form(view: str, q: str) -> BatchForm:
    form = BatchForm()
    actions = batch.actions_for(current_user)
    form.action.choices = options((a.name, a.label) for a in actions)
    people = [(u.id, u.name) for u in _colleagues()]
    form.user_id.choices = options([("", "—"), *people])
    form.user_ids.choices = options(people)
    form.access.choices = options([("read", _("Read only")), ("write", _("Read and write"))])
    form.to.choices = options([("pool", _("To the pool")), ("me", _("To me"))])
    if not form.is_submitted():
        form.view.data, form.q.data = view, q
    return form


def _list_page(status: int = 200, form: BatchForm | None = None) -> Response:
    """The Customers page (or the ``#customers`` fragment) of the current query string, or of
    the batch form's view and search when it is re-shown with its errors."""
    view = (form.view.data if form else None) or request.args.get("view") or _default_view()
    if form is not None and view not in service.views_for(current_user):
        view = _default_view()  # a batch form re-shown: never a 403 for its hidden view
    q = ((form.q.data if form else None) or request.args.get("q") or "").strip()[:200]
    cursor = None if form else (request.args.get("cursor") or None)
    page = service.list_customers(actor=current_user, view=view, cursor=cursor, q=q)
    form = form or _batch_form(view, q)
    company_empty = False
    if not page.items and not q and view in ("mine", "all"):
        company_empty = not db.session.scalar(
            select(Customer.id).where(Customer.deleted_at.is_(None)).limit(1)
        )
    return htmx.render(
        "customers/index.html",
        "customers/_list.html",
        status=status,
        tabs=_tabs(q),
        view=view,
        q=q,
        customers=page.items,
        listing=page,
        batch_form=form,
        batch_actions=batch.actions_for(current_user),
        return_reasons=lists.reasons_for(),
        company_empty=company_empty,
        batch_limit=batch.SYNC_LIMIT,
    )


@bp.get("/customers")
@login_required
def index() -> Any:
    return _list_page()


@bp.post("/customers/batch")
@login_required
def batch_action() -> Any:
    """A batch action on the ticked customers: done in the request (summary flashed, back to the
    list) or, for a large selection, as a job with a progress bar."""
    form = _batch_form("", "")

    def done(result: Any) -> Response:
        if isinstance(result, JobRecord):
            return htmx.redirect(url_for("jobs.show", job_id=result.id))
        refused = bool(result["refused"])
        for line in result["summary"]:
            flash(line, "info" if refused else "success")
        back = {"view": form.view.data or None, "q": form.q.data or None}
        return htmx.redirect(url_for("customers.index", **back))

    return submit(
        form,
        lambda: batch.start(
            actor=current_user,
            action=form.action.data,
            ids=form.ids.data or [],
            params={
                "reason": form.reason.data,
                "user_id": form.user_id.data,
                "user_ids": form.user_ids.data or [],
                "access": form.access.data,
                "until": form.until.data,
                "to": form.to.data,
            },
        ),
        success=done,
        template=lambda status: _list_page(status, form),
        fields={"required": "reason", "too_long": "reason", "too_many": "ids"},
    )


@bp.route("/customers/new", methods=["GET", "POST"])
@login_required
@permission_required("customers.create")
def new() -> Any:
    form = attribute_forms.customer_form()
    form.kind.choices = options((k.value, label) for k, label in KIND_LABELS.items())
    form.country.choices = options([("", "—"), *countries(str(get_locale()))])
    if not form.is_submitted():
        form.country.data = current_user.tenant.default_country or ""
        form.to_pool.data = request.args.get("pool") == "1"

    def created(customer: Customer) -> Response:
        number, name = format_number(customer.number), customer.name
        flash(_("Customer No. %(number)s, %(name)s, added.", number=number, name=name), "success")
        if request.form.get("and_new"):
            return htmx.redirect(url_for("customers.new"))
        view = "pool" if customer.owner_id is None else "mine"
        return htmx.redirect(url_for("customers.index", view=view))

    def create() -> Customer:
        customer = service.create_customer(
            actor=current_user,
            name=form.name.data,
            kind=form.kind.data,
            country=form.country.data or None,
            city=form.city.data,
            address=form.address.data,
            website=form.website.data,
            comments=form.comments.data,
            contact_frequency_days=form.contact_frequency_days.data,
            purchase_preferences=form.purchase_preferences.data,
            owner_id=None if form.to_pool.data else service.ME,
            **attribute_forms.values(form),
        )
        add_primary_contact(form.contact.form, current_user, customer)  # same transaction
        return customer

    return submit(
        form,
        create,
        success=created,
        template="customers/new.html",
        fragment="customers/_form.html",
        fields={"required": "name", "too_long": "name", "tag": "tags", "duplicate": "name"},
    )


@bp.post("/customers/<int:customer_id>/claim")
@login_required
@permission_required("customers.pool")
def claim(customer_id: int) -> Any:
    customer = service.claim(actor=current_user, customer_id=customer_id)
    flash(_("%(name)s is yours now.", name=customer.name), "success")
    if request.form.get("back") == "card":
        return htmx.redirect(url_for("customers.show", customer_id=customer.id))
    if not htmx.is_fragment_request():
        return htmx.redirect(url_for("customers.index", view="pool"))
    return htmx.respond(
        "customers/_row.html", events="customerClaimed", customer=customer, view="pool"
    )


def _card(customer: Customer, tab: card.CardTab) -> Any:
    context = tab.context(current_user, customer) if tab.context else {}
    return htmx.render(
        "customers/show.html",
        "customers/card/_panel.html",
        customer=customer,
        actor=current_user,
        tab=tab,
        tabs=card.tabs_for(current_user, customer),
        **context,
    )


@bp.get("/customers/<int:customer_id>")
@login_required
def show(customer_id: int) -> Any:
    customer = service.get_customer(current_user, customer_id)
    return _card(customer, card.get_tab(current_user, customer, "details"))  # type: ignore[arg-type]


@bp.get("/customers/<int:customer_id>/<tab_name>")
@login_required
def show_tab(customer_id: int, tab_name: str) -> Any:
    customer = service.get_customer(current_user, customer_id)
    tab = card.get_tab(current_user, customer, tab_name)
    if tab is None:
        abort(404)
    return _card(customer, tab)
