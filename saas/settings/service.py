"""Change company settings."""

from __future__ import annotations

import io
from functools import cache

from babel import Locale
from babel.core import get_global
from flask_babel import gettext as _

from saas import locales, storage
from saas.access import authorize
from saas.auth.models import User
from saas.crypto import encrypt
from saas.errors import PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.images import open_image
from saas.tenancy.models import Tenant
from saas.text import clean_name, single_line

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIDE = 512
#: What an uploaded logo may measure before it is scaled down (checked before decoding).
LOGO_MAX_INPUT_SIDE = 4096
LOGO_MAX_INPUT_PIXELS = 16_000_000
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
    name = clean_name(name, _("Company name"))
    if default_currency not in currencies() and default_currency != tenant.default_currency:
        raise ValidationFailed(_("Unknown currency."), code="currency")
    if default_country and default_country.upper() not in dict(countries("en")):
        raise ValidationFailed(_("Unknown country."), code="country")
    tenant.name = name
    tenant.default_currency = default_currency
    tenant.default_country = default_country.upper() if default_country else None
    tenant.timezone = validate_timezone(timezone)
    db.session.flush()
    return tenant


def require_owner_password(actor: User, password: str | None) -> None:
    """Only the owner, who re-enters their password, passes (``PermissionDenied`` / 422)."""
    from saas.auth.service import check_password

    if actor.role.key != "owner":
        raise PermissionDenied(_("Only the company's owner can change the mail server."))
    if not password or not check_password(actor.account, password):
        raise ValidationFailed(_("The current password is wrong."), code="current_password")


def _check_host(host: str, port: int) -> None:
    from saas.mail.errors import DeliveryError
    from saas.mail.guard import resolve_public

    try:
        resolve_public(host, port)
    except DeliveryError as exc:
        raise ValidationFailed(_error_text(exc.code), code="smtp_host") from exc


def _error_text(code: str) -> str:
    from saas.mail.errors import error_text

    return error_text(code)


def _check_sender(sender: str) -> str:
    from email.message import EmailMessage

    try:
        probe = EmailMessage()
        probe["From"] = sender
        addresses = probe["From"].addresses
    except (ValueError, TypeError, IndexError) as exc:
        raise ValidationFailed(
            _("Enter one address, like Company <sales@example.com>."), code="smtp_sender"
        ) from exc
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise ValidationFailed(
            _("Enter one address, like Company <sales@example.com>."), code="smtp_sender"
        )
    return sender


def update_smtp(
    *,
    actor: User,
    current_password: str | None,
    host: str | None,
    port: int | None,
    user: str | None,
    password: str | None,
    sender: str | None,
    security: str | None,
) -> Tenant:
    """Set the company's own SMTP server (empty host → the instance's, or the Outbox).

    Owner only, with the owner's password re-entered: whoever sets the server reads the mail
    that goes through it. (Account keys — resets, invitations — never go through it anyway:
    ``mail.service.smtp_settings_for``.) The host must resolve to a public address.
    """
    authorize(actor, "settings.manage")
    require_owner_password(actor, current_password)
    tenant = actor.tenant
    host = single_line(host).lower() or None
    if security and security not in SMTP_SECURITY:
        raise ValidationFailed(_("Unknown SMTP security."), code="smtp_security")
    if port is not None and not 0 < port < 65536:
        raise ValidationFailed(_("The port must be between 1 and 65535."), code="smtp_port")
    sender = single_line(sender) or None
    if host:
        _check_host(host, port or 587)
        if sender:
            _check_sender(sender)
    tenant.smtp_host = host
    tenant.smtp_port = port if host else None
    tenant.smtp_user = single_line(user) or None if host else None
    if password:  # empty keeps the stored one
        tenant.smtp_password_encrypted = encrypt(password, purpose="smtp")
    if not host:
        tenant.smtp_password_encrypted = None
    tenant.smtp_from = sender if host else None
    tenant.smtp_security = security if host else None
    db.session.flush()
    return tenant


def send_test_message(*, actor: User) -> str:
    """Send a test message through the company's saved server to the actor; the address.

    Synchronous with a short timeout (``SMTP_TEST_TIMEOUT``); raises ``DeliveryError``.
    """
    from email.message import EmailMessage

    from flask import current_app

    from saas.mail.errors import DeliveryError
    from saas.mail.service import instance_smtp, send_email, tenant_smtp

    authorize(actor, "settings.manage")
    tenant = actor.tenant
    smtp = tenant_smtp(tenant) or instance_smtp()
    if smtp is None:
        raise DeliveryError("no_server", retry=False)
    email = EmailMessage()
    try:
        email["From"] = smtp.sender
        email["To"] = actor.email
        email["Subject"] = _("Test message from Baza")
        email.set_content(
            _(
                "This test message from %(company)s shows that outgoing mail works.",
                company=tenant.name,
            )
        )
    except (ValueError, TypeError) as exc:
        raise DeliveryError("invalid_message", repr(exc), retry=False) from exc
    send_email(email, smtp, timeout=current_app.config["SMTP_TEST_TIMEOUT"])
    return actor.email


def set_logo(*, actor: User, data: bytes | None) -> Tenant:
    """Store ``data`` (PNG/JPEG/GIF/WebP) as the logo, re-encoded to PNG; None removes it."""
    authorize(actor, "settings.manage")
    tenant = actor.tenant
    old_key = tenant.logo_key
    if data is None:
        if old_key:
            storage.delete_after_commit(tenant.id, old_key)
        tenant.logo_key = None
        db.session.flush()
        return tenant
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed(_("The logo must be smaller than 2 MB."), code="logo_size")
    image = open_image(
        data,
        max_side=LOGO_MAX_INPUT_SIDE,
        max_pixels=LOGO_MAX_INPUT_PIXELS,
        code="logo",
        not_an_image_message=_("The logo must be a PNG, JPEG, GIF or WebP image."),
    )
    image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    image.convert("RGBA").save(out, "PNG")
    # a new key each time: the old file stays until the change commits, the new one goes if it
    # rolls back, so the row and the files agree whatever happens to the transaction
    tenant.logo_key = storage.put_new(tenant.id, storage.unique_key("logo", "png"), out.getvalue())
    if old_key:
        storage.delete_after_commit(tenant.id, old_key)
    db.session.flush()
    return tenant
