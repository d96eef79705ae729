"""API endpoint of the duplicate check: ``GET /api/v1/duplicates?name=&phone=&email=``."""

from __future__ import annotations

from typing import Literal

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.customers import duplicates
from saas.errors import ValidationFailed


class DuplicateQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=1000, description="A customer name")
    phone: str | None = Field(
        default=None, max_length=100, description="A phone number (read in the company's country)"
    )
    email: str | None = Field(default=None, max_length=320, description="An email address")
    exclude_id: int | None = Field(
        default=None, description="A customer to leave out (the one being edited)"
    )


class DuplicateReason(BaseModel):
    reason: Literal["name", "similar_name", "phone", "email"]
    score: int = Field(description="100 for an exact match; the similarity (0-100) otherwise")


class DuplicateOut(BaseModel):
    visible: bool = Field(
        description="false: a customer you may not open; only its name and holder are told"
    )
    id: int | None = Field(description="null when not visible")
    number: int | None = Field(description="The customer's No.; null when not visible")
    name: str
    held_by: str | None = Field(description="The owner's name; null: in the pool")
    in_pool: bool
    exact: bool = Field(description="Same name, phone or email (what the block policy refuses)")
    score: int
    reasons: list[DuplicateReason]


class DuplicateList(BaseModel):
    items: list[DuplicateOut] = Field(description="Exact matches first, then by score")
    policy: Literal["warn", "block"] = Field(description="The company's duplicate policy")
    blocked: bool = Field(description="true: saving this customer would be refused (409)")


@api.route(
    "/duplicates",
    "GET",
    summary="Existing customers of the company that a new one would duplicate",
    query=DuplicateQuery,
    response=DuplicateList,
    errors={403: "Needs customers.create or customers.edit"},
)
def find_duplicates(query: DuplicateQuery) -> DuplicateList:
    if not (query.name or query.phone or query.email):
        raise ValidationFailed(_("Give a name, a phone or an email."), code="invalid")
    matches = duplicates.find(
        actor=current_user,
        name=query.name,
        phones=[query.phone] if query.phone else [],
        emails=[query.email] if query.email else [],
        exclude_id=query.exclude_id,
    )
    policy = duplicates.tenant_policy()
    items = [
        DuplicateOut(
            visible=m.visible,
            id=m.customer.id if m.visible else None,
            number=m.customer.number if m.visible else None,
            name=m.customer.name,
            held_by=m.holder,
            in_pool=m.customer.owner_id is None,
            exact=m.exact,
            score=m.score,
            reasons=[DuplicateReason(reason=r.value, score=s) for r, s in m.reasons.items()],
        )
        for m in matches
    ]
    return DuplicateList(
        items=items,
        policy=policy,  # type: ignore[arg-type]
        blocked=policy == duplicates.Policy.BLOCK and any(m.exact for m in matches),
    )
