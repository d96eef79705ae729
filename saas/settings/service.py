"""Change company settings."""

from __future__ import annotations

import io
from functools import cache

from babel import Locale
from babel.core import get_global
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from saas import locales
from saas.access import authorize
from saas.auth.models import User
from saas.crypto import encrypt
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.storage import get_storage
from saas.tenancy.models import Tenant

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIDE = 512
SMTP_SECURITY = ("starttls", "ssl", "none")


@cache
def timezones() -> list[str]:
    """Canonical IANA zones (no aliases), sorted; choices come from ``saas.locales``."""
    return sorted(locales.canonical_timezones())


@cache
def currencies() -> list[str]:
    """ISO 4217 codes some territory uses today (no ADP, AFA, ATS)."""
    return sorted(locales.current_currencies())


def countries(locale: str) -> list[tuple[str, str]]:
    """(alpha-2 code, name in ``locale``) pairs, sorted by name."""
    names = Locale.parse(locale).territories
    return sorted(
        ((c, n) for c, n in names.items() if len(c) == 2 and c.isalpha()), key=lambda x: x[1]
    )


def validate_timezone(name: str) -> str:
    """``name`` as a canonical IANA zone (an alias becomes its zone), else ``ValidationFailed``."""
    name = get_global("zone_aliases").get(name, name)
    if name not in locales.canonical_timezones():
        raise ValidationFailed(_("Unknown time zone."), code="timezone")
    return name


def update_company(
    *,
    actor: User,
    name: str,
    default_currency: str,
    default_country: str | None,
    timezone: str,
) -> Tenant:
    """Change the company's name, currency, country and time zone."""
    authorize(actor, "settings.manage")
    tenant = actor.tenant
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Company name is required."), code="name")
    if default_currency not in currencies() and default_currency != tenant.default_currency:
        raise ValidationFailed(_("Unknown currency."), code="currency")
    if default_country and default_country.upper() not in dict(countries("en")):
        raise ValidationFailed(_("Unknown country."), code="country")
    tenant.name = name[:200]
    tenant.default_currency = default_currency
    tenant.default_country = default_country.upper() if default_country else None
    tenant.timezone = validate_timezone(timezone)
    db.session.flush()
    return tenant


def update_smtp(
    *,
    actor: User,
    host: str | None,
    port: int | None,
    user: str | None,
    password: str | None,
    sender: str | None,
    security: str | None,
) -> Tenant:
    """Set the company's own SMTP server (empty host → the instance's, or the Outbox)."""
    authorize(actor, "settings.manage")
    tenant = actor.tenant
    host = (host or "").strip() or None
    if security and security not in SMTP_SECURITY:
        raise ValidationFailed(_("Unknown SMTP security."), code="smtp_security")
    if port is not None and not 0 < port < 65536:
        raise ValidationFailed(_("The port must be between 1 and 65535."), code="smtp_port")
    tenant.smtp_host = host
    tenant.smtp_port = port if host else None
    tenant.smtp_user = (user or "").strip() or None if host else None
    if password:  # empty keeps the stored one
        tenant.smtp_password_encrypted = encrypt(password, purpose="smtp")
    if not host:
        tenant.smtp_password_encrypted = None
    tenant.smtp_from = (sender or "").strip() or None if host else None
    tenant.smtp_security = security if host else None
    db.session.flush()
    return tenant


def set_logo(*, actor: User, data: bytes | None) -> Tenant:
    """Store ``data`` (PNG/JPEG/GIF/WebP) as the logo, re-encoded to PNG; None removes it."""
    authorize(actor, "settings.manage")
    tenant = actor.tenant
    storage = get_storage()
    if data is None:
        if tenant.logo_key:
            storage.delete(tenant.id, tenant.logo_key)
        tenant.logo_key = None
        db.session.flush()
        return tenant
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed(_("The logo must be smaller than 2 MB."), code="logo_size")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
            raise ValidationFailed(
                _("The logo must be a PNG, JPEG, GIF or WebP image."), code="logo"
            )
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationFailed(
            _("The logo must be a PNG, JPEG, GIF or WebP image."), code="logo"
        ) from exc
    image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    image.convert("RGBA").save(out, "PNG")
    tenant.logo_key = storage.put(tenant.id, "logo.png", out.getvalue())
    db.session.flush()
    return tenant
