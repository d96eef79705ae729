"""Roles of the current company: built-in ones created at signup, custom ones by an admin.

Nobody grants what they do not hold: a custom role may only contain its creator's permissions.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from saas.access import BUILTIN_ROLES, PERMISSIONS, authorize
from saas.auth.models import Invitation, Role, User
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.text import clean_name


def within_own_permissions(actor: User, permissions: list[str] | set[str]) -> bool:
    return set(permissions) <= set(actor.permissions)


def find_role(ref: str | int) -> Role | None:
    """A role of the current tenant by id, built-in key or name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return db.session.get(Role, int(ref))
    return db.session.scalar(select(Role).where((Role.key == ref) | (Role.name == ref)))


def list_roles() -> list[Role]:
    """Roles of the current tenant: built-in first."""
    return list(db.session.scalars(select(Role).order_by(Role.key.is_(None), Role.id)))


def get_role(role_id: int) -> Role:
    """A role of the current tenant, else ``NotFound``."""
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound()
    return role


def create_builtin_roles() -> dict[str, Role]:
    """Create the built-in roles in the current tenant."""
    roles = {}
    for key, (label, perms) in BUILTIN_ROLES.items():
        roles[key] = Role(key=key, name=str(label), permissions=sorted(perms))
        db.session.add(roles[key])
    return roles


def _clean_permissions(actor: User, permissions: list[str]) -> list[str]:
    unknown = set(permissions) - set(PERMISSIONS)
    if unknown:
        raise ValidationFailed(_("Unknown permission: %(p)s", p=", ".join(sorted(unknown))))
    if not within_own_permissions(actor, permissions):
        raise PermissionDenied(
            _("You cannot grant permissions you do not have yourself."), code="permissions"
        )
    return sorted(set(permissions))


def create_role(*, actor: User, name: str, permissions: list[str]) -> Role:
    """A custom role with ``permissions``."""
    authorize(actor, "roles.manage")
    name = clean_name(name, _("Role name"))[:100]
    if find_role(name) is not None:
        raise Conflict(_("A role with this name already exists."), code="role_exists")
    role = Role(name=name, permissions=_clean_permissions(actor, permissions))
    db.session.add(role)
    db.session.flush()
    return role


def update_role(*, actor: User, role: Role, name: str, permissions: list[str]) -> Role:
    """Rename a custom role and set its permissions (built-in roles are fixed)."""
    authorize(actor, "roles.manage")
    if role.is_builtin:
        raise ValidationFailed(_("Built-in roles cannot be changed; create a custom role."))
    if not within_own_permissions(actor, role.permissions):
        raise PermissionDenied(_("You cannot change a role with permissions you do not have."))
    name = clean_name(name, _("Role name"))[:100]
    other = find_role(name)
    if other is not None and other.id != role.id:
        raise Conflict(_("A role with this name already exists."), code="role_exists")
    role.name = name
    role.permissions = _clean_permissions(actor, permissions)
    db.session.flush()
    return role


def delete_role(*, actor: User, role: Role) -> None:
    """Delete a custom role nobody holds."""
    authorize(actor, "roles.manage")
    if role.is_builtin:
        raise ValidationFailed(_("Built-in roles cannot be deleted."))
    if not within_own_permissions(actor, role.permissions):
        raise PermissionDenied(_("You cannot change a role with permissions you do not have."))
    in_use = db.session.scalar(select(User.id).where(User.role_id == role.id).limit(1))
    pending = db.session.scalar(select(Invitation.id).where(Invitation.role_id == role.id).limit(1))
    if in_use or pending:
        raise Conflict(_("This role is still given to users or invitations."), code="role_in_use")
    db.session.delete(role)
    db.session.flush()
