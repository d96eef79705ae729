"""Column filters of the Customers grid: the values panel (``GET /customers/values``, a page or,
for htmx, the panel) and applying a filter (``GET /customers/filter``), which puts the column's
condition in the list state's query and shows that list (the URL pushed)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import abort, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from saas import htmx
from saas.customers import bp, builder, service, values
from saas.customers import query as engine
from saas.customers.state import ListState, compact
from saas.customers.views import _default_view, _list_page, show_state
from saas.errors import ValidationFailed


def _state() -> ListState:
    return ListState.from_args(request.args, _default_view())


def _picked() -> list[Any]:
    out: list[Any] = []
    for text in request.args.getlist("v")[: values.TOP + 1]:
        try:
            out.append(json.loads(text))
        except ValueError:
            out.append(text)
    return out


def _panel(state: ListState, key: str) -> tuple[str, int]:
    """The filter panel of column ``key`` (HTML) and its status."""
    search = (request.args.get("search") or "").strip()[:200]
    if state.view not in service.views_for(current_user):
        abort(403)
    try:
        found = values.distinct_values(
            current_user, state.view, state.q, state.tree, key, search or None
        )
    except ValidationFailed as exc:
        return render_template("customers/_values.html", error=exc.message, state=state), 422
    picked, low, high = values.current_filter(state.tree, key)
    return (
        render_template(
            "customers/_values.html",
            found=found,
            state=state,
            search=search,
            picked=picked,
            as_json=compact,
            low=low[:10],
            high=high[:10],
            cap=values.COUNT_CAP,
            error=None,
        ),
        200,
    )


@bp.get("/customers/values", endpoint="values")
@login_required
def values_panel() -> Any:
    """A column's distinct values with counts (or its range) over the list the user sees."""
    state = _state()
    key = (request.args.get("field") or "")[:80]
    html, status = _panel(state, key)
    if htmx.is_fragment_request():
        return _fragment(html, status)
    return _list_page(status, state=state, filter_panel=Markup(html))  # noqa: S704 (rendered)


def _fragment(html: str, status: int) -> Any:
    resp = htmx.respond(None, status=status)
    resp.set_data(html + resp.get_data(as_text=True))
    return resp


@bp.get("/customers/filter")
@login_required
def apply_filter() -> Any:
    """Apply a column filter: the picked values (``v``, JSON each; ``null`` = empty) or the
    range ``from``/``to`` become the column's condition in the query's top-level "and"."""
    state = _state()
    key = (request.args.get("field") or "")[:80]
    try:
        info = values.column_field(current_user, key)
    except ValidationFailed:
        abort(422)
    condition = None
    if not request.args.get("clear"):
        condition = values.condition_for(
            info, _picked(), request.args.get("from"), request.args.get("to")
        )
    tree = values.with_filter(state.tree, key, condition)
    return show_state(replace(state, query=compact(tree) if tree else "", cursor=""))


@bp.get("/customers/builder")
@login_required
def query_builder() -> Any:
    """The combined-query builder, re-rendered from its form after an action (add a row, a
    group, a row to a group, remove a row; a field or operator changed); "Apply" validates the
    query and shows the list (URL pushed), or answers the builder with the error on its row."""
    state = _state()
    b = (
        builder.from_form(request.args)
        if request.args.getlist("row") or request.args.get("group")
        else builder.from_tree(state.tree)
    )
    action = (request.args.get("do") or "")[:40]
    ctx = builder.context(current_user, b, state.tree)
    status = 200
    if action == "apply":
        tree, where = builder.to_tree(b, ctx["catalog"])
        try:
            node = engine.parse(tree, current_user) if tree is not None else None
        except engine.QueryInvalid as exc:
            status = 422
            row = builder.row_of(exc.path, where)
            target = next((r for r in b.rows() if r.path == row), None)
            if target is not None:
                target.error = exc.message
            else:
                b.error = exc.message
        else:
            query = engine.dumps(node) if node is not None else ""
            return show_state(replace(state, query=query, cursor=""))
    elif action:
        builder.act(b, action)
        builder.fit(b, ctx["catalog"])
    if htmx.is_fragment_request():
        return htmx.respond("customers/_builder.html", status=status, state=state, **ctx)
    return _list_page(status, state=state, builder_open=True, **ctx)
