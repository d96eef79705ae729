"""The combined-query builder of the Customers grid: rows of field / operator / value in AND/OR
groups (one level of nesting in the UI; the API takes deeper trees), built by htmx round trips.

The server renders the builder from a model (``Builder``) that comes either from the list
state's query (``from_tree``) or from the builder's own form (``from_form``: every row's inputs
are named by its position, ``f.<path>``/``o.<path>``/``v.<path>``/``w.<path>``, the groups'
combinators ``g.<k>``). A button names an action (add a row, add a group, add a row to a group,
remove a row, apply); changing a field or an operator re-renders the builder so the operator
list and the value input fit the field's type (``query.field_catalog``). "Apply" turns the model
into a tree (``to_tree``), validates it with ``query.parse`` and shows the list; an invalid tree
comes back with the message on the row its JSON path names (``row_of``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from babel import Locale
from flask_babel import gettext as _

from saas.customers import query as engine

MAX_ROWS = engine.MAX_CONDITIONS
#: Operators whose value is a list, and those with two values.
LIST_OPS = {"in", "not_in", "has_any", "has_all", "has_none"}


@dataclass
class Row:
    field: str = ""
    op: str = ""
    values: list[str] = dc_field(default_factory=list)
    value2: str = ""
    error: str = ""
    path: str = ""


@dataclass
class GroupItem:
    kind: str = "or"
    rows: list[Row] = dc_field(default_factory=list)
    path: str = ""


@dataclass
class Builder:
    top: str = "and"
    items: list[Row | GroupItem] = dc_field(default_factory=list)
    #: A message for the whole query (a deeper tree the UI cannot show, a bad JSON text).
    error: str = ""

    def renumber(self) -> None:
        for k, item in enumerate(self.items):
            item.path = str(k)
            if isinstance(item, GroupItem):
                for j, row in enumerate(item.rows):
                    row.path = f"{k}.{j}"

    def rows(self) -> list[Row]:
        out: list[Row] = []
        for item in self.items:
            out.extend(item.rows if isinstance(item, GroupItem) else [item])
        return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _row(cond: dict) -> Row:
    op = str(cond.get("op") or "")
    value = cond.get("value")
    row = Row(field=str(cond.get("field") or ""), op=op)
    if op == "between" and isinstance(value, list) and len(value) == 2:
        row.values, row.value2 = [_text(value[0])], _text(value[1])
    elif isinstance(value, list):
        row.values = [_text(v) for v in value]
    elif value is not None:
        row.values = [_text(value)]
    return row


def from_tree(tree: Any) -> Builder:
    """The builder of a query tree (its top group and one level of groups below)."""
    b = Builder()
    if tree is None:
        b.items = [Row()]
        b.renumber()
        return b
    if isinstance(tree, dict) and ("and" in tree or "or" in tree):
        b.top = "and" if "and" in tree else "or"
        items = tree.get(b.top) or []
    else:
        items = [tree]
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and ("and" in item or "or" in item):
            kind = "and" if "and" in item else "or"
            rows = []
            for child in item.get(kind) or []:
                if isinstance(child, dict) and "field" in child:
                    rows.append(_row(child))
                else:
                    b.error = _(
                        "This query has groups inside groups; the builder shows two levels. "
                        "Applying it here drops the deeper ones."
                    )
            b.items.append(GroupItem(kind, rows))
        elif isinstance(item, dict):
            b.items.append(_row(item))
    if not b.items:
        b.items = [Row()]
    b.renumber()
    return b


_PATH = re.compile(r"^\d+(\.\d+)?$")


def from_form(form: Any) -> Builder:
    """The builder of its submitted form (unknown or malformed names are ignored)."""
    b = Builder(top="or" if form.get("top") == "or" else "and")
    groups: dict[str, GroupItem] = {}
    for path in form.getlist("row")[: MAX_ROWS * 2]:
        if not _PATH.match(path):
            continue
        row = Row(
            field=(form.get(f"f.{path}") or "")[:80],
            op=(form.get(f"o.{path}") or "")[:32],
            values=[v[:2000] for v in form.getlist(f"v.{path}")][: engine.MAX_LIST],
            value2=(form.get(f"w.{path}") or "")[:200],
        )
        if "." in path:
            k = path.split(".")[0]
            if k not in groups:
                groups[k] = GroupItem("and" if form.get(f"g.{k}") == "and" else "or")
                b.items.append(groups[k])
            groups[k].rows.append(row)
        else:
            b.items.append(row)
    for path in form.getlist("group")[:MAX_ROWS]:  # a group left without rows stays
        if path.isdigit() and path not in groups:
            groups[path] = GroupItem("and" if form.get(f"g.{path}") == "and" else "or")
            b.items.append(groups[path])
    b.renumber()
    return b


def act(b: Builder, action: str) -> None:
    """Apply a button's action to the builder (add, add_group, add_in:<k>, remove:<path>)."""
    if len(b.rows()) >= MAX_ROWS and action.startswith("add"):
        b.error = _("A query has at most %(n)s conditions.", n=MAX_ROWS)
        return
    if action == "add":
        b.items.append(Row())
    elif action == "add_group":
        b.items.append(GroupItem("or", [Row(), Row()]))
    elif action.startswith("add_in:"):
        k = action.split(":", 1)[1]
        for item in b.items:
            if isinstance(item, GroupItem) and item.path == k:
                item.rows.append(Row())
    elif action.startswith("remove:"):
        path = action.split(":", 1)[1]
        kept: list[Row | GroupItem] = []
        for item in b.items:
            if isinstance(item, GroupItem):
                item.rows = [r for r in item.rows if r.path != path]
                if item.rows and item.path != path:
                    kept.append(item)
            elif item.path != path:
                kept.append(item)
        b.items = kept or [Row()]
    b.renumber()


def fit(b: Builder, catalog: dict[str, engine.FieldInfo]) -> None:
    """Keep every row's operator one its field allows (else the field's first)."""
    for row in b.rows():
        info = catalog.get(row.field)
        if info is None:
            row.field, row.op = "", ""
            continue
        ops = [op for op, _label in info.ops]
        if row.op not in ops:
            row.op = ops[0]


def _value(info: engine.FieldInfo, op: str, raw: str) -> Any:
    raw = raw.strip()
    if info.choices is not None:
        for value, _label in info.choices:
            if str(value) == raw:
                return value
    if info.type == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if op in ("in_last_days", "month_is"):
        return int(raw) if raw.isdigit() else raw
    return raw


def to_tree(b: Builder, catalog: dict[str, engine.FieldInfo]) -> tuple[Any, dict[str, str]]:
    """``(tree, {tree path prefix: row path})``; rows without a field are left out."""
    where: dict[str, str] = {}

    def cond(row: Row, at: str) -> dict | None:
        info = catalog.get(row.field)
        if info is None:
            return None
        where[at] = row.path
        out: dict[str, Any] = {"field": row.field, "op": row.op}
        if row.op in engine.VALUELESS:
            return out
        if row.op in LIST_OPS:
            if info.choices is None:  # typed text: one value a line (or comma-separated)
                parts = [p for v in row.values for p in re.split(r"[\n,]", v)]
                out["value"] = [p.strip() for p in parts if p.strip()]
            else:
                out["value"] = [_value(info, row.op, v) for v in row.values if v.strip()]
        elif row.op == "between":
            first = row.values[0] if row.values else ""
            out["value"] = [_value(info, row.op, first), _value(info, row.op, row.value2)]
        elif row.values and row.values[0].strip():
            out["value"] = _value(info, row.op, row.values[0])
        return out

    items: list[Any] = []
    for item in b.items:
        if isinstance(item, GroupItem):
            children = []
            for row in item.rows:
                at = f"$.{b.top}[{len(items)}].{item.kind}[{len(children)}]"
                c = cond(row, at)
                if c is not None:
                    children.append(c)
            if children:
                where[f"$.{b.top}[{len(items)}]"] = item.rows[0].path
                items.append({item.kind: children})
        else:
            c = cond(item, f"$.{b.top}[{len(items)}]")
            if c is not None:
                items.append(c)
    return ({b.top: items} if items else None), where


def row_of(path: str, where: dict[str, str]) -> str | None:
    """The builder row of an engine error's JSON path (the longest known prefix)."""
    best = None
    for prefix, row in where.items():
        if (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, row)
    return best[1] if best else None


def describe(tree: Any, catalog: dict[str, engine.FieldInfo]) -> list[str]:
    """Each top-level part of a query in words ("City is one of Tirana, Durrës")."""

    def one(cond: Any) -> str:
        if not isinstance(cond, dict):
            return "?"
        if "and" in cond or "or" in cond:
            kind = "and" if "and" in cond else "or"
            joiner = _(" and ") if kind == "and" else _(" or ")
            return "(" + joiner.join(one(c) for c in cond.get(kind) or []) + ")"
        info = catalog.get(cond.get("field"))
        if info is None:
            return str(cond.get("field"))
        ops = dict(info.ops)
        labels = {str(v): str(label) for v, label in (info.choices or [])}
        value = cond.get("value")
        values = value if isinstance(value, list) else ([] if value is None else [value])
        shown = [labels.get(_text(v), _text(v)) or _("(empty)") for v in values]
        sep = _(" to ") if cond.get("op") == "between" else ", "
        text = f"{info.label} {ops.get(cond.get('op'), cond.get('op'))}"
        return f"{text} {sep.join(shown)}" if shown else text

    tree_items = []
    if isinstance(tree, dict) and "and" in tree:
        tree_items = tree["and"] if isinstance(tree["and"], list) else []
    elif tree is not None:
        tree_items = [tree]
    return [one(i) for i in tree_items]


def words(actor: Any, tree: Any) -> list[str]:
    """``describe`` of ``tree`` reading only the fields it names (the query bar of a list: the
    builder itself, with every field's choices, is read when opened)."""
    from saas.customers.columns import field_info

    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("field"), str):
                keys.add(node["field"])
            for kind in ("and", "or"):
                if isinstance(node.get(kind), list):
                    for child in node[kind]:
                        walk(child)

    walk(tree)
    catalog = {k: info for k in sorted(keys) if (info := field_info(actor, k)) is not None}
    return describe(tree, catalog)


def context(actor: Any, b: Builder | None, tree: Any) -> dict[str, Any]:
    """What ``_builder.html`` and the query bar need: the builder (from ``tree`` unless
    given), the catalog's fields that a query may use, and the query in words."""
    from saas.customers.columns import catalog as field_catalog

    fields = field_catalog(actor)
    catalog = {f.key: f for f in fields}
    if b is None:
        b = from_tree(tree)
    fit(b, catalog)
    return {
        "builder": b,
        "catalog": catalog,
        "query_fields": fields,
        "query_words": describe(tree, catalog),
        "list_ops": LIST_OPS,
        "valueless": engine.VALUELESS,
        "months": _months(),
    }


def _months() -> list[tuple[int, str]]:
    from flask_babel import get_locale

    names = (get_locale() or Locale.parse("en")).months["format"]["wide"]
    return [(n, names[n]) for n in range(1, 13)]
