"""Page-or-fragment rendering and htmx response headers, in one place (wraps htmx-flask).

A URL is a page. When htmx asks for it (and it is not a history-restore request), the view's
fragment is rendered instead; the page template includes the same fragment, so both agree.

Every htmx answer that carries a fragment also carries the pending flash messages, swapped
out-of-band into ``#flash`` (``layout/_flash.html``), so a message never waits for the next page.
``respond`` is the one way to answer an htmx action in place: fragment + ``HX-Trigger`` + flash.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, session
from htmx_flask import request


def is_fragment_request() -> bool:
    """True for an htmx request that wants a part of the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def flash_oob() -> str:
    """The pending flash messages, swapped out of band into ``#flash`` ('' when there are none)."""
    if not session.get("_flashes"):
        return ""
    return render_template("layout/_flash.html", oob=True)


def render(
    page: str, fragment: str | None = None, *, status: int = 200, **context: Any
) -> Response:
    """Render ``fragment`` for htmx requests, ``page`` otherwise; always ``Vary: HX-Request``.

    The fragment comes with the pending flash messages (out of band).
    """
    if fragment and is_fragment_request():
        body = render_template(fragment, **context) + flash_oob()
    else:
        body = render_template(page, **context)
    resp = make_response(body, status)
    resp.headers.add("Vary", "HX-Request")
    return resp


def respond(
    fragment: str | None,
    *,
    status: int = 200,
    events: dict[str, Any] | str | None = None,
    **context: Any,
) -> Response:
    """Answer an htmx action in place: ``fragment`` (None: an empty body, which removes an
    ``outerHTML`` target), the flash messages out of band, and ``HX-Trigger`` ``events``."""
    body = render_template(fragment, **context) if fragment else ""
    resp = make_response(body + flash_oob(), status)
    resp.headers.add("Vary", "HX-Request")
    if isinstance(events, str):
        events = {events: None}
    for event, detail in (events or {}).items():
        trigger(resp, event, detail)
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
