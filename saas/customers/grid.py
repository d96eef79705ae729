"""The Customers grid: one list state (``state.py``) turned into a page of rows, the visible
columns, a capped row count and the messages of a bad query or sort.

The query engine (``query.py``: ``parse_json``, ``sort_spec``) and the service
(``list_customers(…, query=, sort=)``, ``count_view(…, query=)``) narrow the list; this module
only wires the state through them and never widens what ``view`` lets the user see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from saas.auth.models import User
from saas.customers import columns as cols
from saas.customers import fields, lists, prefs, service
from saas.customers import query as engine
from saas.customers.models import Customer
from saas.customers.state import ListState
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.formatting import number as format_number
from saas.pagination import Page

#: The footer's count stops here ("10,000+ customers"), like the tabs.
COUNT_CAP = service.COUNT_CAP


class GridRow:
    """A customer of a grid page as plain attributes: its columns read with Core (building 50
    ORM objects with their owners was a fifth of a list answer, docs/PERFORMANCE.md), and what
    the visible cells show of related rows (``build`` loads those): ``owner`` and
    ``_created_by`` (a ``Named``), ``stage_entry``/``level``/``industry``/``source`` (list
    entries), tags and custom field values (``lists.prefetch``, ``fields.prefetch``). The cells
    (``rows.py``) read it as they read a ``Customer``."""

    owner: Named | None = None
    stage_entry: Any = None
    level: Any = None
    industry: Any = None
    source: Any = None

    def __init__(self, values: Any) -> None:
        self.__dict__.update(values)

    @property
    def tags(self) -> list[Any]:
        return list(self.__dict__.get("_tags") or ())


@dataclass(frozen=True)
class Named:
    """A user as a cell shows them: their name."""

    id: int
    name: str


#: The entry columns' attributes and the ids they are read by.
_ENTRY_IDS = {
    "stage_entry": "stage_id",
    "level": "level_id",
    "industry": "industry_id",
    "source": "source_id",
}


def _fill_related(rows: list[GridRow], shown: list[cols.Column], actor: User) -> None:
    """Load what the visible columns of ``rows`` show of other tables: one query each."""
    from saas.customers.attributes import ListEntry

    keys = {c.key for c in shown}
    wanted = [c.attr for c in shown if c.cell == "entry" and c.attr in _ENTRY_IDS]
    ids = {getattr(r, _ENTRY_IDS[a]) for r in rows for a in wanted} - {None}
    if ids:
        entries = {
            e.id: e for e in db.session.scalars(select(ListEntry).where(ListEntry.id.in_(ids)))
        }
        for row in rows:
            for attr in wanted:
                setattr(row, attr, entries.get(getattr(row, _ENTRY_IDS[attr])))
    users: set[int] = set()
    mine = (None, actor.id)  # the cells say "you" (or the pool): no name to read
    if "owner" in keys:
        users |= {r.owner_id for r in rows if r.owner_id not in mine}
    if "created_by" in keys:
        users |= {r.created_by_id for r in rows if r.created_by_id not in mine}
    if users:
        names = {
            uid: Named(uid, name)
            for uid, name in db.session.execute(
                select(User.id, User.name).where(User.id.in_(users))
            )
        }
        for row in rows:
            row.owner = names.get(row.owner_id)
            row.__dict__["_created_by"] = names.get(row.created_by_id)
    if "tags" in keys:
        lists.prefetch(rows)  # type: ignore[arg-type]
    if any(c.cell == "custom" for c in shown):
        fields.prefetch(rows)


@dataclass
class Grid:
    state: ListState
    available: dict[str, cols.Column]
    columns: list[cols.Column]
    page: Page[GridRow]
    size: int
    #: None: not counted (an htmx swap; ``views.tab_counts`` sends it)
    count: int | None
    node: Any = None
    #: A bad ``query``/``sort`` of the URL: ``{"message", "path"}`` (the list ignores it).
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def count_text(self) -> str:
        return "" if self.count is None else count_text(self.count)

    @property
    def sort_key(self) -> str:
        return self.state.sort.lstrip("-")

    @property
    def sort_desc(self) -> bool:
        return self.state.sort.startswith("-")

    def sort_url(self, key: str) -> str:
        """The URL that sorts by ``key``: ascending first, then descending, then back."""
        if self.sort_key != key:
            return self.state.url(sort=key)
        return self.state.url(sort="" if self.sort_desc else f"-{key}")

    @property
    def filtered_fields(self) -> set[str]:
        """Fields with a column filter: a condition (or an "or" of conditions on one field)
        in the query's top-level "and"."""
        return {f for item in top_level(self.state.tree) if (f := field_of(item))}

    def aria_sort(self, key: str) -> str | None:
        if self.sort_key != key:
            return None
        return "descending" if self.sort_desc else "ascending"


def count_text(count: int) -> str:
    """The footer's "1,234 customers" ("10,000+ customers" above the cap)."""
    if count > COUNT_CAP:
        return _("%(n)s+ customers", n=format_number(COUNT_CAP))
    return ngettext("%(n)s customer", "%(n)s customers", count, n=format_number(count))


def top_level(tree: Any) -> list[Any]:
    """The items of a tree's top-level "and" (a single condition counts as one item)."""
    if not isinstance(tree, dict):
        return []
    if isinstance(tree.get("and"), list):
        return list(tree["and"])
    return [tree]


def field_of(item: Any) -> str | None:
    """The one field an item filters: a condition's, or that of an "or" group whose every
    condition is on the same field (a column filter with blanks); else None."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("field"), str):
        return item["field"]
    group = item.get("or")
    if isinstance(group, list) and group:
        found = {c.get("field") if isinstance(c, dict) else None for c in group}
        if len(found) == 1 and isinstance(next(iter(found)), str):
            return next(iter(found))
    return None


def cf_texts(customer: Customer, shown: list[cols.Column]) -> dict[str, str]:
    """``{field key: display text}`` of the custom fields among ``shown`` (else ``{}``)."""
    if not any(c.cell == "custom" for c in shown):
        return {}
    return {f.key: text for f, text in fields.shown(customer)}


def parse_query(actor: User, text: str) -> tuple[Any, dict[str, str] | None]:
    """``(node, None)`` for a valid query text (None for none), ``(None, error)`` otherwise."""
    if not text:
        return None, None
    try:
        return engine.parse_json(text, actor), None
    except ValidationFailed as exc:
        return None, {"message": exc.message, "path": getattr(exc, "path", "$")}


def check_sort(state: ListState) -> dict[str, str] | None:
    if not state.sort:
        return None
    try:
        engine.sort_spec(state.sort, state.view)
    except ValidationFailed as exc:
        return {"message": exc.message, "path": getattr(exc, "path", "sort")}
    return None


def visible_columns(
    actor: User, state: ListState | None, saved: prefs.Prefs | None = None
) -> tuple[dict, list[cols.Column]]:
    """All columns of the company and the ones to show: the state's ``cols``, else the user's
    saved choice (``saved`` when already read), else the defaults."""
    available = cols.columns_for(actor)
    keys: Any = state.cols if state is not None and state.cols else None
    if not keys:
        keys = (saved or prefs.get_prefs(actor)).columns
    return available, cols.visible(keys, available)


def build(actor: User, state: ListState, counted: bool = True) -> Grid:
    """The grid of ``state`` for ``actor`` (``PermissionDenied`` for a view not theirs);
    without its count (None) unless ``counted``."""
    errors: list[dict[str, str]] = []
    node, error = parse_query(actor, state.query)
    if error:
        errors.append(error)
    sort_error = check_sort(state)
    if sort_error:
        errors.append(sort_error)
    sort = "" if sort_error else state.sort
    saved = prefs.get_prefs(actor)
    size = state.size or saved.page_size
    available, shown = visible_columns(actor, state, saved)
    page = service.list_customers(
        actor=actor,
        view=state.view,
        cursor=state.cursor or None,
        limit=size,
        q=state.q,
        query=node,
        sort=sort or None,
        plain=True,
    )
    rows = [GridRow(r._mapping) for r in page.items]
    _fill_related(rows, shown, actor)
    page = Page(rows, page.next, page.prev)
    total = service.count_view(actor, state.view, state.q, query=node) if counted else None
    return Grid(state, available, shown, page, size, total, node, errors)
