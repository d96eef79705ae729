"""API endpoints of customers: list, create, read, edit, trash/restore, claim, return to the pool,
assign, reclaim, lock/unlock, share/unshare."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.contacts import service as contacts_service
from saas.contacts.api import ContactIn, ContactOut, located
from saas.customers import batch, fields, lists, segments, service, sharing
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
    segment: int | None = Field(
        default=None,
        description="A saved segment's id: its view, q, query and sort, run as the caller "
        "(GET /api/v1/segments/{id}/customers); view or q given beside it replace its own",
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
    ids: list[int] = Field(min_length=1, max_length=10_000, description="Customer ids")
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
    done: list[int] = Field(default_factory=list, description="Ids the action was done for")
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
        422: "Invalid parameters, or the segment's stored query no longer fits (segment_invalid)",
    },
)
def list_customers(query: CustomerListQuery) -> CustomerPage:
    if query.segment is not None:
        page = segments.evaluate_with(
            current_user,
            query.segment,
            {k: getattr(query, k) for k in ("view", "q") if k in query.model_fields_set},
            cursor=query.cursor,
            limit=query.limit,
        )
    else:
        page = service.list_customers(
            actor=current_user, view=query.view, cursor=query.cursor, limit=query.limit, q=query.q
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


@api.route(
    "/customers/<int:customer_id>/share",
    "POST",
    summary="Share a customer with users (sharing again changes access and date)",
    body=ShareRequest,
    response=ShareOut,
    many=True,
    errors={
        403: "Only its owner, a manager above the owner or an admin share a customer",
        404: "No such customer (or not yours to see)",
        409: "The customer is in the pool",
    },
)
def share_customer(body: ShareRequest, customer_id: int) -> list[CustomerShare]:
    sharing.share(
        actor=current_user,
        customer_id=customer_id,
        user_ids=body.user_ids,
        access=body.access,
        until=sharing.clean_until(body.until),
    )
    return sharing.list_shares(current_user, service.get_customer(current_user, customer_id))


@api.route(
    "/customers/<int:customer_id>/unshare",
    "POST",
    summary="Stop sharing a customer with users",
    body=UnshareRequest,
    response=ShareOut,
    many=True,
    errors={
        403: "Only its owner, a manager above the owner or an admin",
        404: "No such customer (or not yours to see)",
    },
)
def unshare_customer(body: UnshareRequest, customer_id: int) -> list[CustomerShare]:
    sharing.unshare(actor=current_user, customer_id=customer_id, user_ids=body.user_ids)
    return sharing.list_shares(current_user, service.get_customer(current_user, customer_id))


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


@api.route(
    "/customers/<int:customer_id>/lock",
    "POST",
    summary="Lock a customer: the pool rules never return it",
    response=CustomerOut,
    errors={
        403: "Only its owner, a manager above the owner or an admin",
        404: "No such customer (or not yours to see)",
        409: "The customer is in the pool, or its owner has the most locked customers allowed",
    },
)
def lock_customer(customer_id: int) -> Customer:
    return sharing.set_locked(actor=current_user, customer_id=customer_id, locked=True)


@api.route(
    "/customers/<int:customer_id>/unlock",
    "POST",
    summary="Unlock a customer",
    response=CustomerOut,
    errors={
        403: "Only its owner, a manager above the owner or an admin",
        404: "No such customer (or not yours to see)",
        409: "The customer is in the pool",
    },
)
def unlock_customer(customer_id: int) -> Customer:
    return sharing.set_locked(actor=current_user, customer_id=customer_id, locked=False)


@api.route(
    "/customers/batch",
    "POST",
    summary="One action on many customers: what was done and what was refused, and why",
    body=BatchRequest,
    response=BatchOut,
    also={202: "More than 200 ids: queued as a job (job_id); its result has the same fields"},
    errors={403: "The action needs a permission the caller lacks"},
)
def batch_customers(body: BatchRequest) -> Any:
    params = body.model_dump(exclude={"action", "ids"}, exclude_none=True)
    result = batch.start(actor=current_user, action=body.action, ids=body.ids, params=params)
    if isinstance(result, JobRecord):
        return BatchOut(action=body.action, total=result.total or 0, job_id=result.id), 202
    return BatchOut.model_validate(result)
