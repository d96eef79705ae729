"""The combined query of the customer list: a JSON tree of conditions in AND/OR groups.

    condition: {"field": "city", "op": "contains", "value": "Tirana"}  (no value for the
               value-less ops: empty, not_empty, this_month, me, my_team)
    group:     {"and": [node, ...]} | {"or": [node, ...]}

``parse(tree, actor)`` validates and normalises a tree (``QueryInvalid``: 422 with the JSON
path of the bad node, e.g. ``$.and[1].or[0].op``); ``where(node, actor)`` is its SQL condition
over ``Customer``; ``dump(node)`` gives the JSON back (``parse(dump(n)) == n``);
``field_catalog(actor)`` describes the fields for the builder UI and the column filters;
``sort_spec(sort, view)`` validates a sort (``"city"``, ``"-created_at"``).

A query only narrows: ``service.view_query`` ANDs it after the list's visibility rule.

Semantics (docs/ARCHITECTURE.md "Combined query"): a negative operator (is_not, not_contains,
ne, not_in, has_none) is the exact complement of its positive one, so it matches empty values
too; comparisons (lt, before, between …) never match an empty value. A related fact with many
values (a customer's contacts, phones, tags, multi-choice options) matches when ANY of them
does (an ``EXISTS``). Text compares folded (``folding.fold``): NFKC, lower case, Arabic and
Persian letters and digits unified; phones by their E.164 digits, emails by ``email_key``.
Dates of datetime fields are days in the actor's time zone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    extract,
    false,
    not_,
    or_,
    select,
    true,
)

from saas.auth.models import User
from saas.errors import ValidationFailed
from saas.extensions import db

# --- the tree ----------------------------------------------------------------------------------

MAX_DEPTH = 4
MAX_CONDITIONS = 40
MAX_STRING = 200
MAX_LIST = 100
#: Longest ``query`` string the API and the URL accept (characters of JSON).
MAX_JSON = 20_000
#: Bounds of numbers compared (16 integer digits, like custom fields' NUMERIC(20, 4)).
MAX_NUMBER = Decimal(10) ** 16
MAX_DAYS = 36_500
#: Dates a query may name (a day's bounds must stay representable in every zone).
MIN_YEAR, MAX_YEAR = 1000, 9998
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    #: Normalised: str, int, Decimal, date, bool, a tuple of them (in/between/has_*), or None.
    value: Any = None


@dataclass(frozen=True)
class Group:
    kind: Literal["and", "or"]
    children: tuple[Node, ...] = ()


Node = Condition | Group


class QueryInvalid(ValidationFailed):
    """A query tree (or sort) that cannot be run: 422 naming the bad node's JSON path."""

    code = "invalid_query"

    def __init__(self, message: str, *, path: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.path = path

    def details(self) -> dict[str, Any]:
        return {"path": self.path}


# --- types and operators -----------------------------------------------------------------------

OP_LABELS: dict[str, Any] = {
    "contains": _l("contains"),
    "not_contains": _l("does not contain"),
    "is": _l("is"),
    "is_not": _l("is not"),
    "starts_with": _l("starts with"),
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "empty": _l("is empty"),
    "not_empty": _l("is not empty"),
    "eq": _l("="),
    "ne": _l("≠"),
    "lt": _l("<"),
    "lte": _l("≤"),
    "gt": _l(">"),
    "gte": _l("≥"),
    "between": _l("between"),
    "on": _l("on"),
    "before": _l("before"),
    "after": _l("after"),
    "in_last_days": _l("in the last N days"),
    "month_is": _l("in the month"),
    "this_month": _l("this month"),
    "has_any": _l("has any of"),
    "has_all": _l("has all of"),
    "has_none": _l("has none of"),
    "me": _l("is me"),
    "my_team": _l("is in my team"),
}

TYPE_OPS: dict[str, tuple[str, ...]] = {
    "text": (
        "contains",
        "not_contains",
        "is",
        "is_not",
        "starts_with",
        "in",
        "empty",
        "not_empty",
    ),
    "number": ("eq", "ne", "lt", "lte", "gt", "gte", "between", "empty", "not_empty"),
    "date": ("on", "before", "after", "between", "in_last_days", "empty", "not_empty"),
    "choice": ("is", "is_not", "in", "not_in", "empty", "not_empty"),
    "tags": ("has_any", "has_all", "has_none", "empty", "not_empty"),
    "bool": ("is",),
    "user": ("is", "is_not", "in", "empty", "not_empty", "me", "my_team"),
}
TYPE_OPS["money"] = TYPE_OPS["number"]
TYPE_OPS["datetime"] = TYPE_OPS["date"]

VALUELESS = {"empty", "not_empty", "this_month", "me", "my_team"}
NEGATIVE = {"not_contains": "contains", "is_not": "is", "ne": "eq", "not_in": "in"}


@dataclass(frozen=True)
class FieldInfo:
    """A field of the query as the builder UI and the column filters see it."""

    key: str
    label: str
    type: str
    ops: list[tuple[str, str]]
    choices: list[tuple[Any, str]] | None
    sortable: bool
    column: bool


@dataclass(frozen=True)
class SortSpec:
    """A validated sort: ``field`` ascending, or descending; ``str()`` gives ``"-field"``."""

    field: str
    descending: bool

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field


# --- fields ------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """What ``where`` needs beyond the tree: who asks, when, in which zone."""

    actor: User
    now: datetime
    zone: ZoneInfo
    _team: set[int] | None = None

    def team(self) -> list[int]:
        if self._team is None:
            from saas.customers.service import subordinate_ids

            self._team = subordinate_ids(self.actor) | {self.actor.id}
        return sorted(self._team)

    def start_of(self, day: date) -> datetime:
        """The first UTC instant (naive) of ``day`` in the actor's zone."""
        local = datetime.combine(day, time(0), tzinfo=self.zone)
        return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    def today(self) -> date:
        return self.now.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.zone).date()


class _Target:
    """Where a field's values are: ``has(pred)`` is "some value of the customer satisfies
    ``pred``" — false (never NULL) when there is none, so ``NOT has(...)`` is its complement."""

    def has(self, pred: Callable[[Any], ColumnElement[bool]] | None = None) -> ColumnElement[bool]:
        raise NotImplementedError


@dataclass
class _Column(_Target):
    """A column of ``customers`` (one value)."""

    column: Any
    nullable: bool = True

    def has(self, pred: Callable[[Any], ColumnElement[bool]] | None = None) -> ColumnElement[bool]:
        parts = []
        if self.nullable:
            parts.append(self.column.is_not(None))
        if pred is not None:
            parts.append(pred(self.column))
        return and_(true(), *parts) if parts else true()


@dataclass
class _Related(_Target):
    """A column of rows linked to the customer (``EXISTS``): contacts, phones, tags …"""

    column: Any
    link: Callable[[], list[ColumnElement[bool]]]

    def has(self, pred: Callable[[Any], ColumnElement[bool]] | None = None) -> ColumnElement[bool]:
        conds = [*self.link(), self.column.is_not(None)]
        if pred is not None:
            conds.append(pred(self.column))
        return exists(select(1).where(*conds))


@dataclass
class _Field:
    key: str
    label: Any
    type: str
    target: Callable[[], _Target]
    ops: tuple[str, ...] = ()
    sortable: bool = False
    column: bool = True
    #: (value, label) pairs offered (choice, tags, user), computed when asked.
    choices: Callable[[], list[tuple[Any, str]]] | None = None
    #: One choice value → its canonical form, ``ValueError`` when it is not one.
    resolve: Callable[[Any], Any] | None = None
    #: Text: the SQL key of a column and the Python key of a typed value (None: not a value).
    text_sql: Callable[[Any], Any] | None = None
    text_value: Callable[[str], str | None] | None = None
    #: The sort key (SQL expression) and whether it may be NULL.
    sort_key: Callable[[], Any] | None = None
    sort_nullable: bool = True

    def __post_init__(self) -> None:
        if not self.ops:
            self.ops = TYPE_OPS[self.type]


def _entries_choices(kind: str) -> Callable[[], list[tuple[Any, str]]]:
    def choices() -> list[tuple[Any, str]]:
        from saas.customers import lists

        return [(e.id, e.name) for e in lists.entries(kind, archived=False)]

    return choices


def _entries_resolver(kind: str) -> Callable[[Any], Any]:
    cache: dict[str, Any] = {}

    def resolve(value: Any) -> int:
        from saas.customers import lists

        if "entries" not in cache:
            found = lists.entries(kind, archived=True)
            cache["ids"] = {e.id for e in found}
            cache["entries"] = {e.name.casefold(): e.id for e in found}
        if type(value) is int and value in cache["ids"]:
            return value
        if isinstance(value, str):
            if value.strip().casefold() in cache["entries"]:
                return cache["entries"][value.strip().casefold()]
            if value.strip().isdigit() and int(value.strip()) in cache["ids"]:
                return int(value.strip())
        raise ValueError

    return resolve


def _entry_position(column: Any) -> Callable[[], Any]:
    def key() -> Any:
        from saas.customers.attributes import ListEntry

        return (
            select(ListEntry.position)
            .where(ListEntry.id == column)
            .correlate_except(ListEntry)
            .scalar_subquery()
        )

    return key


def _user_name(column: Any) -> Callable[[], Any]:
    def key() -> Any:
        return select(User.name).where(User.id == column).correlate_except(User).scalar_subquery()

    return key


def _users() -> list[tuple[Any, str]]:
    users = db.session.execute(select(User.id, User.name, User.is_active).order_by(User.name))
    return [
        (uid, name if active else _("%(name)s (inactive)", name=name))
        for uid, name, active in users
    ]


def _user_resolver() -> Callable[[Any], Any]:
    cache: dict[int, bool] = {}

    def resolve(value: Any) -> int:
        if type(value) is not int or not 0 < value <= MAX_ID:
            raise ValueError
        if value not in cache:
            cache[value] = db.session.get(User, value) is not None
        if not cache[value]:
            raise ValueError
        return value

    return resolve


def _enum_choices(labels_name: str) -> Callable[[], list[tuple[Any, str]]]:
    """The choices of an enum field from its labels in ``customers.models`` (read when asked:
    the labels are lazy strings of the reader's language)."""

    def choices() -> list[tuple[Any, str]]:
        from saas.customers import models

        return [(k.value, str(label)) for k, label in getattr(models, labels_name).items()]

    return choices


def _enum_resolve(enum_name: str) -> Callable[[Any], str]:
    """A value of the enum ``customers.models.<enum_name>`` (any case), else ``ValueError``."""

    def resolve(value: Any) -> str:
        from saas.customers import models

        allowed = {k.value for k in getattr(models, enum_name)}
        if isinstance(value, str) and value.strip().lower() in allowed:
            return value.strip().lower()
        raise ValueError

    return resolve


def _country_choices() -> list[tuple[Any, str]]:
    from flask_babel import get_locale

    from saas.settings.service import countries

    return list(countries(str(get_locale() or "en")))


def _country_resolve(value: Any) -> str:
    from babel import Locale

    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) == 2 and code.isalpha() and code in Locale("en").territories:
        return code
    raise ValueError


def _builtin_fields() -> list[_Field]:
    from saas.contacts.models import Contact, ContactEmail, ContactPhone
    from saas.customers.attributes import CustomerTag, ListKind
    from saas.customers.folding import sql_fold
    from saas.customers.models import Customer

    def col(c: Any, nullable: bool = True) -> Callable[[], _Target]:
        return lambda: _Column(c, nullable)

    def text_field(key: str, label: Any, c: Any, **kw: Any) -> _Field:
        return _Field(
            key,
            label,
            "text",
            col(c),
            text_sql=sql_fold,
            text_value=_fold_value,
            sort_key=lambda: c,
            **kw,
        )

    def entry(key: str, label: Any, kind: str, c: Any) -> _Field:
        return _Field(
            key,
            label,
            "choice",
            col(c),
            choices=_entries_choices(kind),
            resolve=_entries_resolver(kind),
            sortable=True,
            sort_key=_entry_position(c),
        )

    def when(key: str, label: Any, c: Any, nullable: bool = True) -> _Field:
        return _Field(
            key,
            label,
            "datetime",
            col(c, nullable),
            sortable=True,
            sort_key=lambda: c,
            sort_nullable=nullable,
        )

    def contacts_of(column: Any) -> Callable[[], _Target]:
        return lambda: _Related(column, lambda: [Contact.customer_id == Customer.id])

    return [
        _Field(
            "number",
            _l("No."),
            "number",
            col(Customer.number, False),
            sortable=True,
            sort_key=lambda: Customer.number,
            sort_nullable=False,
        ),
        text_field("name", _l("Name"), Customer.name, sortable=True, sort_nullable=False),
        _Field(
            "kind",
            _l("Kind"),
            "choice",
            col(Customer.kind, False),
            choices=_enum_choices("KIND_LABELS"),
            resolve=_enum_resolve("CustomerKind"),
            sortable=True,
            sort_key=lambda: Customer.kind,
            sort_nullable=False,
        ),
        entry("stage", _l("Stage"), ListKind.STAGE, Customer.stage_id),
        # the stage's category (potential / active / ended): the same words in every company
        _Field(
            "stage_category",
            _l("Stage category"),
            "choice",
            col(Customer.stage, False),
            choices=_enum_choices("STAGE_LABELS"),
            resolve=_enum_resolve("CustomerStage"),
            column=False,
        ),
        entry("level", _l("Level"), ListKind.LEVEL, Customer.level_id),
        entry("industry", _l("Industry"), ListKind.INDUSTRY, Customer.industry_id),
        entry("source", _l("Source"), ListKind.SOURCE, Customer.source_id),
        _Field(
            "tags",
            _l("Tags"),
            "tags",
            lambda: _Related(CustomerTag.tag_id, lambda: [CustomerTag.customer_id == Customer.id]),
            choices=_entries_choices(ListKind.TAG),
            resolve=_entries_resolver(ListKind.TAG),
        ),
        _Field(
            "country",
            _l("Country"),
            "choice",
            col(Customer.country),
            choices=_country_choices,
            resolve=_country_resolve,
            sortable=True,
            sort_key=lambda: Customer.country,
        ),
        text_field("city", _l("City"), Customer.city, sortable=True),
        text_field("address", _l("Address"), Customer.address, sortable=True),
        text_field("website", _l("Website"), Customer.website, sortable=True),
        text_field("comments", _l("Comments"), Customer.comments, column=False),
        _Field(
            "contact_frequency_days",
            _l("Contact every N days"),
            "number",
            col(Customer.contact_frequency_days),
            sortable=True,
            sort_key=lambda: Customer.contact_frequency_days,
        ),
        _Field(
            "owner",
            lazy_pgettext("customer", "Owner"),
            "user",
            col(Customer.owner_id),
            choices=_users,
            resolve=_user_resolver(),
            sortable=True,
            sort_key=_user_name(Customer.owner_id),
        ),
        _Field(
            "created_by",
            _l("Created by"),
            "user",
            col(Customer.created_by_id),
            choices=_users,
            resolve=_user_resolver(),
            sortable=True,
            sort_key=_user_name(Customer.created_by_id),
        ),
        when("created_at", _l("Created"), Customer.created_at, nullable=False),
        when("updated_at", _l("Updated"), Customer.updated_at, nullable=False),
        when("claimed_at", _l("Claimed"), Customer.claimed_at),
        when("returned_at", _l("Returned to the pool"), Customer.returned_at),
        _Field(
            "locked",
            _l("Locked"),
            "bool",
            col(Customer.locked, False),
            sortable=True,
            sort_key=lambda: Customer.locked,
            sort_nullable=False,
        ),
        # --- related facts
        _Field("has_contact", _l("Has a contact"), "bool", contacts_of(Contact.id), column=False),
        _Field(
            "contact_name",
            _l("Contact's name"),
            "text",
            contacts_of(Contact.name),
            text_sql=sql_fold,
            text_value=_fold_value,
            column=False,
        ),
        _Field(
            "contact_phone",
            _l("Contact's phone"),
            "text",
            lambda: _Related(ContactPhone.e164, lambda: [ContactPhone.customer_id == Customer.id]),
            ops=("contains", "not_contains", "is", "is_not", "in", "empty", "not_empty"),
            text_sql=lambda c: c,
            text_value=_phone_value,
            column=False,
        ),
        _Field(
            "contact_email",
            _l("Contact's email"),
            "text",
            lambda: _Related(
                ContactEmail.email_key, lambda: [ContactEmail.customer_id == Customer.id]
            ),
            text_sql=lambda c: c,
            text_value=_email_value,
            column=False,
        ),
        _Field(
            "contact_birthday",
            _l("Contact's birthday"),
            "date",
            contacts_of(Contact.birthday),
            ops=(
                *("on", "before", "after", "between"),
                *("month_is", "this_month", "empty", "not_empty"),
            ),
            column=False,
        ),
        _Field(
            "has_attachment",
            _l("Has a file"),
            "bool",
            _attachments,
            column=False,
        ),
    ]


def _attachments() -> _Target:
    from saas.attachments.models import CustomerAttachment
    from saas.customers.models import Customer

    return _Related(
        CustomerAttachment.id,
        lambda: [
            CustomerAttachment.customer_id == Customer.id,
            CustomerAttachment.deleted_at.is_(None),
        ],
    )


def _fold_value(value: str) -> str | None:
    from saas.customers.folding import fold

    return fold(value) or None


def _phone_value(value: str) -> str | None:
    """A phone query's digits (any script), leading zeros (trunk/00 prefixes) dropped: what an
    E.164 number contains. ``is``/``in`` compare "+" and those digits with the whole E.164."""
    from saas.contacts.normalize import ascii_digits

    digits = "".join(ch for ch in ascii_digits(value) if ch.isascii() and ch.isdigit())
    return digits.lstrip("0") or None


def _email_value(value: str) -> str | None:
    from saas.contacts.normalize import email_key

    return email_key(value) or None


_CF_TYPES = {
    "text": ("text", "value_text"),
    "long_text": ("text", "value_long"),
    "number": ("number", "value_number"),
    "money": ("money", "value_number"),
    "date": ("date", "value_date"),
    "choice": ("choice", "value_text"),
    "multi_choice": ("tags", "value_text"),
    "yes_no": ("bool", "value_bool"),
}


def _custom_fields() -> list[_Field]:
    from saas.customers import fields as custom
    from saas.customers.attributes import CustomerFieldValue
    from saas.customers.folding import sql_fold
    from saas.customers.models import Customer

    out = []
    for cf in custom.fields():
        qtype, colname = _CF_TYPES[cf.type]
        column = getattr(CustomerFieldValue, colname)
        fid = cf.id

        def target(column: Any = column, fid: int = fid) -> _Target:
            return _Related(
                column,
                lambda: [
                    CustomerFieldValue.customer_id == Customer.id,
                    CustomerFieldValue.field_id == fid,
                ],
            )

        def sort_key(column: Any = column, fid: int = fid) -> Any:
            return (
                select(column)
                .where(CustomerFieldValue.customer_id == Customer.id)
                .where(CustomerFieldValue.field_id == fid)
                .correlate_except(CustomerFieldValue)
                .limit(1)
                .scalar_subquery()
            )

        kw: dict[str, Any] = {}
        if qtype == "text":
            kw = {"text_sql": sql_fold, "text_value": _fold_value}
        if qtype in ("choice", "tags"):
            options = list(cf.choices or [])
            kw["choices"] = lambda options=options: [(o, o) for o in options]
            kw["resolve"] = _option_resolver(options)
        if qtype == "bool":
            kw["ops"] = ("is", "empty", "not_empty")
        out.append(
            _Field(
                f"cf.{cf.key}",
                cf.label,
                qtype,
                target,
                sortable=cf.type not in ("multi_choice", "long_text"),
                sort_key=sort_key,
                **kw,
            )
        )
    return out


def _option_resolver(options: list[str]) -> Callable[[Any], Any]:
    folded = {o.casefold(): o for o in options}

    def resolve(value: Any) -> str:
        if isinstance(value, str) and value.strip().casefold() in folded:
            return folded[value.strip().casefold()]
        raise ValueError

    return resolve


#: The keys of the built-in fields and related facts, in the catalog's order.
BUILTIN_KEYS = (
    *(
        "number",
        "name",
        "kind",
        "stage",
        "stage_category",
        "level",
        "industry",
        "source",
        "tags",
        "country",
    ),
    *("city", "address", "website", "comments", "contact_frequency_days", "owner"),
    *("created_by", "created_at", "updated_at", "claimed_at", "returned_at", "locked"),
    *("has_contact", "contact_name", "contact_phone", "contact_email", "contact_birthday"),
    "has_attachment",
)


def _fields() -> dict[str, _Field]:
    """Every field of the current tenant's query: built-ins, related facts, custom fields."""
    return {f.key: f for f in (*_builtin_fields(), *_custom_fields())}


def sortable_keys(actor: User) -> set[str]:
    """Keys of the fields a list may be sorted by: ``field_catalog``'s, without reading every
    field's choices (the list draws its column headers with it on each request)."""
    return {f.key for f in _fields().values() if f.sortable}


def field_catalog(actor: User) -> list[FieldInfo]:
    """The fields a query (and a column filter) may use, with their operators and choices."""
    out = []
    for f in _fields().values():
        out.append(
            FieldInfo(
                key=f.key,
                label=str(f.label),
                type=f.type,
                ops=[(op, str(OP_LABELS[op])) for op in f.ops],
                choices=f.choices() if f.choices is not None else None,
                sortable=f.sortable,
                column=f.column,
            )
        )
    return out


# --- parse -------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.fields = _fields()
        self.conditions = 0

    def node(self, tree: Any, path: str, depth: int) -> Node:
        if not isinstance(tree, dict):
            raise QueryInvalid(
                _("Each part of a query must be a condition or an AND/OR group."),
                path=path,
                code="bad_node",
            )
        groups = [k for k in ("and", "or") if k in tree]
        if groups:
            kind = groups[0]
            if len(tree) != 1:
                raise QueryInvalid(
                    _("A group holds only its list of conditions."), path=path, code="bad_node"
                )
            if depth >= MAX_DEPTH:
                raise QueryInvalid(
                    _("Groups may be nested at most %(n)s deep.", n=MAX_DEPTH),
                    path=path,
                    code="too_deep",
                )
            items = tree[kind]
            if not isinstance(items, list):
                raise QueryInvalid(
                    _("A group holds a list of conditions."), path=f"{path}.{kind}", code="bad_node"
                )
            children = tuple(
                self.node(item, f"{path}.{kind}[{i}]", depth + 1) for i, item in enumerate(items)
            )
            return Group(kind, children)  # type: ignore[arg-type]
        return self.condition(tree, path)

    def condition(self, tree: dict, path: str) -> Condition:
        extra = sorted(str(k) for k in tree if k not in ("field", "op", "value"))
        if extra:
            raise QueryInvalid(
                _("A condition has a field, an operator and a value."),
                path=f"{path}.{extra[0][:50]}",
                code="bad_node",
            )
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryInvalid(
                _("A query has at most %(n)s conditions.", n=MAX_CONDITIONS),
                path=path,
                code="too_many",
            )
        key = tree.get("field")
        f = self.fields.get(key) if isinstance(key, str) else None
        if f is None:
            raise QueryInvalid(_("Unknown field."), path=f"{path}.field", code="unknown_field")
        op = tree.get("op")
        if not isinstance(op, str) or op not in f.ops:
            raise QueryInvalid(
                _("This operator cannot be used with this field."),
                path=f"{path}.op",
                code="bad_operator",
            )
        value = self.value(f, op, tree.get("value"), "value" in tree, f"{path}.value")
        return Condition(f.key, op, value)

    # values ------------------------------------------------------------------------------

    def bad(self, path: str, message: str | None = None) -> QueryInvalid:
        message = message or _("This value does not fit the field.")
        return QueryInvalid(message, path=path, code="bad_value")

    def value(self, f: _Field, op: str, raw: Any, given: bool, path: str) -> Any:
        if op in VALUELESS:
            if raw is not None:
                raise self.bad(path, _("This operator takes no value."))
            return None
        if not given or raw is None:
            raise self.bad(path, _("Enter a value."))
        if op in ("in", "not_in", "has_any", "has_all", "has_none"):
            if not isinstance(raw, list):
                if f.type == "tags":
                    raw = [raw]  # one tag is a list of one
                else:
                    raise self.bad(path, _("Enter a list of values."))
            if not raw or len(raw) > MAX_LIST:
                raise self.bad(path, _("Enter 1 to %(n)s values.", n=MAX_LIST))
            items: list[Any] = []
            for i, item in enumerate(raw):
                one = self.scalar(f, op, item, f"{path}[{i}]")
                if one not in items:
                    items.append(one)
            return tuple(items)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                raise self.bad(path, _("Enter two values: from and to."))
            low = self.scalar(f, op, raw[0], f"{path}[0]")
            high = self.scalar(f, op, raw[1], f"{path}[1]")
            if low > high:
                raise self.bad(path, _("The first value must not be after the second."))
            return (low, high)
        if op == "in_last_days":
            return self.integer(raw, 1, MAX_DAYS, path)
        if op == "month_is":
            return self.integer(raw, 1, 12, path)
        return self.scalar(f, op, raw, path)

    def integer(self, raw: Any, low: int, high: int, path: str) -> int:
        if type(raw) is not int or not low <= raw <= high:
            raise self.bad(path, _("Enter a whole number from %(a)s to %(b)s.", a=low, b=high))
        return raw

    def scalar(self, f: _Field, op: str, raw: Any, path: str) -> Any:
        kind = f.type
        if kind == "text":
            if not isinstance(raw, str):
                raise self.bad(path, _("Enter text."))
            # control characters (NUL cannot even reach PostgreSQL) are not part of a value
            text = " ".join("".join(ch for ch in raw if ch >= " " or ch in "\t\n").split())
            if len(text) > MAX_STRING:
                raise self.bad(path, _("At most %(n)s characters.", n=MAX_STRING))
            assert f.text_value is not None
            if not text or f.text_value(text) is None:
                raise self.bad(path, _("Enter text."))
            if f.key == "contact_phone" and op in ("is", "is_not", "in"):
                return self.phone(text, path)
            return text
        if kind in ("number", "money"):
            return self.number(raw, path)
        if kind in ("date", "datetime"):
            if isinstance(raw, str) and len(raw.strip()) == 10:
                try:
                    day = date.fromisoformat(raw.strip())
                except ValueError:
                    day = None
                if day is not None and MIN_YEAR <= day.year <= MAX_YEAR:
                    return day
            raise self.bad(path, _("Enter a date, like 2026-11-29."))
        if kind == "bool":
            if not isinstance(raw, bool):
                raise self.bad(path, _("Enter true or false."))
            return raw
        assert f.resolve is not None  # choice, tags, user
        if isinstance(raw, str) and len(raw) > MAX_STRING:
            raise self.bad(path, _("At most %(n)s characters.", n=MAX_STRING))
        try:
            return f.resolve(raw)
        except ValueError:
            if kind == "user":
                raise self.bad(path, _("Choose a member of the company.")) from None
            raise self.bad(path, _("Choose one of the offered values.")) from None

    def phone(self, text: str, path: str) -> str:
        from saas.contacts.normalize import parse_phone

        country = getattr(getattr(self.actor, "tenant", None), "default_country", None)
        try:
            return parse_phone(text, country)
        except ValidationFailed as exc:
            raise self.bad(path, exc.message) from None

    def number(self, raw: Any, path: str) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self.bad(path, _("Enter a number."))
        if isinstance(raw, str) and len(raw) > 40:
            raise self.bad(path, _("Enter a number."))
        if isinstance(raw, int) and abs(raw) >= MAX_NUMBER:
            raise self.bad(path, _("This number is too large."))
        if isinstance(raw, float) and not math.isfinite(raw):
            raise self.bad(path, _("Enter a number."))
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise self.bad(path, _("Enter a number.")) from None
        if not number.is_finite():
            raise self.bad(path, _("Enter a number."))
        if abs(number) >= MAX_NUMBER:
            raise self.bad(path, _("This number is too large."))
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            raise self.bad(path, _("At most %(n)s decimal places.", n=4))
        return _canonical(number)


def _canonical(number: Decimal) -> Decimal:
    """One form per value (``2``, ``2.0`` and ``2.00`` equal and dump alike)."""
    if number == number.to_integral_value():
        return Decimal(int(number))
    return number.normalize()


def parse(tree: Any, actor: User) -> Node:
    """``tree`` (decoded JSON) validated and normalised; ``QueryInvalid`` names the bad node."""
    return _Parser(actor).node(tree, "$", 0)


def parse_json(text: str | None, actor: User) -> Node | None:
    """A query from its JSON text (a URL or API parameter); None for none (empty text)."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_JSON:
        raise QueryInvalid(
            _("The query is too long (at most %(n)s characters).", n=MAX_JSON),
            path="$",
            code="too_long",
        )
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError):
        raise QueryInvalid(_("The query is not valid JSON."), path="$", code="bad_json") from None
    return parse(tree, actor)


def dump(node: Node) -> dict:
    """The JSON tree of ``node`` (``parse(dump(n), actor) == n``)."""
    if isinstance(node, Group):
        return {node.kind: [dump(c) for c in node.children]}
    out: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.value is not None:
        out["value"] = _json_value(node.value)
    return out


def dumps(node: Node | None) -> str:
    """The compact JSON text of ``node`` (the URL's ``query=``); "" for none."""
    if node is None:
        return ""
    return json.dumps(dump(node), ensure_ascii=False, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def conditions(node: Node | None) -> Iterable[Condition]:
    """Every condition of ``node``, depth first."""
    if node is None:
        return
    if isinstance(node, Condition):
        yield node
        return
    for child in node.children:
        yield from conditions(child)


#: Simple field filters (the API's ``city=``, ``level=`` …): parameter → (field, operator).
#: Each becomes one condition ANDed to the query: one mechanism.
FIELD_FILTERS: dict[str, tuple[str, str]] = {
    "city": ("city", "is"),
    "country": ("country", "is"),
    "kind": ("kind", "is"),
    "stage": ("stage", "is"),
    "stage_category": ("stage_category", "is"),
    "level": ("level", "is"),
    "industry": ("industry", "is"),
    "source": ("source", "is"),
    "tag": ("tags", "has_any"),
    "owner_id": ("owner", "is"),
    "created_by": ("created_by", "is"),
    "locked": ("locked", "is"),
}


def from_filters(params: dict[str, Any], actor: User) -> Node | None:
    """The field filters given (``{param: value}``) as conditions ANDed; ``QueryInvalid`` with
    the parameter's name as the path for a bad value."""
    parser = _Parser(actor)
    found: list[Node] = []
    for param, value in params.items():
        if param not in FIELD_FILTERS or value is None:
            continue
        key, op = FIELD_FILTERS[param]
        try:
            found.append(parser.condition({"field": key, "op": op, "value": value}, "$"))
        except QueryInvalid as exc:
            raise QueryInvalid(exc.message, path=param, code=exc.code) from None
    return and_of(*found)


def and_of(*nodes: Node | None) -> Node | None:
    """The nodes ANDed (None ones left out): how field filters join a query."""
    present = [n for n in nodes if n is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return Group("and", tuple(present))


# --- SQL ---------------------------------------------------------------------------------------


def _zone(actor: User) -> ZoneInfo:
    name = getattr(actor, "timezone", None) or getattr(
        getattr(actor, "tenant", None), "timezone", None
    )
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def where(node: Node, actor: User, *, now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL condition of ``node`` over ``Customer`` (``now``: naive UTC, for tests)."""
    from saas.utils import utcnow

    ctx = _Ctx(actor, now or utcnow(), _zone(actor))
    return _sql(node, _fields(), ctx)


def _sql(node: Node, fields: dict[str, _Field], ctx: _Ctx) -> ColumnElement[bool]:
    if isinstance(node, Group):
        parts = [_sql(c, fields, ctx) for c in node.children]
        if node.kind == "and":
            return and_(true(), *parts)
        return or_(false(), *parts)
    f = fields.get(node.field)
    if f is None:  # a field deleted since the query was parsed: nothing matches
        return false()
    return _condition(f, node.op, node.value, ctx)


def _condition(f: _Field, op: str, value: Any, ctx: _Ctx) -> ColumnElement[bool]:
    if op in NEGATIVE:
        return not_(_condition(f, NEGATIVE[op], value, ctx))
    target = f.target()
    kind = f.type
    if op == "empty":
        if kind == "text":
            return not_(target.has(lambda c: c != ""))
        return not_(target.has())
    if op == "not_empty":
        if kind == "text":
            return target.has(lambda c: c != "")
        return target.has()
    if kind == "text":
        return _text(f, op, value, target)
    if kind in ("number", "money"):
        return target.has(_compare(op, value))
    if kind in ("date", "datetime"):
        return _dated(f, op, value, target, ctx)
    if kind == "bool":
        if f.key in ("has_contact", "has_attachment"):
            return target.has() if value else not_(target.has())
        return target.has(lambda c: c == value)
    if kind == "choice":
        if op == "is":
            return target.has(lambda c: c == value)
        return target.has(lambda c: c.in_(list(value)))  # in
    if kind == "tags":
        if op == "has_any":
            return target.has(lambda c: c.in_(list(value)))
        if op == "has_all":
            return and_(true(), *[target.has(lambda c, v=v: c == v) for v in value])
        return not_(target.has(lambda c: c.in_(list(value))))  # has_none
    if kind == "user":
        if op == "is":
            return target.has(lambda c: c == value)
        if op == "in":
            return target.has(lambda c: c.in_(list(value)))
        if op == "me":
            return target.has(lambda c: c == ctx.actor.id)
        team = ctx.team()
        return target.has(lambda c: c.in_(team))  # my_team
    raise AssertionError(f"unhandled {f.key} {op}")  # pragma: no cover


def _compare(op: str, value: Any) -> Callable[[Any], ColumnElement[bool]]:
    def pred(c: Any) -> ColumnElement[bool]:
        if op == "eq":
            return c == value
        if op == "lt":
            return c < value
        if op == "lte":
            return c <= value
        if op == "gt":
            return c > value
        if op == "gte":
            return c >= value
        return and_(c >= value[0], c <= value[1])  # between

    return pred


def _text(f: _Field, op: str, value: Any, target: _Target) -> ColumnElement[bool]:
    assert f.text_sql is not None and f.text_value is not None
    key = f.text_sql
    if op == "in":
        wanted = list(value) if f.key == "contact_phone" else [f.text_value(v) for v in value]
        return target.has(lambda c: key(c).in_(wanted))
    if f.key == "contact_phone" and op == "is":
        return target.has(lambda c: c == value)
    folded = f.text_value(value)
    if op == "contains":
        return target.has(lambda c: key(c).contains(folded, autoescape=True))
    if op == "starts_with":
        return target.has(lambda c: key(c).startswith(folded, autoescape=True))
    return target.has(lambda c: key(c) == folded)  # is


def _dated(f: _Field, op: str, value: Any, target: _Target, ctx: _Ctx) -> ColumnElement[bool]:
    if f.type == "datetime":

        def bound(day: date) -> Any:
            return ctx.start_of(day)

        now: Any = ctx.now
    else:

        def bound(day: date) -> Any:
            return day

        now = ctx.today() + timedelta(days=1)
    one = timedelta(days=1)
    if op == "on":
        return target.has(lambda c: and_(c >= bound(value), c < bound(value + one)))
    if op == "before":
        return target.has(lambda c: c < bound(value))
    if op == "after":
        return target.has(lambda c: c >= bound(value + one))
    if op == "between":
        low, high = value
        return target.has(lambda c: and_(c >= bound(low), c < bound(high + one)))
    if op == "in_last_days":
        if f.type == "datetime":
            since = ctx.now - timedelta(days=value)
            return target.has(lambda c: and_(c >= since, c <= now))
        first = ctx.today() - timedelta(days=value)
        return target.has(lambda c: and_(c >= first, c < now))
    if op == "month_is":
        return target.has(lambda c: extract("month", c) == value)
    if op == "this_month":
        month = ctx.today().month
        return target.has(lambda c: extract("month", c) == month)
    raise AssertionError(op)  # pragma: no cover


# --- sorting -----------------------------------------------------------------------------------

#: Every list's default: newest first (No. descending; by id outside "All", the same order).
DEFAULT_SORT = SortSpec("number", True)


def sort_spec(sort: str | None, view: str) -> SortSpec:
    """``sort`` (``"field"`` ascending, ``"-field"`` descending) validated; the view's default
    order for none. ``QueryInvalid`` (path ``sort``) for a field that cannot be sorted on."""
    if sort is None or not str(sort).strip():
        return DEFAULT_SORT
    text = str(sort).strip()
    descending = text.startswith("-")
    key = text[1:] if descending else text
    f = _fields().get(key) if len(key) <= 100 else None
    if f is None or not f.sortable or f.sort_key is None:
        raise QueryInvalid(_("This column cannot be sorted on."), path="sort", code="bad_sort")
    return SortSpec(key, descending)


def sort_key(spec: SortSpec) -> tuple[Any, bool]:
    """The SQL sort expression of ``spec`` and whether it may be NULL."""
    f = _fields().get(spec.field)
    if f is None or f.sort_key is None:
        raise QueryInvalid(_("This column cannot be sorted on."), path="sort", code="bad_sort")
    return f.sort_key(), f.sort_nullable
