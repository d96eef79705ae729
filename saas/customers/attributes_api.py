"""API of the tenant lists (``/api/v1/lists/{kind}``) and custom fields (``/api/v1/custom-fields``).

Everyone signed in reads them (a script needs the ids, names and keys to fill a customer);
changing them needs ``settings.manage``. Deleting a custom field archives it.
"""

from __future__ import annotations

from typing import Literal

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.customers import fields, lists
from saas.customers.attributes import CustomField, ListEntry

Kind = Literal["level", "stage", "industry", "source", "tag", "return_reason"]
Colour = Literal["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]
Category = Literal["potential", "active", "ended"]
FieldTypeName = Literal[
    "text", "long_text", "number", "money", "date", "choice", "multi_choice", "yes_no"
]

# --- what customers' bodies carry -------------------------------------------------------------

#: The rule for list entries in request bodies.
ENTRY_RULE = (
    "An entry of the company's list (GET /api/v1/lists/{kind}): its id (integer) or its name "
    "(string, compared case-insensitively); null: none. Archived entries are refused, except "
    "the one the customer already has. Responses give the entry as {id, name, colour}."
)

EntryChoice = int | str

#: One custom field's value in a request (checked against the field's type by the service).
CustomValue = str | int | float | bool | list[str] | None

CUSTOM_RULE = (
    "Object keyed by custom field key (GET /api/v1/custom-fields). Per type: "
    + "; ".join(f"{k}: {v}" for k, v in fields.API_TYPES.items())
    + ". null or an empty value clears a field; a required field must be given on creation; "
    "unknown or archived keys are refused (422), a unique value another customer has is 409. "
    "Responses carry every live field, null when empty."
)


class EntryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    colour: str


# --- lists -----------------------------------------------------------------------------------


class ListEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    colour: str = Field(description="A badge colour: " + ", ".join(Colour.__args__))
    position: int
    category: str | None = Field(description="Stages only: potential, active or ended")
    archived: bool = Field(description="Archived: kept on customers, no longer offered")


class ListEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(max_length=1000)
    colour: Colour = "gray"
    category: Category | None = Field(
        default=None, description="Stages only (default potential); what pool rules read"
    )


class ListEntryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=1000)
    colour: Colour | None = None
    category: Category | None = Field(default=None, description="Stages only")
    position: int | None = Field(default=None, ge=1, le=10_000, description="1 = first")
    archived: bool | None = Field(default=None, description="true archives, false restores")


@api.route(
    "/lists/<kind>",
    "GET",
    summary="The entries of one of the company's lists, in order (archived ones flagged)",
    response=ListEntryOut,
    many=True,
    errors={404: "No such list"},
)
def list_entries(kind: str) -> list[ListEntry]:
    return lists.entries(kind)


@api.route(
    "/lists/<kind>",
    "POST",
    summary="Add an entry at the end of a list (settings.manage)",
    body=ListEntryCreate,
    response=ListEntryOut,
    status=201,
    errors={403: "Needs settings.manage", 404: "No such list", 409: "The name is taken"},
)
def add_list_entry(body: ListEntryCreate, kind: str) -> ListEntry:
    return lists.add_entry(
        actor=current_user, kind=kind, name=body.name, colour=body.colour, category=body.category
    )


@api.route(
    "/lists/<kind>/<int:entry_id>",
    "PATCH",
    summary="Rename, recolour, recategorise, move, archive or restore an entry (settings.manage)",
    body=ListEntryPatch,
    response=ListEntryOut,
    errors={
        403: "Needs settings.manage",
        404: "No such entry in this list",
        409: "The name is taken, or the last live stage would be archived",
    },
)
def update_list_entry(body: ListEntryPatch, kind: str, entry_id: int) -> ListEntry:
    lists.list_label(kind)
    entry = lists.get_entry(entry_id, kind)
    lists.update_entry(
        actor=current_user,
        entry_id=entry.id,
        name=body.name,
        colour=body.colour,
        category=body.category,
    )
    if body.position is not None:
        lists.move_entry(actor=current_user, entry_id=entry.id, position=body.position)
    if body.archived is not None:
        lists.archive_entry(actor=current_user, entry_id=entry.id, archived=body.archived)
    return entry


# --- custom fields ---------------------------------------------------------------------------


class CustomFieldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str = Field(description="The key of the field in a customer's custom_fields")
    label: str
    type: str = Field(
        description="; ".join(f"{k}: {v}" for k, v in fields.API_TYPES.items()),
    )
    required: bool
    unique: bool
    choices: list[str] | None = Field(description="choice and multi_choice: the options")
    position: int
    archived: bool


class CustomFieldQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    archived: bool = Field(default=False, description="Include archived fields")


class CustomFieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    label: str = Field(max_length=1000)
    type: FieldTypeName
    required: bool = False
    unique: bool = Field(
        default=False, description="text, number, money, date and choice fields only"
    )
    choices: list[str] | None = Field(
        default=None, max_length=1000, description="Required for choice and multi_choice"
    )


class CustomFieldPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    label: str | None = Field(default=None, max_length=1000)
    required: bool | None = None
    unique: bool | None = None
    choices: list[str] | None = Field(default=None, max_length=1000)
    position: int | None = Field(default=None, ge=1, le=10_000, description="1 = first")
    archived: bool | None = Field(default=None, description="false restores an archived field")


@api.route(
    "/custom-fields",
    "GET",
    summary="The company's custom fields of customers, in the admin's order",
    query=CustomFieldQuery,
    response=CustomFieldOut,
    many=True,
)
def list_custom_fields(query: CustomFieldQuery) -> list[CustomField]:
    return fields.fields(archived=query.archived)


@api.route(
    "/custom-fields",
    "POST",
    summary="Add a custom field (settings.manage); its key comes from the label",
    body=CustomFieldCreate,
    response=CustomFieldOut,
    status=201,
    errors={403: "Needs settings.manage", 409: "Changed meanwhile"},
)
def create_custom_field(body: CustomFieldCreate) -> CustomField:
    return fields.create_field(
        actor=current_user,
        label=body.label,
        type=body.type,
        required=body.required,
        unique=body.unique,
        choices=body.choices,
    )


@api.route(
    "/custom-fields/<int:field_id>",
    "PATCH",
    summary="Change a custom field's label, flags, options or position (its type is fixed)",
    body=CustomFieldPatch,
    response=CustomFieldOut,
    errors={
        403: "Needs settings.manage",
        404: "No such field",
        409: "unique refused: customers share a value",
    },
)
def update_custom_field(body: CustomFieldPatch, field_id: int) -> CustomField:
    field = fields.update_field(
        actor=current_user,
        field_id=field_id,
        label=body.label,
        required=body.required,
        unique=body.unique,
        choices=body.choices,
    )
    if body.position is not None:
        fields.move_field(actor=current_user, field_id=field.id, position=body.position)
    if body.archived is not None:
        fields.archive_field(actor=current_user, field_id=field.id, archived=body.archived)
    return field


@api.route(
    "/custom-fields/<int:field_id>",
    "DELETE",
    summary="Archive a custom field (values are kept; PATCH archived=false restores it)",
    status=204,
    errors={403: "Needs settings.manage", 404: "No such field"},
)
def delete_custom_field(field_id: int) -> None:
    fields.archive_field(actor=current_user, field_id=field_id)
