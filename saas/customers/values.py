"""Column filters (Excel's autofilter): a column's distinct values with counts, and the
condition a choice of them puts in the list state's query.

``distinct_values`` counts over the list the user sees right now — the view's visibility rule,
the quick search and every other condition of the query (not the column's own filter, so its
other values stay offered) — but reads at most ``COUNT_CAP + 1`` customers of it: at a million
rows a column's values cost one capped index scan plus a GROUP BY of ten thousand rows. Past
the cap the counts are lower bounds (``capped``: the page writes "≥ 12") and a value only
outside the counted rows is not listed (search for it: ``search`` narrows the values first).
Number and date columns answer their ``min``/``max`` instead, for a from/to range.

``with_filter`` is the one way a column filter changes the state: it replaces the column's
condition in the query's top-level "and" (QUERY_SPEC.md: one mechanism, no second filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import distinct, func, select

from saas.auth.models import User
from saas.customers import query as engine
from saas.customers import service
from saas.customers.attributes import CustomerFieldValue, CustomerTag, CustomField
from saas.customers.folding import fold
from saas.customers.grid import field_of, top_level
from saas.customers.models import KIND_LABELS, Customer
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.formatting import country_name

#: Customers counted at most (then counts are lower bounds).
COUNT_CAP = 10_000
#: Values listed at most (the most frequent first).
TOP = 100
#: Types filtered by a range rather than by values.
RANGE_TYPES = ("number", "money", "date", "datetime")
#: The operator a set of picked values becomes, by type.
IN_OPS = {"text": "in", "choice": "in", "user": "in", "tags": "has_any"}


@dataclass
class ValueCount:
    value: Any
    label: str
    count: int


@dataclass
class Values:
    field: str
    label: str
    type: str
    items: list[ValueCount] = field(default_factory=list)
    total_distinct: int = 0
    #: Customers counted (at most ``COUNT_CAP``) and whether the list holds more.
    counted: int = 0
    capped: bool = False
    minimum: Any = None
    maximum: Any = None

    @property
    def is_range(self) -> bool:
        return self.type in RANGE_TYPES


def column_field(actor: User, key: str) -> engine.FieldInfo:
    """The catalog's field of a filterable column, else ``ValidationFailed`` (422, ``field``)."""
    from saas.customers.columns import field_info

    info = field_info(actor, key)
    if info is not None and info.column and not _is_long(info):
        return info
    raise ValidationFailed(_("This column cannot be filtered."), code="field")


def _is_long(info: engine.FieldInfo) -> bool:
    if not info.key.startswith("cf."):
        return False
    return (
        db.session.scalar(select(CustomField.type).where(CustomField.key == info.key[3:]))
        == "long_text"
    )


def without(tree: Any, key: str) -> Any:
    """``tree`` without the column filter of ``key`` in its top-level "and" (None if empty)."""
    items = [i for i in top_level(tree) if field_of(i) != key]
    if not items:
        return None
    return {"and": items}


def with_filter(tree: Any, key: str, condition: dict | None) -> Any:
    """``tree`` with ``key``'s column filter replaced by ``condition`` (None: removed), at the
    end of the top-level "and"."""
    items = [i for i in top_level(tree) if field_of(i) != key]
    if condition is not None:
        items.append(condition)
    return {"and": items} if items else None


def _sample(actor: User, view: str, q: str, node: Any) -> Any:
    return (
        service.view_query(actor, view, q, node)
        .with_only_columns(Customer.id)
        .limit(COUNT_CAP + 1)
        .subquery()
    )


def _value_column(key: str) -> Any:
    """The value expression of a single-valued built-in column."""
    builtin = {
        "number": Customer.number,
        "name": Customer.name,
        "kind": Customer.kind,
        "stage": Customer.stage_id,
        "level": Customer.level_id,
        "industry": Customer.industry_id,
        "source": Customer.source_id,
        "country": Customer.country,
        "city": Customer.city,
        "address": Customer.address,
        "website": Customer.website,
        "contact_frequency_days": Customer.contact_frequency_days,
        "owner": Customer.owner_id,
        "created_by": Customer.created_by_id,
        "created_at": Customer.created_at,
        "updated_at": Customer.updated_at,
        "claimed_at": Customer.claimed_at,
        "returned_at": Customer.returned_at,
        "locked": Customer.locked,
    }
    return builtin[key]


_CF_COLUMN = {
    "text": CustomerFieldValue.value_text,
    "number": CustomerFieldValue.value_number,
    "money": CustomerFieldValue.value_number,
    "date": CustomerFieldValue.value_date,
    "choice": CustomerFieldValue.value_text,
    "multi_choice": CustomerFieldValue.value_text,
    "yes_no": CustomerFieldValue.value_bool,
}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, date):
        return value.isoformat()
    return value


def distinct_values(
    actor: User,
    view: str,
    q: str | None,
    tree: Any,
    key: str,
    search: str | None = None,
) -> Values:
    """The values of column ``key`` over the list ``actor`` sees (see the module docstring);
    ``tree`` is the state's query (its own filter of ``key`` is left out); ``search`` keeps
    values whose label contains it (folded like the query's text).

    A built-in column costs one query: the capped sample of the list's rows with the value,
    grouped by the value (at most 10,001 groups, reduced in Python). A tag or custom-field
    column adds one count of the sample (customers without a
    value have no row to group)."""
    info = column_field(actor, key)
    rest = without(tree, key)
    node = engine.parse(rest, actor) if rest else None
    sample = _sample(actor, view, q or "", node)
    ids = select(sample.c.id)
    out = Values(key, info.label, info.type)
    with_value: int | None = None
    if key.startswith("cf.") or key == "tags":
        if key == "tags":
            base = select(
                CustomerTag.tag_id.label("v"), CustomerTag.customer_id.label("cid")
            ).where(CustomerTag.customer_id.in_(ids))
        else:
            cf = db.session.scalar(select(CustomField).where(CustomField.key == key[3:]))
            assert cf is not None  # column_field found it
            column = _CF_COLUMN[cf.type]
            base = (
                select(column.label("v"), CustomerFieldValue.customer_id.label("cid"))
                .where(CustomerFieldValue.field_id == cf.id)
                .where(CustomerFieldValue.customer_id.in_(ids))
                .where(column.is_not(None))
            )
        counted = db.session.scalar(select(func.count()).select_from(sample)) or 0
        rows = base.subquery()
    else:
        # the capped sample carries the value itself: one pass over the list's rows (joining
        # the ids back to customers made PostgreSQL scan the whole tenant: 390 ms at 1,000,000)
        column = _value_column(key)
        rows = (
            service.view_query(actor, view, q or "", node)
            .with_only_columns(column.label("v"), Customer.id.label("cid"))
            .limit(COUNT_CAP + 1)
            .subquery()
        )
        counted = None
    if info.type in RANGE_TYPES:
        low, high, n = db.session.execute(
            select(func.min(rows.c.v), func.max(rows.c.v), func.count())
        ).one()
        out.minimum, out.maximum = _json(low), _json(high)
        counted = n if counted is None else counted
    else:
        grouped = db.session.execute(
            select(rows.c.v, func.count(distinct(rows.c.cid))).group_by(rows.c.v)
        ).all()
        if counted is None:  # one row per customer: the groups add up to the sample
            counted = sum(n for _v, n in grouped)
        else:
            with_value = (
                db.session.scalar(select(func.count(distinct(rows.c.cid))).select_from(rows)) or 0
            )
        choices = dict(info.choices or [])
        items = [
            ValueCount(_json(v), _label(info, key, v, choices), n)
            for v, n in grouped
            if v is not None and v != ""
        ]
        blanks = (
            counted - with_value
            if with_value is not None
            else sum(n for v, n in grouped if v is None or v == "")
        )
        out.total_distinct = len(items)
        if search:
            folded = fold(" ".join(search.split())) or ""
            items = [i for i in items if folded in (fold(i.label) or "")]
        items.sort(key=lambda i: (-i.count, i.label))
        items = items[:TOP]
        if blanks > 0 and info.type != "bool" and not search:
            items.append(ValueCount(None, _("(empty)"), blanks))
        out.items = items
    out.counted = min(counted, COUNT_CAP)
    out.capped = counted > COUNT_CAP
    return out


def _key(value: Any) -> Any:
    return value


def _label(info: engine.FieldInfo, key: str, value: Any, choices: dict) -> str:
    if info.type == "bool":
        return _("Yes") if value else _("No")
    if key == "kind":
        return str(KIND_LABELS.get(value, value))  # type: ignore[call-overload]
    if key == "country":
        return country_name(value) or str(value)
    if value in choices:
        return str(choices[value])
    if info.type == "user":
        user = db.session.get(User, value)
        return user.name if user else str(value)
    return str(value)


def condition_for(
    info: engine.FieldInfo,
    picked: list[Any],
    low: str | None = None,
    high: str | None = None,
) -> dict | None:
    """The column filter of values ``picked`` (``None`` in it: the empty ones) or of the range
    ``low``…``high`` (either may be empty): a condition, or an "or" of one with ``empty``;
    None when nothing narrows."""
    key = info.key
    if info.type in RANGE_TYPES:
        low, high = (low or "").strip() or None, (high or "").strip() or None
        if low is None and high is None:
            return None
        if info.type in ("date", "datetime"):
            if low and high:
                return {"field": key, "op": "between", "value": [low, high]}
            if low:  # "after" is from the next day: from ``low`` inclusive is after the day before
                return {"field": key, "op": "after", "value": _shift(low, -1)}
            return {"field": key, "op": "before", "value": _shift(high, 1)}
        if low and high:
            return {"field": key, "op": "between", "value": [low, high]}
        return (
            {"field": key, "op": "gte", "value": low}
            if low
            else {
                "field": key,
                "op": "lte",
                "value": high,
            }
        )
    blank = None in picked
    values = [v for v in picked if v is not None]
    if info.type == "bool":
        if len(values) != 1:
            return None
        return {"field": key, "op": "is", "value": bool(values[0])}
    parts: list[dict] = []
    if values:
        parts.append({"field": key, "op": IN_OPS.get(info.type, "in"), "value": values})
    if blank:
        parts.append({"field": key, "op": "empty"})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"or": parts}


def _shift(day: str, days: int) -> str:
    try:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
    except ValueError:
        return day  # the query reports it, with its path


def current_filter(tree: Any, key: str) -> tuple[list[Any], str, str]:
    """What ``key``'s column filter holds now: ``(picked values, from, to)`` for the panel."""
    picked: list[Any] = []
    low = high = ""
    for item in top_level(tree):
        if field_of(item) != key:
            continue
        for cond in item.get("or", [item]) if isinstance(item, dict) else []:
            op, value = cond.get("op"), cond.get("value")
            if op == "empty":
                picked.append(None)
            elif op in ("in", "has_any") and isinstance(value, list):
                picked.extend(value)
            elif op == "is":
                picked.append(value)
            elif op == "between" and isinstance(value, list) and len(value) == 2:
                low, high = str(value[0]), str(value[1])
            elif op == "gte":
                low = str(value)
            elif op == "lte":
                high = str(value)
            elif op == "after":
                low = _shift(str(value), 1)
            elif op == "before":
                high = _shift(str(value), -1)
    return picked, low, high
