"""Personal API tokens: created, listed, revoked, and resolved from a bearer header."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import g
from flask_babel import gettext as _
from sqlalchemy import select

from saas.auth.models import ApiToken, User
from saas.auth.service import authenticate, record_login
from saas.errors import NotFound
from saas.extensions import db
from saas.tenancy.context import enter_account, enter_tenant
from saas.text import clean_name
from saas.utils import utcnow

TOKEN_PREFIX = "baza"  # noqa: S105 (a prefix, not a secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token for the actor; returns it and the full secret (shown once)."""
    name = clean_name(name, _("Token name"))[:100]
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
    enter_account(token.user.account_id)
    return token.user


def token_for_credentials(*, email: str, password: str, tenant_id: int | None = None) -> str:
    """Log in with email and password and return a new API token's secret.

    The token names its company: an account in several must give ``tenant_id``.
    """
    user = authenticate(email=email, password=password, tenant_id=tenant_id)
    record_login(user, via="api")
    _token, secret = create_token(actor=user, name=_("API login %(date)s", date=utcnow().date()))
    return secret
