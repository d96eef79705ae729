"""API of the pool rules: read and set them (settings.manage); reveal a masked pool customer."""

from __future__ import annotations

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.access import authorize
from saas.api import api
from saas.customers import pool
from saas.customers.api import CustomerOut
from saas.customers.models import Customer

_DAYS = "Days; null switches the rule off"
_CAP = "A number; null switches the limit off"


class LevelRule(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    level_id: int = Field(description="An entry of the company's level list")
    followup_days: int | None = Field(
        default=None, description="null: the company's rule; 0: off for this level"
    )
    unwon_days: int | None = Field(
        default=None, description="null: the company's rule; 0: off for this level"
    )


class PoolRules(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    followup_days: int | None = Field(default=None, description=_DAYS + " (1 to 3650)")
    unwon_days: int | None = Field(default=None, description=_DAYS + " (1 to 3650)")
    warn_days: int | None = Field(
        default=None, description=_DAYS + "; fewer than the return periods"
    )
    max_owned: int | None = Field(default=None, description=_CAP)
    max_locked: int | None = Field(default=None, description=_CAP)
    max_claims_per_day: int | None = Field(default=None, description=_CAP)
    cooldown_days: int | None = Field(default=None, description=_DAYS + " (1 to 3650)")
    mask_pool_contacts: bool = Field(
        default=False, description="Mask phones and emails of pool customers until revealed"
    )
    levels: list[LevelRule] = Field(
        default_factory=list, description="Levels with their own periods (replaces all)"
    )


def _out() -> PoolRules:
    rules = pool.current_rules()
    rules["levels"] = [LevelRule(level_id=k, **v) for k, v in rules["levels"].items()]
    return PoolRules(**rules)


@api.route(
    "/pool-rules",
    "GET",
    summary="The company's pool rules and limits",
    response=PoolRules,
    errors={403: "Needs settings.manage"},
)
def get_pool_rules() -> PoolRules:
    authorize(current_user, "settings.manage")
    return _out()


@api.route(
    "/pool-rules",
    "PUT",
    summary="Set the company's pool rules and limits (omitted = off)",
    body=PoolRules,
    response=PoolRules,
    errors={403: "Needs settings.manage", 422: "A number out of range, or a warning too late"},
)
def put_pool_rules(body: PoolRules) -> PoolRules:
    values = body.model_dump(exclude={"levels"})
    levels = {r.level_id: r.model_dump(exclude={"level_id"}) for r in body.levels}
    pool.update_settings(actor=current_user, levels=levels, **values)
    return _out()


@api.route(
    "/customers/<int:customer_id>/reveal",
    "POST",
    summary="Reveal a masked pool customer's phones and emails (audited)",
    response=CustomerOut,
    errors={404: "No such customer (or not yours to see)"},
)
def reveal_customer(customer_id: int) -> Customer:
    return pool.reveal(actor=current_user, customer_id=customer_id)
