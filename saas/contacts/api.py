"""API endpoints of contacts: a customer's list, create, read, change, delete, vCard.

A bad value is a 422 whose message starts with its path (``phones.1.number: … is not a valid
phone number.``); inside ``POST /api/v1/customers`` it is ``contacts.1.phones.0.number: …``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.contacts import search, service
from saas.contacts.models import Contact
from saas.contacts.normalize import format_phone
from saas.contacts.views import vcard_response
from saas.customers.models import Customer
from saas.customers.pool import mask_email, mask_phone
from saas.errors import ValidationFailed
from saas.extensions import db

PhoneKind = Literal["mobile", "work", "home", "fax"]
EmailKind = Literal["work", "home", "other"]
AccountKind = Literal[
    "wechat",
    "whatsapp",
    "telegram",
    "qq",
    "viber",
    "skype",
    "linkedin",
    "facebook",
    "instagram",
    "x",
    "weibo",
    "vk",
    "other",
]

# --- schemas ---------------------------------------------------------------------------------


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    number: str = Field(
        max_length=100,
        description="As typed; without + it is read in the company's country",
    )
    type: PhoneKind = "mobile"


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(max_length=400)
    type: EmailKind | None = None


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: AccountKind = Field(description="A messenger or social network")
    handle: str = Field(max_length=400)


class ContactIn(BaseModel):
    """A new contact (also inline in ``POST /customers``: ``"contacts": [...]``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(max_length=1000)
    position: str | None = Field(default=None, max_length=1000)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=service.MAX_PHONES)
    emails: list[str | EmailIn] = Field(
        default_factory=list,
        max_length=service.MAX_EMAILS,
        description='Addresses, each a string or {"email", "type"}',
    )
    accounts: list[AccountIn] = Field(default_factory=list, max_length=service.MAX_ACCOUNTS)
    birthday: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    interests: str | None = Field(default=None, max_length=service.MAX_TEXT)
    notes: str | None = Field(default=None, max_length=service.MAX_TEXT)
    primary: bool = Field(
        default=False,
        description="Make it the primary contact (the first contact always is)",
    )

    def values(self) -> dict[str, Any]:
        return _values(self, self.model_fields_set | {"name"})


class ContactPatch(BaseModel):
    """Only the fields sent change; phones, emails and accounts replace the whole list."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=1000)
    position: str | None = Field(default=None, max_length=1000)
    phones: list[PhoneIn] | None = Field(default=None, max_length=service.MAX_PHONES)
    emails: list[str | EmailIn] | None = Field(default=None, max_length=service.MAX_EMAILS)
    accounts: list[AccountIn] | None = Field(default=None, max_length=service.MAX_ACCOUNTS)
    birthday: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    interests: str | None = Field(default=None, max_length=service.MAX_TEXT)
    notes: str | None = Field(default=None, max_length=service.MAX_TEXT)
    primary: bool | None = Field(
        default=None,
        description="true: make it primary (the old one is demoted); false on the primary: 422",
    )


def _values(body: BaseModel, fields: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in fields:
        value = getattr(body, key)
        if key in ("phones", "emails", "accounts"):
            value = [v if isinstance(v, str) else v.model_dump() for v in value or ()]
        out[key] = value
    return out


class PhoneOut(BaseModel):
    number: str = Field(description="As typed")
    e164: str
    type: str
    display: str = Field(description="Formatted: national in the company's country")


class EmailOut(BaseModel):
    email: str
    type: str | None


class AccountOut(BaseModel):
    kind: str
    handle: str


class ContactOut(BaseModel):
    id: int
    customer_id: int
    name: str
    position: str | None
    is_primary: bool
    phones: list[PhoneOut]
    emails: list[EmailOut]
    accounts: list[AccountOut]
    birthday: date | None
    interests: str | None
    notes: str | None
    has_photo: bool
    masked: bool = Field(
        description="Phones and emails hidden (a pool customer not revealed: POST …/reveal)"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: Contact, masked: bool | None = None) -> ContactOut:
        country = current_user.tenant.default_country
        if masked is None:
            customer = db.session.get(Customer, contact.customer_id)
            masked = customer is not None and service.masked(current_user, customer)
        phones = [
            PhoneOut(number=p.raw, e164=p.e164, type=p.type, display=format_phone(p.e164, country))
            if not masked
            else PhoneOut(
                number=mask_phone(p.e164),
                e164=mask_phone(p.e164),
                type=p.type,
                display=mask_phone(p.e164),
            )
            for p in contact.phones
        ]
        emails = [
            EmailOut(email=mask_email(e.email) if masked else e.email, type=e.type)
            for e in contact.emails
        ]
        return cls(
            id=contact.id,
            customer_id=contact.customer_id,
            name=contact.name,
            position=contact.position,
            is_primary=contact.is_primary,
            phones=phones,
            emails=emails,
            accounts=[AccountOut(kind=k, handle=h) for k, _label, h in contact.account_items],
            birthday=contact.birthday,
            interests=contact.interests,
            notes=contact.notes,
            has_photo=contact.photo_key is not None,
            masked=masked,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        )


T = TypeVar("T")


@contextmanager
def located() -> Iterator[None]:
    """A bad value's path goes in front of its message (``phones.0.number: …``)."""
    try:
        yield
    except service.ContactInvalid as exc:
        raise ValidationFailed(f"{exc.where}: {exc.message}", code="invalid") from None


def _call(fn: Callable[..., T], **kwargs: Any) -> T:
    with located():
        return fn(**kwargs)


# --- endpoints -------------------------------------------------------------------------------


@api.route(
    "/customers/<int:customer_id>/contacts",
    "GET",
    summary="The contacts of a customer, the primary first",
    response=ContactOut,
    many=True,
    errors={404: "No such customer (or not yours to see)"},
)
def list_contacts(customer_id: int) -> list[ContactOut]:
    contacts = service.list_contacts(current_user, customer_id)
    customer = db.session.get(Customer, customer_id)
    masked = customer is not None and service.masked(current_user, customer)
    return [ContactOut.of(c, masked) for c in contacts]


@api.route(
    "/customers/<int:customer_id>/contacts",
    "POST",
    summary="Add a contact to a customer (the first one becomes primary)",
    body=ContactIn,
    response=ContactOut,
    status=201,
    errors={
        403: "You may see this customer but not change it",
        404: "No such customer (or not yours to see)",
    },
)
def create_contact(body: ContactIn, customer_id: int) -> ContactOut:
    contact = _call(
        service.create_contact, actor=current_user, customer_id=customer_id, **body.values()
    )
    return ContactOut.of(contact)


@api.route(
    "/contacts/<int:contact_id>",
    "GET",
    summary="One contact",
    response=ContactOut,
    errors={404: "No such contact (or its customer is not yours to see)"},
)
def get_contact(contact_id: int) -> ContactOut:
    return ContactOut.of(service.get_contact(current_user, contact_id))


@api.route(
    "/contacts/<int:contact_id>",
    "PATCH",
    summary="Change a contact (only the fields sent)",
    body=ContactPatch,
    response=ContactOut,
    errors={
        403: "You may see its customer but not change it",
        404: "No such contact (or its customer is not yours to see)",
    },
)
def update_contact(body: ContactPatch, contact_id: int) -> ContactOut:
    fields = body.model_fields_set
    if "name" in fields and body.name is None:
        raise ValidationFailed("name: Name is required.", code="invalid")
    if "primary" in fields and body.primary is None:
        fields = fields - {"primary"}
    contact = _call(
        service.update_contact,
        actor=current_user,
        contact_id=contact_id,
        **_values(body, set(fields)),
    )
    return ContactOut.of(contact)


@api.route(
    "/contacts/<int:contact_id>",
    "DELETE",
    summary="Delete a contact (the oldest other contact becomes primary if it was)",
    status=204,
    errors={
        403: "You may see its customer but not change it",
        404: "No such contact (or its customer is not yours to see)",
    },
)
def delete_contact(contact_id: int) -> None:
    service.delete_contact(actor=current_user, contact_id=contact_id)


@api.route(
    "/contacts/<int:contact_id>.vcf",
    "GET",
    summary="A contact as a vCard 3.0 file (UTF-8, attachment)",
    raw="text/vcard",
    errors={404: "No such contact (or its customer is not yours to see)"},
)
def contact_vcard(contact_id: int) -> Response:
    return vcard_response(service.get_contact(current_user, contact_id), current_user)


# --- the Contacts list: people across the customers the caller may see ------------------------


class ContactListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None,
        max_length=search.MAX_QUERY,
        description="Quick search: the beginning of a word of the name or position, a phone "
        "number or its beginning (any format and digits; compared as E.164), the beginning "
        "of an email address or of the customer's name",
    )
    view: Literal["mine", "pool", "shared", "subordinates", "all"] | None = Field(
        default=None,
        description="Whose customers' contacts, as GET /customers: mine; pool "
        "(customers.pool); shared (shared with me); subordinates (customers.view_team); all "
        "(customers.view_all). Default: all when the caller may, else mine",
    )
    sort: Literal["name", "-name", "customer", "-customer", "created", "-created"] = Field(
        default="name", description="name, customer (its name) or created; '-' first: descending"
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None, max_length=500, description="next_cursor of the previous page"
    )


class ContactCustomer(BaseModel):
    id: int
    number: int
    name: str


class ContactListItem(ContactOut):
    customer: ContactCustomer


class ContactPage(BaseModel):
    items: list[ContactListItem]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last")


@api.route(
    "/contacts",
    "GET",
    summary="A page of contacts of the customers the caller may see, with quick search",
    query=ContactListQuery,
    response=ContactPage,
    errors={
        403: "The list (view) needs a permission the caller lacks",
        422: "A parameter is not valid (unknown, too long, out of range, or a cursor that is "
        "not one this list gave)",
    },
)
def list_all_contacts(query: ContactListQuery) -> ContactPage:
    page = search.list_contacts(
        actor=current_user,
        view=query.view or search.default_view(current_user),
        q=query.q,
        sort=query.sort,
        cursor=query.cursor,
        limit=query.limit,
    )
    hidden = search.masked_customers(current_user, page.items)
    items = [
        ContactListItem(
            **ContactOut.of(contact, customer.id in hidden).model_dump(),
            customer=ContactCustomer(id=customer.id, number=customer.number, name=customer.name),
        )
        for contact, customer in page.items
    ]
    return ContactPage(items=items, next_cursor=page.next)
