"""Absolute links that leave the app (in mail): built on ``BASE_URL``, not the request's Host.

A reset or invitation link built from the ``Host`` header of the request that asked for it can
be pointed at any server by whoever sends that request (``POST /password/forgot`` with
``Host: evil.example``): the victim's click would hand the key to that server. With ``BASE_URL``
set (production), the Host header plays no part; unset (development), the request's host is used.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on this installation's public address."""
    base = current_app.config.get("BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)
