"""Members of a company: the team list, invitations, role and manager changes, profiles.

Every function here validates, authorizes, writes and flushes; none commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from saas.access import OWNER_ONLY_ROLES, authorize
from saas.audit import service as audit
from saas.auth.models import Account, Invitation, InvitationStatus, Role, User
from saas.auth.service import (
    _end_membership_sessions,
    check_password,
    hash_password,
    normalize_email,
    signer,
    validate_password,
)
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.links import external_url
from saas.mail.service import queue_mail
from saas.roles.service import find_role, list_roles, within_own_permissions
from saas.tenancy.context import email_lookup, enter_account, enter_tenant
from saas.tenancy.models import Tenant
from saas.text import clean_name
from saas.users import seats
from saas.utils import utcnow

CALENDARS = ("gregorian", "jalali")


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


def list_invitations() -> list[Invitation]:
    """Invitations not yet accepted or revoked, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.id.desc())
        )
    )


def may_manage(actor: User, user: User) -> bool:
    """Whether ``actor`` may change ``user``: never someone holding rights the actor lacks."""
    return actor.can("users.manage") and within_own_permissions(actor, user.role.permissions)


def assignable_roles(actor: User, *, keep: int | None = None) -> list[Role]:
    """The roles ``actor`` may hand out, plus the role ``keep`` (what a user has now)."""
    return [
        r
        for r in list_roles()
        if r.id == keep
        or (r.key not in OWNER_ONLY_ROLES and within_own_permissions(actor, r.permissions))
    ]


def _assignable_role(actor: User, role_ref: str | int | None) -> Role:
    """The role ``actor`` may hand out: not the owner's, and nothing beyond their own rights."""
    role = find_role(role_ref) if role_ref not in (None, "") else None
    if role is None:
        raise ValidationFailed(_("Choose a role."), code="role")
    if role.key in OWNER_ONLY_ROLES:
        raise ValidationFailed(_("The owner role cannot be given to another user."), code="role")
    if not within_own_permissions(actor, role.permissions):
        raise PermissionDenied(
            _("You cannot give a role with permissions you do not have yourself."), code="role"
        )
    return role


def _check_may_manage(actor: User, user: User) -> None:
    """Refuse changing a user who holds permissions the actor lacks (no managing upwards)."""
    if not may_manage(actor, user):
        raise PermissionDenied(
            _("You cannot change a user who has permissions you do not have."), code="rank"
        )


def invitation_url(invitation: Invitation) -> str:
    """The signed link that accepts ``invitation``."""
    token = signer("invite").dumps({"t": invitation.tenant_id, "i": invitation.id})
    return external_url("auth.accept", token=token)


def company_language() -> str:
    """The current company's language: its owner's (the language it was created in)."""
    lang = db.session.scalar(
        select(User.language).join(Role, Role.id == User.role_id).where(Role.key == "owner")
    )
    return lang if lang in current_app.config["LANGUAGES"] else "en"


def invite(
    *, actor: User, email: str, role: str | int | None, language: str | None = None
) -> Invitation:
    """Invite ``email`` to the actor's tenant with ``role``; the link is mailed after commit.

    Someone who already has a Baza account (with another company) is invited like anyone
    else: accepting adds a membership. Nothing here tells the inviter whether they have one.
    ``language`` is the invitee's (mail, accept page, new membership); default the company's.
    """
    authorize(actor, "users.manage")
    email = normalize_email(email)
    role_obj = _assignable_role(actor, role)
    if language is None or language == "":
        language = company_language()
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Unknown language."), code="language")
    with email_lookup(email):
        existing = db.session.scalar(select(Account.id).where(Account.email == email))
    if existing is not None and db.session.scalar(
        select(User.id).where(User.account_id == existing)
    ):
        raise Conflict(
            _("%(email)s is already a member of your company.", email=email),
            code="already_member",
        )
    plan = seats.lock_seats(actor.tenant)  # everything below is read under the lock
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
    seats.check_free_seat(actor.tenant, plan, actor=actor)
    inv = Invitation(
        email=email,
        role_id=role_obj.id,
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        language=language,
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
        language=inv.language or actor.language,
        company=actor.tenant.name,
        inviter=actor.name,
        url=invitation_url(inv),
        days=current_app.config["INVITATION_DAYS"],
    )


def resend_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """Mail the invitation again, extending it if it expired (and a seat is free)."""
    authorize(actor, "users.manage")
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise Conflict(_("This invitation is no longer open."))
    if invitation.status == InvitationStatus.EXPIRED:
        plan = seats.lock_seats(actor.tenant)
        db.session.refresh(invitation)  # a concurrent resend, revoke or acceptance counts
        if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
            raise Conflict(_("This invitation is no longer open."))
        if invitation.status == InvitationStatus.EXPIRED:
            seats.check_free_seat(
                actor.tenant, plan, actor=actor, exclude_invitation_id=invitation.id
            )
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
        data = signer("invite").loads(token, max_age=days * 86400 + 86400 * 30)
        tid, iid = int(data["t"]), int(data["i"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_("This invitation link is not valid.")) from exc
    enter_tenant(tid)
    inv = db.session.get(Invitation, iid)
    if inv is None or inv.status != InvitationStatus.PENDING:
        msg = {
            InvitationStatus.ACCEPTED: _("This invitation has already been used. Log in instead."),
            InvitationStatus.EXPIRED: _("This invitation has expired. Ask for a new one."),
        }.get(inv.status if inv else "", _("This invitation link is not valid."))
        raise NotFound(msg, code=f"invitation_{inv.status if inv else 'invalid'}")
    return inv


def accept_invitation(
    *,
    invitation: Invitation,
    name: str,
    password: str | None,
    language: str | None = None,
    account: Account | None = None,
) -> User:
    """Create the invited membership (refused if the plan has no seat any more).

    A new email gets an account with ``password``; an existing account joins with its own
    password, or with none when ``account`` is given (its owner is logged in with it).
    The membership's language: ``language`` if given, else the one the inviter chose.
    """
    g.actor_id = None  # nobody acts but the new user (not whoever may be logged in here)
    name = clean_name(name, _("Your name"))
    if account is not None and account.email != invitation.email:
        raise PermissionDenied(_("This invitation is for another email address."))
    if account is None:
        with email_lookup(invitation.email):
            account = db.session.scalar(select(Account).where(Account.email == invitation.email))
        if account is None:
            validate_password(password or "")
        elif not check_password(account, password or ""):
            raise ValidationFailed(
                _("Enter the password of your Baza account (%(email)s).", email=invitation.email),
                code="password",
            )
    tenant = db.session.get(Tenant, invitation.tenant_id)
    plan = seats.lock_seats(tenant)
    db.session.refresh(invitation)  # someone may have accepted it while we waited: 409, not 402
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(_("This invitation is no longer open."))
    seats.check_free_seat(tenant, plan, exclude_invitation_id=invitation.id)
    if account is None:
        account = Account(email=invitation.email, password_hash=hash_password(password or ""))
        db.session.add(account)
        with email_lookup(invitation.email):
            db.session.flush()
    enter_account(account.id)  # a membership is created by its own account only
    if db.session.scalar(select(User.id).where(User.account_id == account.id)):
        raise Conflict(_("You are already a member of this company."), code="already_member")
    language = language or invitation.language
    user = User(
        account=account,
        name=name,
        role_id=invitation.role_id,
        language=language if language in current_app.config["LANGUAGES"] else "en",
    )
    db.session.add(user)
    db.session.flush()
    g.actor_id = user.id
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    db.session.flush()
    return user


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
        plan = seats.lock_seats(actor.tenant)
        db.session.refresh(user)
        if user.is_active:  # reactivated meanwhile by someone else
            return user
        seats.check_free_seat(actor.tenant, plan, actor=actor)
    user.is_active = active
    db.session.flush()
    return user


def leave_company(*, user: User, current_password: str) -> None:
    """``user`` leaves their company: the membership is deactivated (its seat is free, its
    history stays), its sessions end and its API tokens are revoked. The account and its other
    memberships are untouched. The owner cannot leave (nobody could run the company then).
    """
    if user.role.key == "owner":
        raise Conflict(
            _(
                "The owner cannot leave the company. Ownership cannot be handed to someone"
                " else yet."
            ),
            code="owner",
        )
    enter_account(user.account_id)  # the user's own account row
    if not check_password(user.account, current_password or ""):
        raise ValidationFailed(_("The current password is wrong."), code="current_password")
    if not user.is_active:
        return
    g.actor_id = user.id  # the person leaves; nobody deactivates them
    db.session.flush()  # anything pending is audited as usual
    with audit.suppressed():  # recorded once, below, as leaving rather than a deactivation
        user.is_active = False
        db.session.flush()
    audit.record_event("users.left", user, is_active=[True, False])
    _end_membership_sessions(user.id)
    user.session_key = None


def update_profile(
    *, actor: User, name: str, language: str, timezone: str | None, calendar: str
) -> User:
    """Change the actor's own name, language, time zone and date display."""
    from saas.settings.service import validate_timezone

    actor.name = clean_name(name, _("Name"))
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Unknown language."), code="language")
    if calendar not in CALENDARS:
        raise ValidationFailed(_("Unknown calendar."), code="calendar")
    actor.language = language
    actor.timezone = validate_timezone(timezone) if timezone else None
    actor.calendar = calendar
    db.session.flush()
    return actor
