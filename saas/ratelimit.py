"""Rate-limit helpers for Flask-Limiter: keys, failure-only counting, and pages that keep the form.

- Every per-account key is the normalised email (``email_key``), the same the login looks up,
  so a full-width or upper-case spelling of an address shares its counter.
- Login limits count failures only (``deduct_when=failed``), per IP and per account; a
  successful login clears that account's counter (``clear_account_limits``).
- A refused request re-renders its form (the typed values kept) with the real wait and a
  ``Retry-After`` header (``keep_form_on_breach``).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, make_response, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _

from saas.extensions import limiter

log = logging.getLogger(__name__)


def email_key(raw: str | None) -> str:
    """The email as logins find it; NFKC + casefold + strip if it is not a valid address."""
    from saas.auth.service import normalize_email
    from saas.errors import ValidationFailed

    try:
        return normalize_email(raw or "")
    except ValidationFailed:
        return unicodedata.normalize("NFKC", raw or "").strip().casefold()


def account_key() -> str:
    """Flask-Limiter key: the account named by the form's email field."""
    return "account:" + email_key(request.form.get("email"))


def user_key() -> str:
    """Flask-Limiter key: the logged-in membership (tenant and user)."""
    from flask_login import current_user

    return f"user:{current_user.tenant_id}:{current_user.id}"


def failed(response: Response) -> bool:
    """``deduct_when``: count a request only when it was refused (a login that worked is free)."""
    return response.status_code >= 400


def clear_account_limits() -> None:
    """Forget this request's per-account counters (after a successful login)."""
    for current in limiter.current_limits:
        if any(str(arg).startswith("account:") for arg in current.request_args):
            try:
                limiter.limiter.clear(current.limit, *current.request_args)
            except Exception:  # storage down: the login itself must still succeed
                log.warning("could not clear the login counter", exc_info=True)


def wait_seconds(limit: Any) -> int:
    """Seconds until ``limit`` (a Flask-Limiter ``RequestLimit``) lets the next request in."""
    return max(1, int(limit.reset_at - time.time()))


def wait_message(seconds: int) -> str:
    """'Too many attempts. Try again in 42 seconds.' in the user's language."""
    return _(
        "Too many attempts. Try again %(when)s.",
        when=format_timedelta(timedelta(seconds=seconds), add_direction=True, threshold=1),
    )


def keep_form_on_breach(template: str, form_factory: Callable[[], Any]) -> Callable:
    """``on_breach`` callback: answer 429 with ``template``'s form, typed values kept."""

    def on_breach(limit: Any) -> Response:
        seconds = wait_seconds(limit)
        form = form_factory()  # a Flask-WTF form binds the typed values from the request
        form.form_errors.append(wait_message(seconds))
        resp = make_response(render_template(template, form=form), 429)
        resp.headers["Retry-After"] = str(seconds)
        return resp

    return on_breach
