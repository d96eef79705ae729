"""Segments on the Customers page: "Save as segment" (name + private/shared), the segments
menu (``/customers?segment=<id>`` loads a saved state into the URL), the Segments page
(rename, share, delete), and "Select all N matching" for the batch form (the list state is
posted instead of ids)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.customers import bp, segments, service
from saas.customers.segment_models import CustomerSegment
from saas.customers.state import ListState, compact
from saas.errors import Conflict, ServiceError, ValidationFailed
from saas.extensions import db

#: Where the segment forms go back to: only a path on this site (never an open redirect).
_BACK_PREFIX = "/customers"


def _default_view() -> str:
    allowed = service.views_for(current_user)
    return "mine" if "mine" in allowed else allowed[0]


def _state_of(segment: CustomerSegment) -> ListState:
    """The page's URL state of a saved segment (as stored; the list re-validates it)."""
    return ListState(
        view=segment.view,
        q=segment.q or "",
        query=compact(segment.query) if segment.query else "",
        sort=segment.sort or "",
        cols=tuple(segment.cols or ()),
    )


def segment_url(segment: CustomerSegment) -> str:
    """The Customers page showing ``segment`` (its state in the URL, and its id)."""
    return url_for("customers.index", **_state_of(segment).args(), segment=segment.id)


def open_segment() -> Response | None:
    """``/customers?segment=<id>`` without a state: a redirect to the URL of the segment's
    state (404 when it is not the user's to see). A view the user may not open falls back to
    their default list, with a note. None when there is nothing to load."""
    raw = request.args.get("segment")
    if not raw or "view" in request.args:
        return None
    segment = segments.get_segment(current_user, int(raw) if raw.isdigit() else None)
    state = _state_of(segment)
    if segment.view not in service.views_for(current_user):
        flash(
            _(
                "The segment “%(name)s” reads a list you may not open; showing yours instead.",
                name=segment.name,
            ),
            "info",
        )
        state = replace(state, view=_default_view())
    return htmx.redirect(url_for("customers.index", **state.args(), segment=segment.id))


@bp.app_template_global()
def customer_segments() -> list[CustomerSegment]:
    """The segments menu's entries: the user's own, then the shared ones of others."""
    return segments.list_segments(current_user)


@bp.app_template_global()
def active_segment() -> CustomerSegment | None:
    """The segment named by the page's ``segment`` parameter, if the user may see it."""
    raw = request.args.get("segment") or ""
    if not raw.isdigit():
        return None
    try:
        return segments.get_segment(current_user, int(raw))
    except ServiceError:
        return None


@bp.get("/customers/segments-menu")
@login_required
def segments_menu() -> Any:
    """The Segments popover's body for the list state, read when it is opened (an htmx swap
    of the list draws its summary alone); without JavaScript, the list with it open."""
    from saas.customers.views import _list_page

    state = ListState.from_args(request.args, _default_view())
    if not htmx.is_fragment_request():
        return _list_page(state=state, segments_open=True)
    if state.view not in service.views_for(current_user):
        abort(403)
    return htmx.respond("customers/_segments_menu.html", state=state, current=active_segment())


@bp.app_template_global()
def may_edit_segment(segment: CustomerSegment) -> bool:
    return segments.may_edit(current_user, segment)


def _posted_state() -> ListState:
    return ListState.from_args(request.form, _default_view())


def _tree(state: ListState) -> Any:
    if not state.query:
        return None
    try:
        return json.loads(state.query)
    except ValueError:
        raise ValidationFailed(_("The query is not valid JSON."), code="bad_json") from None


def _back(default: str) -> str:
    back = request.form.get("back") or ""
    return back if back.startswith(_BACK_PREFIX + "?") or back == _BACK_PREFIX else default


def _refused(exc: ServiceError, back: str) -> Response:
    """A refusal of a segment form: said in the flash area, back to where the form was."""
    db.session.rollback()
    flash(exc.message, "error")
    return htmx.redirect(back)


@bp.post("/customers/segments")
@login_required
def create_segment() -> Any:
    """Save as segment: the posted list state under a name, private or shared."""
    state = _posted_state()
    try:
        segment = segments.create_segment(
            actor=current_user,
            name=request.form.get("name"),
            shared=request.form.get("shared") == "1",
            view=state.view,
            q=state.q,
            query=_tree(state),
            sort=state.sort or None,
            cols=list(state.cols) or None,
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, _back(state.url()))
    flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
    return htmx.redirect(segment_url(segment))


@bp.post("/customers/segments/<int:segment_id>/state")
@login_required
def save_segment_state(segment_id: int) -> Any:
    """Replace a segment's stored state with the posted one (the list as it is shown now)."""
    state = _posted_state()
    try:
        segment = segments.update_segment(
            current_user,
            segment_id,
            view=state.view,
            q=state.q or None,
            query=_tree(state),
            sort=state.sort or None,
            cols=list(state.cols) or None,
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, _back(state.url()))
    flash(_("Segment “%(name)s” updated.", name=segment.name), "success")
    return htmx.redirect(segment_url(segment))


@bp.get("/customers/segments")
@login_required
def segments_page() -> Any:
    """The user's segments and the company's shared ones: open, rename, share, delete."""
    return htmx.render(
        "customers/segments.html",
        "customers/_segment_list.html",
        items=segments.list_segments(current_user),
    )


@bp.post("/customers/segments/<int:segment_id>")
@login_required
def edit_segment(segment_id: int) -> Any:
    """Rename a segment and share or unshare it (its creator, or an admin if shared)."""
    try:
        segment = segments.update_segment(
            current_user,
            segment_id,
            name=request.form.get("name"),
            shared=request.form.get("shared") == "1",
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, url_for("customers.segments_page"))
    flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
    return htmx.redirect(url_for("customers.segments_page"))


@bp.post("/customers/segments/<int:segment_id>/delete")
@login_required
def delete_segment(segment_id: int) -> Any:
    segment = segments.get_editable(current_user, segment_id)
    name = segment.name
    segments.delete_segment(current_user, segment_id)
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return htmx.redirect(url_for("customers.segments_page"))


def batch_selection(ids: list[Any], view: str | None, q: str | None) -> dict[str, Any]:
    """The batch form's selection: ``{"ids": [...]}`` of the ticked rows, or, when "Select all
    N matching" is on (``scope=matching``), the posted list state (view, search, query)."""
    if request.form.get("scope") != "matching":
        return {"ids": ids}
    text = (request.form.get("query") or "").strip()
    tree = None
    if text:
        try:
            tree = json.loads(text)
        except ValueError:
            raise ValidationFailed(_("The query is not valid JSON."), code="bad_json") from None
    return {"query": {"view": view or _default_view(), "q": q or None, "query": tree}}
