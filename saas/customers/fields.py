"""Custom fields of customers: the admin's definitions (Settings → Custom fields) and the
values, validated per type and stored typed (``customer_field_values``, one row per value).

Types: text (≤ 200 characters, indexed), long text (≤ 10,000, not indexed), number (exact
decimal, ≤ 4 places), money (exact decimal, ≤ 2 places, the company's currency), date
(ISO ``YYYY-MM-DD``), choice, multi-choice (one row per chosen option), yes/no. A field may be
required and (text, number, money, date, choice) unique: the service looks the value up in the
index ``(tenant_id, field_id, unique_key)`` and the database's UNIQUE constraint on it refuses
the loser of two saves that race past the check (a 409 either way).

Functions for other slices:

* ``apply(customer, values, actor, partial=True)``: validate ``{key: value}`` and store it
  (``partial=False``, as creation does, also demands every required field);
* ``values_of(customer)``: ``{key: JSON value}`` of the live fields (the API's ``custom_fields``);
* ``shown(customer)``: ``[(field, display text)]`` in the admin's order (the card).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.access import authorize
from saas.auth.models import User
from saas.customers.attributes import (
    FIELD_TYPE_LABELS,
    CustomerFieldValue,
    CustomField,
    FieldType,
)
from saas.customers.models import Customer
from saas.errors import Conflict, NotFound, ValidationFailed
from saas.extensions import db
from saas.tenancy.context import current_tenant_id
from saas.text import clean_name, single_line
from saas.utils import utcnow

MAX_FIELDS = 100
LABEL_MAX = 100
TEXT_MAX = 200
LONG_TEXT_MAX = 10_000
MAX_OPTIONS = 100
OPTION_MAX = 100
#: Digits before the decimal point of numbers and money (NUMERIC(20, 4)).
INTEGER_DIGITS = 16
PLACES = {FieldType.NUMBER: 4, FieldType.MONEY: 2}
#: Types whose values may be required unique (one indexable value per customer).
UNIQUE_TYPES = {
    FieldType.TEXT,
    FieldType.NUMBER,
    FieldType.MONEY,
    FieldType.DATE,
    FieldType.CHOICE,
}
CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE}

#: What the API accepts and returns per type (the OpenAPI description of ``custom_fields``).
API_TYPES = {
    FieldType.TEXT: "string, at most 200 characters",
    FieldType.LONG_TEXT: "string, at most 10,000 characters",
    FieldType.NUMBER: 'number or decimal string ("12.5"); returned as a string',
    FieldType.MONEY: 'number or decimal string, 2 places ("19.90"); returned as a string',
    FieldType.DATE: 'string "YYYY-MM-DD"',
    FieldType.CHOICE: "string, one of the field's choices",
    FieldType.MULTI_CHOICE: "array of strings, each one of the field's choices",
    FieldType.YES_NO: "boolean",
}

YES_NO_LABELS = {"yes": _l("Yes"), "no": _l("No")}


# --- definitions -----------------------------------------------------------------------------


#: ``Session.info`` key of the fields read in the session's transaction (``fields``).
_MEMO = "custom_fields"


def fields(*, archived: bool = False) -> list[CustomField]:
    """The current tenant's fields in the admin's order (``archived=True``: those too).

    Read once per transaction: a list answer asks for them up to five times (the query's
    parser, its SQL, the sortable columns, the columns, the builder's catalog). A flush that
    writes a field, a commit or a rollback forgets them (``_forget``)."""
    memo = db.session.info.setdefault(_MEMO, {})
    key = (current_tenant_id(), archived)
    found = memo.get(key)
    if found is None:
        query = select(CustomField)
        if not archived:
            query = query.where(CustomField.archived_at.is_(None))
        found = memo[key] = list(
            db.session.scalars(query.order_by(CustomField.position, CustomField.id))
        )
    return list(found)


@event.listens_for(Session, "after_flush")
def _forget_written(session: Session, _flush_context: Any) -> None:
    if _MEMO in session.info and any(
        isinstance(obj, CustomField) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        del session.info[_MEMO]


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_MEMO, None)


def get_field(field_id: Any) -> CustomField:
    """A field of the current tenant, else ``NotFound`` (another tenant's id too)."""
    field = db.session.get(CustomField, field_id) if type(field_id) is int else None
    if field is None:
        raise NotFound()
    return field


def _type(value: str | None) -> str:
    try:
        return FieldType(value).value
    except ValueError:
        raise ValidationFailed(_("Choose one of the offered values."), code="type") from None


def _key_for(label: str) -> str:
    """A stable ASCII key from the label ("Contract no." → ``contract_no``), unique per tenant."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")[:40] or "field"
    if base[0].isdigit():
        base = f"f_{base}"
    taken = set(db.session.scalars(select(CustomField.key)))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _choices(type_: str, choices: Any) -> list[str] | None:
    if type_ not in CHOICE_TYPES:
        return None
    if isinstance(choices, str):
        choices = choices.splitlines()
    if not isinstance(choices, list | tuple):
        raise ValidationFailed(_("Enter the options, one per line."), code="choices")
    out: list[str] = []
    for raw in choices:
        if not isinstance(raw, str):
            raise ValidationFailed(_("Enter the options, one per line."), code="choices")
        option = single_line(raw)
        if not option:
            continue
        if len(option) > OPTION_MAX:
            raise ValidationFailed(
                _("An option is at most %(n)s characters long.", n=OPTION_MAX), code="choices"
            )
        if option.casefold() in (o.casefold() for o in out):
            raise ValidationFailed(
                _("The option %(option)s is there twice.", option=option), code="choices"
            )
        out.append(option)
    if not out:
        raise ValidationFailed(_("Enter at least one option."), code="choices")
    if len(out) > MAX_OPTIONS:
        raise ValidationFailed(
            _("A field has at most %(n)s options.", n=MAX_OPTIONS), code="choices"
        )
    return out


def _check_unique_type(type_: str, unique: bool) -> None:
    if unique and type_ not in UNIQUE_TYPES:
        raise ValidationFailed(
            _("Fields of this type cannot be unique."),
            code="unique",
        )


def create_field(
    *,
    actor: User,
    label: str,
    type: str,
    required: bool = False,
    unique: bool = False,
    choices: Any = None,
) -> CustomField:
    """A new field after the others (``settings.manage``); its key comes from the label."""
    authorize(actor, "settings.manage")
    label = clean_name(label, _("Label"), LABEL_MAX)
    type_ = _type(type)
    _check_unique_type(type_, bool(unique))
    count = db.session.scalar(select(func.count()).select_from(CustomField)) or 0
    if count >= MAX_FIELDS:
        raise ValidationFailed(
            _("A company has at most %(n)s custom fields.", n=MAX_FIELDS), code="label"
        )
    last = db.session.scalar(select(func.max(CustomField.position)))
    field = CustomField(
        key=_key_for(label),
        label=label,
        type=type_,
        required=bool(required),
        unique=bool(unique),
        choices=_choices(type_, choices),
        position=(last or 0) + 1,
    )
    db.session.add(field)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a concurrent twin took the key
        raise Conflict(_("This changed meanwhile; try again."), code="label") from exc
    return field


def update_field(
    *,
    actor: User,
    field_id: int,
    label: str | None = None,
    required: bool | None = None,
    unique: bool | None = None,
    choices: Any = None,
) -> CustomField:
    """Change a field's label, flags or options (None keeps each); its type and key stay.

    Turning ``unique`` on is refused while two customers share a value; options still used by
    customers may be removed (those customers keep the value until it is changed).
    """
    authorize(actor, "settings.manage")
    field = get_field(field_id)
    if label is not None:
        field.label = clean_name(label, _("Label"), LABEL_MAX)
    if required is not None:
        field.required = bool(required)
    if choices is not None and field.type in CHOICE_TYPES:
        field.choices = _choices(field.type, choices)
    if unique is not None and bool(unique) != field.unique:
        _check_unique_type(field.type, bool(unique))
        if unique:
            _fill_unique_keys(field)
        else:
            rows = db.session.scalars(
                select(CustomerFieldValue).where(CustomerFieldValue.field_id == field.id)
            )
            for row in rows:
                row.unique_key = None
        field.unique = bool(unique)
    db.session.flush()
    return field


def _fill_unique_keys(field: CustomField) -> None:
    """Set ``unique_key`` on the field's values; refuse while two customers share one."""
    rows = list(
        db.session.scalars(
            select(CustomerFieldValue).where(CustomerFieldValue.field_id == field.id)
        )
    )
    seen: set[str] = set()
    for row in rows:
        key = _unique_key(field, row)
        if key in seen:
            raise Conflict(
                _("Some customers share a value of this field: make them different first."),
                code="unique",
            )
        seen.add(key)
        row.unique_key = key


def move_field(*, actor: User, field_id: int, position: int) -> CustomField:
    """Put a field at ``position`` (1 = first) of the admin's order."""
    authorize(actor, "settings.manage")
    field = get_field(field_id)
    if type(position) is not int:
        raise ValidationFailed(_("Choose one of the offered values."), code="position")
    others = [f for f in fields(archived=True) if f.id != field.id]
    others.insert(max(0, min(position - 1, len(others))), field)
    for pos, other in enumerate(others, start=1):
        if other.position != pos:
            other.position = pos
    db.session.flush()
    return field


def archive_field(*, actor: User, field_id: int, archived: bool = True) -> CustomField:
    """Archive a field (hidden from forms, cards and the API; values kept) or restore it."""
    authorize(actor, "settings.manage")
    field = get_field(field_id)
    if archived and field.archived_at is None:
        field.archived_at = utcnow()
    elif not archived and field.archived_at is not None:
        field.archived_at = None
    db.session.flush()
    return field


# --- values ----------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _invalid(field: CustomField, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field.label}: {message}", code=f"cf_{field.key}")


_DIGITS = {ord(c): str(unicodedata.decimal(c)) for c in "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９"}


def _decimal(field: CustomField, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _invalid(field, _("enter a number."))
    # Arabic/Persian decimal separator (U+066B) → ".", group separators dropped
    text = str(value).translate(_DIGITS).replace("\u066b", ".")
    text = re.sub(r"[\s,'_\u066c\u2009\u202f]", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _invalid(field, _("enter a number, like 1234.5.")) from None
    if not number.is_finite():
        raise _invalid(field, _("enter a number, like 1234.5."))
    places = PLACES[FieldType(field.type)]
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _invalid(field, _("at most %(n)s decimal places.", n=places))
    if abs(number) >= Decimal(10) ** INTEGER_DIGITS:
        raise _invalid(field, _("this number is too large."))
    return number.quantize(Decimal(1).scaleb(-places))


def _text(field: CustomField, value: Any, limit: int, multiline: bool) -> str:
    if not isinstance(value, str):
        raise _invalid(field, _("enter text."))
    text = value.strip() if multiline else single_line(value)
    if multiline:
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    if len(text) > limit:
        raise _invalid(field, _("at most %(n)s characters (this has %(m)s).", n=limit, m=len(text)))
    return text


def _option(field: CustomField, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(field, _("choose one of the options."))
    wanted = single_line(value).casefold()
    for option in field.choices or []:
        if option.casefold() == wanted:
            return option
    raise _invalid(field, _("choose one of the options."))


def parse(field: CustomField, value: Any) -> list[dict[str, Any]]:
    """``value`` as the rows (column values) it is stored in; [] when empty.

    Raises ``ValidationFailed`` coded ``cf_<key>`` with a message naming the field.
    """
    if _empty(value):
        return []
    kind = FieldType(field.type)
    if kind == FieldType.TEXT:
        text = _text(field, value, TEXT_MAX, multiline=False)
        return [{"value_text": text}] if text else []
    if kind == FieldType.LONG_TEXT:
        text = _text(field, value, LONG_TEXT_MAX, multiline=True)
        return [{"value_long": text}] if text else []
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        return [{"value_number": _decimal(field, value)}]
    if kind == FieldType.DATE:
        if isinstance(value, date):
            return [{"value_date": value}]
        try:
            if not isinstance(value, str) or len(value.strip()) != 10:
                raise ValueError
            return [{"value_date": date.fromisoformat(value.strip())}]
        except ValueError:
            raise _invalid(field, _("enter a date, like 2026-11-29.")) from None
    if kind == FieldType.CHOICE:
        return [{"value_text": _option(field, value)}]
    if kind == FieldType.MULTI_CHOICE:
        if not isinstance(value, list | tuple):
            raise _invalid(field, _("choose options from the list."))
        chosen: list[str] = []
        for item in value:
            option = _option(field, item)
            if option not in chosen:
                chosen.append(option)
        order = {o: i for i, o in enumerate(field.choices or [])}
        return [{"value_text": o} for o in sorted(chosen, key=order.__getitem__)]
    if kind == FieldType.YES_NO:
        if not isinstance(value, bool):
            raise _invalid(field, _("answer yes or no."))
        return [{"value_bool": value}]
    raise _invalid(field, _("unknown type."))  # pragma: no cover


def _unique_key(field: CustomField, row: Any) -> str:
    get = row.get if isinstance(row, dict) else lambda c: getattr(row, c)
    if get("value_text") is not None:
        return str(get("value_text")).casefold()[:200]
    if get("value_number") is not None:
        return str(Decimal(get("value_number")).normalize())
    if get("value_date") is not None:
        return get("value_date").isoformat()
    return "" if get("value_bool") is None else str(get("value_bool"))


def validate(
    values: Mapping[str, Any], *, customer: Customer | None = None, partial: bool = False
) -> dict[int, list[dict[str, Any]]]:
    """``{key: value}`` checked against the live fields: ``{field id: rows}``.

    Unknown (or archived) keys, wrong types, over-long values, a missing required field (all of
    them unless ``partial``) and a unique value another customer has are refused.
    """
    if not isinstance(values, Mapping):
        raise ValidationFailed(_("Custom fields must be an object."), code="custom_fields")
    live = {f.key: f for f in fields()}
    unknown = sorted(set(values) - set(live))
    if unknown:
        raise ValidationFailed(
            _("Unknown custom field: %(key)s.", key=", ".join(map(str, unknown))[:200]),
            code="custom_fields",
        )
    parsed: dict[int, list[dict[str, Any]]] = {}
    for key, field in live.items():
        if key not in values:
            if not partial and field.required:
                raise _invalid(field, _("required."))
            continue
        rows = parse(field, values[key])
        if not rows and field.required:
            raise _invalid(field, _("required."))
        if field.unique and rows:
            unique_key = _unique_key(field, rows[0])
            taken = select(CustomerFieldValue.customer_id).where(
                CustomerFieldValue.field_id == field.id,
                CustomerFieldValue.unique_key == unique_key,
            )
            if customer is not None and customer.id is not None:
                taken = taken.where(CustomerFieldValue.customer_id != customer.id)
            if db.session.scalar(taken.limit(1)) is not None:
                raise Conflict(
                    f"{field.label}: " + _("another customer already has this value."),
                    code=f"cf_{field.key}",
                )
            rows[0]["unique_key"] = unique_key
        parsed[field.id] = rows
    return parsed


def store(customer: Customer, parsed: Mapping[int, list[dict[str, Any]]]) -> None:
    """Replace the customer's values of the fields in ``parsed`` (from ``validate``); flush.

    A unique value that a concurrent save stored first is refused (409), nothing written.
    """
    if not parsed:
        return
    if customer.id is None:
        db.session.flush()
    customer.__dict__.pop("_field_rows", None)
    before = _summary(customer, parsed)
    try:
        with db.session.begin_nested():
            db.session.execute(
                delete(CustomerFieldValue).where(
                    CustomerFieldValue.customer_id == customer.id,
                    CustomerFieldValue.field_id.in_(list(parsed)),
                )
            )
            for field_id, rows in parsed.items():
                for row in rows:
                    db.session.add(
                        CustomerFieldValue(customer_id=customer.id, field_id=field_id, **row)
                    )
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _("Another customer already has this value; it was saved meanwhile."),
            code="custom_fields",
        ) from exc
    after = _summary(customer, parsed)
    if after != before:
        from saas.audit import service as audit

        audit.record_event(
            "customers.fields_changed", customer, custom_fields=[before or None, after or None]
        )


def _summary(customer: Customer, field_ids: Mapping[int, Any]) -> str:
    """ "Label: value; …" of the given fields (what the audit entry shows)."""
    rows = _rows_of(customer)
    parts = []
    for field in fields(archived=True):
        if field.id in field_ids:
            value = _value(field, rows.get(field.id, []))
            if value is not None and value != []:
                text = ", ".join(value) if isinstance(value, list) else str(value)
                parts.append(f"{field.label}: {text[:200]}")
    return "; ".join(parts)


def apply(
    customer: Customer, values: Mapping[str, Any], actor: User, *, partial: bool = True
) -> Customer:
    """Validate and store ``{key: value}`` on ``customer`` (the caller authorized the edit).

    ``partial=False`` (creation) also demands every required field. Nothing is written unless
    every value passes.
    """
    store(customer, validate(values, customer=customer, partial=partial))
    return customer


def prefetch(customers: Any) -> None:
    """Load the values of a page of customers in one query (an API page reads them all)."""
    ids = [c.id for c in customers if c.id is not None]
    found: dict[int, dict[int, list[CustomerFieldValue]]] = {i: {} for i in ids}
    if ids:
        rows = db.session.scalars(
            select(CustomerFieldValue)
            .where(CustomerFieldValue.customer_id.in_(ids))
            .order_by(CustomerFieldValue.id)
        )
        for row in rows:
            found[row.customer_id].setdefault(row.field_id, []).append(row)
    for customer in customers:
        if customer.id in found:
            customer.__dict__["_field_rows"] = found[customer.id]


def _rows_of(customer: Customer) -> dict[int, list[CustomerFieldValue]]:
    cached = customer.__dict__.get("_field_rows")
    if cached is not None:
        return cached
    out: dict[int, list[CustomerFieldValue]] = {}
    if customer.id is None:
        return out
    rows = db.session.scalars(
        select(CustomerFieldValue)
        .where(CustomerFieldValue.customer_id == customer.id)
        .order_by(CustomerFieldValue.id)
    )
    for row in rows:
        out.setdefault(row.field_id, []).append(row)
    return out


def _value(field: CustomField, rows: list[CustomerFieldValue]) -> Any:
    """The Python value of ``rows`` (None when empty)."""
    if not rows:
        return None
    kind = FieldType(field.type)
    row = rows[0]
    if kind == FieldType.LONG_TEXT:
        return row.value_long
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        return (
            None
            if row.value_number is None
            else Decimal(row.value_number).quantize(Decimal(1).scaleb(-PLACES[kind]))
        )
    if kind == FieldType.DATE:
        return row.value_date
    if kind == FieldType.YES_NO:
        return row.value_bool
    if kind == FieldType.MULTI_CHOICE:
        order = {o: i for i, o in enumerate(field.choices or [])}
        return sorted((r.value_text for r in rows), key=lambda o: order.get(o, len(order)))
    return row.value_text


def python_values(customer: Customer) -> dict[str, Any]:
    """``{key: Python value}`` of the live fields (Decimal, date, bool, list, str, None)."""
    rows = _rows_of(customer)
    return {f.key: _value(f, rows.get(f.id, [])) for f in fields()}


def values_of(customer: Customer) -> dict[str, Any]:
    """``{key: JSON value}`` of the live fields: numbers as strings, dates ISO."""
    out: dict[str, Any] = {}
    for key, value in python_values(customer).items():
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


def shown(customer: Customer) -> list[tuple[CustomField, str]]:
    """``[(field, display text)]`` of the live fields with a value, in the admin's order."""
    from saas.formatting import money, number, user_date
    from saas.tenancy.models import Tenant

    tenant = db.session.get(Tenant, customer.tenant_id)
    currency = tenant.default_currency if tenant is not None else "EUR"
    rows = _rows_of(customer)
    out = []
    for field in fields():
        value = _value(field, rows.get(field.id, []))
        if value is None or value == []:
            continue
        kind = FieldType(field.type)
        if kind == FieldType.MONEY:
            text = money(value, currency)
        elif kind == FieldType.NUMBER:
            text = number(value)
        elif kind == FieldType.DATE:
            text = user_date(value)
        elif kind == FieldType.YES_NO:
            text = str(YES_NO_LABELS["yes" if value else "no"])
        elif kind == FieldType.MULTI_CHOICE:
            text = ", ".join(value)
        else:
            text = str(value)
        out.append((field, text))
    return out


def type_labels() -> dict[str, str]:
    return {k: str(v) for k, v in FIELD_TYPE_LABELS.items()}


# --- form inputs (the customer form) ----------------------------------------------------------


def form_fields() -> dict[str, Any]:
    """WTForms fields ``cf_<key>`` for the live fields, in the admin's order."""
    from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
    from wtforms.widgets import CheckboxInput, ListWidget

    from saas.forms import options

    class Checkboxes(SelectMultipleField):
        widget = ListWidget(prefix_label=False)
        option_widget = CheckboxInput()

    out: dict[str, Any] = {}
    for field in fields():
        kind = FieldType(field.type)
        hint = _("Required.") if field.required else None
        kw: dict[str, Any] = {"description": hint or ""}
        if kind == FieldType.LONG_TEXT:
            out[f"cf_{field.key}"] = TextAreaField(field.label, **kw)
        elif kind in (FieldType.NUMBER, FieldType.MONEY):
            out[f"cf_{field.key}"] = StringField(
                field.label, render_kw={"inputmode": "decimal", "dir": "ltr"}, **kw
            )
        elif kind == FieldType.DATE:
            out[f"cf_{field.key}"] = _date_field(field.label, kw)
        elif kind == FieldType.CHOICE:
            out[f"cf_{field.key}"] = SelectField(
                field.label,
                choices=options([("", "—"), *((o, o) for o in field.choices or [])]),
                validate_choice=False,
                **kw,
            )
        elif kind == FieldType.MULTI_CHOICE:
            out[f"cf_{field.key}"] = Checkboxes(
                field.label,
                choices=options((o, o) for o in field.choices or []),
                validate_choice=False,
                **kw,
            )
        elif kind == FieldType.YES_NO:
            out[f"cf_{field.key}"] = SelectField(
                field.label,
                choices=options([("", "—"), *YES_NO_LABELS.items()]),
                validate_choice=False,
                **kw,
            )
        else:
            out[f"cf_{field.key}"] = StringField(field.label, render_kw={"maxlength": 200}, **kw)
    return out


def _date_field(label: str, kw: dict[str, Any]) -> Any:
    """A date typed in the user's calendar (Jalali or Gregorian), stored Gregorian."""
    from saas.forms import CalendarDateField

    return CalendarDateField(label, **kw)


def form_values(form: Any) -> dict[str, Any]:
    """The submitted custom fields as ``{key: value}`` for ``validate``."""
    out: dict[str, Any] = {}
    for field in fields():
        input_ = getattr(form, f"cf_{field.key}", None)
        if input_ is None:
            continue
        data = input_.data
        if field.type == FieldType.YES_NO:
            data = {"yes": True, "no": False}.get(data or "")
        elif isinstance(data, date):
            data = data.isoformat()
        out[field.key] = data
    return out


def fill(form: Any, customer: Customer) -> None:
    """Put the customer's values into the form's inputs (an edit form, before submission)."""
    values = python_values(customer)
    for field in fields():
        input_ = getattr(form, f"cf_{field.key}", None)
        value = values.get(field.key)
        if input_ is None or value is None:
            continue
        if field.type == FieldType.YES_NO:
            input_.data = "yes" if value else "no"
        elif field.type == FieldType.DATE:
            input_.data = value
        elif field.type == FieldType.MULTI_CHOICE:
            input_.data = list(value)
        else:
            input_.data = str(value)
