"""``GET /api/v1/customers/values``: a column's distinct values with counts (or its range) over
the list the caller sees — view, quick search and the rest of the query (``values.py``)."""

from __future__ import annotations

from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.customers import query as engine
from saas.customers import values


class ValuesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=80, description="A column's field key (number, city, cf.<key>…)")
    view: Literal["mine", "pool", "shared", "subordinates", "all"] = Field(
        default="mine", description="The list counted over (its visibility rule always applies)"
    )
    q: str | None = Field(default=None, max_length=200, description="Quick search")
    query: str | None = Field(
        default=None,
        max_length=engine.MAX_JSON,
        description="The combined query (JSON); the field's own top-level condition is left "
        "out, so its other values stay offered",
    )
    search: str | None = Field(
        default=None, max_length=200, description="Only values whose label contains this"
    )


class ValueOut(BaseModel):
    value: Any = Field(
        description="What the query takes (an entry or user id, text, a "
        "boolean, a country code); null: the customers without a value"
    )
    label: str
    count: int = Field(description="Customers with it (a lower bound when capped)")


class ValuesOut(BaseModel):
    field: str
    type: str = Field(
        description="The field's query type (text, choice, user, tags, bool, "
        "number, money, date, datetime)"
    )
    items: list[ValueOut] = Field(
        description=f"The {values.TOP} most frequent values (empty for number and date fields)"
    )
    total_distinct: int = Field(description="Distinct values among the counted customers")
    counted: int = Field(description=f"Customers counted (at most {values.COUNT_CAP})")
    capped: bool = Field(description="The list holds more customers than were counted")
    min: Any = Field(default=None, description="Number and date fields: the smallest value")
    max: Any = Field(default=None, description="Number and date fields: the largest value")


@api.route(
    "/customers/values",
    "GET",
    summary="A column's distinct values with counts (Excel's autofilter), over the list "
    "the caller sees",
    query=ValuesQuery,
    response=ValuesOut,
    errors={
        403: "The list needs a permission the caller lacks",
        422: "Unknown or unfilterable field, or an invalid query (error.path names the node)",
    },
)
def customer_values(query: ValuesQuery) -> ValuesOut:
    node = engine.parse_json(query.query, current_user)  # validated: 422 with the path
    tree = engine.dump(node) if node is not None else None
    found = values.distinct_values(
        current_user, query.view, query.q, tree, query.field, query.search
    )
    return ValuesOut(
        field=found.field,
        type=found.type,
        items=[ValueOut(value=i.value, label=i.label, count=i.count) for i in found.items],
        total_distinct=found.total_distinct,
        counted=found.counted,
        capped=found.capped,
        min=found.minimum,
        max=found.maximum,
    )
