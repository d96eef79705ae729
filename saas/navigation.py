"""The app shell's navigation: one registry of sections, shown by permission.

A feature adds its section at import (``register(NavItem(...))``), as blueprints are
registered; the top bar (templates/layout/app.html) lists what the signed-in user may open, work
sections first (Dashboard, Customers, Contacts, later Deals, Activities, Money, Campaigns,
Reports), then the company's administration (Team, Roles, Audit log, …). An item whose endpoint
does not exist (its feature not installed yet) is skipped, so a section may be registered
before its page lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    """One link of the navigation.

    ``current``: endpoint prefixes (``"customers."``) or exact endpoints that mark the link as
    the current page (``aria-current``); default: the endpoint itself. ``group``: ``work`` or
    ``admin``.
    """

    name: str
    endpoint: str
    label: Any
    order: int
    permission: str | None = None
    group: str = "work"
    current: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def is_current(self, endpoint: str | None) -> bool:
        if not endpoint or endpoint in self.exclude:
            return False
        marks = self.current or (self.endpoint,)
        return any(endpoint == m or (m.endswith(".") and endpoint.startswith(m)) for m in marks)


NAV: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    """Add (or replace, by ``name``) a section of the navigation."""
    NAV[item.name] = item


def items_for(user: Any, group: str) -> list[dict[str, Any]]:
    """The links of ``group`` that ``user`` may open: ``{"name", "url", "label", "current"}``."""
    endpoint = request.endpoint
    links = []
    for item in sorted(NAV.values(), key=lambda i: (i.order, i.name)):
        if item.group != group or item.endpoint not in current_app.view_functions:
            continue
        if item.permission is not None and not user.can(item.permission):
            continue
        links.append(
            {
                "name": item.name,
                "url": url_for(item.endpoint),
                "label": str(item.label),
                "current": item.is_current(endpoint),
            }
        )
    return links


_ROLES = ("users.roles", "users.new_role", "users.edit_role", "users.delete_role")

for _item in (
    NavItem("dashboard", "dashboard.index", _l("Dashboard"), 10),
    NavItem(
        "customers",
        "customers.index",
        _l("Customers"),
        20,
        current=("customers.", "imports.", "exports."),
    ),
    # shown once the contacts list page exists
    NavItem("contacts", "contacts.index", _l("Contacts"), 30, current=("contacts.",)),
    NavItem(
        "team",
        "users.index",
        _l("Team"),
        110,
        "users.manage",
        "admin",
        current=("users.",),
        exclude=_ROLES,
    ),
    NavItem("roles", "users.roles", _l("Roles"), 120, "roles.manage", "admin", _ROLES),
    NavItem("audit", "audit.index", _l("Audit log"), 130, "audit.view", "admin"),
    NavItem("outbox", "mail.outbox", _l("Outbox"), 140, "outbox.view", "admin", ("mail.",)),
    NavItem(
        "company",
        "settings.company",
        _l("Company"),
        150,
        "settings.manage",
        "admin",
        (
            "settings.company",
            "settings.save_company",
            "settings.save_logo",
            "settings.delete_logo",
            "settings.save_smtp",
            "settings.test_smtp",
        ),
    ),
    NavItem(
        "billing", "billing.index", _l("Billing"), 160, "billing.manage", "admin", ("billing.",)
    ),
):
    register(_item)


def init_app(app: Any) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {"nav_items": items_for}
