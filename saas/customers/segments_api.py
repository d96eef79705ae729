"""API of segments: saved list states, their CRUD and their evaluation (a page of customers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.customers import fields, lists, segments
from saas.customers.api import CustomerOut, CustomerPage
from saas.customers.segment_models import CustomerSegment

VIEW_RULE = (
    "The list narrowed: mine; pool (customers.pool); shared (shared with me); subordinates "
    "(customers.view_team); all (customers.view_all). Saving needs the caller to open it; "
    "running it applies the caller's own visibility."
)
QUERY_RULE = (
    "The combined-query tree (see GET /api/v1/customers ?query): a condition "
    '{"field", "op", "value"} or a group {"and": [...]} / {"or": [...]}; null: none. '
    'Invalid: 422 with the JSON path of the bad node ("path").'
)


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    shared: bool = Field(description="true: every user of the company sees and runs it")
    created_by_id: int
    view: str = Field(description=VIEW_RULE)
    q: str | None = Field(description="Quick-search text")
    query: dict[str, Any] | None = Field(description=QUERY_RULE)
    sort: str | None = Field(description='"<field>" or "-<field>"; null: the view\'s order')
    cols: list[str] | None = Field(description="Visible column keys, in order")
    editable: bool = Field(description="Whether the caller may change or delete it")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, segment: CustomerSegment) -> SegmentOut:
        return cls(
            id=segment.id,
            name=segment.name,
            shared=segment.shared,
            created_by_id=segment.created_by_id,
            view=segment.view,
            q=segment.q,
            query=segment.query,
            sort=segment.sort,
            cols=segment.cols,
            editable=segments.may_edit(current_user, segment),
            created_at=segment.created_at,
            updated_at=segment.updated_at,
        )


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(max_length=1000, description="Unique among the creator's segments")
    shared: bool = Field(default=False, description="Share with the company")
    view: Literal["mine", "pool", "shared", "subordinates", "all"] = Field(
        default="mine", description=VIEW_RULE
    )
    q: str | None = Field(default=None, max_length=1000, description="Quick-search text")
    query: dict[str, Any] | None = Field(default=None, description=QUERY_RULE)
    sort: str | None = Field(default=None, max_length=200, description="Sort key")
    cols: list[str] | None = Field(default=None, max_length=1000, description="Column keys")


class SegmentPatch(BaseModel):
    """Only the fields sent change (the state is re-checked as the caller)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=1000)
    shared: bool | None = None
    view: Literal["mine", "pool", "shared", "subordinates", "all"] | None = Field(
        default=None, description=VIEW_RULE
    )
    q: str | None = Field(default=None, max_length=1000)
    query: dict[str, Any] | None = Field(default=None, description=QUERY_RULE)
    sort: str | None = Field(default=None, max_length=200)
    cols: list[str] | None = Field(default=None, max_length=1000)


class SegmentPageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)


_STATE_422 = (
    "Invalid name or state (the query tree's bad node is named by path); or the stored query "
    "no longer fits, e.g. a custom field deleted since (segment_invalid)"
)


@api.route(
    "/segments",
    "GET",
    summary="The segments the caller sees: their own, then those shared with the company",
    response=SegmentOut,
    many=True,
)
def list_segments() -> list[SegmentOut]:
    return [SegmentOut.of(s) for s in segments.list_segments(current_user)]


@api.route(
    "/segments",
    "POST",
    summary="Save a list state as a segment (private, or shared with the company)",
    body=SegmentCreate,
    response=SegmentOut,
    status=201,
    errors={
        403: "The caller may not open the segment's view",
        409: "The caller has a segment of that name (duplicate), or too many (too_many)",
        422: "Invalid name or state (the query tree's bad node is named by path)",
    },
)
def create_segment(body: SegmentCreate) -> SegmentOut:
    segment = segments.create_segment(actor=current_user, **body.model_dump())
    return SegmentOut.of(segment)


@api.route(
    "/segments/<int:segment_id>",
    "GET",
    summary="One segment",
    response=SegmentOut,
    errors={404: "No such segment (or another user's private one)"},
)
def get_segment(segment_id: int) -> SegmentOut:
    return SegmentOut.of(segments.get_segment(current_user, segment_id))


@api.route(
    "/segments/<int:segment_id>",
    "PATCH",
    summary="Rename, share or unshare a segment, or replace its state (only the fields sent)",
    body=SegmentPatch,
    response=SegmentOut,
    errors={
        403: "Only its creator or an admin changes a shared segment; or the new view is not "
        "the caller's to open",
        404: "No such segment (or another user's private one)",
        409: "The creator has a segment of that name",
        422: "Invalid name or state (the query tree's bad node is named by path)",
    },
)
def update_segment(body: SegmentPatch, segment_id: int) -> SegmentOut:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    segment = segments.update_segment(current_user, segment_id, **changes)
    return SegmentOut.of(segment)


@api.route(
    "/segments/<int:segment_id>",
    "DELETE",
    summary="Delete a segment",
    status=204,
    errors={
        403: "Only its creator or an admin deletes a shared segment",
        404: "No such segment (or another user's private one)",
    },
)
def delete_segment(segment_id: int) -> None:
    segments.delete_segment(current_user, segment_id)


@api.route(
    "/segments/<int:segment_id>/customers",
    "GET",
    summary="Run a segment: a page of the customers it selects now, as the caller sees them",
    query=SegmentPageQuery,
    response=CustomerPage,
    errors={
        403: "The segment reads a list the caller may not open (a shared segment never widens "
        "what the caller sees)",
        404: "No such segment (or another user's private one)",
        422: _STATE_422,
    },
)
def segment_customers(query: SegmentPageQuery, segment_id: int) -> CustomerPage:
    page = segments.evaluate(current_user, segment_id, cursor=query.cursor, limit=query.limit)
    lists.prefetch(page.items)
    fields.prefetch(page.items)
    return CustomerPage(
        items=[CustomerOut.model_validate(c) for c in page.items], next_cursor=page.next
    )
