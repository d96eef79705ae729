"""Accounts and users: signup, login, invitations, roles, password reset, API tokens.

Every function here validates, authorizes, writes and flushes; none commits. Audit entries are
written by the flush hook (saas.audit.service) for every audited model touched here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from saas.access import BUILTIN_ROLES, OWNER_ONLY_ROLES, PERMISSIONS, authorize
from saas.audit import service as audit
from saas.auth.models import Account, ApiToken, Invitation, Role, User
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.mail.service import queue_mail
from saas.tenancy import service as tenancy
from saas.tenancy.context import enter_tenant, require_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow

MIN_PASSWORD = 8
CALENDARS = ("gregorian", "jalali")


# --- helpers ---------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (``ARGON2_PARAMS``; library defaults in production)."""
    return PasswordHasher(**current_app.config.get("ARGON2_PARAMS", {}))


def hash_password(password: str) -> str:
    """argon2id hash of ``password``."""
    return _hasher().hash(password)


def check_password(account: Account, password: str) -> bool:
    """True if ``password`` is the account's; upgrades an outdated hash in place."""
    hasher = _hasher()
    try:
        hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    return True


def validate_password(password: str) -> None:
    """Raise ``ValidationFailed`` for a password too short to keep."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD), code="password"
        )


def normalize_email(email: str) -> str:
    """The lower-cased, syntax-checked email; ``ValidationFailed`` if it is not one."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(_("This is not a valid email address."), code="email") from exc


def _clean_name(value: str, what: str) -> str:
    value = re.sub(r"\s+", " ", value or "").strip()
    if not value:
        raise ValidationFailed(_("%(what)s is required.", what=what), code="required")
    if len(value) > 200:
        raise ValidationFailed(_("%(what)s is too long.", what=what), code="too_long")
    return value


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def find_role(ref: str | int) -> Role | None:
    """A role of the current tenant by id, built-in key or name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return db.session.get(Role, int(ref))
    return db.session.scalar(select(Role).where((Role.key == ref) | (Role.name == ref)))


def get_user(user_id: int) -> User:
    """A user of the current tenant; ``NotFound`` for any other id (another tenant's too)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def list_users() -> list[User]:
    """Users of the current tenant, active first, by name."""
    return list(db.session.scalars(select(User).order_by(User.is_active.desc(), User.name)))


def possible_managers(user: User) -> list[User]:
    """Active users ``user`` could report to (not themself)."""
    return [u for u in list_users() if u.is_active and u.id != user.id]


def list_roles() -> list[Role]:
    """Roles of the current tenant: built-in first."""
    return list(db.session.scalars(select(Role).order_by(Role.key.is_(None), Role.id)))


def list_invitations() -> list[Invitation]:
    """Invitations not yet accepted or revoked, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.id.desc())
        )
    )


# --- signup and login ------------------------------------------------------------------------


def create_builtin_roles() -> dict[str, Role]:
    """Create the built-in roles in the current tenant."""
    roles = {}
    for key, (label, perms) in BUILTIN_ROLES.items():
        roles[key] = Role(key=key, name=str(label), permissions=sorted(perms))
        db.session.add(roles[key])
    return roles


def signup(*, company: str, name: str, email: str, password: str, language: str = "en") -> User:
    """Create a tenant on the Free plan with its owner; the tenant becomes current."""
    company = _clean_name(company, _("Company name"))
    name = _clean_name(name, _("Your name"))
    email = normalize_email(email)
    validate_password(password)
    if db.session.scalar(select(Account.id).where(Account.email == email)):
        raise Conflict(
            _("This email already has a Baza account. Log in instead."), code="email_taken"
        )
    free = tenancy.get_plan("free")
    tenant = Tenant(name=company, plan=free)
    db.session.add(tenant)
    with audit.suppressed():
        db.session.flush()
    g.actor_id = None  # nobody of the new tenant exists yet
    enter_tenant(tenant.id)
    audit.record_event("tenants.created", tenant, **audit.snapshot(tenant))
    roles = create_builtin_roles()
    account = Account(email=email, password_hash=hash_password(password), tenant_id=tenant.id)
    db.session.add(account)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _("This email already has a Baza account. Log in instead."), code="email_taken"
        ) from exc
    user = User(
        account=account,
        tenant_id=tenant.id,
        name=name,
        role_id=roles["owner"].id,
        language=language if language in current_app.config["LANGUAGES"] else "en",
    )
    db.session.add(user)
    db.session.flush()
    g.actor_id = user.id
    return user


def authenticate(*, email: str, password: str) -> User:
    """The active user with these credentials; the tenant becomes current. Else ValidationFailed."""
    wrong = ValidationFailed(_("Wrong email or password."), code="invalid_credentials")
    try:
        email = normalize_email(email)
    except ValidationFailed:
        raise wrong from None
    account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        _hasher().hash(password or "x")  # same work as a real check: no timing oracle
        raise wrong
    if not check_password(account, password or ""):
        raise wrong
    enter_tenant(account.tenant_id)
    user = db.session.scalar(select(User).where(User.account_id == account.id))
    if user is None:
        raise wrong
    if not user.is_active:
        raise PermissionDenied(
            _("This user has been deactivated. Ask your company's administrator."),
            code="deactivated",
        )
    return user


def record_login(user: User, *, via: str = "web") -> None:
    """Note a successful login."""
    g.actor_id = user.id
    user.last_login_at = utcnow()
    audit.record_event("auth.login", user, via=via)


def load_session_user(user_id: str) -> User | None:
    """Flask-Login loader: ``tenant:user:fingerprint`` → the active user, entering their tenant."""
    try:
        tenant_part, user_part, fingerprint = user_id.split(":")
        tid, uid = int(tenant_part), int(user_part)
    except ValueError:
        return None
    enter_tenant(tid)
    user = db.session.get(User, uid)
    if user is None or not user.is_active:
        enter_tenant(None)
        return None
    if not hmac.compare_digest(user.account.password_fingerprint(), fingerprint):
        enter_tenant(None)
        return None
    return user


# --- invitations -----------------------------------------------------------------------------


def _within_own_permissions(actor: User, permissions: list[str] | set[str]) -> bool:
    return set(permissions) <= set(actor.permissions)


def _assignable_role(actor: User, role_ref: str | int | None) -> Role:
    """The role ``actor`` may hand out: not the owner's, and nothing beyond their own rights."""
    role = find_role(role_ref) if role_ref not in (None, "") else None
    if role is None:
        raise ValidationFailed(_("Choose a role."), code="role")
    if role.key in OWNER_ONLY_ROLES:
        raise ValidationFailed(_("The owner role cannot be given to another user."), code="role")
    if not _within_own_permissions(actor, role.permissions):
        raise PermissionDenied(
            _("You cannot give a role with permissions you do not have yourself."), code="role"
        )
    return role


def may_manage(actor: User, user: User) -> bool:
    """Whether ``actor`` may change ``user``: never someone holding rights the actor lacks."""
    return actor.can("users.manage") and _within_own_permissions(actor, user.role.permissions)


def assignable_roles(actor: User, *, keep: int | None = None) -> list[Role]:
    """The roles ``actor`` may hand out, plus the role ``keep`` (what a user has now)."""
    return [
        r
        for r in list_roles()
        if r.id == keep
        or (r.key not in OWNER_ONLY_ROLES and _within_own_permissions(actor, r.permissions))
    ]


def _check_may_manage(actor: User, user: User) -> None:
    """Refuse changing a user who holds permissions the actor lacks (no managing upwards)."""
    if not may_manage(actor, user):
        raise PermissionDenied(
            _("You cannot change a user who has permissions you do not have."), code="rank"
        )


def invitation_url(invitation: Invitation) -> str:
    """The signed link that accepts ``invitation``."""
    token = _serializer("invite").dumps({"t": invitation.tenant_id, "i": invitation.id})
    return url_for("auth.accept", token=token, _external=True)


def invite(*, actor: User, email: str, role: str | int | None) -> Invitation:
    """Invite ``email`` to the actor's tenant with ``role``; the link is mailed after commit."""
    authorize(actor, "users.manage")
    email = normalize_email(email)
    role_obj = _assignable_role(actor, role)
    existing = db.session.scalar(select(Account).where(Account.email == email))
    if existing is not None:
        if existing.tenant_id == actor.tenant_id:
            raise Conflict(_("%(email)s is already a member of your company.", email=email))
        raise Conflict(
            _("%(email)s already uses Baza with another company.", email=email),
            code="email_taken",
        )
    pending = db.session.scalar(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if pending is not None:
        raise Conflict(
            _("%(email)s has already been invited; resend that invitation instead.", email=email),
            code="already_invited",
        )
    tenancy.ensure_free_seat(actor.tenant, actor=actor)
    inv = Invitation(
        email=email,
        role_id=role_obj.id,
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(inv)
    db.session.flush()
    _mail_invitation(inv, actor)
    return inv


def _mail_invitation(inv: Invitation, actor: User) -> None:
    queue_mail(
        kind="invitation",
        to=inv.email,
        template="invitation",
        language=actor.language,
        company=actor.tenant.name,
        inviter=actor.name,
        url=invitation_url(inv),
        days=current_app.config["INVITATION_DAYS"],
    )


def resend_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """Mail the invitation again, extending it if it expired (and a seat is free)."""
    authorize(actor, "users.manage")
    if invitation.status in ("accepted", "revoked"):
        raise Conflict(_("This invitation is no longer open."))
    if invitation.status == "expired":
        tenancy.ensure_free_seat(actor.tenant, actor=actor, exclude_invitation_id=invitation.id)
    invitation.expires_at = utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"])
    db.session.flush()
    _mail_invitation(invitation, actor)
    return invitation


def revoke_invitation(*, actor: User, invitation: Invitation) -> None:
    """Withdraw an open invitation; its seat is free again."""
    authorize(actor, "users.manage")
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been accepted."))
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()


def get_invitation(invitation_id: int) -> Invitation:
    """An invitation of the current tenant, else ``NotFound``."""
    inv = db.session.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound()
    return inv


def load_invitation(token: str) -> Invitation:
    """The open invitation a link points to (entering its tenant), else ``NotFound``."""
    days = current_app.config["INVITATION_DAYS"]
    try:
        data = _serializer("invite").loads(token, max_age=days * 86400 + 86400 * 30)
        tid, iid = int(data["t"]), int(data["i"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_("This invitation link is not valid.")) from exc
    enter_tenant(tid)
    inv = db.session.get(Invitation, iid)
    if inv is None or inv.status != "pending":
        msg = {
            "accepted": _("This invitation has already been used. Log in instead."),
            "expired": _("This invitation has expired. Ask for a new one."),
        }.get(inv.status if inv else "", _("This invitation link is not valid."))
        raise NotFound(msg, code=f"invitation_{inv.status if inv else 'invalid'}")
    return inv


def accept_invitation(*, invitation: Invitation, name: str, password: str, language: str) -> User:
    """Create the invited user (refused if the plan has no seat any more)."""
    name = _clean_name(name, _("Your name"))
    validate_password(password)
    tenant = db.session.get(Tenant, invitation.tenant_id)
    tenancy.ensure_free_seat(tenant, exclude_invitation_id=invitation.id)
    db.session.refresh(invitation)
    if invitation.status != "pending":
        raise Conflict(_("This invitation is no longer open."))
    if db.session.scalar(select(Account.id).where(Account.email == invitation.email)):
        raise Conflict(
            _("This email already has a Baza account. Log in instead."), code="email_taken"
        )
    account = Account(
        email=invitation.email, password_hash=hash_password(password), tenant_id=tenant.id
    )
    user = User(
        account=account,
        name=name,
        role_id=invitation.role_id,
        language=language if language in current_app.config["LANGUAGES"] else "en",
    )
    db.session.add_all([account, user])
    db.session.flush()
    g.actor_id = user.id
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    db.session.flush()
    return user


# --- users -----------------------------------------------------------------------------------

_UNCHANGED = object()


def update_user(
    *,
    actor: User,
    user: User,
    role: str | int | object | None = _UNCHANGED,
    manager_id: int | object | None = _UNCHANGED,
    active: bool | object = _UNCHANGED,
) -> User:
    """Change a user's role, manager or active state (only what is given)."""
    authorize(actor, "users.manage")
    _check_may_manage(actor, user)
    new_role = find_role(role) if role not in (_UNCHANGED, None, "") else None  # type: ignore[arg-type]
    if role is not _UNCHANGED and (new_role is None or new_role.id != user.role_id):
        if user.role.key == "owner":
            raise ValidationFailed(_("The owner's role cannot be changed."), code="owner")
        if user.id == actor.id:
            raise ValidationFailed(_("You cannot change your own role."), code="self")
        user.role_id = _assignable_role(actor, role).id  # type: ignore[arg-type]
    if manager_id is not _UNCHANGED:
        _set_manager(user, manager_id)  # type: ignore[arg-type]
    if active is not _UNCHANGED and bool(active) != user.is_active:
        set_active(actor=actor, user=user, active=bool(active))
    db.session.flush()
    db.session.refresh(user)
    return user


def _set_manager(user: User, manager_id: int | None) -> None:
    if manager_id in (None, "", 0):
        user.manager_id = None
        return
    manager = db.session.get(User, int(manager_id))
    if manager is None:
        raise ValidationFailed(_("No such user."), code="manager")
    walker: User | None = manager
    while walker is not None:
        if walker.id == user.id:
            raise ValidationFailed(
                _("A user cannot report to themself or to their own subordinate."), code="manager"
            )
        walker = walker.manager
    user.manager_id = manager.id


def set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (cannot log in; keeps everything) or reactivate a user, within the plan."""
    authorize(actor, "users.manage")
    _check_may_manage(actor, user)
    if user.is_active == active:
        return user
    if not active:
        if user.id == actor.id:
            raise ValidationFailed(_("You cannot deactivate yourself."), code="self")
        if user.role.key == "owner":
            raise ValidationFailed(_("The owner cannot be deactivated."), code="owner")
    else:
        tenancy.ensure_free_seat(actor.tenant, actor=actor)
    user.is_active = active
    db.session.flush()
    return user


def update_profile(
    *, actor: User, name: str, language: str, timezone: str | None, calendar: str
) -> User:
    """Change the actor's own name, language, time zone and date display."""
    from saas.settings.service import validate_timezone

    actor.name = _clean_name(name, _("Name"))
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Unknown language."), code="language")
    if calendar not in CALENDARS:
        raise ValidationFailed(_("Unknown calendar."), code="calendar")
    actor.language = language
    actor.timezone = validate_timezone(timezone) if timezone else None
    actor.calendar = calendar
    db.session.flush()
    return actor


def change_password(*, actor: User, current: str, new: str) -> None:
    """Change the actor's password (other sessions end: their fingerprint no longer matches)."""
    if not check_password(actor.account, current or ""):
        raise ValidationFailed(_("The current password is wrong."), code="password")
    validate_password(new)
    actor.account.password_hash = hash_password(new)
    db.session.flush()


# --- password reset --------------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Mail a reset link if ``email`` belongs to an active user; say nothing either way."""
    try:
        email = normalize_email(email)
    except ValidationFailed:
        return
    account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        return
    enter_tenant(account.tenant_id)
    user = db.session.scalar(select(User).where(User.account_id == account.id))
    if user is None or not user.is_active:
        return
    token = _serializer("reset").dumps({"a": account.id, "f": account.password_fingerprint()})
    queue_mail(
        kind="password_reset",
        to=account.email,
        template="password_reset",
        language=user.language,
        name=user.name,
        url=url_for("auth.reset_password", token=token, _external=True),
        minutes=current_app.config["PASSWORD_RESET_SECONDS"] // 60,
    )
    audit.record_event("auth.password_reset_requested", user)


def reset_password(*, token: str, password: str | None = None) -> User:
    """Check a reset link; with ``password``, set it. The link dies with the old password."""
    try:
        data = _serializer("reset").loads(
            token, max_age=current_app.config["PASSWORD_RESET_SECONDS"]
        )
        account_id, fingerprint = int(data["a"]), str(data["f"])
    except SignatureExpired as exc:
        raise NotFound(
            _("This reset link has expired. Ask for a new one."), code="expired"
        ) from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_("This reset link is not valid."), code="invalid") from exc
    account = db.session.get(Account, account_id)
    if account is None or not hmac.compare_digest(account.password_fingerprint(), fingerprint):
        raise NotFound(_("This reset link has already been used."), code="used")
    enter_tenant(account.tenant_id)
    user = db.session.scalar(select(User).where(User.account_id == account.id))
    if user is None or not user.is_active:
        raise NotFound(_("This reset link is not valid."), code="invalid")
    if password is not None:
        validate_password(password)
        g.actor_id = user.id
        account.password_hash = hash_password(password)
        db.session.flush()
    return user


def set_password_by_operator(*, email: str, password: str) -> User:
    """Set a password from the command line (the instance operator, no mail needed)."""
    account = db.session.scalar(select(Account).where(Account.email == normalize_email(email)))
    if account is None:
        raise NotFound(_("No user with this email."))
    validate_password(password)
    enter_tenant(account.tenant_id)
    account.password_hash = hash_password(password)
    audit.record_event("auth.password_set_by_operator", account)
    db.session.flush()
    return db.session.scalar(select(User).where(User.account_id == account.id))


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "baza"  # noqa: S105 (a prefix, not a secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token for the actor; returns it and the full secret (shown once)."""
    name = _clean_name(name, _("Token name"))[:100]
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, token_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    return token, f"{TOKEN_PREFIX}_{actor.tenant_id}_{token.id}_{secret}"


def list_tokens(*, actor: User) -> list[ApiToken]:
    """The actor's own tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(*, actor: User, token_id: int) -> None:
    """Revoke one of the actor's own tokens (another user's is ``NotFound``)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token belongs to (entering their tenant), or None."""
    try:
        prefix, tid, tok_id, secret = raw.split("_", 3)
        if prefix != TOKEN_PREFIX:
            return None
        tenant_id, token_id = int(tid), int(tok_id)
    except ValueError:
        return None
    enter_tenant(tenant_id)
    token = db.session.get(ApiToken, token_id)
    if (
        token is None
        or token.revoked_at is not None
        or not hmac.compare_digest(token.token_hash, _digest(secret))
        or not token.user.is_active
    ):
        enter_tenant(None)
        return None
    token.last_used_at = utcnow()
    g.actor_id = token.user_id
    return token.user


def token_for_credentials(*, email: str, password: str) -> str:
    """Log in with email and password and return a new API token's secret."""
    user = authenticate(email=email, password=password)
    record_login(user, via="api")
    _token, secret = create_token(actor=user, name=_("API login %(date)s", date=utcnow().date()))
    return secret


# --- roles -----------------------------------------------------------------------------------


def _clean_permissions(actor: User, permissions: list[str]) -> list[str]:
    unknown = set(permissions) - set(PERMISSIONS)
    if unknown:
        raise ValidationFailed(_("Unknown permission: %(p)s", p=", ".join(sorted(unknown))))
    if not _within_own_permissions(actor, permissions):
        raise PermissionDenied(
            _("You cannot grant permissions you do not have yourself."), code="permissions"
        )
    return sorted(set(permissions))


def create_role(*, actor: User, name: str, permissions: list[str]) -> Role:
    """A custom role with ``permissions``."""
    authorize(actor, "roles.manage")
    name = _clean_name(name, _("Role name"))[:100]
    if find_role(name) is not None:
        raise Conflict(_("A role with this name already exists."), code="role_exists")
    role = Role(name=name, permissions=_clean_permissions(actor, permissions))
    db.session.add(role)
    db.session.flush()
    return role


def get_role(role_id: int) -> Role:
    """A role of the current tenant, else ``NotFound``."""
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound()
    return role


def update_role(*, actor: User, role: Role, name: str, permissions: list[str]) -> Role:
    """Rename a custom role and set its permissions (built-in roles are fixed)."""
    authorize(actor, "roles.manage")
    if role.is_builtin:
        raise ValidationFailed(_("Built-in roles cannot be changed; create a custom role."))
    if not _within_own_permissions(actor, role.permissions):
        raise PermissionDenied(_("You cannot change a role with permissions you do not have."))
    name = _clean_name(name, _("Role name"))[:100]
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
    if not _within_own_permissions(actor, role.permissions):
        raise PermissionDenied(_("You cannot change a role with permissions you do not have."))
    in_use = db.session.scalar(select(User.id).where(User.role_id == role.id).limit(1))
    pending = db.session.scalar(select(Invitation.id).where(Invitation.role_id == role.id).limit(1))
    if in_use or pending:
        raise Conflict(_("This role is still given to users or invitations."), code="role_in_use")
    db.session.delete(role)
    db.session.flush()


def current_tenant() -> Tenant:
    """The current tenant row."""
    return db.session.get(Tenant, require_tenant_id())
