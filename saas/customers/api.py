"""API endpoints of customers: list, create, read, edit, trash/restore, claim, return to the pool,
assign, reclaim, lock/unlock, share/unshare."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.contacts import service as contacts_service
from saas.contacts.api import ContactIn, ContactOut, located
from saas.customers import batch, fields, lists, segments, service, sharing
from saas.customers import query as cq
from saas.customers.attributes_api import (
    CUSTOM_RULE,
    ENTRY_RULE,
    CustomValue,
    EntryChoice,
    EntryRef,
)
from saas.customers.models import Customer, CustomerShare
from saas.progress.models import JobRecord

# --- schemas ---------------------------------------------------------------------------------


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int = Field(description="The company's serial number of the customer (No.)")
    name: str
    kind: str
    stage: str = Field(description="The stage's category: potential, active or ended")
    stage_entry: EntryRef | None = Field(description="The company's stage entry")
    level: EntryRef | None
    industry: EntryRef | None
    source: EntryRef | None
    tags: list[EntryRef]
    custom_fields: dict[str, Any] = Field(description=CUSTOM_RULE)
    country: str | None
    city: str | None
    address: str | None
    website: str | None
    comments: str | None
    contact_frequency_days: int | None = Field(description="Get in touch every N days")
    purchase_preferences: str | None
    owner_id: int | None = Field(description="null: the customer is in the pool")
    locked: bool
    claimed_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None
    created_at: datetime
    updated_at: datetime


class CustomerDetail(CustomerOut):
    """One customer with its contacts (the list leaves them out: one query per page stays one)."""

    contacts: list[ContactOut] = Field(description="Its contacts, the primary first")

    @classmethod
    def of(cls, customer: Customer) -> CustomerDetail:
        masked = contacts_service.masked(current_user, customer)
        return cls(
            **CustomerOut.model_validate(customer).model_dump(),
            contacts=[ContactOut.of(c, masked) for c in contacts_service.contacts_of(customer)],
        )


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last")


class CustomerListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: Literal["mine", "pool", "shared", "subordinates", "all"] = Field(
        default="mine",
        description="mine; pool (customers.pool); shared (shared with me); subordinates "
        "(owned by anyone below me, customers.view_team); all (customers.view_all)",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)
    q: str | None = Field(
        default=None, max_length=200, description="Quick search: a No., or a name's beginning"
    )
    query: str | None = Field(
        default=None,
        max_length=cq.MAX_JSON,
        description="The combined query, a JSON tree: a condition "
        '{"field": "city", "op": "contains", "value": "Tirana"} or a group {"and": [...]} / '
        '{"or": [...]}; at most 4 groups deep, 40 conditions, strings of 200 characters, lists '
        "of 100 values. Fields, their types and operators: text (contains, not_contains, is, "
        "is_not, starts_with, in, empty, not_empty); number/money (eq, ne, lt, lte, gt, gte, "
        "between, empty, not_empty); date/datetime (on, before, after, between [from, to] "
        "inclusive, in_last_days N, empty, not_empty); choice (is, is_not, in, not_in, empty, "
        "not_empty: list entries by id or name); tags (has_any, has_all, has_none, empty, "
        "not_empty); bool (is true|false); user (is, is_not, in, empty, not_empty, me, my_team)."
        " Built-in fields: " + ", ".join(cq.BUILTIN_KEYS) + "; custom fields as cf.<key>. "
        "Text compares folded (case, full-width, Arabic/Persian letters and digits). "
        "Invalid: 422 invalid_query with error.path, the JSON path of the bad node "
        '("$.and[1].op"). Always ANDed to the view: a query only narrows it',
    )
    sort: str | None = Field(
        default=None,
        max_length=100,
        description='A sortable field, "-field" descending (e.g. "city", "-created_at"); '
        "default -number (newest first). Empty values last. Invalid: 422 with error.path "
        '"sort"',
    )
    city: str | None = Field(
        default=None, max_length=200, description="Field filter: the city is this (folded)"
    )
    country: str | None = Field(
        default=None, max_length=2, description="Field filter: ISO 3166 alpha-2 country"
    )
    kind: Literal["company", "person"] | None = Field(default=None, description="Field filter")
    stage: EntryChoice | None = Field(
        default=None, description="Field filter: a stage entry (id or name)"
    )
    stage_category: Literal["potential", "active", "ended"] | None = Field(
        default=None,
        description="Field filter: the stage's category, the same in every company whatever "
        "its stage entries are called",
    )
    level: EntryChoice | None = Field(
        default=None, description="Field filter: a level entry (id or name)"
    )
    industry: EntryChoice | None = Field(
        default=None, description="Field filter: an industry entry (id or name)"
    )
    source: EntryChoice | None = Field(
        default=None, description="Field filter: a source entry (id or name)"
    )
    tag: EntryChoice | None = Field(
        default=None, description="Field filter: carries this tag (id or name)"
    )
    owner_id: int | None = Field(default=None, description="Field filter: owned by this user")
    created_by: int | None = Field(default=None, description="Field filter: created by this user")
    locked: bool | None = Field(default=None, description="Field filter: locked or not")
    segment: int | None = Field(
        default=None,
        description="A saved segment's id: its view, q, query and sort, run as the caller "
        "(GET /api/v1/segments/{id}/customers); view, q, query or sort given beside it "
        "replace its own, field filters are ANDed to it",
    )


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(max_length=1000)
    kind: Literal["company", "person"] = "company"
    stage: EntryChoice | None = Field(
        default=None,
        description=ENTRY_RULE + " Also a category (potential, active, ended): its first "
        "live entry. Omitted: the first live stage.",
    )
    level: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    industry: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    source: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    tags: list[EntryChoice] = Field(
        default_factory=list, max_length=50, description="Tags: " + ENTRY_RULE
    )
    custom_fields: dict[str, CustomValue] = Field(
        default_factory=dict, max_length=200, description=CUSTOM_RULE
    )
    country: str | None = Field(default=None, max_length=2, description="ISO 3166 alpha-2")
    city: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=1000)
    website: str | None = Field(default=None, max_length=1000)
    comments: str | None = Field(default=None, max_length=10_000)
    contact_frequency_days: int | None = Field(
        default=None, ge=1, le=3650, description="Get in touch every N days (1 to 3650)"
    )
    purchase_preferences: str | None = Field(default=None, max_length=2000)
    owner_id: int | None = Field(
        default=None,
        description="Omitted: you. null: the pool. Another user: needs customers.assign",
    )
    contacts: list[ContactIn] = Field(
        default_factory=list,
        max_length=contacts_service.MAX_CONTACTS_INLINE,
        description="Created with the customer, all or nothing (the first is primary)",
    )


class CustomerPatch(BaseModel):
    """Only the fields sent change; a field sent as null is cleared (name, kind and stage
    cannot be null; null tags clear the tags; custom fields change only the keys sent)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=1000)
    kind: Literal["company", "person"] | None = None
    stage: EntryChoice | None = Field(
        default=None, description=ENTRY_RULE + " Also a category (potential, active, ended)."
    )
    level: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    industry: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    source: EntryChoice | None = Field(default=None, description=ENTRY_RULE)
    tags: list[EntryChoice] | None = Field(
        default=None, max_length=50, description="The whole new set of tags: " + ENTRY_RULE
    )
    custom_fields: dict[str, CustomValue] | None = Field(
        default=None, max_length=200, description=CUSTOM_RULE
    )
    country: str | None = Field(default=None, max_length=2, description="ISO 3166 alpha-2")
    city: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=1000)
    website: str | None = Field(default=None, max_length=1000)
    comments: str | None = Field(default=None, max_length=10_000)
    contact_frequency_days: int | None = Field(
        default=None, ge=1, le=3650, description="Get in touch every N days (1 to 3650)"
    )
    purchase_preferences: str | None = Field(default=None, max_length=2000)


class ShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    access: Literal["read", "write"]
    until: date | None = Field(description="Last day of access (inclusive); null: no end")
    created_at: datetime


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    user_ids: list[int] = Field(min_length=1, max_length=sharing.MAX_SHARE_USERS)
    access: Literal["read", "write"] = Field(
        default="read", description="read: see it; write: also edit it, its notes and contacts"
    )
    until: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="YYYY-MM-DD, the last day of access (inclusive); null: no end",
    )


class UnshareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    user_ids: list[int] = Field(min_length=1, max_length=sharing.MAX_SHARE_USERS)


class ReclaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["pool", "me"] = Field(
        default="pool", description="pool: back to the pool; me: the caller becomes the owner"
    )


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(max_length=1000)


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    user_id: int = Field(description="An active user of the company")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    action: str = Field(
        max_length=32,
        description="claim, return, assign; with sharing: share, lock, unlock, reclaim, delete",
    )
    ids: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="Customer ids. Exactly one of ids, query and segment.",
    )
    query: dict[str, Any] | None = Field(
        default=None,
        description="Every customer matching this combined-query tree (as in GET "
        "/api/v1/customers; {} for none) in the list view, narrowed by q: resolved when the "
        "action runs, in the request up to 200 matches, else in a background job",
    )
    view: Literal["mine", "pool", "shared", "subordinates", "all"] | None = Field(
        default=None, description="With query: the list (default mine)"
    )
    q: str | None = Field(default=None, max_length=200, description="With query: quick search")
    segment: int | None = Field(
        default=None, description="Every customer a saved segment selects now, for the caller"
    )
    reason: str | None = Field(default=None, max_length=1000, description="return: why")
    user_id: int | None = Field(default=None, description="assign: to whom")
    user_ids: list[int] | None = Field(default=None, max_length=100, description="share: with")
    access: Literal["read", "write"] | None = Field(default=None, description="share: access")
    until: str | None = Field(
        default=None, max_length=10, description="share: last day (YYYY-MM-DD), null: no end"
    )
    to: Literal["pool", "me"] | None = Field(default=None, description="reclaim: where to")


class BatchRefusal(BaseModel):
    code: str = Field(description="not_found (another tenant's, deleted, unknown), forbidden, …")
    message: str
    count: int
    ids: list[int]


class BatchOut(BaseModel):
    action: str
    total: int = Field(description="Distinct ids asked for")
    done: list[int] = Field(
        default_factory=list,
        description="Ids the action was done for (a query's job keeps the first 10,000)",
    )
    done_count: int | None = Field(default=None, description="How many it was done for")
    refused: list[BatchRefusal] = Field(default_factory=list, description="Grouped by reason")
    summary: list[str] = Field(default_factory=list, description="What happened, in sentences")
    job_id: int | None = Field(
        default=None, description="202: the background job; poll /api/v1/jobs/{job_id}"
    )


# --- endpoints -------------------------------------------------------------------------------


@api.route(
    "/customers",
    "GET",
    summary="A page of customers (mine, the pool, or all), newest first",
    query=CustomerListQuery,
    response=CustomerPage,
    errors={
        403: "The list needs a permission the caller lacks",
        404: "No such segment (or another user's private one)",
        422: "Invalid parameters (a bad query or sort: invalid_query with error.path), or the "
        "segment's stored query no longer fits (segment_invalid)",
    },
)
def list_customers(query: CustomerListQuery) -> CustomerPage:
    filters = {k: getattr(query, k) for k in cq.FIELD_FILTERS if getattr(query, k) is not None}
    filtered = cq.from_filters(filters, current_user)
    node = cq.parse_json(query.query, current_user)
    view, q, sort = query.view, query.q, query.sort
    if query.segment is not None:
        given = {k: getattr(query, k) for k in ("view", "q", "sort") if k in query.model_fields_set}
        if "query" in query.model_fields_set:
            given["query"] = cq.dump(node) if node is not None else None
        state = segments.state_with(current_user, query.segment, given)
        view, q, node, sort = state.view, state.q, state.node, state.sort
    page = service.list_customers(
        actor=current_user,
        view=view,
        cursor=query.cursor,
        limit=query.limit,
        q=q,
        query=cq.and_of(filtered, node),
        sort=sort,
    )
    lists.prefetch(page.items)  # tags and custom fields of the page: one query each
    fields.prefetch(page.items)
    return CustomerPage(
        items=[CustomerOut.model_validate(c) for c in page.items], next_cursor=page.next
    )


@api.route(
    "/customers",
    "POST",
    summary="Create a customer (yours, in the pool, or another user's), with its contacts",
    body=CustomerCreate,
    response=CustomerDetail,
    status=201,
    errors={
        403: "Forbidden",
        409: "The owner owns the most customers allowed (owning_limit), or a unique custom "
        "field's value belongs to another customer",
    },
)
def create_customer(body: CustomerCreate) -> CustomerDetail:
    values = body.model_dump(exclude={"owner_id", "contacts"})
    owner = body.owner_id if "owner_id" in body.model_fields_set else service.ME
    customer = service.create_customer(actor=current_user, owner_id=owner, **values)
    with located():
        contacts_service.add_inline(
            actor=current_user, customer=customer, contacts=[c.values() for c in body.contacts]
        )
    return CustomerDetail.of(customer)


@api.route(
    "/customers/<int:customer_id>",
    "GET",
    summary="One customer, with its contacts",
    response=CustomerDetail,
    errors={404: "No such customer (or not yours to see)"},
)
def get_customer(customer_id: int) -> CustomerDetail:
    return CustomerDetail.of(service.get_customer(current_user, customer_id))


@api.route(
    "/customers/<int:customer_id>/claim",
    "POST",
    summary="Claim a customer from the pool",
    response=CustomerOut,
    errors={
        403: "Forbidden",
        404: "No such customer",
        409: "Not in the pool any more: the message names who holds it (already_claimed, "
        "already_yours); or a pool limit refuses it: cooldown, claim_limit, owning_limit",
    },
)
def claim_customer(customer_id: int) -> Customer:
    return service.claim(actor=current_user, customer_id=customer_id)


@api.route(
    "/customers/<int:customer_id>/return",
    "POST",
    summary="Return a customer to the pool, with a reason",
    body=ReturnRequest,
    response=CustomerOut,
    errors={
        403: "Only its owner, a manager above the owner or an assigner",
        404: "No such customer (or not yours to see)",
        409: "Already in the pool, or changed meanwhile",
    },
)
def return_customer(body: ReturnRequest, customer_id: int) -> Customer:
    return service.return_to_pool(actor=current_user, customer_id=customer_id, reason=body.reason)


@api.route(
    "/customers/<int:customer_id>/assign",
    "POST",
    summary="Assign a customer to a user (full rights pass to them)",
    body=AssignRequest,
    response=CustomerOut,
    errors={
        403: "Forbidden",
        404: "No such customer (or not yours to see)",
        409: "Changed meanwhile, or the user owns the most customers allowed (owning_limit)",
    },
)
def assign_customer(body: AssignRequest, customer_id: int) -> Customer:
    return service.assign(actor=current_user, customer_id=customer_id, user_id=body.user_id)


@api.route(
    "/customers/<int:customer_id>",
    "PATCH",
    summary="Change some fields of a customer (only those sent)",
    body=CustomerPatch,
    response=CustomerOut,
    errors={
        403: "You may see this customer but not change it (e.g. a read-only share)",
        404: "No such customer (or not yours to see)",
        409: "The new name is an exact duplicate and the company blocks those (duplicate), or "
        "a unique custom field's value belongs to another customer",
    },
)
def update_customer(body: CustomerPatch, customer_id: int) -> Customer:
    values = {k: getattr(body, k) for k in body.model_fields_set}
    return service.update_customer(current_user, customer_id, **values)


@api.route(
    "/customers/<int:customer_id>",
    "DELETE",
    summary="Move a customer to the trash (restorable for 30 days)",
    status=204,
    errors={
        403: "Needs customers.delete, and to be the owner, above the owner, or see all",
        404: "No such customer (or not yours to see)",
    },
)
def delete_customer(customer_id: int) -> None:
    sharing.trash(actor=current_user, customer_id=customer_id)


@api.route(
    "/customers/<int:customer_id>/restore",
    "POST",
    summary="Take a customer out of the trash",
    response=CustomerOut,
    errors={403: "Needs customers.delete", 404: "No such customer in the trash (for you)"},
)
def restore_customer(customer_id: int) -> Customer:
    return sharing.restore(actor=current_user, customer_id=customer_id)


@api.route(
    "/customers/<int:customer_id>/shares",
    "GET",
    summary="Who the customer is shared with, how and until when",
    response=ShareOut,
    many=True,
    errors={404: "No such customer (or not yours to see)"},
)
def list_customer_shares(customer_id: int) -> list[CustomerShare]:
    customer = service.get_customer(current_user, customer_id)
    return sharing.list_shares(current_user, customer)


_IN_CHARGE = "Only its owner, a manager above the owner or an admin"
_NOT_SEEN = "No such customer (or not yours to see)"


def _share_route(
    action: str,
    summary: str,
    body: type[BaseModel],
    change: Callable[[Any, int], object],
    errors: dict[int, str],
) -> None:
    """``POST /customers/{id}/<action>`` (share, unshare): ``change(body, customer_id)`` as
    the caller, answered with the customer's shares afterwards."""

    def handler(body: Any, customer_id: int) -> list[CustomerShare]:
        change(body, customer_id)
        return sharing.list_shares(current_user, service.get_customer(current_user, customer_id))

    handler.__name__ = handler.__qualname__ = f"{action}_customer"  # the endpoint api.<name>
    api.route(
        f"/customers/<int:customer_id>/{action}",
        "POST",
        summary=summary,
        body=body,
        response=ShareOut,
        many=True,
        errors=errors,
    )(handler)


_share_route(
    "share",
    "Share a customer with users (sharing again changes access and date)",
    ShareRequest,
    lambda body, customer_id: sharing.share(
        actor=current_user,
        customer_id=customer_id,
        user_ids=body.user_ids,
        access=body.access,
        until=sharing.clean_until(body.until),
    ),
    {
        403: f"{_IN_CHARGE} share a customer",
        404: _NOT_SEEN,
        409: "The customer is in the pool",
    },
)
_share_route(
    "unshare",
    "Stop sharing a customer with users",
    UnshareRequest,
    lambda body, customer_id: sharing.unshare(
        actor=current_user, customer_id=customer_id, user_ids=body.user_ids
    ),
    {403: _IN_CHARGE, 404: _NOT_SEEN},
)


@api.route(
    "/customers/<int:customer_id>/reclaim",
    "POST",
    summary="Take a customer from a subordinate: to the pool or to yourself",
    body=ReclaimRequest,
    response=CustomerOut,
    errors={
        403: "Only a manager above the owner or a holder of customers.assign",
        404: "No such customer (or not yours to see)",
        409: "In the pool already, yours already, or changed meanwhile (names the holder)",
    },
)
def reclaim_customer(body: ReclaimRequest, customer_id: int) -> Customer:
    return sharing.reclaim(actor=current_user, customer_id=customer_id, to=body.to)


def _lock_route(locked: bool, summary: str, conflict: str) -> None:
    """``POST /customers/{id}/lock`` or ``…/unlock``: ``sharing.set_locked`` as the caller."""
    action = "lock" if locked else "unlock"

    def handler(customer_id: int) -> Customer:
        return sharing.set_locked(actor=current_user, customer_id=customer_id, locked=locked)

    handler.__name__ = handler.__qualname__ = f"{action}_customer"  # the endpoint api.<name>
    api.route(
        f"/customers/<int:customer_id>/{action}",
        "POST",
        summary=summary,
        response=CustomerOut,
        errors={403: _IN_CHARGE, 404: _NOT_SEEN, 409: conflict},
    )(handler)


_lock_route(
    True,
    "Lock a customer: the pool rules never return it",
    "The customer is in the pool, or its owner has the most locked customers allowed",
)
_lock_route(False, "Unlock a customer", "The customer is in the pool")


@api.route(
    "/customers/batch",
    "POST",
    summary="One action on many customers: what was done and what was refused, and why",
    body=BatchRequest,
    response=BatchOut,
    also={202: "More than 200 customers: queued as a job (job_id); its result has the same fields"},
    errors={
        403: "The action needs a permission the caller lacks, or the query's view is not the "
        "caller's to open",
        404: "No such segment (or another user's private one)",
        422: "Invalid action or parameters; not exactly one of ids, query, segment; an invalid "
        "query tree (path names the bad node) or a segment whose query no longer fits",
    },
)
def batch_customers(body: BatchRequest) -> Any:
    params = body.model_dump(
        exclude={"action", "ids", "query", "view", "q", "segment"}, exclude_none=True
    )
    query = None
    if body.query is not None or (
        body.ids is None and body.segment is None and (body.view or body.q)
    ):  # a view (and search) without a tree selects all of it
        query = {"view": body.view, "q": body.q, "query": body.query or None}
    selection = {"ids": body.ids, "query": query, "segment": body.segment}
    result = batch.start(actor=current_user, action=body.action, params=params, **selection)
    if isinstance(result, JobRecord):
        return BatchOut(action=body.action, total=result.total or 0, job_id=result.id), 202
    return BatchOut.model_validate(result)
