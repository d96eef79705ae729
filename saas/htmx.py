"""Page-or-fragment rendering and htmx response headers, in one place (wraps htmx-flask).

A URL is a page. When htmx asks for it (and it is not a history-restore request), the view's
fragment is rendered instead; the page template includes the same fragment, so both agree.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template
from htmx_flask import request


def is_fragment_request() -> bool:
    """True for an htmx request that wants a part of the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render(
    page: str, fragment: str | None = None, *, status: int = 200, **context: Any
) -> Response:
    """Render ``fragment`` for htmx requests, ``page`` otherwise; always ``Vary: HX-Request``."""
    template = fragment if fragment and is_fragment_request() else page
    resp = make_response(render_template(template, **context), status)
    resp.headers.add("Vary", "HX-Request")
    return resp


def trigger(resp: Response, event: str, detail: Any = None) -> Response:
    """Add an ``HX-Trigger`` event (camelCase, past tense) to ``resp``."""
    events: dict[str, Any] = {}
    if existing := resp.headers.get("HX-Trigger"):
        try:
            events = json.loads(existing)
        except ValueError:
            events = {name.strip(): None for name in existing.split(",")}
    events[event] = detail
    resp.headers["HX-Trigger"] = json.dumps(events)
    return resp


def redirect(url: str) -> Response:
    """Redirect that works for both: ``HX-Redirect`` for htmx, 303 for a plain form post."""
    if request.htmx:
        resp = Response(status=204)
        resp.headers["HX-Redirect"] = url
        return resp
    resp = Response(status=303)
    resp.headers["Location"] = url
    return resp
