"""The Contacts page's list and quick search: people across every customer the user may see.

Visibility is the customers' own: the list is ``customers.service.view_query(actor, view)``
joined to its contacts, so a contact shows iff its customer is in that list (live, and visible
to the actor by the view's rule); the search only ever narrows it.

Quick search ``q`` matches a contact when any of these holds:

- **name or position**: every word of ``q`` is the beginning of a word of the contact's name
  or position, or of the whole name written without spaces ("liwei" finds "Li Wei"); a word in
  Chinese/Japanese/Korean script also matches from any of its characters ("伟" finds "李伟",
  names there have no spaces). Words fold like the duplicate check (NFKC, case-folded, Arabic
  letters as Persian, every digit as ASCII: ``customers.normalize``);
- **phone**: ``q`` is a phone number or its beginning (3+ digits, any separators, any script:
  ``۰۹۱۲ ۱۲۳`` is ``0912 123``), compared as E.164: ``+98912123…`` with the national trunk
  prefix of the company's country dropped, or as an international number without its ``+``;
- **email**: ``q`` (NFKC, case-folded) is the beginning of an address;
- **customer**: ``q`` is the beginning of the customer's name (its ``name_key``).

Phones and emails of pool customers are not searched while the company masks them
(``pool.masked``): a search must not reveal a hidden number digit by digit.

How it is fast: every key of a contact is a row of ``contact_terms`` (``kind``, ``term``),
rebuilt by the service when the name, position, phones or emails change. A search is a union
of range scans ``tenant_id = t AND term >= p AND term < p'`` on ``ix_contact_terms_tenant_term``
(a byte-ordered, "C"-collated column on PostgreSQL, where ``>=``/``<`` are leakproof and so
keep their index under row-level security), plus the customers' ``name_key`` prefix index; the
matching ids are then joined to the visible list and paged by keyset.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from flask_babel import gettext as _
from phonenumbers import PhoneMetadata
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    intersect,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import selectinload

from saas.auth.models import User
from saas.contacts.models import Contact, ContactTerm, TermKind
from saas.contacts.normalize import ascii_digits, email_key
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.customers.normalize import _split, name_key
from saas.errors import ValidationFailed
from saas.extensions import db
from saas.pagination import PAGE, Page, make_cursor, read_cursor
from saas.tenancy.context import require_tenant_id
from saas.text import single_line

#: Longest key kept (characters); longer words and addresses are cut, queries too.
MAX_TERM = 64
MAX_EMAIL_TERM = 100
#: Most keys of one contact (a pathological name cannot blow the table up).
MAX_TERMS = 60
#: Longest CJK word whose every suffix is a key.
MAX_CJK_SUFFIX_WORD = 12
MAX_QUERY = 200
#: Most words of a query that narrow it (the rest are ignored).
MAX_QUERY_WORDS = 5
MIN_PHONE_DIGITS = 3
#: The row count stops here ("10,000+").
COUNT_CAP = 10_000
PAGE_SIZES = (25, 50, 100, 200)

#: Lists of a few customers each: sorted after the join rather than walked in index order.
NARROW_VIEWS = ("mine", "shared")
#: ``sort`` values: the column and its direction ("-" first: descending).
SORTS = ("name", "-name", "customer", "-customer", "created", "-created")
DEFAULT_SORT = "name"

_PHONE_SEPARATORS = re.compile(r"[\s\-().\/\u00a0\u200c\u200e\u200f]")
_PHONE_QUERY = re.compile(r"(\+|00)?(\d+)")


# --- keys -------------------------------------------------------------------------------------


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL"))


def words(text: str | None) -> list[str]:
    """The folded words of ``text`` (``customers.normalize``), each cut to ``MAX_TERM``."""
    return [w[:MAX_TERM] for w in _split(text or "") if w]


def name_terms(name: str | None, position: str | None) -> set[str]:
    """The keys a name and position are found by (see the module's docstring)."""
    name_words = words(name)
    found = set(name_words)
    if len(name_words) > 1:
        found.add("".join(name_words)[:MAX_TERM])
    found.update(words(position))
    for word in list(found):
        if len(word) <= MAX_CJK_SUFFIX_WORD and any(_is_cjk(ch) for ch in word):
            found.update(word[i:] for i in range(1, len(word)))
    return found


def keys(
    name: str | None, position: str | None, e164s: Iterable[str], email_keys: Iterable[str]
) -> list[tuple[str, str]]:
    """``(kind, term)`` of every key of a contact with these fields (migration 0022 too)."""
    out = [(TermKind.NAME.value, t) for t in sorted(name_terms(name, position))][:MAX_TERMS]
    out += sorted({(TermKind.PHONE.value, p) for p in e164s})
    out += sorted({(TermKind.EMAIL.value, e[:MAX_EMAIL_TERM]) for e in email_keys})
    return out


def terms_of(contact: Contact) -> list[tuple[str, str]]:
    """``(kind, term)`` of every key of ``contact`` (its phones and emails as loaded)."""
    return keys(
        contact.name,
        contact.position,
        (p.e164 for p in contact.phones),
        (e.email_key for e in contact.emails),
    )


def reindex(contact: Contact) -> None:
    """Rebuild ``contact.terms`` from its fields, keeping the rows that did not change."""
    keep = {(t.kind, t.term): t for t in contact.terms}
    rows = []
    for kind, term in terms_of(contact):
        row = keep.pop((kind, term), None)
        if row is None:
            row = ContactTerm(kind=kind, term=term, customer_id=contact.customer_id)
        rows.append(row)
    contact.terms = rows


# --- the query --------------------------------------------------------------------------------


@dataclass
class Search:
    """What a quick search looks for (``parse``)."""

    words: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    email: str = ""
    customer: str = ""

    @property
    def empty(self) -> bool:
        return not (self.words or self.phones or self.email or self.customer)


def phone_prefixes(q: str, country: str | None) -> list[str]:
    """E.164 beginnings ``q`` may be the start of (none when it is not a phone number)."""
    text = _PHONE_SEPARATORS.sub("", ascii_digits(q))
    match = _PHONE_QUERY.fullmatch(text)
    if not match or len(match.group(2)) < MIN_PHONE_DIGITS or len(match.group(2)) > 15:
        return []
    digits = match.group(2)
    if match.group(1):  # +98… or 0098…
        return [f"+{digits}"]
    out = [f"+{digits}"]  # an international number typed without its +
    region = (country or "").upper()
    code = phonenumbers.country_code_for_region(region) if region else 0
    if code:
        meta = PhoneMetadata.metadata_for_region(region)
        trunk = meta.national_prefix if meta is not None else None
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        if national:
            out.append(f"+{code}{national}")
    return sorted(set(out))


def parse(q: str | None, country: str | None) -> Search:
    """The parts of quick search ``q`` (see the module's docstring)."""
    q = single_line(q)[:MAX_QUERY]
    if not q:
        return Search()
    return Search(
        words=words(q)[:MAX_QUERY_WORDS],
        phones=phone_prefixes(q, country),
        email=email_key(q)[:MAX_EMAIL_TERM] if not any(ch.isspace() for ch in q.strip()) else "",
        customer=name_key(q)[:200],
    )


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (code-point order)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if 0xD800 <= last <= 0xDFFF:
            last = 0xE000
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def starts_with(column: Any, prefix: str, *, pattern_ops: bool = False) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range an index serves. ``pattern_ops``: the
    column's PostgreSQL index compares bytes through ``varchar_pattern_ops``
    (``customers.name_key``), so the range uses its leakproof ``~>=~``/``~<~``."""
    upper = _successor(prefix)
    if pattern_ops and db.session.get_bind().dialect.name == "postgresql":
        low = column.op("~>=~")(prefix)
        return and_(low, column.op("~<~")(upper)) if upper is not None else low
    return and_(column >= prefix, column < upper) if upper is not None else column >= prefix


def _term_ids(tid: int, kinds: Iterable[str], prefix: str) -> Select:
    kinds = [str(k) for k in kinds]
    kind = ContactTerm.kind == kinds[0] if len(kinds) == 1 else ContactTerm.kind.in_(kinds)
    return select(ContactTerm.contact_id).where(
        ContactTerm.tenant_id == tid, starts_with(ContactTerm.term, prefix), kind
    )


def _masking() -> bool:
    """Whether the company hides the phones and emails of pool customers."""
    from saas.customers import pool

    row = pool.get_settings()
    return bool(row and row.mask_pool_contacts)


def matching_ids(search: Search) -> Select | None:
    """The ids of the current tenant's contacts ``search`` matches (before visibility), or
    None when it can match nothing."""
    tid = require_tenant_id()
    parts: list[Select] = []
    if search.words:
        named = [_term_ids(tid, [TermKind.NAME], w) for w in search.words]
        if len(named) == 1:
            parts.append(named[0])
        else:
            both = intersect(*named).subquery()
            parts.append(select(both.c.contact_id))
    reach = [(TermKind.PHONE, p) for p in search.phones]
    if search.email:
        reach.append((TermKind.EMAIL, search.email))
    masking = _masking() if reach else False
    for kind, prefix in reach:
        ids = _term_ids(tid, [kind], prefix)
        if masking:
            ids = ids.join(Customer, Customer.id == ContactTerm.customer_id).where(
                Customer.tenant_id == tid, Customer.owner_id.is_not(None)
            )
        parts.append(ids)
    if search.customer:
        parts.append(
            select(Contact.id)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(
                Contact.tenant_id == tid,
                Customer.tenant_id == tid,
                starts_with(Customer.name_key, search.customer, pattern_ops=True),
            )
        )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    found = union(*parts).subquery()
    return select(found.c[0])


def visible_query(actor: User, view: str, q: str | None = None) -> Select:
    """``select(Contact, Customer)`` of the contacts of list ``view``'s customers (authorized
    and validated by ``customers.view_query``), narrowed by quick search ``q``. Unordered."""
    query = (
        customers.view_query(actor, view)
        .join(Contact, Contact.customer_id == Customer.id)
        .with_only_columns(Contact, Customer)
    )
    if single_line(q):
        ids = matching_ids(parse(q, actor.tenant.default_country))
        query = query.where(false()) if ids is None else query.where(Contact.id.in_(ids))
    return query


def default_view(actor: User) -> str:
    """The widest list ``actor`` may open: "all" with ``customers.view_all``, else "mine"."""
    allowed = customers.views_for(actor)
    return "all" if "all" in allowed else ("mine" if "mine" in allowed else allowed[0])


def _sort_key(sort: str) -> tuple[Any, str, bool]:
    """(SQL key, attribute path on the row, descending) of ``sort``."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    if column == "name":
        return Contact.name, "name", descending
    if column == "customer":
        return Customer.name, "customer", descending
    return Contact.id, "id", descending


def check_sort(sort: str | None) -> str:
    """``sort`` validated (``SORTS``); ``DEFAULT_SORT`` when not given."""
    if not sort:
        return DEFAULT_SORT
    if sort not in SORTS:
        raise ValidationFailed(_("Choose one of the offered values."), code="sort")
    return sort


def list_contacts(
    *,
    actor: User,
    view: str,
    q: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
) -> Page[tuple[Contact, Customer]]:
    """One keyset page of ``(contact, customer)`` rows of list ``view`` narrowed by ``q``,
    ordered by ``sort`` (``SORTS``; ties by contact id). A cursor is signed and bound to the
    sort; an unreadable one raises ``ValidationFailed`` (code ``cursor``)."""
    sort = check_sort(sort)
    limit = max(1, min(int(limit), max(PAGE_SIZES)))
    key, attr, descending = _sort_key(sort)
    unique = key is Contact.id
    if view in NARROW_VIEWS:
        # A user's own (or shared) customers are a sliver of the tenant: reading them through
        # the owner's index and sorting a few thousand rows beats walking the tenant's whole
        # name (or id) index in order, which PostgreSQL otherwise picks on its uniform guess
        # (docs/PERFORMANCE.md, "Contacts"). An expression no index serves, same order.
        key = key + 0 if unique else key.concat("")
    name = f"contacts:{sort}"
    at = read_cursor(name, cursor)
    if cursor and at is None:
        raise ValidationFailed(_("This page link is no longer valid."), code="cursor")
    backwards = at is not None and at[2] == "prev"
    desc = descending != backwards
    query = visible_query(actor, view, q).options(
        selectinload(Contact.phones), selectinload(Contact.emails)
    )
    if at is not None:
        k, i = at[0], at[1]
        if unique:
            query = query.where(key < i if desc else key > i)
        else:
            boundary = tuple_(key, Contact.id)
            query = query.where(boundary < (k, i) if desc else boundary > (k, i))
    order = [key.desc() if desc else key.asc()]
    if not unique:
        order.append(Contact.id.desc() if desc else Contact.id.asc())
    rows = [(c, cu) for c, cu in db.session.execute(query.order_by(*order).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)

    def cur(row: tuple[Contact, Customer], direction: str) -> str:
        contact, customer = row
        value = customer.name if attr == "customer" else getattr(contact, attr)
        return make_cursor(name, value, contact.id, direction)

    has_next = more if not backwards else True
    has_prev = (at is not None) if not backwards else more
    return Page(
        rows,
        cur(rows[-1], "next") if has_next else None,
        cur(rows[0], "prev") if has_prev else None,
    )


def count_contacts(actor: User, view: str, q: str | None = None, cap: int = COUNT_CAP) -> int:
    """How many contacts the list holds, counting at most ``cap + 1`` (above ``cap``: "10,000+")."""
    inner = visible_query(actor, view, q).with_only_columns(Contact.id).limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def masked_customers(actor: User, rows: Iterable[tuple[Contact, Customer]]) -> set[int]:
    """Ids of the rows' customers whose phones and emails are hidden from ``actor``."""
    pool_rows = {cu.id: cu for _c, cu in rows if cu.owner_id is None}
    if not pool_rows or not _masking():
        return set()
    from saas.customers import pool

    return {cid for cid, cu in pool_rows.items() if pool.masked(actor, cu)}
