"""Login identities: passwords, signup, login, sessions, password reset.

Every function here validates, authorizes, writes and flushes; none commits. Audit entries are
written by the flush hook (saas.audit.service) for every audited model touched here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, g
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from saas import locales
from saas.audit import service as audit
from saas.auth.models import Account, ApiToken, User, UserSession
from saas.customers import lists as customer_lists
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.formatting import number
from saas.links import external_url
from saas.mail.service import queue_mail
from saas.roles.service import create_builtin_roles
from saas.tenancy import rls
from saas.tenancy import service as tenancy
from saas.tenancy.context import email_lookup, enter_account, enter_tenant, tenant_context
from saas.tenancy.models import Tenant
from saas.text import clean_name
from saas.utils import utcnow

MIN_PASSWORD = 8


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
            _("The password must have at least %(n)s characters.", n=number(MIN_PASSWORD)),
            code="password",
        )


def normalize_email(email: str) -> str:
    """The NFKC-normalised, lower-cased, syntax-checked email; ``ValidationFailed`` if not one.

    Every lookup by email and every per-account rate-limit key goes through this function.
    """
    try:
        email = unicodedata.normalize("NFKC", email or "").strip()  # full-width → ASCII
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(_("This is not a valid email address."), code="email") from exc


def signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def signup(
    *,
    company: str,
    name: str,
    email: str,
    password: str,
    language: str = "en",
    timezone: str | None = None,
) -> User:
    """Create a tenant on the Free plan with its owner; the tenant becomes current.

    ``timezone`` (the browser's) sets the company's zone, currency and country. An existing
    account whose password is given creates another company (one person, several companies).
    """
    company, name, email = check_signup(company=company, name=name, email=email, password=password)
    with email_lookup(email):
        account = db.session.scalar(select(Account).where(Account.email == email))
    if account is not None and not check_password(account, password):
        raise Conflict(
            _("This email already has a Baza account. Log in instead."), code="email_taken"
        )
    return _found_company(
        company=company,
        name=name,
        email=email,
        account=account,
        password_hash=hash_password(password) if account is None else None,
        language=language,
        timezone=timezone,
    )


def check_signup(*, company: str, name: str, email: str, password: str) -> tuple[str, str, str]:
    """The signup form's company, name and email cleaned; ``ValidationFailed`` if one is not."""
    company = clean_name(company, _("Company name"))
    name = clean_name(name, _("Your name"))
    email = normalize_email(email)
    validate_password(password)
    return company, name, email


def _found_company(
    *,
    company: str,
    name: str,
    email: str,
    account: Account | None,
    password_hash: str | None,
    language: str,
    timezone: str | None,
) -> User:
    """The new tenant and its owner (``account``, or a new one with ``password_hash``)."""
    free = tenancy.get_plan("free")
    # The id first: under row security a tenant row is written and read back only as itself.
    tenant = Tenant(id=rls.reserve_id(db.session, "tenants"), name=company, plan=free)
    if tenant.id is not None:
        enter_tenant(tenant.id)
    guess = locales.guess_company_defaults(timezone)
    tenant.timezone = guess.get("timezone", "UTC")
    tenant.default_currency = guess.get("currency", "EUR")
    tenant.default_country = guess.get("country")
    db.session.add(tenant)
    with audit.suppressed():
        db.session.flush()
    g.actor_id = None  # nobody of the new tenant exists yet
    enter_tenant(tenant.id)
    audit.record_event("tenants.created", tenant, **audit.snapshot(tenant))
    roles = create_builtin_roles()
    customer_lists.create_defaults(language)
    db.session.flush()
    if account is None:
        account = Account(email=email, password_hash=password_hash)
        db.session.add(account)
        try:
            with email_lookup(email), db.session.begin_nested():
                db.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                _("This email already has a Baza account. Log in instead."), code="email_taken"
            ) from exc
    enter_account(account.id)  # a membership is created by its own account only
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


# --- signup confirmed by mail (SIGNUP_CONFIRM_EMAIL) -------------------------------------------


def signup_confirms_by_mail() -> bool:
    """True if signup mails a link instead of creating the company at once.

    ``SIGNUP_CONFIRM_EMAIL``: ``on``, ``off`` or ``auto`` (on when the instance SMTP is set).
    """
    mode = current_app.config.get("SIGNUP_CONFIRM_EMAIL", "auto")
    if mode == "auto":
        return bool(current_app.config.get("SMTP_HOST"))
    return mode == "on"


def queue_signup(
    *,
    company: str,
    name: str,
    email: str,
    password: str,
    language: str,
    timezone: str | None,
    url_root: str,
) -> None:
    """Check the form and ask the worker to mail the next step; nothing is looked up here.

    The request does the same work whether the email has an account or not (no enumeration):
    the worker mails a confirmation link to a new address, a "you already have an account"
    note to a known one. Only an argon2 hash of the password leaves the request.
    """
    from saas.auth.tasks import send_signup_mail
    from saas.jobs import enqueue_after_commit

    company, name, email = check_signup(company=company, name=name, email=email, password=password)
    request_data = {
        "c": company,
        "n": name,
        "e": email,
        "l": language if language in current_app.config["LANGUAGES"] else "en",
        "z": (timezone or "")[:64] or None,
        "h": hash_password(password),
    }
    enqueue_after_commit(send_signup_mail, request_data, url_root)


def request_signup(data: dict) -> None:
    """The worker's half of ``queue_signup``: mail the link, or the note to an existing account."""
    from saas.mail.service import send_instance_mail

    email = str(data["e"])
    with email_lookup(email):
        exists = db.session.scalar(select(Account.id).where(Account.email == email)) is not None
    language = str(data.get("l") or "en")
    if exists:
        send_instance_mail(
            kind="signup_existing",
            to=email,
            template="signup_existing",
            language=language,
            login_url=external_url("auth.login"),
            reset_url=external_url("auth.forgot_password"),
        )
        return
    token = signer("signup").dumps(data)
    send_instance_mail(
        kind="signup",
        to=email,
        template="signup_confirm",
        language=language,
        name=data["n"],
        company=data["c"],
        url=external_url("auth.confirm_signup", token=token),
        hours=current_app.config["SIGNUP_CONFIRM_SECONDS"] // 3600,
    )


@dataclass(frozen=True)
class PendingSignup:
    """What a signup link carries (signed): the company to create and its owner."""

    company: str
    name: str
    email: str
    language: str
    timezone: str | None
    password_hash: str


def _signup_used() -> Conflict:
    return Conflict(_("This signup link has already been used."), code="signup_used")


def load_signup(token: str) -> PendingSignup:
    """The signup a link asks for; ``NotFound`` if forged or expired, ``Conflict`` if used."""
    try:
        data = signer("signup").loads(token, max_age=current_app.config["SIGNUP_CONFIRM_SECONDS"])
        pending = PendingSignup(
            company=str(data["c"]),
            name=str(data["n"]),
            email=str(data["e"]),
            language=str(data["l"]),
            timezone=str(data["z"]) if data.get("z") else None,
            password_hash=str(data["h"]),
        )
    except SignatureExpired as exc:
        raise NotFound(_("This signup link has expired. Sign up again."), code="expired") from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_("This signup link is not valid."), code="invalid") from exc
    with email_lookup(pending.email):
        if db.session.scalar(select(Account.id).where(Account.email == pending.email)):
            raise _signup_used()  # this link's own account, or one made since: either way, done
    return pending


def confirm_signup(*, token: str) -> User:
    """Create the company and owner a signup link asks for (once); the tenant becomes current."""
    pending = load_signup(token)
    try:
        return _found_company(
            company=pending.company,
            name=pending.name,
            email=pending.email,
            account=None,
            password_hash=pending.password_hash,
            language=pending.language,
            timezone=pending.timezone,
        )
    except Conflict as exc:  # the same link confirmed twice at once
        raise _signup_used() from exc


@dataclass(frozen=True)
class Membership:
    """One company an account belongs to (its ``users`` row there)."""

    tenant_id: int
    user_id: int
    company: str
    is_active: bool


def memberships(account_id: int, *, active_only: bool = False) -> list[Membership]:
    """The companies ``account_id`` belongs to, by name (the acting account becomes it)."""
    enter_account(account_id)
    stmt = (
        select(User.tenant_id, User.id, Tenant.name, User.is_active)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.account_id == account_id)
        .order_by(Tenant.name, Tenant.id)
        .execution_options(all_tenants=True)
    )
    if active_only:
        stmt = stmt.where(User.is_active.is_(True))
    return [Membership(*row) for row in db.session.execute(stmt)]


def account_by_id(account_id: int) -> Account | None:
    """The account ``account_id`` (which becomes the acting account), or None."""
    enter_account(account_id)
    return db.session.get(Account, account_id)


def check_credentials(*, email: str, password: str) -> Account:
    """The account with these credentials, which must be active somewhere; else refused."""
    wrong = ValidationFailed(_("Wrong email or password."), code="invalid_credentials")
    try:
        email = normalize_email(email)
    except ValidationFailed:
        raise wrong from None
    with email_lookup(email):
        account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        _hasher().hash(password or "x")  # same work as a real check: no timing oracle
        raise wrong
    if not check_password(account, password or ""):
        raise wrong
    every = memberships(account.id)
    if not every:
        raise wrong
    if not any(m.is_active for m in every):
        raise PermissionDenied(
            _("This user has been deactivated. Ask your company's administrator."),
            code="deactivated",
        )
    return account


def enter_membership(account: Account, tenant_id: int) -> User:
    """The account's active user in ``tenant_id``, which becomes current; else ``NotFound``."""
    enter_account(account.id)
    enter_tenant(tenant_id)
    user = db.session.scalar(
        select(User).where(User.account_id == account.id, User.is_active.is_(True))
    )
    if user is None:
        enter_tenant(None)
        raise NotFound()
    return user


def authenticate(*, email: str, password: str, tenant_id: int | None = None) -> User:
    """The active user with these credentials; the tenant becomes current. Else refused.

    An account in several companies must name one (``tenant_id``), else ``Conflict``
    with code ``choose_company``.
    """
    account = check_credentials(email=email, password=password)
    if tenant_id is None:
        active = memberships(account.id, active_only=True)
        if len(active) > 1:
            raise Conflict(
                _("This account belongs to several companies: choose one."),
                code="choose_company",
            )
        tenant_id = active[0].tenant_id
    return enter_membership(account, tenant_id)


def record_login(user: User, *, via: str = "web") -> None:
    """Note a successful login."""
    g.actor_id = user.id
    user.last_login_at = utcnow()
    audit.record_event("auth.login", user, via=via)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User) -> str:
    """Log ``user`` in on the web: a new server-side session row; returns the cookie's id."""
    record_login(user, via="web")
    secret = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, secret_hash=_digest(secret))
    db.session.add(row)
    db.session.flush()
    user.session_key = f"{user.tenant_id}:{row.id}:{secret}"
    return user.session_key


def _parse_session_key(key: str | None) -> tuple[int, int, str] | None:
    try:
        tenant_part, session_part, secret = (key or "").split(":")
        return int(tenant_part), int(session_part), secret
    except ValueError:
        return None


def load_session_user(session_key: str) -> User | None:
    """Flask-Login loader: ``tenant:session:secret`` → the active user, entering their tenant.

    The session must still exist server-side: logout, a password reset, or "sign out other
    sessions" delete the row, and a copied cookie opens nothing afterwards.
    """
    parsed = _parse_session_key(session_key)
    if parsed is None:
        return None
    tid, sid, secret = parsed
    enter_tenant(tid)
    # the session and its user (with account and role) in one round trip
    row = db.session.get(UserSession, sid, options=[joinedload(UserSession.user)])
    if (
        row is None
        or not hmac.compare_digest(row.secret_hash, _digest(secret))
        or not row.user.is_active
    ):
        enter_tenant(None)
        return None
    user = row.user
    user.session_key = session_key
    enter_account(user.account_id)
    return user


def end_session(user: User) -> None:
    """Log out: delete the session ``user`` was loaded through (its cookie opens nothing more)."""
    parsed = _parse_session_key(user.session_key)
    if parsed is None:
        return
    with tenant_context(user.tenant_id):
        db.session.execute(
            delete(UserSession)
            .where(UserSession.id == parsed[1], UserSession.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
        audit.record_event("auth.logout", user)
        db.session.flush()
    user.session_key = None


def _end_sessions_and_tokens(account: Account, *, keep: str | None = None) -> None:
    """End every web session of ``account`` (but ``keep``) and revoke all its API tokens."""
    kept = _parse_session_key(keep)
    for m in memberships(account.id):
        with tenant_context(m.tenant_id):
            keep_id = kept[1] if kept is not None and kept[0] == m.tenant_id else None
            _end_membership_sessions(m.user_id, keep_session_id=keep_id)


def _end_membership_sessions(user_id: int, *, keep_session_id: int | None = None) -> None:
    """In the current tenant: end the web sessions of ``user_id`` (but one) and revoke its
    API tokens (a password reset or change, leaving a company)."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_session_id is not None:
        stmt = stmt.where(UserSession.id != keep_session_id)
    db.session.execute(stmt.execution_options(synchronize_session=False))
    now = utcnow()
    open_tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    for token in open_tokens:
        token.revoked_at = now  # one by one: each revocation is audited
    db.session.flush()


def change_password(
    *, actor: User, current: str, new: str, end_other_sessions: bool = False
) -> None:
    """Change the actor's password; optionally sign out every other session and revoke tokens."""
    enter_account(actor.account_id)  # the actor's own account row
    if not check_password(actor.account, current or ""):
        raise ValidationFailed(_("The current password is wrong."), code="current_password")
    validate_password(new)
    actor.account.password_hash = hash_password(new)
    db.session.flush()
    if end_other_sessions:
        _end_sessions_and_tokens(actor.account, keep=actor.session_key)


def queue_password_reset(*, email: str, url_root: str) -> None:
    """Ask the worker to mail a reset link: the same work whether ``email`` is known or not."""
    from saas.auth.tasks import send_password_reset
    from saas.jobs import enqueue_after_commit

    enqueue_after_commit(send_password_reset, (email or "")[:254], url_root)


def _first_active_user(account: Account) -> User | None:
    """The account's user in its first active company (entered), or None."""
    active = memberships(account.id, active_only=True)
    return enter_membership(account, active[0].tenant_id) if active else None


def request_password_reset(*, email: str) -> None:
    """Mail a reset link if ``email`` belongs to an active user; say nothing either way."""
    try:
        email = normalize_email(email)
    except ValidationFailed:
        return
    with email_lookup(email):
        account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        return
    user = _first_active_user(account)
    if user is None:
        return
    token = signer("reset").dumps({"a": account.id, "f": account.password_fingerprint()})
    queue_mail(
        kind="password_reset",
        to=account.email,
        template="password_reset",
        language=user.language,
        name=user.name,
        url=external_url("auth.reset_password", token=token),
        minutes=current_app.config["PASSWORD_RESET_SECONDS"] // 60,
    )
    audit.record_event("auth.password_reset_requested", user)


def reset_password(*, token: str, password: str | None = None) -> User:
    """Check a reset link; with ``password``, set it. The link dies with the old password."""
    try:
        data = signer("reset").loads(token, max_age=current_app.config["PASSWORD_RESET_SECONDS"])
        account_id, fingerprint = int(data["a"]), str(data["f"])
    except SignatureExpired as exc:
        raise NotFound(
            _("This reset link has expired. Ask for a new one."), code="expired"
        ) from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(_("This reset link is not valid."), code="invalid") from exc
    enter_account(account_id)  # the signed link speaks for this account
    account = db.session.get(Account, account_id)
    if account is None or not hmac.compare_digest(account.password_fingerprint(), fingerprint):
        raise NotFound(_("This reset link has already been used."), code="used")
    user = _first_active_user(account)
    if user is None:
        raise NotFound(_("This reset link is not valid."), code="invalid")
    if password is not None:
        validate_password(password)
        g.actor_id = user.id
        account.password_hash = hash_password(password)
        db.session.flush()
        uid = user.id
        # Whoever knew the old password may hold a session or a token: end them all.
        _end_sessions_and_tokens(account)
        user = db.session.get(User, uid)  # re-read: visiting other companies detached it
    return user


def set_password_by_operator(*, email: str, password: str) -> User:
    """Set a password from the command line (the instance operator, no mail needed)."""
    email = normalize_email(email)
    with email_lookup(email):
        account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        raise NotFound(_("No user with this email."))
    validate_password(password)
    every = memberships(account.id)
    if every:
        enter_tenant(every[0].tenant_id)
    account.password_hash = hash_password(password)
    audit.record_event("auth.password_set_by_operator", account)
    db.session.flush()
    _end_sessions_and_tokens(account)
    if every:
        enter_tenant(every[0].tenant_id)
    return db.session.scalar(select(User).where(User.account_id == account.id))
