"""The duplicate check (查重): existing customers of the whole tenant that a new or edited one
would repeat, with why they match.

Exact matches are one indexed equality lookup each: ``customers.name_key`` (index
``(tenant_id, name_key)``), and — with the contacts — ``contact_phones.e164`` and
``contact_emails.email_key``. Similar names come from a bounded candidate set read through an
index (PostgreSQL: ``pg_trgm`` GIN on ``name_key`` via ``customers.sql``; SQLite: a range of the
``(tenant_id, name_key)`` index on the key's first characters), which rapidfuzz then scores;
those at or above ``FUZZY_THRESHOLD`` are reported as "similar name 87%". Never a scan of the
tenant's customers.

The check covers every live customer of the tenant, also those the actor may not see: of
those it tells only the name and who holds it ("held by Ann", "in the pool"); the visible ones
link to their card. The tenant's ``duplicate_policy`` says what an exact duplicate does on
create/edit: ``warn`` (the panel only) or ``block`` (409 ``duplicate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from sqlalchemy import select

from saas.auth.models import User
from saas.customers import sql
from saas.customers.models import Customer
from saas.customers.normalize import fuzzy_text, name_key
from saas.errors import Conflict, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.formatting import number as format_number
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant

#: A similar name is reported from this rapidfuzz score (0-100) on.
FUZZY_THRESHOLD = 85
#: Most names read from the index to be scored.
CANDIDATES = 50
#: Most matches reported.
MAX_MATCHES = 10
#: Keys shorter than this get no fuzzy candidates (two letters are like too many names).
_MIN_FUZZY = 3


class Reason(StrEnum):
    NAME = "name"
    SIMILAR_NAME = "similar_name"
    PHONE = "phone"
    EMAIL = "email"


#: Exact reasons: these are what ``block`` refuses.
EXACT = frozenset({Reason.NAME, Reason.PHONE, Reason.EMAIL})


class Policy(StrEnum):
    WARN = "warn"
    BLOCK = "block"


POLICY_LABELS = {
    Policy.WARN: _l("Warn about duplicates"),
    Policy.BLOCK: _l("Refuse an exact duplicate (same name, phone or email)"),
}


class DuplicateFound(Conflict):
    """The tenant blocks exact duplicates and there is one (HTTP 409, code ``duplicate``)."""

    code = "duplicate"


@dataclass
class Match:
    """One existing customer that matches, with why. Of an invisible one, tell only
    ``customer.name`` and ``holder``."""

    customer: Customer
    visible: bool
    reasons: dict[Reason, int] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return max(self.reasons.values(), default=0)

    @property
    def exact(self) -> bool:
        return any(r in EXACT for r in self.reasons)

    @property
    def holder(self) -> str | None:
        """The owner's name; ``None``: in the pool."""
        owner = self.customer.owner
        return owner.name if owner is not None else None

    def describe(self) -> str:
        """Who holds it, in words: "held by Ann", "in the pool"."""
        if self.holder is None:
            return _("in the pool")
        return _("held by %(name)s", name=self.holder)

    def reason_labels(self) -> list[str]:
        """Why it matches, in words: "same name", "similar name 87%"."""
        labels = {
            Reason.NAME: _("same name"),
            Reason.PHONE: _("same phone"),
            Reason.EMAIL: _("same email"),
        }
        out = []
        for reason, score in self.reasons.items():
            if reason == Reason.SIMILAR_NAME:
                out.append(_("similar name %(score)s%%", score=format_number(score)))
            else:
                out.append(labels[reason])
        return out


def _tenant() -> Tenant:
    return db.session.get(Tenant, require_tenant_id())


def tenant_policy() -> str:
    """The current tenant's duplicate policy (``warn`` or ``block``)."""
    tenant = _tenant()
    return (tenant.duplicate_policy if tenant else None) or Policy.WARN


def set_policy(*, actor: User, policy: str) -> None:
    """Set the tenant's duplicate policy (``settings.manage``)."""
    from saas.access import authorize

    authorize(actor, "settings.manage")
    try:
        value = Policy(policy).value
    except ValueError:
        raise ValidationFailed(_("Choose one of the offered values."), code="policy") from None
    tenant = db.session.get(Tenant, require_tenant_id())
    assert tenant is not None
    tenant.duplicate_policy = value
    db.session.flush()


def _authorize(actor: User) -> None:
    if not (actor.can("customers.create") or actor.can("customers.edit")):
        raise PermissionDenied()


def _live(query):  # noqa: ANN001 (a select)
    return query.where(Customer.deleted_at.is_(None))


def _exact_names(key: str, exclude_id: int | None) -> list[Customer]:
    query = _live(select(Customer).where(Customer.name_key == key))
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    return list(db.session.scalars(query.order_by(Customer.id.desc()).limit(MAX_MATCHES)))


def _candidates(key: str, exclude_id: int | None) -> list[Customer]:
    """A bounded set of names like ``key``, read through an index (never a scan)."""
    if len(key) < _MIN_FUZZY:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = sql.trigram_candidates(require_tenant_id(), key, CANDIDATES)
        if not ids:
            return []
        query = select(Customer).where(Customer.id.in_(ids))
    else:
        prefix = key[:_MIN_FUZZY]
        query = _live(
            select(Customer).where(
                Customer.name_key >= prefix, Customer.name_key < prefix + "\U0010ffff"
            )
        ).limit(CANDIDATES)
    found = db.session.scalars(query)
    return [c for c in found if c.id != exclude_id and c.name_key != key]


def similarity(a: str, b: str) -> int:
    """rapidfuzz's score (0-100) of two names: word order and legal forms do not count."""
    text_a, text_b = fuzzy_text(a), fuzzy_text(b)
    score = max(
        fuzz.token_sort_ratio(text_a, text_b),
        fuzz.ratio(text_a.replace(" ", ""), text_b.replace(" ", "")),
    )
    return round(score)


def find(
    *,
    actor: User,
    name: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    exclude_id: int | None = None,
) -> list[Match]:
    """Customers of the whole tenant that match ``name`` (exactly or similarly), a phone or an
    email; exact ones first, then by score. Needs ``customers.create`` or ``customers.edit``."""
    _authorize(actor)
    return _find(actor, name, list(phones), list(emails), exclude_id)


def _find(
    actor: User,
    name: str | None,
    phones: Sequence[str],
    emails: Sequence[str],
    exclude_id: int | None,
    fuzzy: bool = True,
) -> list[Match]:
    matches: dict[int, Match] = {}

    def add(customer: Customer, reason: Reason, score: int) -> None:
        match = matches.get(customer.id)
        if match is None:
            match = matches[customer.id] = Match(customer, visible=False)
        match.reasons[reason] = max(score, match.reasons.get(reason, 0))

    key = name_key(name) if name else ""
    if key:
        for customer in _exact_names(key, exclude_id):
            add(customer, Reason.NAME, 100)
        if fuzzy:
            for customer in _candidates(key, exclude_id):
                score = similarity(name or "", customer.name)
                if score >= FUZZY_THRESHOLD:
                    add(customer, Reason.SIMILAR_NAME, score)
    for customer, reason in _contact_matches(phones, emails, exclude_id):
        add(customer, reason, 100)

    from saas.customers.service import may_see

    ordered = sorted(matches.values(), key=lambda m: (not m.exact, -m.score, -m.customer.id))
    ordered = ordered[:MAX_MATCHES]
    for match in ordered:
        match.visible = may_see(actor, match.customer)
    return ordered


def _contact_matches(
    phones: Sequence[str], emails: Sequence[str], exclude_id: int | None
) -> list[tuple[Customer, Reason]]:
    """Customers with a contact having one of ``phones`` or ``emails``: each an equality lookup
    on ``(tenant_id, e164)`` / ``(tenant_id, email_key)``. A phone is read in the company's
    country; one that is not a valid number (yet: the user is typing) matches nothing."""
    from saas.contacts.models import ContactEmail, ContactPhone
    from saas.contacts.normalize import email_key, parse_phone

    country = _tenant().default_country
    e164s = set()
    for raw in phones:
        try:
            e164s.add(parse_phone(raw, country))
        except ValidationFailed:
            continue
    keys = {email_key(e) for e in emails if "@" in e}
    found: list[tuple[int, Reason]] = []
    if e164s:
        ids = select(ContactPhone.customer_id).where(ContactPhone.e164.in_(e164s))
        found += [(cid, Reason.PHONE) for cid in db.session.scalars(ids.limit(MAX_MATCHES))]
    if keys:
        ids = select(ContactEmail.customer_id).where(ContactEmail.email_key.in_(keys))
        found += [(cid, Reason.EMAIL) for cid in db.session.scalars(ids.limit(MAX_MATCHES))]
    wanted = {cid for cid, _r in found if cid != exclude_id}
    if not wanted:
        return []
    customers = {
        c.id: c for c in db.session.scalars(_live(select(Customer).where(Customer.id.in_(wanted))))
    }
    return [(customers[cid], reason) for cid, reason in found if cid in customers]


def enforce(
    actor: User,
    *,
    name: str | None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    exclude_id: int | None = None,
) -> None:
    """Refuse (``DuplicateFound``, 409) an exact duplicate when the tenant's policy is ``block``.

    Called by create/edit inside their transaction, after they authorized the actor.
    """
    if tenant_policy() != Policy.BLOCK:
        return
    exact = [
        m
        for m in _find(actor, name, list(phones), list(emails), exclude_id, fuzzy=False)
        if m.exact
    ]
    if exact:
        first = exact[0]
        raise DuplicateFound(
            _(
                "This customer already exists: %(name)s (%(holder)s).",
                name=first.customer.name,
                holder=first.describe(),
            )
        )
