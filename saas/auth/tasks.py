"""RQ jobs of the login identities."""

from __future__ import annotations

from flask import current_app

from saas.jobs import job


@job("mail", tenant=False)
def send_password_reset(email: str, url_root: str) -> None:
    """Look ``email`` up and mail a reset link if it belongs to an active user.

    Runs in the worker so that the request asking for it does the same work, in the same time,
    whether the email is known or not (no account enumeration through /password/forgot).
    """
    from saas.auth.service import request_password_reset

    with current_app.test_request_context("/", base_url=url_root):
        request_password_reset(email=email)


@job("mail", tenant=False)
def send_signup_mail(data: dict, url_root: str) -> None:
    """Mail a signup link to a new address, or an "you already have an account" note.

    Runs in the worker so that POST /signup does the same work, in the same time, whether the
    email already has an account or not (no account enumeration through /signup).
    """
    from saas.auth.service import request_signup

    with current_app.test_request_context("/", base_url=url_root):
        request_signup(data)
