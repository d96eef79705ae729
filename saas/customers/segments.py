"""Segments: named, saved list states of the Customers page, private or shared with the company.

A segment stores the list state ``{view, q, query, sort, cols}`` (docs/ARCHITECTURE.md
"Segments"), never a frozen list of ids: running it re-runs the query over today's data.

Who may do what (tested as attacks in ``tests/test_segments.py``):

- a **private** segment exists for its creator only: anyone else — an admin too, another
  tenant's user, whatever id they try — gets 404, like an id that never existed;
- a **shared** segment is seen and run by everyone of the company; only its creator or an admin
  (``service.is_admin``) renames, changes or deletes it (others: 403);
- **running** a segment applies the caller's visibility: the state goes through
  ``service.view_query`` as the caller (the view is authorized, the visibility rule ANDed before
  the query), so a shared segment never widens what anyone sees; the stored query tree is
  re-validated each time, and a tree that no longer fits (a custom field deleted since, a list
  entry removed) is a 422 naming the segment and the bad node, never a 500.

Changes are audited by the flush hook (``__audit__``), read as "Ann saved the segment Tirana".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from saas.audit.describe import REGISTRY, Describer
from saas.auth.models import User
from saas.customers import service
from saas.customers.models import Customer
from saas.customers.segment_models import CustomerSegment
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.pagination import PAGE, Page
from saas.text import clean_name, single_line

#: Longest segment name.
MAX_NAME = 100
#: Most segments one user may create (the menu stays a menu).
MAX_PER_USER = 200
#: Most visible columns stored, and the shape of a column key.
MAX_COLS = 60
_COL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}(\.[a-z0-9_][a-z0-9_-]{0,60})?$")
_SORT = re.compile(r"^-?[a-z][a-z0-9_]{0,40}(\.[a-z0-9_][a-z0-9_-]{0,60})?$")


def engine() -> Any:
    """The combined-query engine (``saas.customers.query``), or None while it is not there."""
    try:
        from saas.customers import query
    except ImportError:  # pragma: no cover - the engine lands in parallel
        return None
    return query


@dataclass
class ListState:
    """A validated list state: what a segment stores and what running it applies."""

    view: str = "mine"
    q: str | None = None
    #: The engine's parsed node (``query.parse``), or None.
    node: Any = None
    sort: str | None = None
    cols: list[str] | None = field(default=None)

    def query_json(self) -> dict[str, Any] | None:
        return engine().dump(self.node) if self.node is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "q": self.q,
            "query": self.query_json(),
            "sort": self.sort,
            "cols": self.cols,
        }


def parse_query(tree: Any, actor: User) -> Any:
    """The engine's node of a JSON tree (``None``/``{}`` for none); ``QueryInvalid`` (422,
    with the path of the bad node) otherwise."""
    if tree is None or tree == {}:
        return None
    found = engine()
    if found is None:
        raise ValidationFailed(_("Combined queries are not available yet."), code="query")
    return found.parse(tree, actor)


def clean_state(
    actor: User,
    *,
    view: Any = "mine",
    q: Any = None,
    query: Any = None,
    sort: Any = None,
    cols: Any = None,
) -> ListState:
    """``view``, ``q``, ``query`` (a JSON tree), ``sort`` and ``cols`` checked as ``actor``:
    the view must be one ``actor`` may open, the tree must parse, the sort must be valid for
    the view. ``ValidationFailed`` (or the engine's ``QueryInvalid``) names what is wrong."""
    if not isinstance(view, str) or view not in service.views_for(actor):
        if isinstance(view, str) and view in service.VIEWS:
            raise PermissionDenied()
        raise ValidationFailed(_("Choose one of the offered values."), code="view")
    if q is not None and not isinstance(q, str):
        raise ValidationFailed(_("Enter text."), code="q")
    text = single_line(q)
    if len(text) > 200:
        raise ValidationFailed(_("%(what)s is too long.", what=_("Search")), code="q")
    node = parse_query(query, actor)
    if sort is not None and sort != "":
        if not isinstance(sort, str) or not _SORT.match(sort):
            raise ValidationFailed(_("Choose one of the offered values."), code="sort")
        found = engine()
        if found is None:
            raise ValidationFailed(_("Sorting is not available yet."), code="sort")
        found.sort_spec(sort, view)  # raises QueryInvalid(path="sort")
    else:
        sort = None
    if cols is not None:
        if (
            not isinstance(cols, list)
            or len(cols) > MAX_COLS
            or any(not isinstance(c, str) or not _COL_KEY.match(c) for c in cols)
        ):
            raise ValidationFailed(_("Choose one of the offered values."), code="cols")
        cols = list(dict.fromkeys(cols)) or None
    return ListState(view=view, q=text or None, node=node, sort=sort, cols=cols)


# --- who sees and edits ----------------------------------------------------------------------


def visible(actor: User) -> Select:
    """The segments ``actor`` sees: their own and the company's shared ones."""
    return select(CustomerSegment).where(
        or_(CustomerSegment.created_by_id == actor.id, CustomerSegment.shared.is_(True))
    )


def list_segments(actor: User) -> list[CustomerSegment]:
    """``actor``'s segments then the shared ones of others, each by name."""
    rows = db.session.scalars(visible(actor).order_by(CustomerSegment.name, CustomerSegment.id))
    return sorted(rows, key=lambda s: (s.created_by_id != actor.id, s.name.casefold(), s.id))


def get_segment(actor: User, segment_id: Any) -> CustomerSegment:
    """A segment ``actor`` may see (and run); ``NotFound`` for any other id — another user's
    private one, another tenant's, one that never existed — never told apart."""
    if (
        not isinstance(segment_id, int)
        or isinstance(segment_id, bool)
        or not 0 < segment_id < 2**31  # an integer column: a larger id exists nowhere
        or not actor.is_active
    ):
        raise NotFound()
    segment = db.session.get(CustomerSegment, segment_id)
    if segment is None or not (segment.shared or segment.created_by_id == actor.id):
        raise NotFound()
    return segment


def may_edit(actor: User, segment: CustomerSegment) -> bool:
    """Its creator, or an admin for a shared one."""
    return segment.created_by_id == actor.id or (segment.shared and service.is_admin(actor))


def get_editable(actor: User, segment_id: Any) -> CustomerSegment:
    """A segment ``actor`` may change: 404 when not visible, 403 when only visible."""
    segment = get_segment(actor, segment_id)
    if not may_edit(actor, segment):
        raise PermissionDenied(_("Only its creator or an administrator may change this segment."))
    return segment


# --- changes ---------------------------------------------------------------------------------


def _clean_name(name: Any) -> str:
    if name is not None and not isinstance(name, str):
        raise ValidationFailed(_("Enter text."), code="name")
    cleaned = clean_name(name, _("Name"))
    if len(cleaned) > MAX_NAME:
        raise ValidationFailed(_("%(what)s is too long.", what=_("Name")), code="too_long")
    return cleaned


def _check_unique(owner_id: int, name: str, exclude: int | None = None) -> None:
    query = select(CustomerSegment.id).where(
        CustomerSegment.created_by_id == owner_id,
        func.lower(CustomerSegment.name) == name.lower(),
    )
    if exclude is not None:
        query = query.where(CustomerSegment.id != exclude)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(_("A segment named “%(name)s” exists already.", name=name), code="duplicate")


def _store(segment: CustomerSegment, state: ListState) -> None:
    segment.view = state.view
    segment.q = state.q
    segment.query = state.query_json()
    segment.sort = state.sort
    segment.cols = state.cols


def create_segment(
    *,
    actor: User,
    name: Any,
    shared: bool = False,
    view: Any = "mine",
    q: Any = None,
    query: Any = None,
    sort: Any = None,
    cols: Any = None,
) -> CustomerSegment:
    """Save the list state under ``name`` (private unless ``shared``)."""
    if not actor.is_active:
        raise PermissionDenied()
    name = _clean_name(name)
    state = clean_state(actor, view=view, q=q, query=query, sort=sort, cols=cols)
    owned = db.session.scalar(
        select(func.count(CustomerSegment.id)).where(CustomerSegment.created_by_id == actor.id)
    )
    if (owned or 0) >= MAX_PER_USER:
        raise Conflict(
            _("You have %(n)s segments, the most allowed; delete some first.", n=MAX_PER_USER),
            code="too_many",
        )
    _check_unique(actor.id, name)
    segment = CustomerSegment(name=name, shared=bool(shared), created_by_id=actor.id)
    _store(segment, state)
    db.session.add(segment)
    db.session.flush()
    return segment


#: What ``update_segment`` changes.
STATE_FIELDS = ("view", "q", "query", "sort", "cols")


def update_segment(actor: User, segment_id: Any, **changes: Any) -> CustomerSegment:
    """Rename, share/unshare, or replace the stored state (only the keys given: ``name``,
    ``shared``, ``view``, ``q``, ``query``, ``sort``, ``cols``). The creator, or an admin for
    a shared segment. The new state is checked as ``actor`` (their views, their fields)."""
    segment = get_editable(actor, segment_id)
    unknown = set(changes) - {"name", "shared", *STATE_FIELDS}
    if unknown:
        raise ValidationFailed(_("This field cannot be changed here."), code=sorted(unknown)[0])
    if "name" in changes:
        name = _clean_name(changes["name"])
        if name != segment.name:
            _check_unique(segment.created_by_id, name, exclude=segment.id)
            segment.name = name
    if "shared" in changes:
        if not isinstance(changes["shared"], bool):
            raise ValidationFailed(_("Choose one of the offered values."), code="shared")
        segment.shared = changes["shared"]
    if any(k in changes for k in STATE_FIELDS):
        current = {
            "view": segment.view,
            "q": segment.q,
            "query": segment.query,
            "sort": segment.sort,
            "cols": segment.cols,
        }
        current.update({k: changes[k] for k in STATE_FIELDS if k in changes})
        _store(segment, clean_state(actor, **current))
    db.session.flush()
    return segment


def rename_segment(actor: User, segment_id: Any, name: Any) -> CustomerSegment:
    return update_segment(actor, segment_id, name=name)


def delete_segment(actor: User, segment_id: Any) -> None:
    """Delete a segment: the creator, or an admin for a shared one."""
    segment = get_editable(actor, segment_id)
    db.session.delete(segment)
    db.session.flush()


# --- running ---------------------------------------------------------------------------------


def state_of(actor: User, segment: CustomerSegment) -> ListState:
    """The stored state, re-validated as ``actor``. A tree that no longer fits is a 422 whose
    message names the segment and whose path names the bad node (``code`` segment_invalid);
    a view ``actor`` may not open is a 403 saying so."""
    if segment.view not in service.views_for(actor):
        raise PermissionDenied(
            _(
                "The segment “%(name)s” reads a list you may not open.",
                name=segment.name,
            )
        )
    try:
        return clean_state(
            actor,
            view=segment.view,
            q=segment.q,
            query=segment.query,
            sort=segment.sort,
            cols=segment.cols,
        )
    except ValidationFailed as exc:
        exc.message = _(
            "The segment “%(name)s” no longer works: %(reason)s Change or delete it.",
            name=segment.name,
            reason=exc.message,
        )
        exc.code = "segment_invalid"
        raise


def customer_query(actor: User, state: ListState) -> Select:
    """The live customers of ``state`` that ``actor`` may see (visibility first, then ``q`` and
    the query: ``service.view_query`` as ``actor``)."""
    if state.node is None:
        return service.view_query(actor, state.view, state.q)
    return service.view_query(actor, state.view, state.q, query=state.node)


def list_page(
    actor: User, state: ListState, *, cursor: str | None = None, limit: int = PAGE
) -> Page[Customer]:
    """One keyset page of ``state`` (the same page and cursor as ``GET /api/v1/customers``)."""
    extra: dict[str, Any] = {}
    if state.node is not None:
        extra["query"] = state.node
    if state.sort is not None:
        extra["sort"] = state.sort
    return service.list_customers(
        actor=actor, view=state.view, cursor=cursor, limit=limit, q=state.q, **extra
    )


def evaluate(
    actor: User, segment_id: Any, *, cursor: str | None = None, limit: int = PAGE
) -> Page[Customer]:
    """Run segment ``segment_id`` as ``actor``: a page of the customers it selects today."""
    segment = get_segment(actor, segment_id)
    return list_page(actor, state_of(actor, segment), cursor=cursor, limit=limit)


def state_with(actor: User, segment_id: Any, overrides: dict[str, Any]) -> ListState:
    """Segment ``segment_id``'s state with some parts replaced (``view``, ``q``, ``query``,
    ``sort`` given beside ``segment=`` in a URL), all checked as ``actor``."""
    segment = get_segment(actor, segment_id)
    if not overrides:
        return state_of(actor, segment)
    stored = {"view": segment.view, "q": segment.q, "query": segment.query, "sort": segment.sort}
    stored.update({k: v for k, v in overrides.items() if k in stored})
    try:
        return clean_state(actor, cols=segment.cols, **stored)
    except ValidationFailed as exc:
        if "query" not in overrides:  # the stored tree is the one that no longer fits
            exc.message = _(
                "The segment “%(name)s” no longer works: %(reason)s Change or delete it.",
                name=segment.name,
                reason=exc.message,
            )
            exc.code = "segment_invalid"
        raise


def evaluate_with(
    actor: User,
    segment_id: Any,
    overrides: dict[str, Any],
    *,
    cursor: str | None = None,
    limit: int = PAGE,
) -> Page[Customer]:
    """``evaluate`` with parts of the state replaced (see ``state_with``)."""
    return list_page(actor, state_with(actor, segment_id, overrides), cursor=cursor, limit=limit)


# --- the audit log's words -------------------------------------------------------------------

REGISTRY["customer_segments"] = Describer(
    plural=_l("Segments"),
    name=lambda segment: segment.name,
    fields={
        "name": _l("Name"),
        "shared": _l("Shared with the company"),
        "view": _l("List"),
        "q": _l("Search"),
        "query": _l("Query"),
        "sort": _l("Sort"),
        "cols": _l("Columns"),
    },
    formats={"shared": "bool", "query": "changed", "cols": "changed"},
    sentences={
        "created": _l("%(actor)s saved the segment %(object)s"),
        "updated": _l("%(actor)s changed the segment %(object)s"),
        "deleted": _l("%(actor)s deleted the segment %(object)s"),
    },
    fallback=_l("a segment"),
)
