"""Cleaning of text typed by people, shared by every service.

Single-line fields (names, subjects, company names) never keep control characters: a line
break in a company name would otherwise end up in a mail header.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from saas.errors import ValidationFailed

_SPACE = re.compile(r"\s+")


def single_line(value: str | None) -> str:
    """``value`` on one line: control characters dropped, whitespace runs made one space."""
    value = _SPACE.sub(" ", value or "")
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs", "Co")).strip()


def clean_name(value: str | None, what: str, max_length: int = 200) -> str:
    """A required single-line name; ``ValidationFailed`` if empty or longer than ``max_length``."""
    value = single_line(value)
    if not value:
        raise ValidationFailed(_("%(what)s is required.", what=what), code="required")
    if len(value) > max_length:
        raise ValidationFailed(_("%(what)s is too long.", what=what), code="too_long")
    return value
