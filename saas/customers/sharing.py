"""Customers beyond claim/return/assign: share, reclaim, lock, trash (delete, restore, purge).

Who may do what (the access rules themselves are ``service.may_see`` / ``service.may_edit``):

* share / change / unshare, lock / unlock: the customer's owner, a manager above the owner
  (``customers.view_team``, any depth) or an admin (``customers.view_all`` and
  ``customers.assign``) — ``service.in_charge``; never a sharee, whatever its access;
* reclaim (to the pool or to oneself): a manager above the owner or a holder of
  ``customers.assign``, never the owner (who returns it instead);
* delete to the trash: holders of ``customers.delete`` who are the owner, above the owner, or
  see every customer; restore: holders of ``customers.delete`` who would see it again.

Every change is one statement or one flush, audited by the audit hooks (``customers.updated``,
``customer_shares.created/updated/deleted``); ownership changes are conditional UPDATEs
(``service._set_owner``), so a reclaim racing a return or an assignment loses with 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from saas.access import authorize
from saas.auth.models import User
from saas.customers import pool, service
from saas.customers.models import Customer, CustomerShare, ShareAccess
from saas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.pagination import PAGE, Page, paginate
from saas.text import single_line
from saas.utils import utcnow

#: Days a customer stays in the trash before the nightly purge deletes it for good.
TRASH_DAYS = 30

#: Most users one share request may name.
MAX_SHARE_USERS = 100


# --- sharing ------------------------------------------------------------------------------------


def _require_in_charge(actor: User, customer_id: int) -> Customer:
    customer = service.get_customer(actor, customer_id)
    if not service.in_charge(actor, customer):
        raise PermissionDenied()
    return customer


def _user_ids(user_ids: Any) -> list[int]:
    if (
        not isinstance(user_ids, list | tuple)
        or not user_ids
        or not all(isinstance(u, int) and not isinstance(u, bool) for u in user_ids)
    ):
        raise ValidationFailed(_("Choose at least one person."), code="user_ids")
    if len(user_ids) > MAX_SHARE_USERS:
        raise ValidationFailed(
            _("Choose at most %(n)s people.", n=MAX_SHARE_USERS), code="user_ids"
        )
    return list(dict.fromkeys(user_ids))


def share(
    *,
    actor: User,
    customer_id: int,
    user_ids: list[int],
    access: str = ShareAccess.READ,
    until: date | None = None,
) -> list[CustomerShare]:
    """Share a customer with users (``read`` or ``write``, until a date inclusive); sharing
    again with someone changes their access and date. Refused for a customer in the pool
    (nobody to share it from) and for its owner (who has full access)."""
    customer = _require_in_charge(actor, customer_id)
    if customer.owner_id is None:
        raise Conflict(_("This customer is in the pool."), code="in_pool")
    try:
        access = ShareAccess(access).value
    except ValueError:
        raise ValidationFailed(_("Choose one of the offered values."), code="access") from None
    if until is not None and (not isinstance(until, date) or isinstance(until, datetime)):
        raise ValidationFailed(_("Enter a valid date."), code="until")
    if until is not None and until < service.today():
        raise ValidationFailed(_("Choose a date that is not in the past."), code="until")
    users = []
    for uid in _user_ids(user_ids):
        user = db.session.get(User, uid)
        if user is None or not user.is_active:
            raise ValidationFailed(_("Choose an active member of the company."), code="user_ids")
        if user.id == customer.owner_id:
            raise ValidationFailed(
                _("%(name)s owns this customer already.", name=user.name), code="user_ids"
            )
        users.append(user)
    existing = {
        s.user_id: s
        for s in db.session.scalars(
            select(CustomerShare).where(
                CustomerShare.customer_id == customer.id,
                CustomerShare.user_id.in_([u.id for u in users]),
            )
        )
    }
    shares = []
    for user in users:
        found = existing.get(user.id)
        if found is None:
            found = CustomerShare(
                customer_id=customer.id,
                user_id=user.id,
                access=access,
                until=until,
                created_by_id=actor.id,
            )
            db.session.add(found)
        else:
            found.access, found.until = access, until
        shares.append(found)
    db.session.flush()
    return shares


def unshare(*, actor: User, customer_id: int, user_ids: list[int]) -> int:
    """Cancel the shares of ``user_ids`` on a customer; how many there were."""
    customer = _require_in_charge(actor, customer_id)
    ids = _user_ids(user_ids)
    shares = list(
        db.session.scalars(
            select(CustomerShare).where(
                CustomerShare.customer_id == customer.id, CustomerShare.user_id.in_(ids)
            )
        )
    )
    for s in shares:
        db.session.delete(s)
    db.session.flush()
    return len(shares)


def list_shares(actor: User, customer: Customer) -> list[CustomerShare]:
    """The live shares of ``customer`` (for those who may see it), by user name."""
    if not service.may_see(actor, customer):
        raise NotFound()
    return list(
        db.session.scalars(
            select(CustomerShare)
            .join(User, User.id == CustomerShare.user_id)
            .where(CustomerShare.customer_id == customer.id, service.share_is_live())
            .order_by(User.name, User.id)
        )
    )


def shareable_users(actor: User, customer: Customer) -> list[User]:
    """Active members a customer may be shared with (everyone but its owner), by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.id != (customer.owner_id or -1))
            .order_by(User.name, User.id)
        )
    )


def sweep_expired_shares(now: datetime | None = None) -> int:
    """Delete the current tenant's shares whose last day has passed (audited); idempotent."""
    last = (now or utcnow()).date()
    result = db.session.execute(
        delete(CustomerShare)
        .where(CustomerShare.until.is_not(None), CustomerShare.until < last)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined]


# --- reclaim and lock -----------------------------------------------------------------------------


def reclaim(*, actor: User, customer_id: int, to: str = "pool") -> Customer:
    """Take a customer from a subordinate: back to the pool (``to="pool"``) or to oneself
    (``"me"``). A manager above the owner, or a holder of ``customers.assign``. One conditional
    UPDATE: if the owner changed meanwhile (a return, an assignment, another reclaim) → 409."""
    if to not in ("pool", "me"):
        raise ValidationFailed(_("Choose one of the offered values."), code="to")
    customer = service.get_customer(actor, customer_id)
    if customer.owner_id is None:
        raise Conflict(_("This customer is already in the pool."), code="in_pool")
    if customer.owner_id == actor.id:
        raise Conflict(_("You already hold this customer."), code="already_yours")
    if not (actor.can("customers.assign") or service.is_above(actor, customer)):
        raise PermissionDenied()
    now = utcnow()
    previous = customer.owner_id
    if to == "pool":
        values: dict[str, Any] = {
            "owner_id": None,
            "returned_at": now,
            "return_reason": _("Reclaimed by a manager"),
        }
    else:
        values = {"owner_id": actor.id, "claimed_at": now, "last_followup_at": now}
    done = service._set_owner(customer, previous, updated_by_id=actor.id, **values)
    if not done:
        raise service._holder_conflict(actor, customer)
    if to == "me":
        pool.check_owning(actor, exclude=customer.id)  # a refusal rolls the reclaim back
    pool.released(customer.id, previous)  # the previous owner's cooldown starts
    db.session.refresh(customer)
    return customer


def set_locked(*, actor: User, customer_id: int, locked: bool) -> Customer:
    """Lock (protect from the pool rules) or unlock a customer: its owner, a manager above or
    an admin; locking counts against the owner's lock limit of the pool rules (409).
    Locking what is locked (or unlocking what is not) changes nothing."""
    customer = _require_in_charge(actor, customer_id)
    if customer.owner_id is None:
        raise Conflict(_("This customer is in the pool."), code="in_pool")
    if customer.locked == locked:
        return customer
    owner = db.session.get(User, customer.owner_id)
    if locked and owner is not None:
        pool.check_lock(owner, exclude=customer.id)  # the pool rules' lock limit (409)
    customer.locked = locked
    service.touch(customer, actor)
    db.session.flush()
    return customer


# --- trash ----------------------------------------------------------------------------------------


def may_delete(actor: User, customer: Customer) -> bool:
    """``customers.delete`` and the owner, a manager above the owner, or one who sees all."""
    return (
        actor.can("customers.delete")
        and service.may_see(actor, customer)
        and (
            customer.owner_id == actor.id
            or actor.can("customers.view_all")
            or service.is_above(actor, customer)
        )
    )


def trash(*, actor: User, customer_id: int) -> Customer:
    """Move a customer to the trash (restorable for ``TRASH_DAYS`` days)."""
    authorize(actor, "customers.delete")
    customer = service.get_customer(actor, customer_id)
    if not may_delete(actor, customer):
        raise PermissionDenied()
    done = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, Customer.deleted_at.is_(None))
        .values(deleted_at=utcnow(), updated_at=utcnow(), updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not done:  # pragma: no cover - a concurrent delete won
        raise NotFound()
    db.session.refresh(customer)
    return customer


def _trash_scope(actor: User) -> Any:
    """Which trashed customers ``actor`` may see: all (view_all), else their own and their
    subordinates' (view_team)."""
    if actor.can("customers.view_all"):
        return None
    owners = {actor.id}
    if actor.can("customers.view_team"):
        owners |= service.subordinate_ids(actor)
    return Customer.owner_id.in_(sorted(owners))


def list_trash(*, actor: User, cursor: str | None = None, limit: int = PAGE) -> Page[Customer]:
    """One keyset page of the trash, most recently deleted first (``customers.delete``):
    the index ``(tenant_id, deleted_at, id)`` walked backwards."""
    authorize(actor, "customers.delete")
    query = select(Customer).where(Customer.deleted_at.is_not(None))
    if (scope := _trash_scope(actor)) is not None:
        query = query.where(scope)
    return paginate(
        query,
        name="customers:trash",
        key=Customer.deleted_at,
        id_col=Customer.id,
        cursor=cursor,
        limit=max(1, min(limit, 200)),
    )


def restore(*, actor: User, customer_id: int) -> Customer:
    """Take a customer out of the trash (``customers.delete``, and one who may see it)."""
    authorize(actor, "customers.delete")
    customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or customer.deleted_at is None:
        raise NotFound()
    scope_ok = (
        actor.can("customers.view_all")
        or customer.owner_id == actor.id
        or service.is_above(actor, customer)
    )
    if not scope_ok:
        raise NotFound()
    done = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, Customer.deleted_at.is_not(None))
        .values(deleted_at=None, updated_at=utcnow(), updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not done:  # pragma: no cover - a concurrent restore won
        raise Conflict(_("This customer changed meanwhile; try again."), code="changed")
    db.session.refresh(customer)
    return customer


#: ``fn(customer_ids)`` called before purged customers are deleted: other features remove what
#: the database does not cascade (files of attachments …). Register at import.
PURGE_HOOKS: list[Callable[[list[int]], None]] = []


def register_purge_hook(fn: Callable[[list[int]], None]) -> Callable[[list[int]], None]:
    PURGE_HOOKS.append(fn)
    return fn


def purge_trash(now: datetime | None = None, *, batch: int = 500) -> int:
    """Delete for good the current tenant's customers trashed more than ``TRASH_DAYS`` ago
    (audited per row as ``customers.deleted``); running it twice deletes nothing more."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    total = 0
    while True:
        ids = list(
            db.session.scalars(
                select(Customer.id)
                .where(Customer.deleted_at.is_not(None), Customer.deleted_at < cutoff)
                .order_by(Customer.id)
                .limit(batch)
                # a restore racing the purge waits: the hooks below schedule these customers'
                # files for deletion, so none of them may leave the trash before the commit
                .with_for_update()
            )
        )
        if not ids:
            return total
        for hook in PURGE_HOOKS:
            hook(ids)
        db.session.execute(
            delete(CustomerShare)
            .where(CustomerShare.customer_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        total += db.session.execute(
            delete(Customer)
            .where(Customer.id.in_(ids), Customer.deleted_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        db.session.expunge_all()


def clean_until(value: Any) -> date | None:
    """A share's end date from a form or JSON string (ISO ``YYYY-MM-DD``) or a ``date``."""
    if value is None or isinstance(value, date):
        return value
    text = single_line(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("Enter a valid date."), code="until") from None


@register_purge_hook
def _purge_attachment_files(customer_ids: list[int]) -> None:
    """The files of purged customers' attachments go after the commit (their rows cascade)."""
    from saas.attachments.service import purge_customer_files

    for customer_id in customer_ids:
        purge_customer_files(customer_id)


@register_purge_hook
def _purge_contact_photos(customer_ids: list[int]) -> None:
    """The photos of purged customers' contacts go after the commit (their rows cascade)."""
    from saas.contacts.service import purge_customer_photos

    purge_customer_photos(customer_ids)
