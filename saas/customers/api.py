"""API endpoints of customers: list, create, read, claim, return to the pool, assign."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.contacts import service as contacts_service
from saas.contacts.api import ContactIn, ContactOut, located
from saas.customers import batch, fields, lists, service
from saas.customers.attributes_api import (
    CUSTOM_RULE,
    ENTRY_RULE,
    CustomValue,
    EntryChoice,
    EntryRef,
)
from saas.customers.models import Customer
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

    view: Literal["mine", "pool", "all"] = Field(
        default="mine", description="mine; pool (customers.pool); all (customers.view_all)"
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)
    q: str | None = Field(
        default=None, max_length=200, description="Quick search: a No., or a name's beginning"
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
    owner_id: int | None = Field(
        default=None,
        description="Omitted: you. null: the pool. Another user: needs customers.assign",
    )
    contacts: list[ContactIn] = Field(
        default_factory=list,
        max_length=contacts_service.MAX_CONTACTS_INLINE,
        description="Created with the customer, all or nothing (the first is primary)",
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
    errors={403: "The list needs a permission the caller lacks"},
)
def list_customers(query: CustomerListQuery) -> CustomerPage:
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
