"""One keyset pager for every long list (audit log, Outbox, next: customers).

Rows are ordered by ``(sort key, id)`` — the id breaks ties, so the order is total and stable
while rows are added. A page is fetched with ``WHERE (key, id) < (last key, last id)`` instead
of ``OFFSET``: as fast on page 1,000 as on page 1, and no row is skipped or shown twice when
new rows arrive between clicks. Cursors are opaque signed strings (they carry the boundary row's
key and id and the direction), so a URL cannot be edited into an arbitrary query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, Select, and_, literal, or_
from sqlalchemy.orm import InstrumentedAttribute

from saas.extensions import db

T = TypeVar("T")
PAGE = 50


@dataclass
class Page(Generic[T]):
    """One page of rows, and the cursors to the pages beside it (None at either end)."""

    items: list[T]
    next: str | None
    prev: str | None


def _serializer(name: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"pager:{name}")


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "dec" in value:
        try:
            return Decimal(value["dec"])
        except (InvalidOperation, TypeError):
            return None
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and "d" in value:
        return date.fromisoformat(value["d"])
    return value


def make_cursor(name: str, key: Any, row_id: int, direction: str) -> str:
    """The cursor of the page after (``"next"``) or before (``"prev"``) the row ``(key, id)``."""
    return _serializer(name).dumps([_encode(key), row_id, direction])


def read_cursor(name: str, cursor: str | None) -> tuple[Any, int, str] | None:
    """``(key, id, direction)`` of a valid cursor; None for none, a forged or a foreign one."""
    if not cursor:
        return None
    try:
        key, row_id, direction = _serializer(name).loads(cursor)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(row_id, int) or direction not in ("next", "prev"):
        return None
    return _decode(key), row_id, direction


def paginate(
    query: Select,
    *,
    name: str,
    key: InstrumentedAttribute,
    id_col: InstrumentedAttribute,
    cursor: str | None = None,
    limit: int = PAGE,
    newest_first: bool = True,
    unique_key: bool = False,
    plain: bool = False,
) -> Page:
    """A page of ``query`` (a ``select(Model)`` with its filters, unordered) at ``cursor``;
    ``plain``: ``query`` selects columns and the page holds its rows (no ORM objects).

    ``name`` namespaces the cursors (a cursor of one list is not valid in another); ``key`` is
    the sort column (not NULL), ``id_col`` the tie-breaker. A bad cursor gives the first page.
    ``unique_key`` (or ``key`` being ``id_col``): the key alone orders the rows, so the boundary
    is a plain ``key < k`` that an index range scan can use (no ``OR`` branch for ties).
    """
    single = unique_key or key is id_col
    at = read_cursor(name, cursor)
    backwards = at is not None and at[2] == "prev"
    # walking backwards reads the rows on the other side of the boundary, in reverse order
    descending = newest_first != backwards
    q = query
    if at is not None:
        k, i = at[0], at[1]
        if single:
            q = q.where(key < k if descending else key > k)
        elif descending:
            q = q.where(or_(key < k, and_(key == k, id_col < i)))
        else:
            q = q.where(or_(key > k, and_(key == k, id_col > i)))
    order = (key.desc(), id_col.desc()) if descending else (key.asc(), id_col.asc())
    if single:
        order = order[:1]
    result = db.session.execute(q.order_by(*order).limit(limit + 1))
    rows = list(result.all() if plain else result.scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    key_name, id_name = key.key, id_col.key

    def cur(row: Any, direction: str) -> str:
        return make_cursor(name, getattr(row, key_name), getattr(row, id_name), direction)

    has_next = more if not backwards else True
    has_prev = (at is not None) if not backwards else more
    return Page(
        rows,
        cur(rows[-1], "next") if has_next else None,
        cur(rows[0], "prev") if has_prev else None,
    )


def _after(
    key: Any, id_col: Any, k: Any, i: int, descending: bool, nullable: bool
) -> ColumnElement[bool]:
    """Rows after the boundary ``(k, i)`` in the order of ``paginate_sorted``."""
    beyond = (lambda a, b: a < b) if descending else (lambda a, b: a > b)
    if k is None:  # NULL keys come last, by id
        return and_(key.is_(None), beyond(id_col, i))
    k = literal(k, key.type)  # a bound value even for True/False
    after = or_(beyond(key, k), and_(key == k, beyond(id_col, i)))
    return or_(key.is_(None), after) if nullable else after


def _before(
    key: Any, id_col: Any, k: Any, i: int, descending: bool, nullable: bool
) -> ColumnElement[bool]:
    """Rows before the boundary ``(k, i)`` in the order of ``paginate_sorted``."""
    ahead = (lambda a, b: a > b) if descending else (lambda a, b: a < b)
    if k is None:
        return or_(key.is_not(None), and_(key.is_(None), ahead(id_col, i)))
    k = literal(k, key.type)
    return or_(ahead(key, k), and_(key == k, ahead(id_col, i)))


def paginate_sorted(
    query: Select,
    *,
    name: str,
    key: Any,
    id_col: InstrumentedAttribute,
    cursor: str | None = None,
    limit: int = PAGE,
    descending: bool = False,
    nullable: bool = True,
    plain: bool = False,
) -> Page:
    """A page of ``query`` ordered by any sort expression ``key`` (a column, a scalar
    subquery), then ``id_col``: ascending or ``descending``, NULL keys last either way (like a
    spreadsheet's blanks), ties broken by id in the key's direction — a total order, so every
    row is on exactly one page. The key is selected beside the row to build the cursors;
    ``name`` must name the sort too (a cursor of one order is foreign to another).
    ``plain``: ``query`` selects columns, and the page holds its rows (``_page_key`` added).
    """
    at = read_cursor(name, cursor)
    backwards = at is not None and at[2] == "prev"
    q = query.add_columns(key.label("_page_key"))
    if at is not None:
        edge = _before if backwards else _after
        q = q.where(edge(key, id_col, at[0], at[1], descending, nullable))
    ascending = descending == backwards  # the key's direction in the rows fetched
    order = key.asc() if ascending else key.desc()
    if nullable:  # NULLs last in the list's order (first when walking it backwards)
        order = order.nulls_first() if backwards else order.nulls_last()
    ids = id_col.asc() if ascending else id_col.desc()
    rows = list(db.session.execute(q.order_by(order, ids).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    id_name = id_col.key

    def cur(row: Any, direction: str) -> str:
        if plain:
            return make_cursor(name, row._page_key, getattr(row, id_name), direction)
        return make_cursor(name, row[1], getattr(row[0], id_name), direction)

    has_next = more if not backwards else True
    has_prev = (at is not None) if not backwards else more
    return Page(
        rows if plain else [r[0] for r in rows],
        cur(rows[-1], "next") if has_next else None,
        cur(rows[0], "prev") if has_prev else None,
    )
