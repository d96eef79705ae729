"""Contacts: list, read, create, change, delete, the primary rule, photos and relationships.

A contact moves with its customer: every read goes through ``customers.service.get_customer``
(404 when the actor may not see the customer, as for another tenant's id) and every write also
needs ``customers.service.may_edit`` (403 for a read-only caller). Each change flushes (never
commits), is audited by the models' ``__audit__`` hooks and counts as follow-up on the customer
(``customers.service.touch``).

Primary rule: a customer with contacts has exactly one primary contact. The first contact is
primary; making another primary demotes the old one (flushed first, so the partial unique index
never sees two); deleting the primary promotes the oldest remaining one. The customer's row is
updated (``touch``, flushed) before the rule is applied: that UPDATE holds the row lock, so two
concurrent "first contacts" queue instead of both becoming primary.

Invalid input raises ``ContactInvalid`` (422) carrying ``path``, the place of the bad value
(``("phones", 1, "number")``); the API prefixes it to the message (``contacts.1.phones.0.number:
…``), the forms put the message on the field.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import jdatetime
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from saas import storage
from saas.auth.models import User
from saas.contacts.models import (
    ACCOUNT_LABELS,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactRelation,
    EmailType,
    PhoneType,
)
from saas.contacts.normalize import ascii_digits, check_email, email_key, parse_phone
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from saas.extensions import db
from saas.images import open_image
from saas.text import clean_name, single_line

MAX_PHONES = 20
MAX_EMAILS = 20
MAX_ACCOUNTS = 20
MAX_CONTACTS_INLINE = 50
MAX_TEXT = 10_000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_INPUT_SIDE = 6000
PHOTO_MAX_INPUT_PIXELS = 30_000_000
#: Stored photos are re-encoded as PNG, at most this many pixels on a side.
PHOTO_SIDE = 512

#: Fields ``update_contact`` accepts.
FIELDS = (
    "name",
    "position",
    "phones",
    "emails",
    "accounts",
    "birthday",
    "interests",
    "notes",
    "primary",
)


class ContactInvalid(ValidationFailed):
    """A bad value, with ``path``: where it is in the contact (``("phones", 0, "number")``)."""

    def __init__(self, message: str, *, code: str, path: Sequence[Any]) -> None:
        super().__init__(message, code=code)
        self.path = tuple(path)

    def at(self, *prefix: Any) -> ContactInvalid:
        """The same error, its path prefixed (a contact inside a customer: ``contacts``, 1)."""
        return ContactInvalid(self.message, code=self.code, path=(*prefix, *self.path))

    @property
    def where(self) -> str:
        return ".".join(str(p) for p in self.path)


def _invalid(exc: ServiceError, *path: Any) -> ContactInvalid:
    return ContactInvalid(exc.message, code=path[0] if path else exc.code, path=path)


# --- access -----------------------------------------------------------------------------------


def editable_customer(actor: User, customer_id: int) -> Customer:
    """The customer ``actor`` may change: 404 when they may not see it, 403 read-only."""
    return customers.get_editable(actor, customer_id)


def _lock(customer: Customer, actor: User) -> None:
    """Mark the follow-up now and flush it: the UPDATE of the customer's row holds its lock
    (PostgreSQL row lock, SQLite write lock) until the transaction ends, so concurrent changes
    of one customer's contacts queue and each sees the primary the previous one left."""
    customers.touch(customer, actor)
    db.session.flush()


def _load(contact_id: Any) -> Contact:
    contact = db.session.get(Contact, contact_id) if isinstance(contact_id, int) else None
    if contact is None:
        raise NotFound()
    return contact


def get_contact(actor: User, contact_id: int) -> Contact:
    """A contact whose customer ``actor`` may see; ``NotFound`` otherwise (another tenant's too)."""
    contact = _load(contact_id)
    customers.get_customer(actor, contact.customer_id)
    return contact


def editable_contact(actor: User, contact_id: int) -> tuple[Contact, Customer]:
    """A contact ``actor`` may change, and its customer: 404 unseen, 403 read-only."""
    contact = _load(contact_id)
    return contact, editable_customer(actor, contact.customer_id)


def may_edit_customer(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` may change the contacts of ``customer`` (templates hide links by it)."""
    return customers.may_edit(actor, customer)


def masked(actor: User, customer: Customer) -> bool:
    """Whether the phones and emails of ``customer``'s contacts are hidden from ``actor`` (the
    pool's anti-poaching setting, until the actor reveals the customer: ``customers.pool``)."""
    from saas.customers import pool

    return pool.masked(actor, customer)


def list_contacts(actor: User, customer_id: int) -> list[Contact]:
    """The contacts of a customer ``actor`` may see: the primary first, then oldest first."""
    customer = customers.get_customer(actor, customer_id)
    return contacts_of(customer)


def contacts_of(customer: Customer) -> list[Contact]:
    """The contacts of ``customer`` (already authorised), primary first, with phones and emails."""
    from sqlalchemy.orm import selectinload

    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.customer_id == customer.id)
            .options(selectinload(Contact.phones), selectinload(Contact.emails))
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
    )


# --- validation -------------------------------------------------------------------------------


def _text(value: str | None, what: str, field: str) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ContactInvalid(_("%(what)s is too long.", what=what), code=field, path=(field,))
    return value or None


def _line(value: str | None, what: str, field: str, max_length: int = 200) -> str | None:
    value = single_line(value)
    if len(value) > max_length:
        raise ContactInvalid(_("%(what)s is too long.", what=what), code=field, path=(field,))
    return value or None


def _name(value: str | None) -> str:
    try:
        return clean_name(value, _("Name"))
    except ValidationFailed as exc:
        raise _invalid(exc, "name") from None


def _phones(items: Iterable[Mapping[str, Any]], country: str | None) -> list[tuple[str, str, str]]:
    """``(raw, e164, type)`` of each phone; a repeated number is kept once."""
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    items = list(items)
    if len(items) > MAX_PHONES:
        raise ContactInvalid(_("Too many phone numbers."), code="phones", path=("phones",))
    for i, item in enumerate(items):
        raw = single_line(item.get("number"))
        kind = item.get("type") or PhoneType.MOBILE
        if kind not in PhoneType.__members__.values():
            raise ContactInvalid(
                _("Choose one of the offered values."), code="phones", path=("phones", i, "type")
            )
        try:
            e164 = parse_phone(raw, country)
        except ValidationFailed as exc:
            raise _invalid(exc, "phones", i, "number") from None
        if e164 not in seen:
            seen.add(e164)
            out.append((raw, e164, str(kind)))
    return out


def _emails(items: Iterable[Any]) -> list[tuple[str, str | None]]:
    """``(email, type)`` of each address (a bare string is untyped); a repeat is kept once."""
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    items = list(items)
    if len(items) > MAX_EMAILS:
        raise ContactInvalid(_("Too many email addresses."), code="emails", path=("emails",))
    for i, item in enumerate(items):
        if isinstance(item, str):
            raw, kind, where = item, None, ("emails", i)
        else:
            raw, kind, where = item.get("email"), item.get("type"), ("emails", i, "email")
        if kind is not None and kind not in EmailType.__members__.values():
            raise ContactInvalid(
                _("Choose one of the offered values."), code="emails", path=("emails", i, "type")
            )
        try:
            email = check_email(raw)
        except ValidationFailed as exc:
            raise _invalid(exc, *where) from None
        if email_key(email) not in seen:
            seen.add(email_key(email))
            out.append((email, None if kind is None else str(kind)))
    return out


def _accounts(items: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    items = list(items)
    if len(items) > MAX_ACCOUNTS:
        raise ContactInvalid(_("Too many accounts."), code="accounts", path=("accounts",))
    for i, item in enumerate(items):
        kind = item.get("kind") or "other"
        if kind not in ACCOUNT_LABELS:
            raise ContactInvalid(
                _("Choose one of the offered values."),
                code="accounts",
                path=("accounts", i, "kind"),
            )
        handle = single_line(item.get("handle"))
        if not handle:
            continue
        if len(handle) > 200:
            raise ContactInvalid(
                _("%(what)s is too long.", what=_("Account")),
                code="accounts",
                path=("accounts", i, "handle"),
            )
        out.append({"kind": kind, "handle": handle})
    return out


def _birthday(value: Any, calendar: str = "gregorian") -> date | None:
    """A date, or text ``YYYY-MM-DD`` / ``YYYY/MM/DD`` in any digits; in the Jalali calendar when
    ``calendar`` is ``jalali`` (``1369/05/12`` in Persian digits too) or the year is below 1700."""
    if value is None or value == "":
        return None
    if not isinstance(value, date):
        text = ascii_digits(str(value).strip()).replace("/", "-")
        try:
            year, month, day = (int(part) for part in text.split("-"))
            if calendar == "jalali" or year < 1700:
                value = jdatetime.date(year, month, day).togregorian()
            else:
                value = date(year, month, day)
        except (ValueError, TypeError):
            raise ContactInvalid(
                _("Enter a date as YYYY-MM-DD."), code="birthday", path=("birthday",)
            ) from None
    if value.year < 1900 or value > date.today():
        raise ContactInvalid(
            _("Enter a birthday in the past."), code="birthday", path=("birthday",)
        )
    return value


def _clean(
    values: Mapping[str, Any], country: str | None, calendar: str = "gregorian"
) -> dict[str, Any]:
    """The given fields of a contact, checked and normalised."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name":
            out["name"] = _name(value)
        elif key == "position":
            out["position"] = _line(value, _("Position"), "position")
        elif key == "phones":
            out["phones"] = _phones(value or (), country)
        elif key == "emails":
            out["emails"] = _emails(value or ())
        elif key == "accounts":
            out["accounts"] = _accounts(value or ())
        elif key == "birthday":
            out["birthday"] = _birthday(value, calendar)
        elif key == "interests":
            out["interests"] = _text(value, _("Hobbies and interests"), "interests")
        elif key == "notes":
            out["notes"] = _text(value, _("Notes"), "notes")
        elif key == "primary":
            out["primary"] = bool(value)
        else:
            raise ValueError(f"unknown contact field {key!r}")
    return out


def _country(actor: User) -> str | None:
    return actor.tenant.default_country


# --- writing ----------------------------------------------------------------------------------


def _set_phones(contact: Contact, phones: list[tuple[str, str, str]]) -> None:
    """Replace the phones, keeping the rows that did not change (no churn in the history)."""
    keep = {(p.e164, p.type): p for p in contact.phones}
    rows = []
    for raw, e164, kind in phones:
        row = keep.pop((e164, kind), None)
        if row is None:
            row = ContactPhone(raw=raw, e164=e164, type=kind, customer_id=contact.customer_id)
        else:
            row.raw = raw
        rows.append(row)
    contact.phones = rows


def _set_emails(contact: Contact, emails: list[tuple[str, str | None]]) -> None:
    keep = {(e.email_key, e.type): e for e in contact.emails}
    rows = []
    for email, kind in emails:
        row = keep.pop((email_key(email), kind), None)
        if row is None:
            row = ContactEmail(
                email=email, email_key=email_key(email), type=kind, customer_id=contact.customer_id
            )
        else:
            row.email = email
        rows.append(row)
    contact.emails = rows


def _apply(contact: Contact, clean: dict[str, Any]) -> None:
    for key in ("name", "position", "accounts", "birthday", "interests", "notes"):
        if key in clean:
            setattr(contact, key, clean[key])
    if "phones" in clean:
        _set_phones(contact, clean["phones"])
    if "emails" in clean:
        _set_emails(contact, clean["emails"])
    if clean.keys() & {"name", "position", "phones", "emails"}:
        from saas.contacts import search

        search.reindex(contact)  # the Contacts page's search keys follow


def _primary_of(customer: Customer, but: int | None = None) -> Contact | None:
    query = select(Contact).where(Contact.customer_id == customer.id, Contact.is_primary)
    if but is not None:
        query = query.where(Contact.id != but)
    return db.session.scalar(query)


def _make_primary(contact: Contact, customer: Customer) -> None:
    if contact.is_primary:
        return
    old = _primary_of(customer, but=contact.id)
    if old is not None:
        old.is_primary = False
        old.updated_by_id = contact.updated_by_id
        db.session.flush()  # the old one first: the unique index never sees two primaries
    contact.is_primary = True


def _add(actor: User, customer: Customer, values: Mapping[str, Any]) -> Contact:
    clean = _clean(values, _country(actor), actor.calendar)
    if "name" not in clean:
        raise ContactInvalid(
            _("%(what)s is required.", what=_("Name")), code="name", path=("name",)
        )
    _lock(customer, actor)
    first = _primary_of(customer) is None
    contact = Contact(
        customer_id=customer.id,
        name=clean["name"],
        accounts=[],
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    _apply(contact, clean)
    if first:
        contact.is_primary = True
        db.session.add(contact)
    else:
        db.session.add(contact)
        if clean.get("primary"):
            db.session.flush()
            _make_primary(contact, customer)
    db.session.flush()
    return contact


def create_contact(*, actor: User, customer_id: int, **values: Any) -> Contact:
    """A new contact of a customer ``actor`` may change (the first one becomes primary;
    ``primary=True`` makes it primary in place of the current one).

    Fields: ``name`` (required), ``position``, ``phones`` ([{"number", "type"}]), ``emails``
    (["a@b"] or [{"email", "type"}]), ``accounts`` ([{"kind", "handle"}]), ``birthday``,
    ``interests``, ``notes``, ``primary``.
    """
    customer = editable_customer(actor, customer_id)
    contact = _add(actor, customer, values)
    customers.touch(customer, actor)
    db.session.flush()
    return contact


def add_inline(
    *, actor: User, customer: Customer, contacts: Sequence[Mapping[str, Any]]
) -> list[Contact]:
    """Contacts given with a new customer (the API's ``"contacts": [...]``, the form's primary
    contact) by the actor who just created it (``customers.create`` was checked; a customer
    created into the pool gets its contacts too), in the caller's transaction: the first bad
    value raises ``ContactInvalid`` with its path (``contacts.1.phones.0.number``) and the
    caller's transaction rolls back whole."""
    if len(contacts) > MAX_CONTACTS_INLINE:
        raise ContactInvalid(_("Too many contacts."), code="contacts", path=("contacts",))
    out = []
    for i, values in enumerate(contacts):
        try:
            out.append(_add(actor, customer, values))
        except ContactInvalid as exc:
            raise exc.at("contacts", i) from None
    if out:
        customers.touch(customer, actor)
        db.session.flush()
    return out


def update_contact(*, actor: User, contact_id: int, **values: Any) -> Contact:
    """Change the given fields (``FIELDS``); ``phones``/``emails``/``accounts`` replace the lists.

    ``primary=True`` makes the contact primary (the old one is demoted); ``primary=False`` on the
    primary is refused: make another contact primary instead.
    """
    contact, customer = editable_contact(actor, contact_id)
    clean = _clean(values, _country(actor), actor.calendar)
    if clean.get("primary") is False and contact.is_primary:
        raise ContactInvalid(
            _("A customer always has a primary contact: make another contact primary instead."),
            code="primary",
            path=("primary",),
        )
    _lock(customer, actor)
    _apply(contact, clean)
    contact.updated_by_id = actor.id
    if clean.get("primary"):
        _make_primary(contact, customer)
    customers.touch(customer, actor)
    db.session.flush()
    return contact


def make_primary(*, actor: User, contact_id: int) -> Contact:
    """Make a contact its customer's primary one (the old primary is demoted)."""
    return update_contact(actor=actor, contact_id=contact_id, primary=True)


def delete_contact(*, actor: User, contact_id: int) -> Customer:
    """Delete a contact (its phones, emails, relations and photo go with it); when it was the
    primary, the oldest remaining contact becomes primary. Returns its customer."""
    contact, customer = editable_contact(actor, contact_id)
    _lock(customer, actor)
    was_primary = contact.is_primary
    for relation in db.session.scalars(
        select(ContactRelation).where(
            or_(ContactRelation.contact_id == contact.id, ContactRelation.other_id == contact.id)
        )
    ):
        db.session.delete(relation)
    if contact.photo_key:
        storage.delete_after_commit(contact.tenant_id, contact.photo_key)
    db.session.delete(contact)
    db.session.flush()
    if was_primary:
        heir = db.session.scalar(
            select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id).limit(1)
        )
        if heir is not None:
            heir.is_primary = True
            heir.updated_by_id = actor.id
    customers.touch(customer, actor)
    db.session.flush()
    return customer


def count_contacts(customer: Customer) -> int:
    """How many contacts ``customer`` has (already authorised)."""
    return db.session.scalar(
        select(func.count()).select_from(Contact).where(Contact.customer_id == customer.id)
    )


# --- photo ------------------------------------------------------------------------------------


def set_photo(*, actor: User, contact_id: int, data: bytes | None) -> Contact:
    """Store ``data`` (PNG/JPEG/GIF/WebP, at most 5 MB) as the contact's photo, re-encoded to a
    PNG of at most 512 pixels a side; ``None`` removes it. The old file goes after the commit."""
    contact, customer = editable_contact(actor, contact_id)
    old_key = contact.photo_key
    if data is None:
        contact.photo_key = None
    else:
        if len(data) > PHOTO_MAX_BYTES:
            raise ContactInvalid(
                _("The photo must be smaller than 5 MB."), code="photo", path=("photo",)
            )
        image = open_image(
            data,
            max_side=PHOTO_MAX_INPUT_SIDE,
            max_pixels=PHOTO_MAX_INPUT_PIXELS,
            code="photo",
            not_an_image_message=_("The photo must be a PNG, JPEG, GIF or WebP image."),
        )
        image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
        out = io.BytesIO()
        image.convert("RGBA").save(out, "PNG")
        contact.photo_key = storage.put_new(
            contact.tenant_id, storage.unique_key("contact", "png"), out.getvalue()
        )
    if old_key:
        storage.delete_after_commit(contact.tenant_id, old_key)
    contact.updated_by_id = actor.id
    customers.touch(customer, actor)
    db.session.flush()
    return contact


def purge_customer_photos(customer_ids: list[int]) -> int:
    """Schedule the photos of every contact of ``customer_ids`` for deletion once the
    transaction commits; how many.

    For the trash purge, which deletes customers for good: their contacts go with them
    (``ON DELETE CASCADE``), so the photos must be dropped by key first. No permission check
    (the caller, a scheduled job, decides); the customers' own deletion is audited.
    """
    rows = db.session.execute(
        select(Contact.tenant_id, Contact.photo_key).where(
            Contact.customer_id.in_(customer_ids), Contact.photo_key.is_not(None)
        )
    ).all()
    for tenant_id, key in rows:
        storage.delete_after_commit(tenant_id, key)
    return len(rows)


def photo(actor: User, contact_id: int) -> bytes | None:
    """The stored photo (PNG) of a contact ``actor`` may see, or None."""
    contact = get_contact(actor, contact_id)
    if not contact.photo_key:
        return None
    return storage.get_storage().get(contact.tenant_id, contact.photo_key)


# --- relationships ----------------------------------------------------------------------------


def relations_of(actor: User, contact: Contact) -> list[tuple[ContactRelation, Contact, bool]]:
    """``(relation, the other contact, outgoing)`` of ``contact``, for the other contacts
    ``actor`` may see (a relation to a hidden customer's contact is not shown)."""
    rows = db.session.scalars(
        select(ContactRelation)
        .where(
            or_(ContactRelation.contact_id == contact.id, ContactRelation.other_id == contact.id)
        )
        .order_by(ContactRelation.id)
    ).all()
    out = []
    for rel in rows:
        outgoing = rel.contact_id == contact.id
        other = rel.other if outgoing else rel.contact
        other_customer = db.session.get(Customer, other.customer_id)
        if other_customer is not None and customers.may_see(actor, other_customer):
            out.append((rel, other, outgoing))
    return out


def add_relation(*, actor: User, contact_id: int, other_id: int, kind: str) -> ContactRelation:
    """Record that the contact is ``kind`` the other ("spouse of", free text). The actor must be
    able to change the contact and see the other one (a contact of any customer of the tenant)."""
    contact, customer = editable_contact(actor, contact_id)
    try:
        other = get_contact(actor, other_id)
    except NotFound:
        raise ContactInvalid(
            _("Choose a contact you can see."), code="other_id", path=("other_id",)
        ) from None
    if other.id == contact.id:
        raise ContactInvalid(
            _("A contact cannot be related to itself."), code="other_id", path=("other_id",)
        )
    try:
        kind = clean_name(kind, _("Relationship"), max_length=100)
    except ValidationFailed as exc:
        raise _invalid(exc, "kind") from None
    relation = ContactRelation(contact_id=contact.id, other_id=other.id, kind=kind)
    db.session.add(relation)
    customers.touch(customer, actor)
    db.session.flush()
    return relation


def delete_relation(*, actor: User, relation_id: int) -> Contact:
    """Remove a relationship; the actor must be able to change either of its two contacts."""
    relation = (
        db.session.get(ContactRelation, relation_id) if isinstance(relation_id, int) else None
    )
    if relation is None:
        raise NotFound()
    contact = _load(relation.contact_id)
    other = _load(relation.other_id)
    seen = [
        (c, cust)
        for c in (contact, other)
        if (cust := db.session.get(Customer, c.customer_id)) is not None
        and customers.may_see(actor, cust)
    ]
    if not seen:
        raise NotFound()
    editable = [(c, cust) for c, cust in seen if customers.may_edit(actor, cust)]
    if not editable:
        raise PermissionDenied()
    db.session.delete(relation)
    customers.touch(editable[0][1], actor)
    db.session.flush()
    return editable[0][0]
