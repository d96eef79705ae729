"""The import job: each row of the table becomes a customer (and its contact), updates one, is
skipped as a duplicate, or is rejected with its reason — and the undo job that takes a run back.

Rows are read with ``reading.Table.rows`` (constant memory) and handled in chunks of
``CHUNK``; each chunk is one savepoint and one commit together with the run's counts, its
``import_rows`` (the undo log and the rejected list) and the job's progress. So whatever stops
a run, what it wrote is committed with its record and can be undone. A chunk that the database
refuses (a unique value raced in by someone else) is done again row by row, each row in its own
savepoint: a bad row never stops the run.

Duplicates are found like ``customers.duplicates`` finds exact ones — the name key, a contact
phone (E.164 in the company's country), a contact email key — against the live base (one
``IN`` lookup per chunk and kind) and within the file (the keys of the rows already imported),
and a ``number`` column matches the customer of that No. first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from flask import current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from saas import progress, storage
from saas.audit import service as audit
from saas.auth.models import User
from saas.contacts.models import Contact, ContactEmail, ContactPhone
from saas.contacts.normalize import check_email, email_key, parse_phone
from saas.customers import fields as custom
from saas.customers import lists, pool
from saas.customers import service as customers
from saas.customers.attributes import CustomerFieldValue, CustomerTag, CustomField, ListEntry
from saas.customers.lists import ListKind
from saas.customers.models import KIND_LABELS, Customer, CustomerKind, CustomerStage
from saas.customers.normalize import name_key
from saas.errors import ServiceError
from saas.extensions import db
from saas.imports.models import ImportRow, ImportRun, ImportStatus, RowAction
from saas.imports.targets import PHONE_TYPES
from saas.imports.values import cell_text, parse_bool, parse_date, parse_number
from saas.jobs import job
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.text import single_line
from saas.utils import utcnow

#: Rows per committed chunk (``IMPORT_CHUNK`` overrides it).
CHUNK = 500
#: Customer fields set from text columns, with their length limits.
TEXT_FIELDS = {
    "city": 200,
    "address": 500,
    "website": 300,
    "comments": 10_000,
    "purchase_preferences": customers.PURCHASE_PREFERENCES_MAX,
}
ENTRY_TARGETS = {
    "level": ListKind.LEVEL,
    "industry": ListKind.INDUSTRY,
    "source": ListKind.SOURCE,
    "stage": ListKind.STAGE,
}
#: Separators between several values in one cell (tags, emails, multi-choice options).
_SPLIT = re.compile("\\s*[,;\u060c\u061b\u3001\uff0c\uff1b|\n]\\s*")
_LANGUAGES = ("en", "zh", "fa", "sq", "ru")


class RowRejected(Exception):
    """A row that cannot be imported; the message is the reason people read."""


def fold(value: str) -> str:
    return single_line(value).casefold()


@dataclass
class Parsed:
    """One row read and checked: what it would write."""

    row: int
    cells: list[Any]
    customer: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, ListEntry] = field(default_factory=dict)
    new_entries: dict[str, str] = field(default_factory=dict)  # kind → name to create
    tags: list[ListEntry | str] = field(default_factory=list)  # str: to create
    custom: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    owner_id: int | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, str, str]] = field(default_factory=list)
    emails: list[tuple[str, str]] = field(default_factory=list)
    number: int | None = None

    @property
    def key(self) -> str:
        return self.customer.get("name_key", "")


def _cell_json(value: Any) -> Any:
    """A cell as stored for the rejected list (JSON: text, numbers, ISO dates)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


class Importer:
    """Reads rows as ``actor`` with the run's mapping and options, and writes them."""

    def __init__(self, run: ImportRun, actor: User) -> None:
        self.run = run
        self.actor = actor
        self.options = run.options or {}
        self.mapping: list[str | None] = list(run.mapping or [])
        self.columns: dict[str, list[int]] = {}
        for index, target in enumerate(self.mapping):
            if target:
                self.columns.setdefault(target, []).append(index)
        self.country = db.session.get(Tenant, require_tenant_id()).default_country
        self.jalali = bool(self.options.get("jalali"))
        self.create_missing = bool(self.options.get("create_missing"))
        self.duplicates = self.options.get("duplicates", "skip")
        self.overwrite = self.options.get("update_mode") == "overwrite"
        self.owner_mode = self.options.get("owner", "me")
        self.entries: dict[str, dict[str, ListEntry]] = {}
        self.categories: dict[str, ListEntry] = {}
        for kind in (*ENTRY_TARGETS.values(), ListKind.TAG):
            self.entries[kind] = {}
            for entry in lists.entries(kind):
                if entry.archived:
                    continue
                self.entries[kind].setdefault(entry.name.casefold(), entry)
                if kind == ListKind.STAGE and entry.category:
                    self.categories.setdefault(entry.category, entry)
        self.default_stage = lists.default_stage()
        self.fields = {f.key: f for f in custom.fields()}
        self.users: dict[str, User] = {}
        if self.owner_mode == "column":
            for user in db.session.scalars(select(User).where(User.is_active.is_(True))):
                self.users.setdefault(fold(user.name), user)
                if getattr(user, "email", None):
                    self.users.setdefault(fold(user.email), user)
        self.kinds = self._kind_names()
        self.countries = self._country_names()
        self.owned: dict[int, int] = {}
        self.max_owned = self._max_owned()
        # within the file: keys of the rows already imported → their customer
        # (ids only, so memory stays flat: the chunk's own rows are in ``self.fresh`` until
        # the chunk stands)
        self.seen_keys: dict[str, int] = {}
        self.seen_phones: dict[str, int] = {}
        self.seen_emails: dict[str, int] = {}
        self.seen_unique: set[tuple[int, str]] = set()
        self.fresh: tuple[dict, dict, dict, set] = ({}, {}, {}, set())

    # --- reference data ------------------------------------------------------------------

    @staticmethod
    def _kind_names() -> dict[str, str]:
        names = {k.value: k.value for k in CustomerKind}
        for language in _LANGUAGES:
            with force_locale(language):
                for kind, label in KIND_LABELS.items():
                    names[str(label).casefold()] = kind.value
        return names

    @staticmethod
    def _country_names() -> dict[str, str]:
        names: dict[str, str] = {}
        for language in _LANGUAGES:
            for code, name in Locale.parse(language).territories.items():
                if len(code) == 2 and code.isalpha():
                    names.setdefault(name.casefold(), code)
        return names

    @staticmethod
    def _max_owned() -> int | None:
        row = pool.get_settings()
        return row.max_owned if row is not None else None

    # --- reading a row -------------------------------------------------------------------

    def _cells(self, cells: Sequence[Any], target: str) -> list[Any]:
        return [cells[i] for i in self.columns.get(target, ()) if i < len(cells)]

    def _text(self, cells: Sequence[Any], target: str) -> str | None:
        for value in self._cells(cells, target):
            text = cell_text(value)
            if text:
                return text
        return None

    def _entry(self, kind: str, name: str, what: str) -> ListEntry | str:
        wanted = single_line(name).casefold()
        entry = self.entries[kind].get(wanted)
        if entry is None and kind == ListKind.STAGE and wanted in set(CustomerStage):
            entry = self.categories.get(wanted)
        if entry is not None:
            return entry
        if not self.create_missing:
            raise RowRejected(
                _(
                    "%(what)s “%(value)s” is not in the company's list (add it in Settings → "
                    "Lists, or import with “create missing list entries”).",
                    what=what,
                    value=single_line(name)[:100],
                )
            )
        if len(single_line(name)) > lists.NAME_MAX:
            raise RowRejected(_("%(what)s is too long.", what=what))
        return single_line(name)

    def parse(self, number: int, cells: list[Any]) -> Parsed:
        """Row ``number`` read and checked; ``RowRejected`` with the reason otherwise."""
        p = Parsed(number, [_cell_json(c) for c in cells])
        try:
            self._parse(p, cells)
        except ServiceError as exc:
            raise RowRejected(exc.message) from None
        except ValueError as exc:
            raise RowRejected(str(exc)) from None
        return p

    def _parse(self, p: Parsed, cells: list[Any]) -> None:
        from saas.imports.targets import BY_KEY

        contact_name = self._text(cells, "contact.name")
        name = self._text(cells, "name")
        kind = None
        if not name and contact_name:  # a person with no company: the customer is the person
            name, kind = contact_name, CustomerKind.PERSON.value
        if not name:
            raise RowRejected(_("The customer's name is empty."))
        basic: dict[str, Any] = {"name": name}
        if text := self._text(cells, "kind"):
            kind = self.kinds.get(text.casefold())
            if kind is None:
                raise RowRejected(
                    _("“%(value)s” is neither a company nor a person.", value=text[:100])
                )
        if kind:
            basic["kind"] = kind
        if text := self._text(cells, "country"):
            code = text.upper() if len(text) == 2 else self.countries.get(text.casefold())
            if code is None:
                raise RowRejected(_("Unknown country: %(value)s.", value=text[:100]))
            basic["country"] = code
        for target in TEXT_FIELDS:
            if (text := self._text(cells, target)) is not None:
                basic[target] = text
        p.customer = customers._clean_fields(**basic)
        for target, kind_ in ENTRY_TARGETS.items():
            if text := self._text(cells, target):
                found = self._entry(kind_, text, str(BY_KEY[target].label))
                if isinstance(found, str):
                    p.new_entries[kind_] = found
                else:
                    p.entries[kind_] = found
        for value in self._cells(cells, "tags"):
            for name_ in _SPLIT.split(cell_text(value) or ""):
                if name_:
                    p.tags.append(self._entry(ListKind.TAG, name_, str(BY_KEY["tags"].label)))
        if len(p.tags) > lists.MAX_TAGS:
            raise RowRejected(_("At most %(n)s tags on one customer.", n=lists.MAX_TAGS))
        if text := self._text(cells, "number"):
            digits = parse_number(text)
            if digits is None or digits != digits.to_integral_value() or digits < 1:
                raise RowRejected(_("No. %(value)s is not a customer number.", value=text[:50]))
            p.number = int(digits)
        self._owner(p, cells)
        self._custom(p, cells)
        self._contact(p, cells, contact_name)

    def _owner(self, p: Parsed, cells: list[Any]) -> None:
        if self.owner_mode == "me":
            p.owner_id = self.actor.id
        elif self.owner_mode == "pool":
            p.owner_id = None
        else:
            text = self._text(cells, "owner")
            if not text:
                p.owner_id = None  # no manager given: the pool
                return
            user = self.users.get(fold(text))
            if user is None:
                raise RowRejected(
                    _(
                        "Manager “%(value)s” is not an active member of the company "
                        "(give a member's name or email).",
                        value=text[:100],
                    )
                )
            p.owner_id = user.id

    def _custom(self, p: Parsed, cells: list[Any]) -> None:
        for target, indexes in self.columns.items():
            if not target.startswith("cf."):
                continue
            definition = self.fields.get(target[3:])
            if definition is None:
                continue
            raw = next((cells[i] for i in indexes if i < len(cells) and cell_text(cells[i])), None)
            if raw is None:
                continue
            try:
                value = self._custom_value(definition, raw)
            except ValueError as exc:
                raise RowRejected(
                    _("%(field)s: %(error)s", field=definition.label, error=exc)
                ) from None
            rows = custom.parse(definition, value)
            if rows and definition.unique:
                key = custom._unique_key(definition, rows[0])
                if (
                    (definition.id, key) in self.seen_unique
                    or (definition.id, key) in self.fresh[3]
                    or self._unique_taken(definition, key)
                ):
                    raise RowRejected(
                        f"{definition.label}: " + _("another customer already has this value.")
                    )
                rows[0]["unique_key"] = key
            if rows:
                p.custom[definition.id] = rows

    def _custom_value(self, definition: CustomField, raw: Any) -> Any:
        kind = definition.type
        if kind in ("number", "money"):
            number = parse_number(raw)
            return None if number is None else str(number)
        if kind == "date":
            return parse_date(raw, jalali=self.jalali)
        if kind == "yes_no":
            return parse_bool(raw)
        if kind == "multi_choice":
            return [v for v in _SPLIT.split(cell_text(raw) or "") if v]
        return cell_text(raw)

    def _unique_taken(self, definition: CustomField, key: str) -> bool:
        return (
            db.session.scalar(
                select(CustomerFieldValue.customer_id)
                .where(
                    CustomerFieldValue.field_id == definition.id,
                    CustomerFieldValue.unique_key == key,
                )
                .limit(1)
            )
            is not None
        )

    def _contact(self, p: Parsed, cells: list[Any], name: str | None) -> None:
        contact: dict[str, Any] = {}
        for target, type_ in PHONE_TYPES.items():
            for value in self._cells(cells, target):
                for raw in re.split(r"\s*[;,\n/]\s*(?=\+|\d)", cell_text(value) or ""):
                    raw = single_line(raw)
                    if not raw:
                        continue
                    try:
                        e164 = parse_phone(raw, self.country)
                    except ServiceError as exc:
                        raise RowRejected(f"{exc.message} ({raw[:40]})") from None
                    if e164 not in {e for _r, e, _t in p.phones}:
                        p.phones.append((raw[:64], e164, type_))
        for value in self._cells(cells, "contact.email"):
            for raw in _SPLIT.split(cell_text(value) or ""):
                if not raw:
                    continue
                email = check_email(raw)
                if email_key(email) not in {k for _e, k in p.emails}:
                    p.emails.append((email, email_key(email)))
        if text := self._text(cells, "contact.position"):
            contact["position"] = self._limit(text, 200, _("Position"))
        for target, what in (
            ("contact.notes", _("Notes")),
            ("contact.interests", _("Hobbies and interests")),
        ):
            if text := self._text(cells, target):
                contact[target[8:]] = self._limit(text, 10_000, what)
        for value in self._cells(cells, "contact.birthday"):
            try:
                day = parse_date(value, jalali=self.jalali)
            except ValueError as exc:
                raise RowRejected(
                    _("%(field)s: %(error)s", field=_("Birthday"), error=exc)
                ) from None
            if day is not None:
                if day.year < 1900 or day > date.today():
                    raise RowRejected(_("Enter a birthday in the past."))
                contact["birthday"] = day
                break
        if len(p.phones) > 20 or len(p.emails) > 20:
            raise RowRejected(_("Too many phone numbers."))
        if name:
            contact["name"] = self._limit(name, 200, _("Contact name"))
        elif contact or p.phones or p.emails:
            contact["name"] = p.customer["name"]  # a phone with no person: named after the firm
        p.contact = contact

    @staticmethod
    def _limit(text: str, limit: int, what: str) -> str:
        if len(text) > limit:
            raise RowRejected(_("%(what)s is too long.", what=what))
        return text

    # --- duplicates ----------------------------------------------------------------------

    def _base_matches(self, parsed: Sequence[Parsed]) -> tuple[dict, dict, dict, dict]:
        keys = {p.key for p in parsed if p.key}
        phones = {e for p in parsed for _r, e, _t in p.phones}
        emails = {k for p in parsed for _e, k in p.emails}
        numbers = {p.number for p in parsed if p.number}
        by_key: dict[str, Customer] = {}
        by_phone: dict[str, Customer] = {}
        by_email: dict[str, Customer] = {}
        by_number: dict[int, Customer] = {}
        live = Customer.deleted_at.is_(None)
        if keys:
            for c in db.session.scalars(
                select(Customer).where(Customer.name_key.in_(keys), live).order_by(Customer.id)
            ):
                by_key.setdefault(c.name_key, c)
        if numbers:
            for c in db.session.scalars(select(Customer).where(Customer.number.in_(numbers), live)):
                by_number[c.number] = c
        found: dict[int, Customer] = {}
        pairs: list[tuple[str, int, dict]] = []
        if phones:
            rows = db.session.execute(
                select(ContactPhone.e164, ContactPhone.customer_id).where(
                    ContactPhone.e164.in_(phones)
                )
            )
            pairs += [(e, cid, by_phone) for e, cid in rows]
        if emails:
            rows = db.session.execute(
                select(ContactEmail.email_key, ContactEmail.customer_id).where(
                    ContactEmail.email_key.in_(emails)
                )
            )
            pairs += [(k, cid, by_email) for k, cid in rows]
        ids = {cid for _k, cid, _m in pairs}
        if ids:
            found = {
                c.id: c
                for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids), live))
            }
        for k, cid, target in sorted(pairs, key=lambda t: t[1]):
            if cid in found:
                target.setdefault(k, found[cid])
        return by_key, by_phone, by_email, by_number

    def _match(self, p: Parsed, base: tuple[dict, dict, dict, dict]) -> Customer | None:
        by_key, by_phone, by_email, by_number = base
        if p.number and p.number in by_number:
            return by_number[p.number]
        for table, index, keys in (
            (by_key, 0, [p.key] if p.key else []),
            (by_phone, 1, [e for _r, e, _t in p.phones]),
            (by_email, 2, [k for _e, k in p.emails]),
        ):
            seen = (self.seen_keys, self.seen_phones, self.seen_emails)[index]
            for key in keys:
                if key in self.fresh[index]:
                    return self.fresh[index][key]
                if key in seen:
                    return db.session.get(Customer, seen[key])
                if key in table:
                    return table[key]
        return None

    def _remember(self, p: Parsed, customer: Customer) -> None:
        keys, phones, emails, unique = self.fresh
        if p.key:
            keys.setdefault(p.key, customer)
        for _r, e164, _t in p.phones:
            phones.setdefault(e164, customer)
        for _e, key in p.emails:
            emails.setdefault(key, customer)
        for field_id, rows in p.custom.items():
            if rows and rows[0].get("unique_key") is not None:
                unique.add((field_id, rows[0]["unique_key"]))

    def _keep_fresh(self) -> None:
        """The chunk stands: its keys join the run's (as ids)."""
        keys, phones, emails, unique = self.fresh
        for fresh, seen in (
            (keys, self.seen_keys),
            (phones, self.seen_phones),
            (emails, self.seen_emails),
        ):
            for key, customer in fresh.items():
                seen.setdefault(key, customer.id)
        self.seen_unique |= unique
        self.fresh = ({}, {}, {}, set())

    # --- writing -------------------------------------------------------------------------

    def _new_entry(self, kind: str, name: str) -> ListEntry:
        existing = self.entries[kind].get(name.casefold())
        if existing is not None:
            return existing
        last = db.session.scalar(select(func.max(ListEntry.position)).where(ListEntry.kind == kind))
        entry = ListEntry(
            kind=kind,
            name=name,
            colour="gray",
            category=CustomerStage.POTENTIAL if kind == ListKind.STAGE else None,
            position=(last or 0) + 1,
        )
        db.session.add(entry)
        db.session.flush()
        self.entries[kind][name.casefold()] = entry
        return entry

    def _resolve_new(self, p: Parsed) -> None:
        for kind, name in p.new_entries.items():
            p.entries[kind] = self._new_entry(kind, name)
        p.new_entries = {}
        p.tags = [self._new_entry(ListKind.TAG, t) if isinstance(t, str) else t for t in p.tags]

    def _check_owning(self, owner_id: int | None) -> None:
        if owner_id is None or self.max_owned is None:
            return
        if owner_id not in self.owned:
            self.owned[owner_id] = (
                db.session.scalar(
                    select(func.count(Customer.id)).where(
                        Customer.owner_id == owner_id, Customer.deleted_at.is_(None)
                    )
                )
                or 0
            )
        if self.owned[owner_id] >= self.max_owned:
            raise RowRejected(
                _(
                    "The owner has reached the pool rules' limit of customers one person may "
                    "own (%(n)s).",
                    n=self.max_owned,
                )
            )
        self.owned[owner_id] += 1

    def _numbers(self, n: int) -> list[int]:
        """``n`` consecutive customer numbers: one UPDATE … RETURNING (see ``next_number``)."""
        last = db.session.execute(
            update(Tenant)
            .where(Tenant.id == require_tenant_id())
            .values(customer_seq=Tenant.customer_seq + n)
            .returning(Tenant.customer_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        return list(range(last - n + 1, last + 1))

    def _shell(self, p: Parsed) -> Customer:
        stage = p.entries.get(ListKind.STAGE) or self.default_stage
        now = utcnow()
        customer = Customer(
            **p.customer,
            stage=(stage.category if stage else None) or CustomerStage.POTENTIAL,
            stage_id=stage.id if stage else None,
            level_id=p.entries[ListKind.LEVEL].id if ListKind.LEVEL in p.entries else None,
            industry_id=(
                p.entries[ListKind.INDUSTRY].id if ListKind.INDUSTRY in p.entries else None
            ),
            source_id=p.entries[ListKind.SOURCE].id if ListKind.SOURCE in p.entries else None,
            owner_id=p.owner_id,
            claimed_at=now if p.owner_id is not None else None,
            created_by_id=self.actor.id,
            updated_by_id=self.actor.id,
        )
        return customer

    def _fill_new(self, p: Parsed, customer: Customer) -> None:
        """The created customer's tags, custom values and contact (it has its id)."""
        for tag_id in dict.fromkeys(t.id for t in p.tags):  # type: ignore[union-attr]
            db.session.add(CustomerTag(customer_id=customer.id, tag_id=tag_id))
        for field_id, rows in p.custom.items():
            for row in rows:
                db.session.add(
                    CustomerFieldValue(customer_id=customer.id, field_id=field_id, **row)
                )
        if p.contact:
            self._add_contact(p, customer, primary=True)

    def _add_contact(self, p: Parsed, customer: Customer, *, primary: bool) -> Contact:
        from saas.contacts import search

        contact = Contact(
            customer_id=customer.id,
            name=p.contact["name"],
            position=p.contact.get("position"),
            birthday=p.contact.get("birthday"),
            notes=p.contact.get("notes"),
            interests=p.contact.get("interests"),
            accounts=[],
            is_primary=primary,
            created_by_id=self.actor.id,
            updated_by_id=self.actor.id,
        )
        contact.phones = [
            ContactPhone(raw=raw, e164=e164, type=type_, customer_id=customer.id)
            for raw, e164, type_ in p.phones
        ]
        contact.emails = [
            ContactEmail(email=email, email_key=key, customer_id=customer.id)
            for email, key in p.emails
        ]
        search.reindex(contact)
        db.session.add(contact)
        return contact

    def _update(self, p: Parsed, customer: Customer) -> dict[str, Any] | None:
        """Apply the row to an existing customer (only empty fields, or overwriting); the old
        values of what changed, or None when nothing did."""
        from saas.contacts import search

        old: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        for key, value in p.customer.items():
            if key == "name_key" or value is None:
                continue
            current = getattr(customer, key)
            if current == value or (not self.overwrite and current not in (None, "")):
                continue
            if key == "kind" and not self.overwrite:
                continue
            changed[key] = value
        if "name" in changed:
            changed["name_key"] = p.customer["name_key"]
        old_customer = {k: getattr(customer, k) for k in changed if k != "name_key"}
        for kind, entry in p.entries.items():
            column = lists.COLUMNS[kind]
            current = getattr(customer, column)
            if current == entry.id or (
                not self.overwrite and current is not None and kind != ListKind.STAGE
            ):
                continue
            if kind == ListKind.STAGE and not self.overwrite:
                continue
            old_customer[column] = current
            changed[column] = entry.id
            if kind == ListKind.STAGE:
                old_customer["stage"] = customer.stage
                changed["stage"] = entry.category or CustomerStage.POTENTIAL
        if old_customer:
            old["customer"] = old_customer
            for key, value in changed.items():
                setattr(customer, key, value)
        if p.tags:
            before = [t.id for t in lists.tags_of(customer)]
            wanted = list(dict.fromkeys([*before, *(t.id for t in p.tags)]))  # type: ignore[union-attr]
            if set(wanted) != set(before):
                old["tags"] = before
                lists._set_tags(customer, [db.session.get(ListEntry, i) for i in wanted])
        if p.custom:
            current = custom.values_of(customer)
            by_id = {f.id: f for f in self.fields.values()}
            store: dict[int, list[dict[str, Any]]] = {}
            old_custom: dict[str, Any] = {}
            for field_id, rows in p.custom.items():
                definition = by_id[field_id]
                have = current.get(definition.key)
                if have not in (None, "", []) and not self.overwrite:
                    continue
                store[field_id] = rows
                old_custom[definition.key] = have
            if store:
                custom.store(customer, store)
                if custom.values_of(customer) != current:
                    old["custom_fields"] = old_custom
        if p.contact:
            self._update_contact(p, customer, old, search)
        if not old:
            return None
        customers.touch(customer, self.actor)
        return old

    def _update_contact(
        self, p: Parsed, customer: Customer, old: dict[str, Any], search: Any
    ) -> None:
        contacts = list(
            db.session.scalars(select(Contact).where(Contact.customer_id == customer.id))
        )
        wanted = fold(p.contact["name"])
        contact = next((c for c in contacts if fold(c.name) == wanted), None)
        if contact is None and p.contact["name"] == p.customer["name"]:
            contact = next((c for c in contacts if c.is_primary), None)
        if contact is None:
            created = self._add_contact(
                p, customer, primary=not any(c.is_primary for c in contacts)
            )
            db.session.flush()
            old.setdefault("new_contacts", []).append(created.id)
            return
        before: dict[str, Any] = {}
        for key in ("position", "birthday", "notes", "interests"):
            value = p.contact.get(key)
            current = getattr(contact, key)
            if (
                value is None
                or value == current
                or (current not in (None, "") and not self.overwrite)
            ):
                continue
            before[key] = current.isoformat() if isinstance(current, date) else current
            setattr(contact, key, value)
        have_phones = {ph.e164 for ph in contact.phones}
        for raw, e164, type_ in p.phones:
            if e164 not in have_phones:
                contact.phones.append(
                    ContactPhone(raw=raw, e164=e164, type=type_, customer_id=customer.id)
                )
                old.setdefault("new_phones", []).append([contact.id, e164])
        have_emails = {em.email_key for em in contact.emails}
        for email, key in p.emails:
            if key not in have_emails:
                contact.emails.append(
                    ContactEmail(email=email, email_key=key, customer_id=customer.id)
                )
                old.setdefault("new_emails", []).append([contact.id, key])
        if before:
            old.setdefault("contacts", {})[str(contact.id)] = before
        if before or "new_phones" in old or "new_emails" in old:
            contact.updated_by_id = self.actor.id
            search.reindex(contact)

    # --- a chunk -------------------------------------------------------------------------

    def chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> dict[str, int]:
        """Import ``rows``: all in one savepoint, else one savepoint per row. The counts."""
        state = self._state()
        try:
            with db.session.begin_nested():
                counts = self._chunk(rows)
            self._keep_fresh()
            return counts
        except Exception:
            self._restore(state)
        counts = {"created": 0, "updated": 0, "skipped": 0, "rejected": 0}
        for number, cells in rows:
            state = self._state()
            try:
                with db.session.begin_nested():
                    one = self._chunk([(number, cells)])
                self._keep_fresh()
            except Exception as exc:  # refused by the database: this row only
                self._restore(state)
                reason = (
                    exc.message
                    if isinstance(exc, ServiceError)
                    else _("The row could not be saved.")
                )
                self._reject(number, [_cell_json(c) for c in cells], reason)
                one = {"created": 0, "updated": 0, "skipped": 0, "rejected": 1}
            for k in counts:
                counts[k] += one[k]
        return counts

    def _state(self) -> tuple:
        return dict(self.owned), {k: dict(v) for k, v in self.entries.items()}

    def _restore(self, state: tuple) -> None:
        self.owned, self.entries = state
        self.fresh = ({}, {}, {}, set())

    def _reject(self, number: int, cells: list[Any], reason: str) -> None:
        db.session.add(
            ImportRow(
                run_id=self.run.id,
                row=number,
                action=RowAction.REJECTED,
                reason=reason,
                cells=cells,
            )
        )

    def _chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "skipped": 0, "rejected": 0}
        parsed: list[Parsed] = []
        with db.session.no_autoflush:
            for number, cells in rows:
                try:
                    parsed.append(self.parse(number, cells))
                except RowRejected as exc:
                    self._reject(number, [_cell_json(c) for c in cells], str(exc))
                    counts["rejected"] += 1
        base = self._base_matches(parsed)
        plan: list[tuple[str, Parsed, Customer]] = []
        creates: list[Customer] = []
        with db.session.no_autoflush:
            for p in parsed:
                match = self._match(p, base)
                if match is not None and self.duplicates != "create":
                    if self.duplicates == "skip":
                        counts["skipped"] += 1
                        self._remember(p, match)
                        continue
                    if not customers.may_edit(self.actor, match):
                        self._reject(
                            p.row,
                            p.cells,
                            _(
                                "The customer No. %(number)s already exists and is not yours "
                                "to change.",
                                number=match.number,
                            ),
                        )
                        counts["rejected"] += 1
                        continue
                    plan.append(("update", p, match))
                    self._remember(p, match)
                    continue
                try:
                    self._check_owning(p.owner_id)
                except RowRejected as exc:
                    self._reject(p.row, p.cells, str(exc))
                    counts["rejected"] += 1
                    continue
                self._resolve_new(p)
                customer = self._shell(p)
                creates.append(customer)
                plan.append(("create", p, customer))
                self._remember(p, customer)
            if creates:
                for customer, number in zip(creates, self._numbers(len(creates)), strict=True):
                    customer.number = number
                db.session.add_all(creates)
        with audit.suppressed():  # one entry per created customer below, not five per row
            db.session.flush()
            for action, p, customer in plan:
                if action == "create":
                    self._fill_new(p, customer)
                    db.session.add(
                        ImportRow(
                            run_id=self.run.id,
                            row=p.row,
                            action=RowAction.CREATED,
                            customer_id=customer.id,
                        )
                    )
                    counts["created"] += 1
            db.session.flush()
        self._audit_created(creates)
        for action, p, customer in plan:
            if action != "update":
                continue
            self._resolve_new(p)
            old = self._update(p, customer)
            if old is None:
                counts["skipped"] += 1
                continue
            db.session.add(
                ImportRow(
                    run_id=self.run.id,
                    row=p.row,
                    action=RowAction.UPDATED,
                    customer_id=customer.id,
                    old=old,
                )
            )
            counts["updated"] += 1
        db.session.flush()
        return counts

    def _audit_created(self, created: Sequence[Customer]) -> None:
        """``customers.created`` per customer, as a hand-made creation is recorded (its fields,
        the names it refers to), written in one INSERT from what the import holds: the generic
        flush hook would look each reference up again — five entries and ~15 lookups a row."""
        if not created:
            return
        from sqlalchemy import insert

        from saas.audit.models import AuditEntry

        entries = {e.id: e.name for kind in self.entries.values() for e in kind.values()}
        if self.default_stage is not None:
            entries[self.default_stage.id] = self.default_stage.name
        users = {self.actor.id: self.actor.name} | {u.id: u.name for u in self.users.values()}
        now = utcnow()
        rows = []
        for customer in created:
            changes = audit.snapshot(customer)
            refs: dict[str, list[Any]] = {}
            for key in ("level_id", "industry_id", "source_id", "stage_id"):
                if key in changes:
                    refs[key] = [None, entries.get(changes[key][1])]
            if "owner_id" in changes:
                refs["owner_id"] = [None, users.get(changes["owner_id"][1])]
            display: dict[str, Any] = {"actor": self.actor.name, "object": customer.name}
            if refs:
                display["refs"] = refs
            rows.append(
                {
                    "tenant_id": customer.tenant_id,
                    "created_at": now,
                    "actor_id": self.actor.id,
                    "action": "customers.created",
                    "object_type": "customers",
                    "object_id": customer.id,
                    "changes": changes,
                    "display": display,
                }
            )
        db.session.connection().execute(insert(AuditEntry.__table__), rows)


def _batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _actor() -> User | None:
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    return actor if actor is not None and actor.is_active else None


def _fail(run_id: int, message: str) -> None:
    db.session.rollback()
    run = db.session.get(ImportRun, run_id)
    if run is not None and run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        run.status = ImportStatus.FAILED
        run.message = message[:300]
        run.finished_at = utcnow()
        db.session.commit()


@job("default", retries=0)
def run_import(tenant_id: int, run_id: int, record_id: int) -> None:
    """Tracked (``imports.run``): import the run's table, a committed chunk at a time."""
    from saas.imports.service import open_run_table
    from saas.printouts.service import reading_as

    run = db.session.get(ImportRun, run_id)
    actor = _actor()
    if run is None or run.status != ImportStatus.QUEUED:
        return
    if actor is None:  # deactivated since: nothing is written in their name
        _fail(run_id, "the importing user is no longer active")
        record = db.session.get(progress.JobRecord, record_id)
        if record is not None:
            record.status = progress.JobStatus.FAILED
            record.message = "the importing user is no longer active"
            record.finished_at = utcnow()
            db.session.commit()
        return
    try:
        with reading_as(actor), progress.track(record_id) as tracker:
            run.status = ImportStatus.RUNNING
            run.started_at = utcnow()
            db.session.commit()
            importer = Importer(run, actor)
            table = open_run_table(run)
            tracker.set_total(run.total_rows)
            size = int(current_app.config.get("IMPORT_CHUNK") or CHUNK)
            for rows in _batches(table.rows(), size):
                counts = importer.chunk(rows)
                run.created += counts["created"]
                run.updated += counts["updated"]
                run.skipped += counts["skipped"]
                run.rejected += counts["rejected"]
                run.done += len(rows)
                tracker.advance(len(rows), commit=True)  # the chunk, its log and counts
            run.status = ImportStatus.DONE
            run.finished_at = utcnow()
            # the upload has served: the log and the rejected cells are in the database
            storage.delete_after_commit(run.tenant_id, run.storage_key)
            tracker.record.result = {
                "summary": summary_lines(run),
                "counts": {
                    "created": run.created,
                    "updated": run.updated,
                    "skipped": run.skipped,
                    "rejected": run.rejected,
                },
            }
            audit.record_event(
                "imports.finished",
                None,
                file=run.filename,
                rows=run.done,
                created=run.created,
                updated=run.updated,
                skipped=run.skipped,
                rejected=run.rejected,
            )
    except Exception as exc:
        _fail(run_id, f"{type(exc).__name__}: {exc}")
        raise


def summary_lines(run: ImportRun) -> list[str]:
    """ "N created, M updated, K skipped, E rejected." in the reader's language."""
    from saas.formatting import number

    return [
        _(
            "%(created)s created, %(updated)s updated, %(skipped)s skipped, %(rejected)s rejected.",
            created=number(run.created),
            updated=number(run.updated),
            skipped=number(run.skipped),
            rejected=number(run.rejected),
        )
    ]


# --- undo -------------------------------------------------------------------------------------


def _logged(run: ImportRun, action: str) -> Iterable[list[ImportRow]]:
    last = 0
    while True:
        rows = list(
            db.session.scalars(
                select(ImportRow)
                .where(ImportRow.run_id == run.id, ImportRow.action == action, ImportRow.id > last)
                .order_by(ImportRow.id)
                .limit(CHUNK)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _restore_update(row: ImportRow, actor: User) -> None:
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    if customer is None:
        return
    old = row.old or {}
    for key, value in (old.get("customer") or {}).items():
        setattr(customer, key, value)
        if key == "name":
            customer.name_key = name_key(value)[:200]
    if "tags" in old:
        lists._set_tags(
            customer, [e for i in old["tags"] if (e := db.session.get(ListEntry, i)) is not None]
        )
    if old.get("custom_fields"):
        by_key = {f.key: f for f in custom.fields(archived=True)}
        store = {}
        for key, value in old["custom_fields"].items():
            if key in by_key:
                rows = custom.parse(by_key[key], value)
                if rows and by_key[key].unique:
                    rows[0]["unique_key"] = custom._unique_key(by_key[key], rows[0])
                store[by_key[key].id] = rows
        custom.store(customer, store)
    for contact_id in old.get("new_contacts", []):
        contact = db.session.get(Contact, contact_id)
        if contact is not None:
            if contact.photo_key:  # set since the import: the file goes after the commit
                storage.delete_after_commit(contact.tenant_id, contact.photo_key)
            db.session.delete(contact)
    from saas.contacts import search

    for contact_id, before in (old.get("contacts") or {}).items():
        contact = db.session.get(Contact, int(contact_id))
        if contact is None:
            continue
        for key, value in before.items():
            if key == "birthday" and value:
                value = date.fromisoformat(value)
            setattr(contact, key, value)
    for kind in ("new_phones", "new_emails"):
        for contact_id, key in old.get(kind, []):
            contact = db.session.get(Contact, contact_id)
            if contact is None:
                continue
            if kind == "new_phones":
                contact.phones = [p for p in contact.phones if p.e164 != key]
            else:
                contact.emails = [e for e in contact.emails if e.email_key != key]
            search.reindex(contact)
    customers.touch(customer, actor)


@job("default", retries=0)
def undo_import(tenant_id: int, run_id: int, record_id: int) -> None:
    """Tracked (``imports.undo``): created customers to the trash (audited per row, restorable
    there), updated ones back to their old values, contacts it added deleted."""
    run = db.session.get(ImportRun, run_id)
    actor = _actor()
    if run is None or run.status != ImportStatus.UNDOING or actor is None:
        return
    try:
        with progress.track(record_id) as tracker:
            for rows in _logged(run, RowAction.CREATED):
                ids = [r.customer_id for r in rows if r.customer_id]
                now = utcnow()
                db.session.execute(
                    update(Customer)
                    .where(Customer.id.in_(ids), Customer.deleted_at.is_(None))
                    .values(deleted_at=now, updated_at=now, updated_by_id=actor.id)
                    .execution_options(synchronize_session=False)
                )
                tracker.advance(len(rows), commit=True)
            for rows in _logged(run, RowAction.UPDATED):
                for row in rows:
                    _restore_update(row, actor)
                db.session.flush()
                tracker.advance(len(rows), commit=True)
            run.status = ImportStatus.UNDONE
            run.undone_at = utcnow()
            audit.record_event(
                "imports.undone", None, file=run.filename, created=run.created, updated=run.updated
            )
    except Exception as exc:
        db.session.rollback()
        run = db.session.get(ImportRun, run_id)
        run.status = ImportStatus.FAILED
        run.message = f"undo: {type(exc).__name__}: {exc}"[:300]
        db.session.commit()
        raise
