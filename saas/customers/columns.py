"""The Customers grid's columns: a registry of what a list can show.

Each ``Column`` has a ``key`` (the same key the combined query and ``sort`` use, custom fields
as ``cf.<field key>``), a translated ``label``, the ``cell`` kind that says how its cell renders
(``templates/customers/_rows.html`` draws each kind), whether it sorts, and how its header
filter works (``values``: pick from the distinct values, Excel's autofilter; ``range``: from /
to; None: no filter). Built-ins come first, then the company's live custom fields in the
admin's order. Which columns a user sees, and in which order, is the list state's ``cols``
(remembered per user in ``prefs.py``); ``DEFAULT_COLUMNS`` when nothing is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from saas.auth.models import User
from saas.customers.attributes import FieldType

#: What a list shows before its user chooses.
DEFAULT_COLUMNS = ("number", "name", "stage", "city", "owner")


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    #: How the cell renders: number, name, text, entry, tags, user, date, datetime, bool,
    #: country, kind, custom (see ``_rows.html``).
    cell: str
    #: The query type of the column (QUERY_SPEC.md): text, number, money, date, datetime,
    #: choice, tags, bool, user.
    type: str
    sortable: bool = False
    #: ``values`` | ``range`` | None.
    filter: str | None = None
    #: The customer attribute the cell reads (built-ins), or the custom field's id.
    attr: str | None = None
    field_id: int | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ("number", "money")


def _builtin() -> list[Column]:
    return [
        Column("number", _l("No."), "number", "number", True, "range", "number"),
        Column("name", _l("Name"), "name", "text", True, "values", "name"),
        Column("kind", _l("Kind"), "kind", "choice", True, "values", "kind"),
        Column("stage", _l("Stage"), "entry", "choice", True, "values", "stage_entry"),
        Column("level", _l("Level"), "entry", "choice", True, "values", "level"),
        Column("industry", _l("Industry"), "entry", "choice", True, "values", "industry"),
        Column("source", _l("Source"), "entry", "choice", True, "values", "source"),
        Column("tags", _l("Tags"), "tags", "tags", False, "values", "tags"),
        Column("country", _l("Country"), "country", "choice", True, "values", "country"),
        Column("city", _l("City"), "text", "text", True, "values", "city"),
        Column("address", _l("Address"), "text", "text", True, "values", "address"),
        Column("website", _l("Website"), "text", "text", True, "values", "website"),
        Column(
            "contact_frequency_days",
            _l("Contact every (days)"),
            "numberish",
            "number",
            True,
            "range",
            "contact_frequency_days",
        ),
        Column(
            "owner", lazy_pgettext("customer", "Owner"), "user", "user", True, "values", "owner_id"
        ),
        Column("created_by", _l("Created by"), "user", "user", True, "values", "created_by_id"),
        Column("created_at", _l("Created"), "datetime", "datetime", True, "range", "created_at"),
        Column("updated_at", _l("Updated"), "datetime", "datetime", True, "range", "updated_at"),
        Column("claimed_at", _l("Claimed"), "datetime", "datetime", True, "range", "claimed_at"),
        Column(
            "returned_at",
            _l("Returned to the pool"),
            "datetime",
            "datetime",
            True,
            "range",
            "returned_at",
        ),
        Column("locked", _l("Locked"), "bool", "bool", True, "values", "locked"),
    ]


#: Custom field type → (query type, filter kind).
_CUSTOM = {
    FieldType.TEXT: ("text", "values"),
    FieldType.LONG_TEXT: ("text", None),
    FieldType.NUMBER: ("number", "range"),
    FieldType.MONEY: ("money", "range"),
    FieldType.DATE: ("date", "range"),
    FieldType.CHOICE: ("choice", "values"),
    FieldType.MULTI_CHOICE: ("tags", "values"),
    FieldType.YES_NO: ("bool", "values"),
}


def catalog(actor: User) -> list[Any]:
    """``query.field_catalog(actor)``, computed once per request (it reads every list's
    entries, the users and the countries for the choices)."""
    from flask import g, has_app_context

    from saas.customers import query as engine

    if not has_app_context():
        return engine.field_catalog(actor)
    cache = g.setdefault("_field_catalog", {})
    if actor.id not in cache:
        cache[actor.id] = engine.field_catalog(actor)
    return cache[actor.id]


def field_info(actor: User, key: str) -> Any:
    """One field of the catalog, its choices computed for it alone (the whole catalog reads
    every list, the users and the countries), or None."""
    from saas.customers import query as engine

    fields = getattr(engine, "_fields", None)
    if fields is None:  # the engine's internals changed: the whole catalog
        return next((f for f in catalog(actor) if f.key == key), None)
    f = fields().get(key)
    if f is None:
        return None
    return engine.FieldInfo(
        key=f.key,
        label=str(f.label),
        type=f.type,
        ops=[(op, str(engine.OP_LABELS[op])) for op in f.ops],
        choices=f.choices() if f.choices is not None else None,
        sortable=f.sortable,
        column=f.column,
    )


def _sortable_keys(actor: User) -> set[str]:
    """Keys the query engine sorts by (its field catalog)."""
    from saas.customers import query as engine

    return engine.sortable_keys(actor)


def columns_for(actor: User) -> dict[str, Column]:
    """Every column ``actor``'s company offers, in the chooser's order (built-ins, then the
    live custom fields in the admin's order)."""
    from dataclasses import replace

    from saas.customers import fields

    out = {c.key: c for c in _builtin()}
    for field in fields.fields():
        qtype, filt = _CUSTOM.get(FieldType(field.type), ("text", None))
        sortable = field.type not in (FieldType.LONG_TEXT, FieldType.MULTI_CHOICE)
        key = f"cf.{field.key}"
        out[key] = Column(key, field.label, "custom", qtype, sortable, filt, None, field.id)
    sortable_keys = _sortable_keys(actor)
    out = {k: replace(c, sortable=k in sortable_keys) for k, c in out.items()}
    return out


def visible(keys: list[str] | tuple[str, ...] | None, available: dict[str, Column]) -> list[Column]:
    """The columns of ``keys`` that exist, in order, each once; the defaults when none is left."""
    seen: list[Column] = []
    for key in keys or ():
        column = available.get(key)
        if column is not None and column not in seen:
            seen.append(column)
    if not seen:
        seen = [available[k] for k in DEFAULT_COLUMNS if k in available]
    return seen
