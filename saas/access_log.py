"""Access logs without account keys: password-reset and invitation tokens never reach a log line.

A reset or invitation link is a key to an account until it is used; a request line, query string
or Referer holding one would leave the key in every log file and log shipper. Gunicorn (``flask
serve`` passes ``--logger-class saas.access_log.RedactingLogger``) and Werkzeug's development
server (a filter on its logger) both write ``/password/reset/[redacted]`` instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

#: URL path prefixes whose next segment is a secret token (the routes in auth/views.py).
TOKEN_PATHS = ("/password/reset/", "/invite/")
#: Query parameters that may carry a secret.
TOKEN_PARAMS = ("token", "key", "secret", "password")

REDACTED = "[redacted]"
_PATH = re.compile("(" + "|".join(re.escape(p) for p in TOKEN_PATHS) + r")[^/?#\s\"]+")
_PARAM = re.compile(r"(?i)([?&](?:" + "|".join(TOKEN_PARAMS) + r")=)[^&#\s\"]*")


def redact(text: str) -> str:
    """``text`` (a URL, request line or log message) with every token replaced by ``[redacted]``."""
    if not text:
        return text
    return _PARAM.sub(r"\1" + REDACTED, _PATH.sub(r"\1" + REDACTED, text))


class RedactingLogger(Logger):
    """Gunicorn's logger with tokens removed from the request line, path, query and Referer."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


class RedactingFilter(logging.Filter):
    """A logging filter that redacts tokens from a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_werkzeug_filter() -> None:
    """Redact the development server's request log (``flask run``)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
