"""Customers: create, see, claim from the pool, return to it, assign.

Every function validates, authorizes, writes and flushes; none commits. Ownership changes are
one conditional UPDATE each (``… WHERE owner_id IS NULL``), never read-then-write, so of two
people racing for one customer exactly one wins and the other hears who holds it (409). The
UPDATEs are audited per row by the audit module's bulk hook; ``audit/describe.py`` reads them
as "Ann claimed Acme".

Who sees a customer (``may_see``): its owner; holders of ``customers.view_all``; holders of
``customers.view_team`` above the owner in the reporting line (``users.manager_id``, any
depth); holders of ``customers.pool`` while it is in the pool. Anyone else gets 404, as for
another tenant's id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import Select, false, func, select, update
from sqlalchemy.orm import selectinload

from saas.access import authorize
from saas.auth.models import User
from saas.customers import pool
from saas.customers.models import Customer, CustomerKind, CustomerStage
from saas.customers.normalize import name_key
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.formatting import LATIN_DIGITS
from saas.pagination import PAGE, Page, paginate
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.text import clean_name, single_line
from saas.utils import utcnow

#: ``owner_id`` default of ``create``: the actor.
ME: Any = object()

#: Longest reporting line walked (a cycle or a very deep tree ends the walk).
_MAX_DEPTH = 64


def next_number() -> int:
    """The current tenant's next customer number: one UPDATE … RETURNING on its row.

    The UPDATE takes the tenant row lock (PostgreSQL) or the write lock (SQLite) until the
    transaction ends, so concurrent creations get consecutive numbers, and a rolled-back
    creation rolls its number back too: no gaps, no duplicates, no max()+1.
    """
    tid = require_tenant_id()
    return db.session.execute(
        update(Tenant)
        .where(Tenant.id == tid)
        .values(customer_seq=Tenant.customer_seq + 1)
        .returning(Tenant.customer_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _managers_of(user_id: int | None) -> set[int]:
    """Ids of everyone above ``user_id`` in the reporting line."""
    found: set[int] = set()
    current = user_id
    for _step in range(_MAX_DEPTH):
        if current is None:
            break
        current = db.session.scalar(select(User.manager_id).where(User.id == current))
        if current is None or current in found:
            break
        found.add(current)
    return found


def is_manager_of(actor: User, owner_id: int | None) -> bool:
    """Whether ``actor`` is above ``owner_id`` in the reporting line."""
    return owner_id is not None and actor.id in _managers_of(owner_id)


def may_see(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` may see ``customer`` (see the module's docstring)."""
    if customer.deleted_at is not None or not actor.is_active:
        return False
    if customer.owner_id == actor.id or actor.can("customers.view_all"):
        return True
    if customer.owner_id is None:
        return actor.can("customers.pool")
    return actor.can("customers.view_team") and is_manager_of(actor, customer.owner_id)


def may_edit(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` may change ``customer`` (its fields, contacts, notes, attachments).

    Needs ``customers.edit`` and a customer ``actor`` may see that is theirs, held by someone
    below them in the reporting line, in the pool (with pool access), or any customer for those
    who see all and may assign (admins).
    """
    if not may_see(actor, customer) or not actor.can("customers.edit"):
        return False
    if customer.owner_id == actor.id:
        return True
    if customer.owner_id is None:
        return actor.can("customers.pool") or actor.can("customers.assign")
    if actor.can("customers.view_all") and actor.can("customers.assign"):
        return True
    return actor.can("customers.view_team") and is_manager_of(actor, customer.owner_id)


def touch(customer: Customer, actor: User) -> None:
    """Record that ``actor`` worked on ``customer`` (an edit, a note, a contact, a file):
    the follow-up the pool rules count (``last_followup_at``)."""
    now = utcnow()
    customer.updated_at = now
    customer.updated_by_id = actor.id
    pool.followed_up(customer, now)


def _load(customer_id: int) -> Customer:
    """A live customer of the current tenant, whoever owns it; ``NotFound`` otherwise."""
    customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or customer.deleted_at is not None:
        raise NotFound()
    return customer


def get_customer(actor: User, customer_id: int) -> Customer:
    """The customer ``actor`` may see; ``NotFound`` for any other id (another tenant's too)."""
    customer = _load(customer_id)
    if not may_see(actor, customer):
        raise NotFound()
    return customer


def get_editable(actor: User, customer_id: int) -> Customer:
    """The customer ``actor`` may change: 404 when not visible, 403 when only visible."""
    customer = get_customer(actor, customer_id)
    if not may_edit(actor, customer):
        raise PermissionDenied()
    return customer


def _choice(value: str | None, allowed: type, field: str) -> str:
    try:
        return allowed(value).value
    except ValueError:
        raise ValidationFailed(_("Choose one of the offered values."), code=field) from None


def _optional(value: str | None, what: str, max_length: int) -> str | None:
    value = single_line(value)
    if len(value) > max_length:
        raise ValidationFailed(_("%(what)s is too long.", what=what), code="too_long")
    return value or None


def _active_user(user_id: Any, field: str) -> User:
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise ValidationFailed(_("Choose an active member of the company."), code=field)
    return user


def create_customer(
    *,
    actor: User,
    name: str,
    kind: str = CustomerKind.COMPANY,
    stage: Any = None,
    country: str | None = None,
    city: str | None = None,
    address: str | None = None,
    website: str | None = None,
    comments: str | None = None,
    owner_id: Any = ME,
    level: Any = None,
    industry: Any = None,
    source: Any = None,
    tags: Any = (),
    custom_fields: Mapping[str, Any] | None = None,
) -> Customer:
    """A new customer numbered next; owned by ``actor`` (default), nobody (``None``: the pool)
    or another user (needs ``customers.assign``).

    ``stage``, ``level``, ``industry``, ``source``: an entry of the tenant's list, by id or
    name (``customers.lists.resolve``; a stage may also be a category, potential/active/ended;
    no stage: the first live one); ``tags``: ids or names; ``custom_fields``: ``{key: value}``
    (``customers.fields``; required ones must be there). Everything is validated before
    anything is written.
    """
    from saas.customers import fields, lists

    authorize(actor, "customers.create")
    chosen = lists.pick(
        None,
        level=level,
        industry=industry,
        source=source,
        stage=lists.UNSET if stage is None or stage == "" else stage,
        tags=list(tags) if isinstance(tags, list | tuple) else tags,
    )
    if lists.ListKind.STAGE not in chosen:
        chosen[lists.ListKind.STAGE] = lists.default_stage()
    stage_entry = chosen[lists.ListKind.STAGE]
    values = fields.validate(custom_fields or {}, partial=False)
    clean = clean_name(name, _("Name"))
    country = (single_line(country) or "").upper() or None
    if country is not None and (
        len(country) != 2 or not country.isalpha() or country not in Locale("en").territories
    ):
        raise ValidationFailed(_("Choose a country from the list."), code="country")
    comments = (comments or "").strip() or None
    if comments is not None and len(comments) > 10_000:
        raise ValidationFailed(_("%(what)s is too long.", what=_("Comments")), code="comments")
    if owner_id is ME:
        owner_id = actor.id
    elif owner_id is not None and owner_id != actor.id:
        authorize(actor, "customers.assign")
        owner_id = _active_user(owner_id, "owner_id").id
    if owner_id is not None:
        pool.check_owning(actor if owner_id == actor.id else db.session.get(User, owner_id))
    from saas.customers.duplicates import enforce

    enforce(actor, name=clean)
    customer = Customer(
        number=next_number(),
        name=clean,
        name_key=name_key(clean)[:200],
        kind=_choice(kind, CustomerKind, "kind"),
        stage=stage_entry.category if stage_entry else CustomerStage.POTENTIAL,
        country=country,
        city=_optional(city, _("City"), 200),
        address=_optional(address, _("Address"), 500),
        website=_optional(website, _("Website"), 300),
        comments=comments,
        owner_id=owner_id,
        claimed_at=utcnow() if owner_id is not None else None,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    db.session.add(customer)
    lists.put(customer, chosen)  # sets the entry columns, flushes (the INSERT), then the tags
    fields.store(customer, values)
    return customer


def _holder_conflict(actor: User, customer: Customer) -> Conflict:
    """409 naming who holds ``customer`` now (re-read from the database)."""
    db.session.refresh(customer)
    if customer.deleted_at is not None:
        raise NotFound()
    if customer.owner_id == actor.id:
        return Conflict(_("You already hold this customer."), code="already_yours")
    if customer.owner_id is None:
        return Conflict(_("This customer changed meanwhile; try again."), code="changed")
    holder = db.session.get(User, customer.owner_id)
    return Conflict(
        _("%(name)s already holds this customer.", name=holder.name if holder else "?"),
        code="already_claimed",
    )


def _set_owner(customer: Customer, expected: int | None, **values: Any) -> int:
    """One conditional UPDATE: ``values`` only if the owner is still ``expected``."""
    owner = Customer.owner_id.is_(None) if expected is None else Customer.owner_id == expected
    result = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, owner, Customer.deleted_at.is_(None))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined]


def claim(*, actor: User, customer_id: int) -> Customer:
    """Take a pool customer. Of many simultaneous claims exactly one wins; the others (and a
    claim of a customer someone already holds, the actor included) get 409 naming the holder."""
    authorize(actor, "customers.pool")
    customer = _load(customer_id)
    now = utcnow()
    won = _set_owner(
        customer,
        None,
        owner_id=actor.id,
        claimed_at=now,
        last_followup_at=now,
        updated_by_id=actor.id,
    )
    if not won:
        raise _holder_conflict(actor, customer)
    pool.claimed(actor, customer, now=now)  # the limits; a refusal rolls the claim back
    db.session.refresh(customer)
    return customer


def return_to_pool(*, actor: User, customer_id: int, reason: str) -> Customer:
    """Give a customer back to the pool with a reason: its owner, a manager above the owner
    (``customers.view_team``) or a holder of ``customers.assign``."""
    customer = get_customer(actor, customer_id)
    if customer.owner_id is None:
        raise Conflict(_("This customer is already in the pool."), code="in_pool")
    allowed = (
        customer.owner_id == actor.id
        or actor.can("customers.assign")
        or (actor.can("customers.view_team") and is_manager_of(actor, customer.owner_id))
    )
    if not allowed:
        raise PermissionDenied()
    reason = clean_name(reason, _("Reason"))
    previous = customer.owner_id
    done = _set_owner(
        customer,
        customer.owner_id,
        owner_id=None,
        returned_at=utcnow(),
        return_reason=reason,
        updated_by_id=actor.id,
    )
    if not done:
        raise _holder_conflict(actor, customer)
    pool.released(customer.id, previous)
    db.session.refresh(customer)
    return customer


def assign(*, actor: User, customer_id: int, user_id: int) -> Customer:
    """Give a customer (owned or in the pool) to ``user_id``; full rights pass to them."""
    authorize(actor, "customers.assign")
    customer = get_customer(actor, customer_id)
    target = _active_user(user_id, "user_id")
    if customer.owner_id == target.id:
        return customer
    previous = customer.owner_id
    done = _set_owner(
        customer,
        previous,
        owner_id=target.id,
        last_followup_at=utcnow(),
        updated_by_id=actor.id,
    )
    if not done:
        db.session.refresh(customer)
        raise Conflict(_("This customer changed meanwhile; try again."), code="changed")
    pool.check_owning(target, exclude=customer.id)  # a refusal rolls the assignment back
    pool.released(customer.id, previous)
    db.session.refresh(customer)
    return customer


#: The lists of the Customers page and ``GET /api/v1/customers?view=``, and who may read them.
VIEWS: dict[str, str | None] = {
    "mine": None,
    "pool": "customers.pool",
    "all": "customers.view_all",
}


def views_for(actor: User) -> list[str]:
    """The lists ``actor`` may open, in tab order."""
    return [v for v, perm in VIEWS.items() if perm is None or actor.can(perm)]


#: Tab counts stop here ("10,000+"): counting reads at most this many index entries per tab.
COUNT_CAP = 10_000

_NUMBER_QUERY = re.compile(r"^\s*(?:no\.?|#|№)?\s*(\d{1,12})\s*$", re.IGNORECASE)


def view_query(actor: User, view: str, q: str | None = None) -> Select:
    """The live customers of list ``view`` for ``actor`` (authorized), narrowed by quick search
    ``q``: an exact No. (``123``, ``No. 123``, ``#123``, Persian digits too) through the unique
    ``(tenant_id, number)`` index, else a name prefix on the indexed ``name_key`` (``LIKE
    'key%'``: a range scan of ``ix_customers_tenant_name_key``)."""
    if view not in VIEWS:
        raise ValidationFailed(_("Choose one of the offered values."), code="view")
    if (perm := VIEWS[view]) is not None:
        authorize(actor, perm)
    query = select(Customer).where(Customer.deleted_at.is_(None))
    if view == "mine":
        query = query.where(Customer.owner_id == actor.id)
    elif view == "pool":
        query = query.where(Customer.owner_id.is_(None))
    q = single_line(q)[:200]
    if q:
        digits = _NUMBER_QUERY.match(q.translate(LATIN_DIGITS))
        if digits:
            query = query.where(Customer.number == int(digits.group(1)))
        else:
            key = name_key(q)[:200]
            # name_key keeps letters and digits only: no LIKE wildcard can be in it
            if not key:
                return query.where(false())
            query = query.where(Customer.name_key.like(f"{key}%"))
            if db.session.get_bind().dialect.name == "sqlite":
                # SQLite's LIKE ignores ASCII case, so its index cannot serve it: add the range
                query = query.where(
                    Customer.name_key >= key, Customer.name_key < key + "\U0010ffff"
                )
    return query


def count_view(actor: User, view: str, q: str | None = None, cap: int = COUNT_CAP) -> int:
    """How many customers list ``view`` holds, counting at most ``cap + 1``: a result above
    ``cap`` reads "10,000+". ``SELECT count(*) FROM (… LIMIT cap + 1)`` stops the index scan
    there, so a tab of a million rows costs as much as one of ten thousand."""
    inner = view_query(actor, view, q).with_only_columns(Customer.id).limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def list_customers(
    *,
    actor: User,
    view: str = "mine",
    cursor: str | None = None,
    limit: int = PAGE,
    q: str | None = None,
) -> Page[Customer]:
    """One keyset page (newest first) of a list: ``mine``, ``pool`` or ``all`` (live rows),
    narrowed by quick search ``q`` (see ``view_query``).

    Each reads through an index led by ``tenant_id``: ``(tenant_id, owner_id, id)`` for mine
    and the pool; "all" is ordered by No. (unique per tenant), so only ``(tenant_id, number)``
    can serve it — ordered by ``id``, PostgreSQL preferred walking the primary key backwards
    through other tenants' newer rows (docs/PERFORMANCE.md). Owners are loaded in one query.
    """
    query = view_query(actor, view, q).options(selectinload(Customer.owner))
    return paginate(
        query,
        name=f"customers:{view}:{name_key(single_line(q))[:50]}",
        key=Customer.number if view == "all" else Customer.id,
        id_col=Customer.id,
        unique_key=True,
        cursor=cursor,
        limit=max(1, min(limit, 200)),
    )
