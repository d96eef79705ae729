"""The tenant-editable lists of customers: levels, stages, industries, sources, tags, return
reasons (Settings → Lists), and how a customer takes its entries.

Every tenant starts with default entries (``create_defaults``: new tenants at signup, existing
ones in revision 0014), named in the owner's language when the catalog has them. Entries are
never deleted: an archived entry stays on the customers that carry it and is not offered any
more. A stage entry has a category (potential/active/ended) that is copied to
``customers.stage``, which pool rules read ("won" = active).

Functions for other slices:

* ``reasons_for(tenant)``: names of the return reasons to offer (the return form, pool rules);
* ``apply(customer, actor=, level=, industry=, source=, stage=, tags=)``: set a customer's
  entries — each an entry id (int), an entry name (str) or None; ``UNSET`` keeps it;
* ``offered(kind, keep=...)``: entries a form offers (plus the customer's archived ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from saas.access import authorize
from saas.audit import service as audit
from saas.auth.models import User
from saas.customers.attributes import LIST_LABELS, PALETTE, CustomerTag, ListEntry, ListKind
from saas.customers.models import STAGE_LABELS, Customer, CustomerStage
from saas.errors import Conflict, NotFound, ValidationFailed
from saas.extensions import db
from saas.tenancy.context import require_tenant_id
from saas.tenancy.models import Tenant
from saas.text import clean_name
from saas.utils import utcnow

#: "Leave as it is" for ``apply``.
UNSET: Any = object()

NAME_MAX = 100
#: Entries per list (a list is a choice, not a table).
MAX_ENTRIES = 200
#: Tags on one customer.
MAX_TAGS = 50

#: Columns of ``customers`` that hold one entry of a list.
COLUMNS = {
    ListKind.LEVEL: "level_id",
    ListKind.INDUSTRY: "industry_id",
    ListKind.SOURCE: "source_id",
    ListKind.STAGE: "stage_id",
}

# Default entries: (kind, English msgid, colour, stage category). The msgids are marked for
# extraction with N_ and translated when a tenant is created (into the owner's language).


def N_(s: str) -> str:  # the gettext convention for "mark only"
    return s


def NP_(context: str, s: str) -> tuple[str, str]:  # "mark only", with a message context
    return (context, s)


DEFAULTS: tuple[tuple[str, str | tuple[str, str], str, str | None], ...] = (
    (ListKind.LEVEL, N_("Key account"), "red", None),
    (ListKind.LEVEL, N_("Regular"), "blue", None),
    (ListKind.LEVEL, N_("Small"), "gray", None),
    (ListKind.STAGE, N_("Potential"), "yellow", CustomerStage.POTENTIAL),
    (ListKind.STAGE, N_("Negotiating"), "orange", CustomerStage.POTENTIAL),
    (ListKind.STAGE, NP_("customer stage", "Active"), "green", CustomerStage.ACTIVE),
    (ListKind.STAGE, N_("Ended"), "gray", CustomerStage.ENDED),
    (ListKind.INDUSTRY, N_("Manufacturing"), "blue", None),
    (ListKind.INDUSTRY, N_("Trade"), "teal", None),
    (ListKind.INDUSTRY, N_("Services"), "purple", None),
    (ListKind.INDUSTRY, N_("Technology"), "blue", None),
    (ListKind.INDUSTRY, N_("Construction"), "orange", None),
    (ListKind.INDUSTRY, N_("Other"), "gray", None),
    (ListKind.SOURCE, N_("Referral"), "green", None),
    (ListKind.SOURCE, N_("Website"), "blue", None),
    (ListKind.SOURCE, N_("Trade fair"), "purple", None),
    (ListKind.SOURCE, N_("Cold call"), "orange", None),
    (ListKind.SOURCE, N_("Other"), "gray", None),
    (ListKind.TAG, N_("VIP"), "red", None),
    (ListKind.TAG, N_("Follow up"), "yellow", None),
    (ListKind.RETURN_REASON, N_("No response"), "gray", None),
    (ListKind.RETURN_REASON, N_("Not interested"), "gray", None),
    (ListKind.RETURN_REASON, N_("Wrong contact"), "gray", None),
    (ListKind.RETURN_REASON, N_("Duplicate"), "gray", None),
    (ListKind.RETURN_REASON, N_("Other"), "gray", None),
)


def default_rows(
    gettext: Callable[[str], str], pgettext: Callable[[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """The default entries as column values, named through ``gettext`` (and ``pgettext`` for
    a name with a message context; without it the bare msgid is looked up: 0014 does that)."""
    rows = []
    positions: dict[str, int] = {}
    for kind, msgid, colour, category in DEFAULTS:
        positions[kind] = positions.get(kind, 0) + 1
        if isinstance(msgid, tuple):
            name = pgettext(*msgid) if pgettext else gettext(msgid[1])
        else:
            name = gettext(msgid)
        rows.append(
            {
                "kind": str(kind),
                "name": name[:NAME_MAX],
                "colour": colour,
                "category": str(category) if category else None,
                "position": positions[kind],
            }
        )
    return rows


def create_defaults(language: str | None = None) -> list[ListEntry]:
    """Give the current tenant the default entries, named in ``language`` (signup calls it)."""
    require_tenant_id()
    with force_locale(language or "en"):
        rows = default_rows(lambda s: _(s), pgettext)
    db.session.flush()  # whatever else is pending is audited as usual
    entries = [ListEntry(**row) for row in rows]
    db.session.add_all(entries)
    with audit.suppressed():  # part of the company's creation, recorded as tenants.created
        db.session.flush()
    return entries


# --- reading ---------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    try:
        return ListKind(kind).value
    except ValueError:
        raise NotFound() from None


def entries(kind: str, *, archived: bool = True) -> list[ListEntry]:
    """The tenant's entries of ``kind`` in their order (``archived=False``: the live ones)."""
    query = select(ListEntry).where(ListEntry.kind == _kind(kind))
    if not archived:
        query = query.where(ListEntry.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(ListEntry.position, ListEntry.id)))


def offered(kind: str, keep: Iterable[int | None] = ()) -> list[ListEntry]:
    """What a form offers: the live entries, plus the archived ones in ``keep`` (the customer's)."""
    kept = {i for i in keep if i is not None}
    return [e for e in entries(kind) if not e.archived or e.id in kept]


def reasons_for(tenant: Tenant | int | None = None) -> list[str]:
    """Names of the return reasons ``tenant`` (the current tenant) offers, in order.

    Free text stays allowed wherever a reason is asked for; these are the suggestions.
    """
    tid = tenant.id if isinstance(tenant, Tenant) else tenant
    if tid is not None and tid != require_tenant_id():
        raise NotFound()
    return [e.name for e in entries(ListKind.RETURN_REASON, archived=False)]


def get_entry(entry_id: Any, kind: str | None = None) -> ListEntry:
    """An entry of the current tenant (of ``kind``), else ``NotFound`` (another tenant's too)."""
    entry = db.session.get(ListEntry, entry_id) if type(entry_id) is int else None
    if entry is None or (kind is not None and entry.kind != kind):
        raise NotFound()
    return entry


def tags_of(customer: Customer) -> list[ListEntry]:
    """The customer's tags, in the tag list's order (``prefetch`` loads a page's at once)."""
    cached = customer.__dict__.get("_tags")
    if cached is not None:
        return list(cached)
    return list(
        db.session.scalars(
            select(ListEntry)
            .join(CustomerTag, CustomerTag.tag_id == ListEntry.id)
            .where(CustomerTag.customer_id == customer.id)
            .order_by(ListEntry.position, ListEntry.id)
        )
    )


def prefetch(customers: Sequence[Customer]) -> None:
    """Load the tags of a page of customers in one query (an API page reads them all)."""
    ids = [c.id for c in customers if c.id is not None]
    found: dict[int, list[ListEntry]] = {i: [] for i in ids}
    if ids:
        rows = db.session.execute(
            select(CustomerTag.customer_id, ListEntry)
            .join(ListEntry, CustomerTag.tag_id == ListEntry.id)
            .where(CustomerTag.customer_id.in_(ids))
            .order_by(ListEntry.position, ListEntry.id)
        )
        for customer_id, entry in rows:
            found[customer_id].append(entry)
    for customer in customers:
        if customer.id in found:
            customer.__dict__["_tags"] = found[customer.id]


def stage_label(customer: Customer) -> str:
    """The stage as people read it: the entry's name, else the category's label."""
    if customer.stage_entry is not None:
        return customer.stage_entry.name
    return str(STAGE_LABELS.get(customer.stage, customer.stage))  # type: ignore[call-overload]


# --- applying to a customer ------------------------------------------------------------------


def resolve(
    kind: str, value: Any, *, current: int | Iterable[int] | None = None
) -> ListEntry | None:
    """``value`` (an entry id, an entry name, or None/"") as an entry of ``kind``.

    Names compare case-insensitively. An archived entry is accepted only when it is ``current``
    (the customer keeps it); anything else is refused with ``ValidationFailed`` coded ``kind``.
    For stages, a category (potential/active/ended) that names no entry means the first live
    entry of that category.
    """
    if value is None or value == "":
        return None
    entry: ListEntry | None = None
    if type(value) is int:
        entry = db.session.get(ListEntry, value)
        if entry is not None and entry.kind != kind:
            entry = None
    elif isinstance(value, str):
        wanted = value.strip().casefold()
        candidates = entries(kind)
        entry = next((e for e in candidates if e.name.casefold() == wanted), None)
        if entry is None and kind == ListKind.STAGE and wanted in set(CustomerStage):
            entry = next((e for e in candidates if e.category == wanted and not e.archived), None)
    kept = {current} if current is None or isinstance(current, int) else set(current)
    if entry is None or (entry.archived and entry.id not in kept):
        raise ValidationFailed(_("Choose one of the offered values."), code=str(kind))
    return entry


def default_stage(category: str | None = None) -> ListEntry | None:
    """The first live stage (of ``category``): a new customer's stage when none is given."""
    for entry in entries(ListKind.STAGE, archived=False):
        if category is None or entry.category == category:
            return entry
    return None


def pick(
    customer: Customer | None,
    *,
    level: Any = UNSET,
    industry: Any = UNSET,
    source: Any = UNSET,
    stage: Any = UNSET,
    tags: Any = UNSET,
) -> dict[str, Any]:
    """Validate entries for ``customer`` (None: a new one) without changing anything.

    The result goes to ``put``. Raises ``ValidationFailed`` coded by the list's kind.
    """
    chosen: dict[str, Any] = {}
    for kind, value in (
        (ListKind.LEVEL, level),
        (ListKind.INDUSTRY, industry),
        (ListKind.SOURCE, source),
        (ListKind.STAGE, stage),
    ):
        if value is UNSET:
            continue
        current = getattr(customer, COLUMNS[kind]) if customer is not None else None
        chosen[kind] = resolve(kind, value, current=current)
    if ListKind.STAGE in chosen and chosen[ListKind.STAGE] is None:
        raise ValidationFailed(_("Choose one of the offered values."), code="stage")
    if tags is not UNSET:
        chosen[ListKind.TAG] = _resolve_tags(customer, tags)
    return chosen


def put(customer: Customer, chosen: dict[str, Any]) -> None:
    """Write what ``pick`` validated onto ``customer`` (flushed)."""
    for kind, entry in chosen.items():
        if kind == ListKind.TAG:
            continue
        setattr(customer, COLUMNS[kind], entry.id if entry else None)
        if kind == ListKind.STAGE and entry is not None:
            customer.stage = entry.category or CustomerStage.POTENTIAL
    if ListKind.TAG in chosen:
        _set_tags(customer, chosen[ListKind.TAG])
    db.session.flush()


def apply(
    customer: Customer,
    *,
    actor: User,
    level: Any = UNSET,
    industry: Any = UNSET,
    source: Any = UNSET,
    stage: Any = UNSET,
    tags: Any = UNSET,
) -> Customer:
    """Set the customer's entries: each value an id, a name or None (``UNSET`` keeps it).

    ``stage`` also sets ``customer.stage`` to the entry's category; a stage cannot be emptied.
    ``tags`` is the whole new set (ids or names). Validates everything before changing
    anything; flushes. The caller authorizes the edit (``may_edit``) and calls ``touch``.
    """
    chosen = pick(customer, level=level, industry=industry, source=source, stage=stage, tags=tags)
    put(customer, chosen)
    return customer


def _resolve_tags(customer: Customer | None, tags: Any) -> list[ListEntry]:
    if not isinstance(tags, list | tuple):
        raise ValidationFailed(_("Choose one of the offered values."), code="tag")
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(_("At most %(n)s tags on one customer.", n=MAX_TAGS), code="tag")
    current: set[int] = set()
    if customer is not None and customer.id is not None:
        current = set(
            db.session.scalars(
                select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer.id)
            )
        )
    found: dict[int, ListEntry] = {}
    for value in tags:
        entry = resolve(ListKind.TAG, value, current=current)
        if entry is None:
            continue
        found[entry.id] = entry
    return list(found.values())


def _set_tags(customer: Customer, tag_entries: Sequence[ListEntry]) -> None:
    if customer.id is None:
        db.session.flush()
    wanted = {e.id for e in tag_entries}
    before = tags_of(customer)
    have = {t.id for t in before}
    if have - wanted:
        db.session.execute(
            delete(CustomerTag).where(
                CustomerTag.customer_id == customer.id, CustomerTag.tag_id.in_(have - wanted)
            )
        )
    for tag_id in sorted(wanted - have):
        db.session.add(CustomerTag(customer_id=customer.id, tag_id=tag_id))
    customer.__dict__.pop("_tags", None)
    if wanted != have:
        db.session.flush()
        old = ", ".join(t.name for t in before)
        new = ", ".join(t.name for t in tags_of(customer))
        audit.record_event("customers.tags_changed", customer, tags=[old or None, new or None])


# --- Settings → Lists ------------------------------------------------------------------------


def _colour(colour: str | None) -> str:
    if colour is None or colour == "":
        return "gray"
    if colour not in PALETTE:
        raise ValidationFailed(_("Choose one of the offered colours."), code="colour")
    return colour


def _category(kind: str, category: str | None) -> str | None:
    if kind != ListKind.STAGE:
        return None
    try:
        return CustomerStage(category).value
    except ValueError:
        raise ValidationFailed(_("Choose one of the offered values."), code="category") from None


def _clean(name: str | None) -> str:
    return clean_name(name, _("Name"), NAME_MAX)


def _name_taken(kind: str, name: str, except_id: int | None = None) -> None:
    for other in entries(kind):
        if other.id != except_id and other.name.casefold() == name.casefold():
            if other.archived:
                message = _("An archived entry already has this name: restore it instead.")
            else:
                message = _("This list already has an entry with this name.")
            raise Conflict(message, code="name")


def _flush_unique() -> None:
    """Flush; a concurrent twin's unique name becomes a 409 instead of a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_("This list already has an entry with this name."), code="name") from exc


def add_entry(
    *,
    actor: User,
    kind: str,
    name: str,
    colour: str | None = None,
    category: str | None = None,
) -> ListEntry:
    """A new entry at the end of list ``kind`` (``settings.manage``)."""
    authorize(actor, "settings.manage")
    kind = _kind(kind)
    name = _clean(name)
    count = db.session.scalar(select(func.count()).where(ListEntry.kind == kind)) or 0
    if count >= MAX_ENTRIES:
        raise ValidationFailed(_("A list holds at most %(n)s entries.", n=MAX_ENTRIES), code="name")
    _name_taken(kind, name)
    last = db.session.scalar(select(func.max(ListEntry.position)).where(ListEntry.kind == kind))
    entry = ListEntry(
        kind=kind,
        name=name,
        colour=_colour(colour),
        category=_category(kind, category or CustomerStage.POTENTIAL),
        position=(last or 0) + 1,
    )
    db.session.add(entry)
    _flush_unique()
    return entry


def update_entry(
    *,
    actor: User,
    entry_id: int,
    name: str | None = None,
    colour: str | None = None,
    category: str | None = None,
) -> ListEntry:
    """Rename / recolour (and, for a stage, recategorise) an entry; None keeps a value.

    A stage's new category is copied to the customers at that stage.
    """
    authorize(actor, "settings.manage")
    entry = get_entry(entry_id)
    if name is not None:
        name = _clean(name)
        _name_taken(entry.kind, name, except_id=entry.id)
        entry.name = name
    if colour is not None:
        entry.colour = _colour(colour)
    if category is not None and entry.kind == ListKind.STAGE:
        new = _category(entry.kind, category)
        if new != entry.category:
            entry.category = new
            _flush_unique()
            db.session.execute(
                update(Customer)
                .where(Customer.stage_id == entry.id, Customer.stage != new)
                .values(stage=new, updated_at=utcnow(), updated_by_id=actor.id)
                .execution_options(synchronize_session=False)
            )
    _flush_unique()
    return entry


def move_entry(*, actor: User, entry_id: int, position: int) -> ListEntry:
    """Put an entry at ``position`` (1 = first) of its list; the others close up."""
    authorize(actor, "settings.manage")
    entry = get_entry(entry_id)
    if type(position) is not int:
        raise ValidationFailed(_("Choose one of the offered values."), code="position")
    siblings = [e for e in entries(entry.kind) if e.id != entry.id]
    index = max(0, min(position - 1, len(siblings)))
    siblings.insert(index, entry)
    for pos, sibling in enumerate(siblings, start=1):
        if sibling.position != pos:
            sibling.position = pos
    db.session.flush()
    return entry


def archive_entry(*, actor: User, entry_id: int, archived: bool = True) -> ListEntry:
    """Archive (no longer offered; kept on its customers) or restore an entry.

    The last live stage cannot be archived: a new customer needs a stage.
    """
    authorize(actor, "settings.manage")
    entry = get_entry(entry_id)
    if archived and entry.archived_at is None:
        if entry.kind == ListKind.STAGE and len(entries(ListKind.STAGE, archived=False)) <= 1:
            raise Conflict(_("Keep at least one stage."), code="archived")
        entry.archived_at = utcnow()
    elif not archived and entry.archived_at is not None:
        entry.archived_at = None
    db.session.flush()
    return entry


def list_label(kind: str) -> str:
    return str(LIST_LABELS[_kind(kind)])
