"""The Customers page (tabs with counts, quick search, keyset pages, batch actions on a
selection, a new-customer form, claim in place) and the customer card (header + the tabs of
``card.py``)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from saas import htmx
from saas.access import permission_required
from saas.auth.models import User
from saas.contacts.views import add_primary_contact
from saas.customers import (
    attribute_forms,
    batch,
    bp,
    card,
    grid,
    lists,
    prefs,
    rows,
    search,
    service,
)
from saas.customers import builder as builder_mod
from saas.customers import columns as columns_mod
from saas.customers.forms import BatchForm
from saas.customers.models import KIND_LABELS, Customer
from saas.customers.state import ListState
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.formatting import number as format_number
from saas.forms import options, submit
from saas.progress.models import JobRecord
from saas.settings.service import countries

#: ``text|highlight(q)``: escaped text with quick search ``q``'s matches in ``<mark>``.
bp.add_app_template_filter(search.highlight, "highlight")
bp.add_app_template_global(rows.render, "customer_rows")

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


def _tabs(q: str | None, counts: bool = True, deferred: bool = False) -> list[dict[str, Any]]:
    """The tabs ``current_user`` may open, each with its (capped) count of the quick search;
    no counts under a combined query (each would be a capped scan of its own). ``deferred``:
    counted later by ``tab_counts`` (an htmx swap), so the tab keeps an empty count to fill."""
    tabs = []
    for view in sorted(service.views_for(current_user), key=_tab_order):
        count = service.count_view(current_user, view, q) if counts and not deferred else None
        text = ""
        if count is not None:
            text = (
                _("%(n)s+", n=format_number(service.COUNT_CAP))
                if count > service.COUNT_CAP
                else format_number(count)
            )
        tabs.append(
            {
                "view": view,
                "label": str(VIEW_LABELS.get(view, view)),
                "count": count,
                "count_text": text,
                "deferred": counts and deferred,
            }
        )
    return tabs


def _default_view() -> str:
    allowed = service.views_for(current_user)
    return "mine" if "mine" in allowed else allowed[0]


def _colleagues() -> list[tuple[int, str]]:
    """(id, name) of the active users: two columns, not whole users with account and role."""
    rows = db.session.execute(
        select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name)
    )
    return [(uid, name) for uid, name in rows]


def _batch_form(view: str, q: str, *, params: bool = True) -> BatchForm:
    """The batch form; ``params=False``: the action alone (a list answer, whose parameters
    load when an action is chosen), without reading every colleague."""
    form = BatchForm()
    actions = batch.actions_for(current_user)
    form.action.choices = options((a.name, a.label) for a in actions)
    people = _colleagues() if params else []
    form.user_id.choices = options([("", "—"), *people])
    form.user_ids.choices = options(people)
    form.access.choices = options([("read", _("Read only")), ("write", _("Read and write"))])
    form.to.choices = options([("pool", _("To the pool")), ("me", _("To me"))])
    if not form.is_submitted():
        form.view.data, form.q.data = view, q
    return form


def list_state(form: BatchForm | None = None) -> ListState:
    """The list state of the request (the batch form's view and search when it is re-shown)."""
    state = ListState.from_args(request.args, _default_view())
    if form is not None:
        view = form.view.data or state.view
        if view not in service.views_for(current_user):
            view = _default_view()  # a batch form re-shown: never a 403 for its hidden view
        q = (form.q.data or "").strip()[:200]
        state = replace(state, view=view, q=q, cursor="")
    return state


def _list_page(
    status: int = 200,
    form: BatchForm | None = None,
    state: ListState | None = None,
    **extra: Any,
) -> Response:
    """The Customers page (or the ``#customers`` fragment) of the list state: the query
    string's, or the batch form's view and search when it is re-shown with its errors."""
    state = state or list_state(form)
    view, q = state.view, state.q
    # The counts (each tab's and the footer's) cost a capped count each: a whole page (no
    # JavaScript needed) has them inline; an htmx swap (paging, a tab, search as one types)
    # shows the rows at once and one hx-trigger="load" request (``tab_counts``) fills them in.
    deferred = htmx.is_fragment_request()
    table = grid.build(current_user, state, counted=not deferred)
    if deferred and request.htmx.target == "customer-rows" and not table.errors and not form:
        # A page turn: only the cursor changed, so only the rows and the pager are drawn.
        resp = htmx.respond(
            "customers/_page.html",
            state=state,
            q=q,
            columns=table.columns,
            customers=table.page.items,
            listing=table.page,
            batch_actions=batch.actions_for(current_user),
        )
        resp.vary.add("HX-Target")
        return resp
    batch_params = form is not None  # a re-shown form has its parameters drawn
    form = form or _batch_form(view, q, params=False)
    company_empty = False
    if not table.page.items and not q and not state.query and view in ("mine", "all"):
        company_empty = not db.session.scalar(
            select(Customer.id).where(Customer.deleted_at.is_(None)).limit(1)
        )
    if extra.get("columns_open"):  # else the chooser loads when opened (``columns_chooser``)
        extra.setdefault("column_order", column_order(table.available, table.columns))
    if "builder" not in extra and state.query:
        if deferred:  # an htmx swap: the query in words; the builder loads when opened
            extra["query_words"] = builder_mod.words(current_user, state.tree)
        else:  # a whole page draws it back filled in (it works without JavaScript)
            extra.update(builder_mod.context(current_user, None, state.tree))
    extra.setdefault("builder", None)  # no query: the builder loads when opened
    resp = htmx.render(
        "customers/index.html",
        "customers/_list.html",
        status=max(status, 422 if table.errors else 200),
        tabs=_tabs(q, counts=not state.query, deferred=deferred),
        counts_deferred=deferred,
        segments_lazy=deferred,  # an htmx swap: the Segments popover is read when opened
        view=view,
        q=q,
        state=state,
        grid=table,
        columns=table.columns,
        filtered_fields=table.filtered_fields,
        page_sizes=prefs.PAGE_SIZES,
        has_values="customers.values" in current_app.view_functions,
        customers=table.page.items,
        listing=table.page,
        batch_form=form,
        batch_actions=batch.actions_for(current_user),
        batch_params=batch_params,
        return_reasons=lists.reasons_for() if batch_params else [],
        company_empty=company_empty,
        batch_limit=batch.SYNC_LIMIT,
        **extra,
    )
    resp.vary.add("HX-Target")  # a page turn answers with the rows alone
    return resp


def column_order(available: dict[str, Any], shown: list[Any]) -> list[tuple[Any, bool]]:
    """The chooser's rows: the visible columns in their order, then the others."""
    rest = [c for c in available.values() if c not in shown]
    return [(c, True) for c in shown] + [(c, False) for c in rest]


def show_state(state: ListState) -> Response:
    """Go to the list of ``state``: htmx gets the list in place (URL pushed), a plain form a
    303 to its URL."""
    if not htmx.is_fragment_request():
        return htmx.redirect(state.url())
    resp = _list_page(state=state)
    resp.headers["HX-Retarget"] = "#customers"
    resp.headers["HX-Reswap"] = "outerHTML"
    resp.headers["HX-Push-Url"] = state.url()
    return resp


@bp.get("/customers")
@login_required
def index() -> Any:
    from saas.customers import segments_views

    if (loaded := segments_views.open_segment()) is not None:  # ?segment=<id>: its state
        return loaded
    return _list_page()


@bp.get("/customers/counts")
@login_required
def tab_counts() -> Any:
    """The counts of a list rendered without them (``_list_page`` for htmx): each tab's for
    the quick search (none under a combined query) and the footer's for the whole state,
    swapped out of band into the empty ones."""
    state = ListState.from_args(request.args, _default_view())
    node, _error = grid.parse_query(current_user, state.query)  # a bad query: the list's count
    total = service.count_view(current_user, state.view, state.q, query=node)
    resp = make_response(
        render_template(
            "customers/_tab_counts.html",
            tabs=_tabs(state.q, counts=not state.query),
            count_text=grid.count_text(total),
            matching=bool(request.args.get("matching")),
        )
    )
    resp.headers.add("Vary", "HX-Request")
    return resp


@bp.get("/customers/columns")
@login_required
def columns_chooser() -> Any:
    """The columns chooser of the list state, read when it is opened (htmx: the list draws only
    its summary); without JavaScript, the list with the chooser open."""
    state = ListState.from_args(request.args, _default_view())
    if not htmx.is_fragment_request():
        return _list_page(state=state, columns_open=True)
    if state.view not in service.views_for(current_user):
        abort(403)
    saved = prefs.get_prefs(current_user)
    available, shown = grid.visible_columns(current_user, state, saved)
    return htmx.respond(
        "customers/_columns.html",
        state=state,
        column_order=column_order(available, shown),
        page_sizes=prefs.PAGE_SIZES,
        grid=SimpleNamespace(size=state.size or saved.page_size),
    )


@bp.post("/customers/columns")
@login_required
def columns() -> Any:
    """The columns chooser: ↑/↓ answer the chooser in its new order; "Apply and remember"
    saves the user's columns and page size and shows the list with them."""
    state = ListState.from_args(request.form, _default_view())
    available, _shown = grid.visible_columns(current_user, None)
    order = [k for k in request.form.getlist("order") if k in available]
    order += [k for k in available if k not in order]
    show = [k for k in request.form.getlist("show") if k in available]
    size_text = request.form.get("size") or ""
    size = int(size_text) if size_text.isdigit() else None
    move = request.form.get("move") or ""
    if request.form.get("reset"):
        order, show = list(available), [k for k in columns_mod.DEFAULT_COLUMNS if k in available]
    elif ":" in move:
        direction, key = move.split(":", 1)
        if key in order:
            i = order.index(key)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    errors: list[str] = []
    if request.form.get("apply"):
        chosen = [k for k in order if k in show]
        try:
            prefs.save_prefs(current_user, columns=chosen, page_size=size, allowed=set(available))
        except ValidationFailed as exc:
            errors.append(exc.message)
        else:
            return show_state(replace(state, cols=tuple(chosen), size=size, cursor=""))
    rows = [(available[k], k in show) for k in order]
    fake = SimpleNamespace(size=size or prefs.get_prefs(current_user).page_size)
    if htmx.is_fragment_request():
        return htmx.respond(
            "customers/_columns.html",
            status=422 if errors else 200,
            state=state,
            column_order=rows,
            column_errors=errors,
            page_sizes=prefs.PAGE_SIZES,
            grid=fake,
        )
    return _list_page(
        422 if errors else 200,
        state=state,
        column_order=rows,
        column_errors=errors,
        columns_open=True,
    )


@bp.get("/customers/batch/params")
@login_required
def batch_params() -> Any:
    """The batch form's parameter fields (reason, colleague, sharing, reclaim) for htmx, read
    when an action is first chosen; nobody without a batch action gets them."""
    if not batch.actions_for(current_user):
        abort(403)
    return htmx.respond(
        "customers/_batch_params.html",
        batch_form=_batch_form("", ""),
        return_reasons=lists.reasons_for(),
    )


@bp.post("/customers/batch")
@login_required
def batch_action() -> Any:
    """A batch action on the ticked customers: done in the request (summary flashed, back to the
    list) or, for a large selection, as a job with a progress bar."""
    from saas.customers import segments_views

    form = _batch_form("", "")

    def done(result: Any) -> Response:
        if isinstance(result, JobRecord):
            return htmx.redirect(url_for("jobs.show", job_id=result.id))
        refused = bool(result["refused"])
        for line in result["summary"]:
            flash(line, "info" if refused else "success")
        back = {"view": form.view.data or None, "q": form.q.data or None}
        back["query"] = request.form.get("query") or None  # the list as it was (segments)
        return htmx.redirect(url_for("customers.index", **back))

    return submit(
        form,
        lambda: batch.start(
            actor=current_user,
            action=form.action.data,
            **segments_views.batch_selection(form.ids.data or [], form.view.data, form.q.data),
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
    shown_state = ListState.from_args(_current_url_args(), _default_view())
    return htmx.respond(
        "customers/_rows.html",
        events="customerClaimed",
        customers=[customer],
        view="pool",
        columns=grid.visible_columns(current_user, shown_state)[1],
    )


def _current_url_args() -> Any:
    """The query parameters of the page an htmx request came from (``HX-Current-URL``)."""
    current = request.headers.get("HX-Current-URL", "")
    return MultiDict(parse_qsl(urlsplit(current).query)) if current else MultiDict()


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
