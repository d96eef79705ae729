"""Customers: create, see, claim from the pool, return to it, assign.

Every function validates, authorizes, writes and flushes; none commits. Ownership changes are
one conditional UPDATE each (``… WHERE owner_id IS NULL``), never read-then-write, so of two
people racing for one customer exactly one wins and the other hears who holds it (409). The
UPDATEs are audited per row by the audit module's bulk hook; ``audit/describe.py`` reads them
as "Ann claimed Acme".

Who sees a customer (``may_see``): its owner; holders of ``customers.view_all``; holders of
``customers.view_team`` above the owner in the reporting line (``users.manager_id``, any
depth); holders of ``customers.pool`` while it is in the pool; users it is shared with (a live
share: no ``until`` or ``until`` not yet past). Anyone else gets 404, as for another tenant's
id. Who changes it: ``may_edit`` (a ``write`` share counts, a ``read`` share does not); who
directs it (share, lock, see ``sharing.py``): ``in_charge`` — never a sharee.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import lazyload, load_only, selectinload

from saas.access import authorize
from saas.auth.models import User
from saas.customers import pool, search
from saas.customers.models import (
    Customer,
    CustomerKind,
    CustomerShare,
    CustomerStage,
    ShareAccess,
)
from saas.customers.normalize import name_key
from saas.customers.query import Node as QueryNode
from saas.customers.query import SortSpec
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.pagination import PAGE, Page, paginate, paginate_sorted
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


def subordinate_ids(actor: User) -> set[int]:
    """Ids of everyone below ``actor`` in the reporting line, any depth (one read of the
    tenant's ``(id, manager_id)`` pairs: users are thousands at most, customers a million)."""
    children: dict[int, list[int]] = {}
    for uid, manager_id in db.session.execute(select(User.id, User.manager_id)):
        if manager_id is not None:
            children.setdefault(manager_id, []).append(uid)
    found: set[int] = set()
    todo = list(children.get(actor.id, ()))
    while todo:
        uid = todo.pop()
        if uid in found or uid == actor.id:
            continue
        found.add(uid)
        todo.extend(children.get(uid, ()))
    return found


def today() -> date:
    """Today's date (UTC): a share ``until`` a date is live through that whole day."""
    return utcnow().date()


def share_is_live() -> ColumnElement[bool]:
    """SQL condition of a share that has not expired."""
    return or_(CustomerShare.until.is_(None), CustomerShare.until >= today())


def share_of(actor: User, customer: Customer) -> str | None:
    """``actor``'s live access to ``customer`` by a share (``read``/``write``), or None.

    One lookup by the unique key ``(tenant_id, customer_id, user_id)``.
    """
    if customer.id is None:
        return None
    return db.session.scalar(
        select(CustomerShare.access).where(
            CustomerShare.customer_id == customer.id,
            CustomerShare.user_id == actor.id,
            share_is_live(),
        )
    )


def is_above(actor: User, customer: Customer) -> bool:
    """``actor`` holds ``customers.view_team`` and is above the owner in the reporting line."""
    return (
        customer.owner_id is not None
        and actor.can("customers.view_team")
        and is_manager_of(actor, customer.owner_id)
    )


def is_admin(actor: User) -> bool:
    """Sees every customer and may assign them: the tenant's owner and admins."""
    return actor.can("customers.view_all") and actor.can("customers.assign")


def may_see(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` may see ``customer`` (see the module's docstring)."""
    if customer.deleted_at is not None or not actor.is_active:
        return False
    if customer.owner_id == actor.id or actor.can("customers.view_all"):
        return True
    if customer.owner_id is None and actor.can("customers.pool"):
        return True
    if is_above(actor, customer):
        return True
    return share_of(actor, customer) is not None


def may_edit(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` may change ``customer`` (its fields, contacts, notes, attachments).

    Needs ``customers.edit`` and a customer ``actor`` may see that is theirs, held by someone
    below them in the reporting line, in the pool (with pool access), shared with them for
    writing, or any customer for admins.
    """
    if not may_see(actor, customer) or not actor.can("customers.edit"):
        return False
    if customer.owner_id == actor.id or is_admin(actor):
        return True
    if customer.owner_id is None:
        return actor.can("customers.pool") or actor.can("customers.assign")
    if is_above(actor, customer):
        return True
    return share_of(actor, customer) == ShareAccess.WRITE


def in_charge(actor: User, customer: Customer) -> bool:
    """Whether ``actor`` directs ``customer`` (shares it, locks it): its owner, a manager above
    the owner, or an admin. A sharee never does, even with write access."""
    if not may_see(actor, customer):
        return False
    return customer.owner_id == actor.id or is_admin(actor) or is_above(actor, customer)


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


#: The fields ``update_customer`` changes (ownership, lock and trash have their own operations).
EDITABLE = (
    "name",
    "kind",
    "stage",
    "country",
    "city",
    "address",
    "website",
    "comments",
    "contact_frequency_days",
    "purchase_preferences",
)
#: Bounds of ``contact_frequency_days`` and the length of ``purchase_preferences``.
CONTACT_FREQUENCY_MIN, CONTACT_FREQUENCY_MAX = 1, 3650
PURCHASE_PREFERENCES_MAX = 2000
#: Fields of ``update_customer`` that are entries of the company's lists (``lists.apply``).
ENTRY_FIELDS = ("stage", "level", "industry", "source", "tags")


def _clean_fields(**fields: Any) -> dict[str, Any]:
    """The given customer fields validated and normalised (``ValidationFailed`` naming the
    field otherwise); ``name`` also sets ``name_key``."""
    out: dict[str, Any] = {}
    for field, value in fields.items():
        if field == "name":
            out["name"] = clean_name(value, _("Name"))
            out["name_key"] = name_key(out["name"])[:200]
        elif field == "kind":
            out["kind"] = _choice(value, CustomerKind, "kind")
        elif field == "stage":
            out["stage"] = _choice(value, CustomerStage, "stage")
        elif field == "country":
            country = (single_line(value) or "").upper() or None
            if country is not None and (
                len(country) != 2
                or not country.isalpha()
                or country not in Locale("en").territories
            ):
                raise ValidationFailed(_("Choose a country from the list."), code="country")
            out["country"] = country
        elif field == "city":
            out["city"] = _optional(value, _("City"), 200)
        elif field == "address":
            out["address"] = _optional(value, _("Address"), 500)
        elif field == "website":
            out["website"] = _optional(value, _("Website"), 300)
        elif field == "comments":
            if value is not None and not isinstance(value, str):
                raise ValidationFailed(_("Enter text."), code="comments")
            comments = (value or "").strip() or None
            if comments is not None and len(comments) > 10_000:
                raise ValidationFailed(
                    _("%(what)s is too long.", what=_("Comments")), code="comments"
                )
            out["comments"] = comments
        elif field == "contact_frequency_days":
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not CONTACT_FREQUENCY_MIN <= value <= CONTACT_FREQUENCY_MAX
            ):
                raise ValidationFailed(
                    _(
                        "Enter a whole number of days from %(min)s to %(max)s.",
                        min=CONTACT_FREQUENCY_MIN,
                        max=CONTACT_FREQUENCY_MAX,
                    ),
                    code="contact_frequency_days",
                )
            out["contact_frequency_days"] = value
        elif field == "purchase_preferences":
            if value is not None and not isinstance(value, str):
                raise ValidationFailed(_("Enter text."), code="purchase_preferences")
            prefs = (value or "").strip() or None
            if prefs is not None and len(prefs) > PURCHASE_PREFERENCES_MAX:
                raise ValidationFailed(
                    _("%(what)s is too long.", what=_("Purchase preferences")),
                    code="purchase_preferences",
                )
            out["purchase_preferences"] = prefs
        else:
            raise ValidationFailed(_("This field cannot be changed here."), code=field)
    return out


def update_customer(actor: User, customer_id: int, **fields: Any) -> Customer:
    """Change some of a customer's ``EDITABLE`` fields (validated like ``create_customer``):
    for those ``may_edit`` allows — the owner, a manager above, an admin, a write sharee.
    ``stage``, ``level``, ``industry``, ``source`` and ``tags`` go through ``lists.apply``,
    ``custom_fields`` (only the keys given) through ``fields.apply``. Counts as a follow-up
    (``touch``); changing nothing writes nothing."""
    from saas.customers import fields as custom
    from saas.customers import lists

    customer = get_editable(actor, customer_id)
    entries = {k: fields.pop(k) for k in ENTRY_FIELDS if k in fields}
    if "tags" in entries and entries["tags"] is None:
        entries["tags"] = []
    custom_values = fields.pop("custom_fields", None)
    clean = _clean_fields(**fields)
    changed = {k: v for k, v in clean.items() if getattr(customer, k) != v}
    if "name" in changed:
        from saas.customers.duplicates import enforce

        enforce(actor, name=changed["name"], exclude_id=customer.id)  # the duplicate policy
    if entries:
        lists.apply(customer, actor=actor, **entries)
    if custom_values:
        custom.apply(customer, custom_values, actor, partial=True)
    if not changed and not entries and not custom_values:
        return customer
    for key, value in changed.items():
        setattr(customer, key, value)
    touch(customer, actor)
    db.session.flush()
    if entries:  # the entry relationships (level, stage_entry, …) follow their new ids
        db.session.expire(customer, ["level", "industry", "source", "stage_entry"])
    return customer
    if "name" in changed:
        from saas.customers.duplicates import enforce

        enforce(actor, name=changed["name"], exclude_id=customer.id)  # the duplicate policy
    for key, value in changed.items():
        setattr(customer, key, value)
    touch(customer, actor)
    db.session.flush()
    if entries:  # the entry relationships (level, stage_entry, …) follow their new ids
        db.session.expire(customer, ["level", "industry", "source", "stage_entry"])
    return customer


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
    contact_frequency_days: int | None = None,
    purchase_preferences: str | None = None,
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
    basic = _clean_fields(
        name=name,
        kind=kind,
        country=country,
        city=city,
        address=address,
        website=website,
        comments=comments,
        contact_frequency_days=contact_frequency_days,
        purchase_preferences=purchase_preferences,
    )
    if owner_id is ME:
        owner_id = actor.id
    elif owner_id is not None and owner_id != actor.id:
        authorize(actor, "customers.assign")
        owner_id = _active_user(owner_id, "owner_id").id
    if owner_id is not None:
        pool.check_owning(actor if owner_id == actor.id else db.session.get(User, owner_id))
    from saas.customers.duplicates import enforce

    enforce(actor, name=basic["name"])
    customer = Customer(
        number=next_number(),
        **basic,
        stage=stage_entry.category if stage_entry else CustomerStage.POTENTIAL,
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
    "shared": None,
    "subordinates": "customers.view_team",
    "all": "customers.view_all",
}


def views_for(actor: User) -> list[str]:
    """The lists ``actor`` may open, in tab order."""
    return [v for v, perm in VIEWS.items() if perm is None or actor.can(perm)]


#: Tab counts stop here ("10,000+"): counting reads at most this many index entries per tab.
COUNT_CAP = 10_000


def view_query(
    actor: User, view: str, q: str | None = None, query: QueryNode | None = None
) -> Select:
    """The live customers of list ``view`` for ``actor`` (authorized), narrowed by quick search
    ``q`` (``customers.search``: an exact No. through the unique ``(tenant_id, number)`` index,
    else name, contacts, phones, emails, city and comments); then by the combined query
    ``query`` (``customers.query``), ANDed after the list's visibility rule: it only narrows."""
    node = query
    if view not in VIEWS:
        raise ValidationFailed(_("Choose one of the offered values."), code="view")
    if (perm := VIEWS[view]) is not None:
        authorize(actor, perm)
    query = select(Customer).where(Customer.deleted_at.is_(None))
    if view == "mine":
        query = query.where(Customer.owner_id == actor.id)
    elif view == "pool":
        query = query.where(Customer.owner_id.is_(None))
    elif view == "shared":
        query = query.join(
            CustomerShare,
            (CustomerShare.customer_id == Customer.id) & (CustomerShare.user_id == actor.id),
        ).where(share_is_live())
    elif view == "subordinates":
        below = sorted(subordinate_ids(actor))
        query = query.where(Customer.owner_id.in_(below or [-1]))
    if node is not None:  # the combined query: only ever ANDed to the rule above
        from saas.customers.query import where

        query = query.where(where(node, actor))
    found = search.condition(require_tenant_id(), q)
    if found is not None:
        query = query.where(found)
    return query


def count_view(
    actor: User,
    view: str,
    q: str | None = None,
    cap: int = COUNT_CAP,
    query: QueryNode | None = None,
) -> int:
    """How many customers list ``view`` holds (narrowed by ``q`` and ``query``), counting at
    most ``cap + 1``: a result above ``cap`` reads "10,000+". ``SELECT count(*) FROM (… LIMIT
    cap + 1)`` stops the index scan there, so a tab of a million rows costs as much as one of
    ten thousand."""
    inner = (
        view_query(actor, view, q, query).with_only_columns(Customer.id).limit(cap + 1).subquery()
    )
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


#: The columns of a customer that a grid row holds (``list_customers(plain=True)``): all of them.
GRID_COLUMNS = tuple(getattr(Customer, a.key) for a in sa_inspect(Customer).column_attrs)


def list_customers(
    *,
    actor: User,
    view: str = "mine",
    cursor: str | None = None,
    limit: int = PAGE,
    q: str | None = None,
    query: QueryNode | None = None,
    sort: SortSpec | str | None = None,
    plain: bool = False,
) -> Page[Any]:
    """One keyset page of a list: ``mine``, ``pool``, ``shared`` (shared with me),
    ``subordinates`` (owned by anyone below me) or ``all`` (live rows), narrowed by quick
    search ``q`` and the combined query ``query`` (see ``view_query``), in the order ``sort``
    (``customers.query.sort_spec``: a field, ``-`` for descending; default newest first).

    The default order (No., newest first) reads through an index led by ``tenant_id``:
    ``(tenant_id, owner_id, number)`` for mine, the pool and subordinates (an ``IN`` list of
    owners), ``(tenant_id, number)`` for "all" — ordered by ``id``, PostgreSQL preferred walking
    the primary key backwards through other tenants' newer rows (docs/PERFORMANCE.md). "Shared"
    pages by ``id`` (the same order: both grow with each creation), a backward walk of
    ``(tenant_id, user_id, customer_id)`` of ``customer_shares`` joined to the primary key.
    Any other sort pages by (sort key, id) with NULL keys last (``pagination.paginate_sorted``);
    the cursor names the sort, so a cursor of one order gives the first page of another.
    Owners are loaded in one query, their names alone. ``plain``: the page holds rows of the
    customers' columns (``GRID_COLUMNS``), no ORM objects and nothing related (the grid's).
    """
    from saas.customers.query import sort_key, sort_spec

    spec = sort if isinstance(sort, SortSpec) else sort_spec(sort, view)
    # the owners' names: not their accounts and roles (``User`` joins both by default)
    owners = selectinload(Customer.owner).options(
        load_only(User.name), lazyload(User.account), lazyload(User.role)
    )
    select_ = view_query(actor, view, q, query)
    select_ = select_.with_only_columns(*GRID_COLUMNS) if plain else select_.options(owners)
    name = f"customers:{view}:{name_key(single_line(q))[:50]}"
    limit = max(1, min(limit, 200))
    if spec.field == "number":
        return paginate(
            select_,
            name=name if spec.descending else f"{name}:number",
            key=Customer.id if view == "shared" else Customer.number,
            id_col=Customer.id,
            unique_key=True,
            cursor=cursor,
            limit=limit,
            newest_first=spec.descending,
            plain=plain,
        )
    key, nullable = sort_key(spec)
    return paginate_sorted(
        select_,
        name=f"{name}:{spec}",
        key=key,
        id_col=Customer.id,
        cursor=cursor,
        limit=limit,
        descending=spec.descending,
        nullable=nullable,
        plain=plain,
    )
