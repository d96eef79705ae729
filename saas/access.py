"""Permissions, built-in roles, and the checks every service and view uses.

A role is a set of named permissions. The names are code (below); roles are data: each tenant
gets the built-in roles as rows at signup, and an admin can add custom ones. Visibility rules
over customers (own / shared / subordinates / pool / all) land here with the customers package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from saas.errors import PermissionDenied

if TYPE_CHECKING:
    from saas.auth.models import User

#: Every permission the product knows: name → what it allows (translated).
PERMISSIONS: dict[str, Any] = {
    "customers.view_all": _l("See every customer of the company"),
    "customers.view_team": _l("See the customers of your subordinates"),
    "customers.create": _l("Create customers"),
    "customers.edit": _l("Edit the customers you may work on"),
    "customers.delete": _l("Delete customers (to the trash)"),
    "customers.assign": _l("Assign and reclaim customers"),
    "customers.pool": _l("See and claim customers in the pool"),
    "customers.export": _l("Export data to Excel/CSV"),
    "import.run": _l("Import customer tables"),
    "reports.view": _l("See reports"),
    "users.manage": _l("Invite, edit and deactivate users"),
    "roles.manage": _l("Create and edit roles"),
    "settings.manage": _l("Change company settings"),
    "billing.manage": _l("Change the plan and billing"),
    "audit.view": _l("Browse the audit log"),
    "outbox.view": _l("Read the outgoing mail outbox"),
}

_ALL = frozenset(PERMISSIONS)

#: Names a permission had before (stored in roles until revision 0008 and in old audit entries).
RENAMED = {"pool.claim": "customers.pool", "export.run": "customers.export"}

#: Areas permissions are grouped under on screen, in order: area → (label, permissions).
PERMISSION_AREAS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "customers": (
        _l("Customers"),
        (
            "customers.view_all",
            "customers.view_team",
            "customers.create",
            "customers.edit",
            "customers.delete",
            "customers.assign",
            "customers.pool",
        ),
    ),
    "data": (_l("Data and reports"), ("import.run", "customers.export", "reports.view")),
    "team": (_l("Team"), ("users.manage", "roles.manage")),
    "company": (
        _l("Company"),
        ("settings.manage", "billing.manage", "audit.view", "outbox.view"),
    ),
}


def permission_groups(names: Any = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(area label, [(permission, translated name), …]), …] of ``names`` (default: all)."""
    wanted = set(PERMISSIONS if names is None else names)
    groups = []
    for label, members in PERMISSION_AREAS.values():
        items = [(p, str(PERMISSIONS[p])) for p in members if p in wanted]
        if items:
            groups.append((str(label), items))
    return groups


#: Built-in roles: key → (label, permissions). Created as rows for each tenant at signup.
BUILTIN_ROLES: dict[str, tuple[Any, frozenset[str]]] = {
    "owner": (_l("Owner"), _ALL),
    "admin": (_l("Administrator"), _ALL - {"billing.manage"}),
    "manager": (
        _l("Manager"),
        frozenset(
            {
                "customers.view_team",
                "customers.create",
                "customers.edit",
                "customers.assign",
                "customers.pool",
                "customers.export",
                "reports.view",
            }
        ),
    ),
    "sales": (
        _l("Sales representative"),
        frozenset({"customers.create", "customers.edit", "customers.pool"}),
    ),
    "viewer": (_l("Viewer"), frozenset({"customers.view_all", "reports.view"})),
}

#: Roles an admin (not the owner) may not hand out.
OWNER_ONLY_ROLES = frozenset({"owner"})


def authorize(actor: User | None, permission: str) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` holds ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")
    if actor is None or not actor.can(permission):
        raise PermissionDenied()


def permission_required(permission: str) -> Callable:
    """View decorator: 403 unless the logged-in user holds ``permission``.

    Login itself is checked by ``login_required``, which must be applied first (outermost).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator
