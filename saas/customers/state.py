"""The list state of the Customers page, and its URL.

One state narrows and shapes the list (docs/QUERY_SPEC, docs/ARCHITECTURE.md "The Customers
grid"): ``view`` (visibility, always applied), ``q`` (quick search), ``query`` (the combined
query's tree; column filters are conditions in its top-level "and"), ``sort``, ``cols`` and
``size`` (what the grid shows), ``cursor`` (the keyset page). The URL holds all of it —
``/customers?view=all&q=…&query=<compact JSON>&sort=-number&cols=number,name&size=50&cursor=…`` —
so a bookmark, a shared link, the back button and a reload give the same list.

``ListState.args()`` is the one writer of those parameters and ``from_args`` the one reader:
``from_args(s.args()) == s`` for every state (tests/test_customer_grid.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from flask import url_for

from saas.customers.prefs import PAGE_SIZES

#: Longest ``query`` parameter read from a URL (a 40-condition tree fits easily).
QUERY_MAX = 8000


def compact(tree: Any) -> str:
    """A query tree as the URL carries it: compact JSON, keys in a stable order."""
    return json.dumps(tree, separators=(",", ":"), ensure_ascii=False, sort_keys=False)


@dataclass(frozen=True)
class ListState:
    view: str
    q: str = ""
    #: The combined query as JSON text (``compact``), or "" for none.
    query: str = ""
    sort: str = ""
    cols: tuple[str, ...] = field(default_factory=tuple)
    size: int | None = None
    cursor: str = ""

    def args(self, **changes: Any) -> dict[str, str]:
        """URL parameters of this state (``changes`` applied), defaults left out. Any change
        but ``cursor`` starts from the first page."""
        state = replace(self, **changes) if changes else self
        if changes and "cursor" not in changes:
            state = replace(state, cursor="")
        out: dict[str, str] = {"view": state.view}
        if state.q:
            out["q"] = state.q
        if state.query:
            out["query"] = state.query
        if state.sort:
            out["sort"] = state.sort
        if state.cols:
            out["cols"] = ",".join(state.cols)
        if state.size:
            out["size"] = str(state.size)
        if state.cursor:
            out["cursor"] = state.cursor
        return out

    def url(self, **changes: Any) -> str:
        return url_for("customers.index", **self.args(**changes))

    @property
    def tree(self) -> Any:
        """The query tree (parsed JSON, not validated), or None."""
        if not self.query:
            return None
        try:
            return json.loads(self.query)
        except ValueError:
            return None

    @classmethod
    def from_args(cls, args: Any, default_view: str) -> ListState:
        """The state of a request's parameters (``request.args`` or a dict); nothing here is
        validated against the user's rights — the list does that."""
        get = args.get
        size_text = (get("size") or "").strip()
        size = int(size_text) if size_text.isdigit() and int(size_text) in PAGE_SIZES else None
        cols = tuple(c.strip() for c in (get("cols") or "").split(",") if c.strip())[:40]
        query = (get("query") or "").strip()
        if query:
            try:  # normalise to the compact form, so one state has one URL
                query = compact(json.loads(query[:QUERY_MAX]))
            except ValueError:
                query = query[:QUERY_MAX]
        if query in ("{}", "null", '{"and":[]}'):
            query = ""
        return cls(
            view=(get("view") or default_view).strip()[:32],
            q=(get("q") or "").strip()[:200],
            query=query,
            sort=(get("sort") or "").strip()[:80],
            cols=tuple(c[:80] for c in cols),
            size=size,
            cursor=(get("cursor") or "").strip()[:500],
        )
