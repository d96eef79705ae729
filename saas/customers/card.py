"""TEMPORARY stand-in for the coordinator's card skeleton (replaced at merge)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from saas import htmx
from saas.customers import bp, service


@dataclass
class CardTab:
    name: str
    label: Any
    template: str
    order: int
    context: Callable | None = None
    visible: Callable | None = None


TABS: dict[str, CardTab] = {}


def register_tab(tab: CardTab) -> None:
    TABS[tab.name] = tab


@bp.get("/customers/<int:customer_id>/<tab>")
@login_required
def tab(customer_id: int, tab: str) -> Any:
    customer = service.get_customer(current_user, customer_id)
    t = TABS.get(tab)
    if t is None:
        from saas.errors import NotFound

        raise NotFound()
    ctx = t.context(current_user, customer) if t.context else {}
    body = render_template(t.template, customer=customer, actor=current_user, **ctx)
    if htmx.is_fragment_request():
        return body
    return render_template("customers/show.html", customer=customer, panel=body)
