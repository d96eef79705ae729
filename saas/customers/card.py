"""The customer card's tabs: a registry each feature adds its tab to.

GET /customers/<id> shows the card with its "details" tab; GET /customers/<id>/<tab> another
tab: the whole page, or just the panel for an htmx request. A feature registers its tab when its
module is imported (``register_tab(CardTab(...))``); the card asks each tab whether the actor
may see it (``visible``) and what its template needs (``context``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from saas.auth.models import User
    from saas.customers.models import Customer


@dataclass(frozen=True)
class CardTab:
    #: The URL segment: /customers/<id>/<name>.
    name: str
    label: Any
    #: A fragment rendered with ``customer``, ``actor`` and ``context(actor, customer)``.
    template: str
    order: int = 100
    context: Callable[[User, Customer], dict[str, Any]] | None = None
    visible: Callable[[User, Customer], bool] | None = None


_TABS: dict[str, CardTab] = {}


def register_tab(tab: CardTab) -> None:
    """Add (or replace, by name) a tab of the card."""
    _TABS[tab.name] = tab


def tabs_for(actor: User, customer: Customer) -> list[CardTab]:
    """The tabs ``actor`` may open on ``customer``'s card, in order."""
    return sorted(
        (t for t in _TABS.values() if t.visible is None or t.visible(actor, customer)),
        key=lambda t: (t.order, t.name),
    )


def get_tab(actor: User, customer: Customer, name: str) -> CardTab | None:
    """The tab called ``name`` if ``actor`` may open it."""
    tab = _TABS.get(name)
    if tab is None or (tab.visible is not None and not tab.visible(actor, customer)):
        return None
    return tab


register_tab(CardTab("details", _l("Details"), "customers/card/_details.html", order=10))
