"""The Customers page (tabs Pool · Mine · All, keyset pages, a new-customer form, claim in
place) and the customer card (header + the tabs of ``card.py``)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.customers import bp, card, service
from saas.customers.forms import CustomerForm
from saas.customers.models import KIND_LABELS, STAGE_LABELS, Customer
from saas.formatting import number as format_number
from saas.forms import options, submit
from saas.settings.service import countries

#: Tab labels and their order.
VIEW_LABELS = {"pool": _l("Pool"), "mine": _l("My customers"), "all": _l("All")}
TAB_ORDER = ("pool", "mine", "all")


def _tabs() -> list[tuple[str, str]]:
    allowed = set(service.views_for(current_user))
    return [(v, str(VIEW_LABELS[v])) for v in TAB_ORDER if v in allowed]


@bp.get("/customers")
@login_required
def index() -> Any:
    view = request.args.get("view") or "mine"
    page = service.list_customers(
        actor=current_user, view=view, cursor=request.args.get("cursor") or None
    )
    return htmx.render(
        "customers/index.html",
        "customers/_list.html",
        tabs=_tabs(),
        view=view,
        customers=page.items,
        listing=page,
    )


@bp.route("/customers/new", methods=["GET", "POST"])
@login_required
@permission_required("customers.create")
def new() -> Any:
    form = CustomerForm()
    form.kind.choices = options((k.value, label) for k, label in KIND_LABELS.items())
    form.stage.choices = options((k.value, label) for k, label in STAGE_LABELS.items())
    form.country.choices = options([("", "—"), *countries(str(get_locale()))])
    if not form.is_submitted():
        form.country.data = current_user.tenant.default_country or ""
        form.to_pool.data = request.args.get("pool") == "1"

    def created(customer: Customer) -> Response:
        number, name = format_number(customer.number), customer.name
        flash(_("Customer No. %(number)s, %(name)s, added.", number=number, name=name), "success")
        view = "pool" if customer.owner_id is None else "mine"
        return htmx.redirect(url_for("customers.index", view=view))

    return submit(
        form,
        lambda: service.create_customer(
            actor=current_user,
            name=form.name.data,
            kind=form.kind.data,
            stage=form.stage.data,
            country=form.country.data or None,
            city=form.city.data,
            address=form.address.data,
            website=form.website.data,
            comments=form.comments.data,
            owner_id=None if form.to_pool.data else service.ME,
        ),
        success=created,
        template="customers/new.html",
        fragment="customers/_form.html",
        fields={"required": "name", "too_long": "name"},
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
