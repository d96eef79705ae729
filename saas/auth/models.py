"""Login identities (global), users, roles, invitations and API tokens (tenant-owned)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy.models import Tenant, TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class Account(db.Model):
    """A login identity. Global table: login finds it by email before any tenant is known."""

    __tablename__ = "accounts"
    __audit__ = True
    __audit_exclude__ = ("password_hash",)
    __audit_mask__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased; one account per email across the instance.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: argon2id hash.
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: An account belongs to no company: its memberships are ``users`` rows (one per company,
    #: each with its own role, manager, language and time zone). Its changes are audited in
    #: the company where they are made (the current tenant).
    __audit_in_current_tenant__ = True

    def password_fingerprint(self) -> str:
        """A short digest of the current hash: tokens and sessions carrying it die on change."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


class Role(TenantScoped, db.Model):
    """A named set of permissions of one tenant; built-in ones carry a ``key``."""

    __tablename__ = "roles"
    __audit__ = True
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "key")
    )

    #: owner | admin | manager | sales | viewer for built-in roles; NULL for custom ones.
    key: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    #: Sorted list of permission names (see saas.access.PERMISSIONS).
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def is_builtin(self) -> bool:
        return self.key is not None

    @property
    def label(self) -> str:
        """The built-in role's translated name, or the custom name."""
        from saas.access import BUILTIN_ROLES

        if self.key in BUILTIN_ROLES:
            return str(BUILTIN_ROLES[self.key][0])
        return self.name


class User(TenantScoped, db.Model):
    """A member of a tenant. Deactivated users keep their rows: what they own stays."""

    __tablename__ = "users"
    __audit__ = True
    __audit_exclude__ = ("last_login_at",)
    __table_args__ = tenant_args(
        UniqueConstraint("tenant_id", "account_id"),
        tenant_fk("role_id", "roles"),
        tenant_fk("manager_id", "users"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role_id: Mapped[int]
    #: Reporting line: whose subordinate this user is.
    manager_id: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Interface language (a key of config.LANGUAGES).
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: IANA zone; NULL → the company's.
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: gregorian | jalali
    calendar: Mapped[str] = mapped_column(String(16), default="gregorian")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(lazy="joined")
    role: Mapped[Role] = relationship(primaryjoin="foreign(User.role_id) == Role.id", lazy="joined")
    manager: Mapped[User | None] = relationship(
        primaryjoin="foreign(User.manager_id) == remote(User.id)"
    )
    tenant: Mapped[Tenant] = relationship(viewonly=True)

    #: The web session this user object was loaded through (``tenant:session:secret``); set by
    #: ``auth.service.start_session`` / ``load_session_user``, not stored on the row.
    session_key: ClassVar[str | None] = None

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """Session id: ``tenant:session id:secret`` of a ``UserSession`` row (logout deletes it)."""
        return self.session_key

    @property
    def email(self) -> str:
        return self.account.email

    def can(self, permission: str) -> bool:
        return self.is_active and permission in (self.role.permissions or ())

    @property
    def permissions(self) -> list[str]:
        return sorted(self.role.permissions or ()) if self.is_active else []


class InvitationStatus(StrEnum):
    """Where an invitation is (derived from its timestamps, not stored)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(TenantScoped, db.Model):
    """An invitation to join a tenant; it holds a seat while pending."""

    __tablename__ = "invitations"
    __audit__ = True
    __table_args__ = tenant_args(
        tenant_fk("role_id", "roles"),
        tenant_fk("invited_by_id", "users"),
        tenant_fk("user_id", "users"),
        Index("ix_invitations_tenant_email", "tenant_id", "email"),
    )

    email: Mapped[str] = mapped_column(String(254))
    role_id: Mapped[int]
    invited_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: The user created on acceptance.
    user_id: Mapped[int | None]
    #: The invitee's language, chosen by the inviter: used for the mail, the accept page and
    #: the new membership. NULL (older rows) → the inviter's.
    language: Mapped[str | None] = mapped_column(String(8))

    role: Mapped[Role] = relationship(primaryjoin="foreign(Invitation.role_id) == Role.id")
    invited_by: Mapped[User | None] = relationship(
        primaryjoin="foreign(Invitation.invited_by_id) == User.id"
    )

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= utcnow():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING


class ApiToken(TenantScoped, db.Model):
    """A personal API token: only its hash is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __audit__ = True
    __audit_exclude__ = ("token_hash", "last_used_at")
    __table_args__ = tenant_args(tenant_fk("user_id", "users", ondelete="CASCADE"))

    user_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 of the secret part, hex.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(primaryjoin="foreign(ApiToken.user_id) == User.id")


class UserSession(TenantScoped, db.Model):
    """A logged-in browser: the cookie names it, logout deletes it, the loader checks it.

    The cookie carries ``tenant:id:secret``; only the secret's sha256 is stored, so a copy of
    this table opens no session. Bookkeeping, not audited (``auth.login``/``auth.logout`` are).
    """

    __tablename__ = "user_sessions"
    __table_args__ = tenant_args(tenant_fk("user_id", "users", ondelete="CASCADE"))

    user_id: Mapped[int] = mapped_column(index=True)
    #: sha256 of the secret part, hex.
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(primaryjoin="foreign(UserSession.user_id) == User.id")
