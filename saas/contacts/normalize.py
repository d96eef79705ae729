"""Phones and emails: checked, normalised to their match keys, and formatted for reading.

- A phone is parsed with ``phonenumbers`` (Google's libphonenumber): a number with a ``+``
  (or 00 …) prefix is read as international, any other in the tenant's country
  (``tenant.default_country``). Persian, Arabic and full-width digits are read as digits. It is
  stored as typed and in E.164 (``+989121234567``), the key the duplicate check compares.
- A phone is shown in the national format when it is of the tenant's country, in the
  international format otherwise, and linked as ``tel:+…``.
- An email is checked with ``email-validator`` (syntax only, no DNS) and matched by
  ``email_key``: NFKC, case-folded.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from saas.errors import ValidationFailed

MAX_PHONE = 64
MAX_EMAIL = 320


def ascii_digits(value: str) -> str:
    """Every decimal digit (Persian, Arabic-Indic, full-width …) as ASCII; NFKC otherwise."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in value
    )


def parse_phone(raw: str | None, country: str | None) -> str:
    """The E.164 form of ``raw`` read in ``country`` (ISO alpha-2, or None); ``ValidationFailed``
    (code ``phone``) when it is not a valid number."""
    text = ascii_digits((raw or "").strip())
    if not text:
        raise ValidationFailed(_("Enter a phone number."), code="phone")
    if len(text) > MAX_PHONE:
        raise ValidationFailed(_("This phone number is too long."), code="phone")
    region = (country or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if region is None and not text.startswith(("+", "00")):
            message = _(
                "%(phone)s is not a valid phone number: start it with + and the country code.",
                phone=raw,
            )
        else:
            message = _("%(phone)s is not a valid phone number.", phone=raw)
        raise ValidationFailed(message, code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, country: str | None) -> str:
    """``e164`` as people write it: national format in ``country``, international elsewhere."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if country and region == country.upper()
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def tel_uri(e164: str) -> str:
    """The ``tel:`` link of an E.164 number."""
    return f"tel:{e164}"


def check_email(raw: str | None) -> str:
    """The email as it will be stored (domain normalised); ``ValidationFailed`` (code
    ``email``) when it is not an address. Syntax only: no DNS lookup."""
    text = unicodedata.normalize("NFKC", (raw or "").strip())
    if not text:
        raise ValidationFailed(_("Enter an email address."), code="email")
    if len(text) > MAX_EMAIL:
        raise ValidationFailed(_("This email address is too long."), code="email")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            _("%(email)s is not a valid email address.", email=raw), code="email"
        ) from None
    return result.normalized


def email_key(email: str) -> str:
    """What two spellings of one address share: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()
