"""Why a message was not delivered, as keys stored on the message and sentences for people.

The SMTP server's own words (banners, error replies) can reveal other services on the network
(finding: a mail setting used as a port scanner), so they go to the server log only; the message
keeps one of the keys below and people read the matching translated sentence.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DeliveryError(Exception):
    """A delivery failed with ``code`` (a ``MESSAGES`` key); ``retry``: trying again may help."""

    def __init__(self, code: str, detail: str = "", *, retry: bool = True) -> None:
        super().__init__(detail or code)
        self.code = code
        self.retry = retry


MESSAGES = {
    "unknown_host": _l("The mail server's name could not be found."),
    "blocked_address": _l(
        "The mail server's address is on a private or local network, which is not allowed."
    ),
    "unreachable": _l("The mail server could not be reached."),
    "tls": _l("A secure connection to the mail server could not be made."),
    "login": _l("The mail server refused the user name or password."),
    "rejected": _l("The mail server refused the message."),
    "invalid_message": _l(
        "The message could not be written (check the company name and the From address)."
    ),
    "no_server": _l("No mail server is set up."),
    "failed": _l("The message could not be sent."),
}


def error_text(code: str) -> str:
    """The sentence for ``code``; anything unknown (older rows kept raw text) reads generically."""
    return str(MESSAGES.get(code, MESSAGES["failed"]))
