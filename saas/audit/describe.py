"""The audit log in words: one registry of describers, object type or event → sentence + labels.

Two halves:

- **write time** (``display_snapshot``, called by ``audit.service`` for every entry): the names
  the entry refers to, as they are *now* — the actor, the object, and every id among the
  changed fields (``role_id 6`` → "Sales representative") — are stored in the entry's
  ``display`` column. A later rename or deletion does not rewrite history.
- **read time** (``describe``): a sentence in the reader's language ("Boss invited
  rep@example.com as Sales representative"), field labels instead of column names and values
  formatted for the reader (dates in their calendar, money in its currency, permission and
  language names translated). The raw entry stays available to the page beside it.

A built-in role or plan is snapshotted by its key, so its name still reads in the reader's
language; a custom role or a person keeps the name it had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from babel.lists import format_list
from babel.numbers import get_currency_name
from flask_babel import get_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import Session, object_session

from saas import formatting
from saas.access import BUILTIN_ROLES, PERMISSIONS, RENAMED
from saas.auth.models import Account, Role, User
from saas.contacts.models import EMAIL_LABELS, PHONE_LABELS, Contact
from saas.contacts.normalize import format_phone
from saas.customers.attributes import FIELD_TYPE_LABELS, LIST_LABELS, PALETTE, ListEntry
from saas.customers.models import ACCESS_LABELS, KIND_LABELS, STAGE_LABELS, Customer
from saas.tenancy.models import PLAN_LABELS, Plan

MASK = "***"

# --- names as they are when the entry is written -------------------------------------------


def _role_name(role: Role) -> Any:
    return {"role": role.key, "name": role.name} if role.key else role.name


def _plan_name(plan: Plan) -> Any:
    return {"plan": plan.code, "name": plan.name}


def _user_name(user: User) -> str:
    return user.name


def _account_name(account: Account) -> str:
    return account.email


def _entry_name(entry: ListEntry) -> str:
    return entry.name


#: Foreign-key column → (model, name of a row). Shared by every describer.
REFERENCES: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "role_id": (Role, _role_name),
    "manager_id": (User, _user_name),
    "owner_id": (User, _user_name),
    "invited_by_id": (User, _user_name),
    "user_id": (User, _user_name),
    "actor_id": (User, _user_name),
    "account_id": (Account, _account_name),
    "plan_id": (Plan, _plan_name),
    "from_plan_id": (Plan, _plan_name),
    "to_plan_id": (Plan, _plan_name),
    "customer_id": (Customer, lambda customer: customer.name),
    "contact_id": (Contact, lambda contact: contact.name),
    "other_id": (Contact, lambda contact: contact.name),
    "level_id": (ListEntry, _entry_name),
    "industry_id": (ListEntry, _entry_name),
    "source_id": (ListEntry, _entry_name),
    "stage_id": (ListEntry, _entry_name),
}


def _read_name(name: Any) -> str:
    """A snapshotted name in the reader's language."""
    if isinstance(name, dict):
        if "role" in name and name["role"] in BUILTIN_ROLES:
            return str(BUILTIN_ROLES[name["role"]][0])
        if "plan" in name and name["plan"] in PLAN_LABELS:
            return str(PLAN_LABELS[name["plan"]])
        return str(name.get("name", ""))
    return "" if name is None else str(name)


# --- value formats --------------------------------------------------------------------------


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def _list(items: list[str]) -> str:
    """Items joined the reader's way ("a, b and c", "a، b و c")."""
    return format_list(items, style="standard", locale=str(get_locale())) if items else "—"


def _permissions(value: Any) -> str:
    return _list([str(PERMISSIONS.get(RENAMED.get(p, p), p)) for p in value or ()])


def _language(value: Any) -> str:
    try:
        return Locale.parse(value).get_display_name(str(get_locale())) or value
    except (ValueError, TypeError):
        return str(value)


def _currency(value: Any) -> str:
    try:
        return f"{get_currency_name(value, locale=str(get_locale()))} ({value})"
    except (ValueError, TypeError):
        return str(value)


def _country(value: Any) -> str:
    return Locale.parse(str(get_locale())).territories.get(value, value)


def _calendar(value: Any) -> str:
    return str({"gregorian": _l("Gregorian"), "jalali": _l("Jalali (Persian)")}.get(value, value))


def _mail_status(value: Any) -> str:
    return str(MAIL_STATUS.get(value, value))


#: The Outbox's words for a message's state (templates/macros/mail.html says the same).
MAIL_STATUS = {
    "queued": _l("waiting to be sent"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "outbox": _l("kept here (no mail server)"),
    "failed": _l("failed, will retry"),
    "interrupted": _l("interrupted: check whether it arrived"),
}

FORMATS: dict[str, Callable[[Any], str]] = {
    "datetime": formatting.user_datetime,
    "bool": _yes_no,
    "permissions": _permissions,
    "language": _language,
    "currency": _currency,
    "country": _country,
    "calendar": _calendar,
    "mail_status": _mail_status,
    "number": formatting.number,
    "customer_kind": lambda value: str(KIND_LABELS.get(value, value)),
    "customer_stage": lambda value: str(STAGE_LABELS.get(value, value)),
    "phone": lambda value: format_phone(value, None),
    "phone_type": lambda value: str(PHONE_LABELS.get(value, value)),
    "email_type": lambda value: str(EMAIL_LABELS.get(value, value)),
    "changed": lambda value: _("changed"),
    "share_access": lambda value: str(ACCESS_LABELS.get(value, value)),
    "date": formatting.user_date,
    "list_kind": lambda value: str(LIST_LABELS.get(value, value)),
    "colour": lambda value: str(PALETTE.get(value, value)),
    "field_type": lambda value: str(FIELD_TYPE_LABELS.get(value, value)),
}


# --- the registry ---------------------------------------------------------------------------


@dataclass
class Describer:
    """How one object type (table) reads in the log."""

    #: The object's name when the entry is written.
    name: Callable[[Any], Any]
    #: Column → label shown instead of the column name. Unlisted columns are not shown.
    fields: dict[str, Any]
    #: Verb (``created``/``updated``/``deleted``) or named event → sentence; placeholders
    #: ``%(actor)s``, ``%(object)s`` and any changed field's new value (``%(role_id)s``).
    sentences: dict[str, Any]
    #: Column → a key of ``FORMATS`` (references are always shown by name).
    formats: dict[str, str] = field(default_factory=dict)
    #: Column → the sibling column holding its currency.
    money: dict[str, str] = field(default_factory=dict)
    #: Picks a more specific sentence key for an update from its changes.
    refine: Callable[[dict], str | None] | None = None
    #: The object's name when nothing was snapshotted.
    fallback: Any = None
    #: Column → ``f(value, entry)`` for values that read differently by context.
    contextual: dict[str, Callable[[Any, Any], str]] = field(default_factory=dict)
    #: What the filter calls this kind of object.
    plural: Any = None


def _builtin_role_name(value: Any, entry: Any) -> str:
    """A built-in role's stored name reads in the reader's language."""
    key = _pair((entry.changes or {}).get("key"))[1]
    return str(BUILTIN_ROLES[key][0]) if key in BUILTIN_ROLES else str(value)


def _refine_user(changes: dict) -> str | None:
    if "is_active" in changes:
        return "deactivated" if not changes["is_active"][1] else "reactivated"
    if "role_id" in changes:
        return "role_changed"
    return None


def _refine_invitation(changes: dict) -> str | None:
    if (changes.get("revoked_at") or [None, None])[1]:
        return "revoked"
    if (changes.get("accepted_at") or [None, None])[1]:
        return "accepted"
    return None


def _refine_token(changes: dict) -> str | None:
    return "revoked" if (changes.get("revoked_at") or [None, None])[1] else None


def _refine_account(changes: dict) -> str | None:
    return "password_changed" if "password_hash" in changes else None


def _refine_mail(changes: dict) -> str | None:
    return "status" if "status" in changes else None


def _refine_customer(changes: dict) -> str | None:
    owner = changes.get("owner_id")
    if owner and owner[1] is None:
        return "returned"
    if owner and owner[0] is None and (changes.get("claimed_at") or [None, None])[1]:
        return "claimed"
    if owner:
        return "assigned"
    deleted = changes.get("deleted_at") or [None, None]
    if deleted[1]:
        return "trashed"
    if deleted[0]:
        return "restored"
    if "locked" in changes:
        return "locked" if (changes["locked"] or [None, None])[1] else "unlocked"
    return None


def _share_name(share: Any) -> str:
    from saas.customers.models import Customer

    session = object_session(share)
    customer = session.get(Customer, share.customer_id) if session else None
    user = session.get(User, share.user_id) if session else None
    return f"{customer.name if customer else '?'} / {user.name if user else '?'}"


def _customer_name(customer: Any) -> str:
    return customer.name


def _refine_contact(changes: dict) -> str | None:
    return "made_primary" if (changes.get("is_primary") or [None, None])[1] else None


REGISTRY: dict[str, Describer] = {
    "contacts": Describer(
        plural=_l("Contacts"),
        name=lambda contact: contact.name,
        fields={
            "customer_id": _l("Customer"),
            "name": _l("Full name"),
            "position": _l("Position"),
            "is_primary": _l("Primary contact"),
            "birthday": _l("Birthday"),
            "interests": _l("Hobbies and interests"),
            "notes": _l("Notes"),
            "accounts": _l("Messengers and social accounts"),
            "photo_key": _l("Photo"),
        },
        formats={"is_primary": "bool", "photo_key": "changed", "accounts": "changed"},
        sentences={
            "created": _l("%(actor)s added %(object)s as a contact of %(customer_id)s"),
            "updated": _l("%(actor)s changed the contact %(object)s"),
            "made_primary": _l("%(actor)s made %(object)s the primary contact"),
            "deleted": _l("%(actor)s deleted the contact %(object)s"),
        },
        refine=_refine_contact,
        fallback=_l("a contact"),
    ),
    "contact_phones": Describer(
        plural=_l("Contact phones"),
        name=lambda phone: format_phone(phone.e164, None),
        fields={"contact_id": _l("Contact"), "e164": _l("Phone"), "type": _l("Type")},
        formats={"e164": "phone", "type": "phone_type"},
        sentences={
            "created": _l("%(actor)s added the phone %(object)s to %(contact_id)s"),
            "updated": _l("%(actor)s changed the phone %(object)s"),
            "deleted": _l("%(actor)s removed the phone %(object)s"),
        },
        fallback=_l("a phone"),
    ),
    "contact_emails": Describer(
        plural=_l("Contact emails"),
        name=lambda email: email.email,
        fields={"contact_id": _l("Contact"), "email": _l("Email"), "type": _l("Type")},
        formats={"type": "email_type"},
        sentences={
            "created": _l("%(actor)s added the email %(object)s to %(contact_id)s"),
            "updated": _l("%(actor)s changed the email %(object)s"),
            "deleted": _l("%(actor)s removed the email %(object)s"),
        },
        fallback=_l("an email address"),
    ),
    "contact_relations": Describer(
        plural=_l("Contact relationships"),
        name=lambda rel: rel.contact.name if rel.contact else None,
        fields={
            "contact_id": _l("Contact"),
            "other_id": _l("Other contact"),
            "kind": _l("Relationship"),
        },
        sentences={
            "created": _l("%(actor)s noted that %(contact_id)s is %(kind)s %(other_id)s"),
            "deleted": _l("%(actor)s removed a relationship of %(object)s"),
        },
        fallback=_l("a relationship"),
    ),
    "customer_list_entries": Describer(
        plural=_l("List entries"),
        name=lambda entry: entry.name,
        fields={
            "kind": _l("List"),
            "name": _l("Name"),
            "colour": _l("Colour"),
            "position": lazy_pgettext("sort order", "Position"),
            "category": _l("Counts as"),
            "archived_at": _l("Archived"),
        },
        formats={
            "kind": "list_kind",
            "colour": "colour",
            "category": "customer_stage",
            "archived_at": "datetime",
        },
        sentences={
            "created": _l("%(actor)s added %(object)s to the list %(kind)s"),
            "updated": _l("%(actor)s changed the list entry %(object)s"),
            "deleted": _l("%(actor)s deleted the list entry %(object)s"),
        },
        fallback=_l("a list entry"),
    ),
    "custom_fields": Describer(
        plural=_l("Custom fields"),
        name=lambda field: field.label,
        fields={
            "label": _l("Label"),
            "type": _l("Type"),
            "required": _l("Required"),
            "unique": _l("Unique"),
            "position": lazy_pgettext("sort order", "Position"),
            "archived_at": _l("Archived"),
        },
        formats={
            "type": "field_type",
            "required": "bool",
            "unique": "bool",
            "archived_at": "datetime",
        },
        sentences={
            "created": _l("%(actor)s added the custom field %(object)s"),
            "updated": _l("%(actor)s changed the custom field %(object)s"),
            "deleted": _l("%(actor)s deleted the custom field %(object)s"),
        },
        fallback=_l("a custom field"),
    ),
    "customers": Describer(
        plural=_l("Customers"),
        name=_customer_name,
        fields={
            "number": _l("No."),
            "name": _l("Name"),
            "kind": _l("Kind"),
            "stage": _l("Stage"),
            "country": _l("Country"),
            "city": _l("City"),
            "address": _l("Address"),
            "website": _l("Website"),
            "comments": _l("Comments"),
            "contact_frequency_days": _l("Contact frequency (days)"),
            "purchase_preferences": _l("Purchase preferences"),
            "owner_id": lazy_pgettext("customer", "Owner"),
            "level_id": _l("Level"),
            "industry_id": _l("Industry"),
            "source_id": _l("Source"),
            "stage_id": _l("Stage"),
            "tags": _l("Tags"),
            "custom_fields": _l("Custom fields"),
            "locked": _l("Locked"),
            "claimed_at": _l("Claimed"),
            "returned_at": _l("Returned to the pool"),
            "return_reason": _l("Reason"),
            "deleted_at": _l("Deleted"),
        },
        formats={
            "country": "country",
            "locked": "bool",
            "claimed_at": "datetime",
            "returned_at": "datetime",
            "deleted_at": "datetime",
            "kind": "customer_kind",
            "stage": "customer_stage",
        },
        sentences={
            "created": _l("%(actor)s added the customer %(object)s"),
            "updated": _l("%(actor)s changed %(object)s"),
            "claimed": _l("%(actor)s claimed %(object)s"),
            "returned": _l("%(actor)s returned %(object)s to the pool: %(return_reason)s"),
            "assigned": _l("%(actor)s assigned %(object)s to %(owner_id)s"),
            "trashed": _l("%(actor)s moved %(object)s to the trash"),
            "restored": _l("%(actor)s restored %(object)s from the trash"),
            "locked": _l("%(actor)s locked %(object)s"),
            "unlocked": _l("%(actor)s unlocked %(object)s"),
            "deleted": _l("%(actor)s deleted %(object)s"),
            "customers.revealed": _l("%(actor)s revealed the phones and emails of %(object)s"),
        },
        refine=_refine_customer,
        fallback=_l("a customer"),
    ),
    "customer_shares": Describer(
        plural=_l("Customer sharing"),
        name=_share_name,
        fields={"user_id": _l("Shared with"), "access": _l("Access"), "until": _l("Until")},
        formats={"access": "share_access", "until": "date"},
        sentences={
            "created": _l("%(actor)s shared %(object)s"),
            "updated": _l("%(actor)s changed the sharing of %(object)s"),
            "deleted": _l("%(actor)s stopped sharing %(object)s"),
        },
        fallback=_l("a shared customer"),
    ),
    "pool_settings": Describer(
        plural=_l("Pool rules"),
        name=lambda row: _("the pool rules"),
        fields={
            "followup_days": _l("Days without follow-up before a customer returns"),
            "unwon_days": _l("Days after a claim to win the customer"),
            "warn_days": _l("Days of warning"),
            "max_owned": _l("Customers one user may own"),
            "max_locked": _l("Customers one user may lock"),
            "max_claims_per_day": _l("Claims per user per day"),
            "cooldown_days": _l("Days before a previous owner may claim again"),
            "mask_pool_contacts": _l("Mask phones and emails of pool customers"),
        },
        formats={"mask_pool_contacts": "bool"},
        sentences={
            "created": _l("%(actor)s set the pool rules"),
            "updated": _l("%(actor)s changed the pool rules"),
            "deleted": _l("%(actor)s removed the pool rules"),
        },
        fallback=_l("the pool rules"),
    ),
    "pool_level_rules": Describer(
        plural=_l("Pool rules"),
        name=lambda row: _("the pool rules of a level"),
        fields={
            "level_id": _l("Level"),
            "followup_days": _l("Days without follow-up before a customer returns"),
            "unwon_days": _l("Days after a claim to win the customer"),
        },
        sentences={
            "created": _l("%(actor)s set the pool rules of the level %(level_id)s"),
            "updated": _l("%(actor)s changed the pool rules of a level"),
            "deleted": _l("%(actor)s removed the pool rules of a level"),
        },
        fallback=_l("the pool rules of a level"),
    ),
    "users": Describer(
        plural=_l("People"),
        name=_user_name,
        fields={
            "name": _l("Name"),
            "account_id": _l("Email"),
            "role_id": _l("Role"),
            "manager_id": _l("Manager"),
            "is_active": _l("Active"),
            "language": _l("Language"),
            "timezone": _l("Time zone"),
            "calendar": _l("Date display"),
        },
        formats={
            "is_active": "bool",
            "language": "language",
            "calendar": "calendar",
        },
        sentences={
            "created": _l("%(actor)s added %(object)s as %(role_id)s"),
            "own_created": _l("%(object)s joined as %(role_id)s"),
            "own_updated": _l("%(object)s changed their profile"),
            "updated": _l("%(actor)s changed %(object)s"),
            "role_changed": _l("%(actor)s made %(object)s %(role_id)s"),
            "deactivated": _l("%(actor)s deactivated %(object)s"),
            "reactivated": _l("%(actor)s reactivated %(object)s"),
            "deleted": _l("%(actor)s removed %(object)s"),
        },
        refine=_refine_user,
        fallback=_l("a user"),
    ),
    "invitations": Describer(
        plural=_l("Invitations"),
        name=lambda inv: inv.email,
        fields={
            "email": _l("Email"),
            "role_id": _l("Role"),
            "invited_by_id": _l("Invited by"),
            "expires_at": _l("Expires"),
            "accepted_at": _l("Accepted"),
            "revoked_at": _l("Withdrawn"),
        },
        formats={"expires_at": "datetime", "accepted_at": "datetime", "revoked_at": "datetime"},
        sentences={
            "created": _l("%(actor)s invited %(object)s as %(role_id)s"),
            "updated": _l("%(actor)s changed the invitation of %(object)s"),
            "revoked": _l("%(actor)s withdrew the invitation of %(object)s"),
            "accepted": _l("%(object)s accepted the invitation"),
            "deleted": _l("%(actor)s deleted the invitation of %(object)s"),
        },
        refine=_refine_invitation,
        fallback=_l("an invitation"),
    ),
    "roles": Describer(
        plural=_l("Roles"),
        name=_role_name,
        fields={"name": _l("Name"), "permissions": _l("Permissions")},
        formats={"permissions": "permissions"},
        contextual={"name": _builtin_role_name},
        sentences={
            "created": _l("%(actor)s created the role %(object)s"),
            "updated": _l("%(actor)s changed the role %(object)s"),
            "deleted": _l("%(actor)s deleted the role %(object)s"),
        },
        fallback=_l("a role"),
    ),
    "accounts": Describer(
        plural=_l("Logins"),
        name=_account_name,
        fields={"email": _l("Email"), "password_hash": _l("Password")},
        formats={"password_hash": "changed"},
        sentences={
            "created": _l("%(actor)s created the login %(object)s"),
            "updated": _l("%(actor)s changed the login %(object)s"),
            "password_changed": _l("%(actor)s changed the password of %(object)s"),
            "deleted": _l("%(actor)s deleted the login %(object)s"),
            "auth.password_set_by_operator": _l("The operator set a new password for %(object)s"),
        },
        refine=_refine_account,
        fallback=_l("a login"),
    ),
    "tenants": Describer(
        plural=_l("Company"),
        name=lambda tenant: tenant.name,
        fields={
            "name": _l("Company name"),
            "plan_id": _l("Plan"),
            "default_currency": _l("Default currency"),
            "default_country": _l("Default country"),
            "timezone": _l("Time zone"),
            "logo_key": _l("Logo"),
            "smtp_host": _l("SMTP server"),
            "smtp_port": _l("Port"),
            "smtp_user": _l("User name"),
            "smtp_password_encrypted": _l("SMTP password"),
            "smtp_from": _l("From address"),
            "smtp_security": _l("Security"),
        },
        formats={
            "default_currency": "currency",
            "default_country": "country",
            "logo_key": "changed",
            "smtp_password_encrypted": "changed",
        },
        sentences={
            "created": _l("%(actor)s created the company %(object)s"),
            "tenants.created": _l("%(actor)s created the company %(object)s"),
            "updated": _l("%(actor)s changed the company settings"),
            "deleted": _l("%(actor)s deleted the company %(object)s"),
        },
        fallback=_l("the company"),
    ),
    "api_tokens": Describer(
        plural=_l("API tokens"),
        name=lambda token: token.name,
        fields={"name": _l("Token name"), "user_id": _l("User"), "revoked_at": _l("Revoked")},
        formats={"revoked_at": "datetime"},
        sentences={
            "created": _l("%(actor)s created the API token %(object)s"),
            "updated": _l("%(actor)s changed the API token %(object)s"),
            "revoked": _l("%(actor)s revoked the API token %(object)s"),
            "deleted": _l("%(actor)s deleted the API token %(object)s"),
        },
        refine=_refine_token,
        fallback=_l("an API token"),
    ),
    "plan_changes": Describer(
        plural=_l("Plan changes"),
        name=lambda change: _plan_name(change.to_plan) if change.to_plan else None,
        fields={
            "from_plan_id": _l("From plan"),
            "to_plan_id": _l("To plan"),
            "amount": _l("Amount"),
            "reference": _l("Reference"),
        },
        money={"amount": "currency"},
        sentences={
            "created": _l("%(actor)s changed the plan from %(from_plan_id)s to %(to_plan_id)s"),
        },
        fallback=_l("a plan change"),
    ),
    "mail_messages": Describer(
        plural=_l("Mail"),
        name=lambda msg: msg.to_addr,
        fields={
            "to_addr": _l("To"),
            "subject": _l("Subject"),
            "status": _l("Status"),
            "sent_at": _l("Sent"),
            "attempts": _l("Attempts"),
        },
        formats={"status": "mail_status", "sent_at": "datetime", "attempts": "number"},
        sentences={
            "created": _l("%(actor)s wrote a message to %(object)s"),
            "updated": _l("The message to %(object)s changed"),
            "status": _l("The message to %(object)s: %(status)s"),
            "deleted": _l("%(actor)s deleted the message to %(object)s"),
        },
        refine=_refine_mail,
        fallback=_l("a message"),
    ),
}

#: Named events (``audit.record_event``) that read the same whatever their object.
EVENTS: dict[str, Any] = {
    "auth.login": _l("%(actor)s logged in"),
    "users.left": _l("%(object)s left the company"),
    "auth.password_reset_requested": _l("%(object)s asked for a password reset"),
    "customers.tags_changed": _l("%(actor)s changed the tags of %(object)s"),
    "customers.fields_changed": _l("%(actor)s changed custom fields of %(object)s"),
}


def type_label(object_type: str) -> str:
    """The filter's name for an object type."""
    describer = REGISTRY.get(object_type)
    return str(describer.plural) if describer and describer.plural else object_type


# --- write time -----------------------------------------------------------------------------


def _lookup(session: Session, model: type, ident: Any) -> Any:
    if not isinstance(ident, int):
        return None
    with session.no_autoflush:
        return session.get(model, ident)


def display_snapshot(
    session: Session, obj: object | None, table: str, changes: dict, actor_id: int | None
) -> dict[str, Any]:
    """The names an entry refers to, as they are while it is written."""
    out: dict[str, Any] = {}
    if actor_id is not None and (actor := _lookup(session, User, actor_id)) is not None:
        out["actor"] = actor.name
    describer = REGISTRY.get(table)
    if obj is not None and describer is not None:
        try:
            name = describer.name(obj)
        except Exception:  # an unloaded relationship must never block the change itself
            name = None
        if name:
            out["object"] = name
    refs: dict[str, list[Any]] = {}
    for key, change in changes.items():
        if key not in REFERENCES or not isinstance(change, list | tuple) or len(change) != 2:
            continue
        model, namer = REFERENCES[key]
        refs[key] = [
            namer(row) if (row := _lookup(session, model, v)) is not None else None for v in change
        ]
    if refs:
        out["refs"] = refs
    return out


# --- read time ------------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    old: str | None
    new: str


@dataclass
class Description:
    sentence: Markup
    changes: list[Change]


def _isolated(text: str) -> Markup:
    """A name inside a sentence, kept whole in right-to-left text."""
    return Markup("<bdi>{}</bdi>").format(text)


def _pair(change: Any) -> tuple[Any, Any]:
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[0], change[1]
    return None, change


def _format(describer: Describer, key: str, value: Any, entry: Any, side: int) -> str:
    if value is None:
        return "—"
    refs = (entry.display or {}).get("refs", {})
    if key in REFERENCES:
        snap = refs.get(key)
        name = _read_name(snap[side]) if snap else ""
        return name or f"#{value}"
    if value == MASK:
        return _("changed")
    if key in describer.money:
        currency = _pair((entry.changes or {}).get(describer.money[key]))[1]
        if currency:
            try:
                return formatting.money(value, currency)
            except (ValueError, ArithmeticError):
                return str(value)
    if key in describer.contextual:
        return describer.contextual[key](value, entry)
    kind = describer.formats.get(key)
    if kind:
        return FORMATS[kind](value)
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int | float):
        return formatting.number(value)
    if isinstance(value, list):
        return _list([str(v) for v in value])
    return str(value)


def _sentence_key(entry: Any, describer: Describer | None) -> str:
    verb = entry.action.rsplit(".", 1)[-1]
    if describer is None:
        return verb
    if entry.action in describer.sentences:
        return entry.action
    if verb == "updated" and describer.refine and (key := describer.refine(entry.changes or {})):
        return key
    # the person acted on themself, or joined with nobody else acting (signup, an invitation)
    own = entry.object_type == "users" and (
        entry.actor_id == entry.object_id or (entry.actor_id is None and verb == "created")
    )
    if own and f"own_{verb}" in describer.sentences:
        return f"own_{verb}"  # "Ann joined as Sales representative"
    return verb


def describe(entry: Any) -> Description:
    """``entry`` as a sentence and a list of labelled, formatted changes."""
    display = entry.display or {}
    describer = REGISTRY.get(entry.object_type)
    actor = display.get("actor") or (entry.actor.name if entry.actor else None)
    actor_text = actor or _("The system")
    object_text = _read_name(display.get("object")) or (
        str(describer.fallback) if describer and describer.fallback else f"#{entry.object_id}"
    )
    changes: list[Change] = []
    values: dict[str, Markup] = {
        "actor": _isolated(actor_text),
        "object": _isolated(object_text),
    }
    for key, raw in (entry.changes or {}).items():
        old, new = _pair(raw)
        if describer is None or key not in describer.fields:
            continue
        new_text = _format(describer, key, new, entry, 1)
        old_text = _format(describer, key, old, entry, 0) if old is not None else None
        values[key] = _isolated(new_text)
        changes.append(Change(str(describer.fields[key]), old_text, new_text))
    template = EVENTS.get(entry.action)
    if template is None and describer is not None:
        template = describer.sentences.get(_sentence_key(entry, describer))
    if template is None:
        template = _l("%(actor)s: %(action)s")
        values["action"] = _isolated(entry.action)
    try:
        sentence = escape(str(template)) % values
    except (KeyError, ValueError, TypeError):
        # a sentence naming a field this entry did not record: say the generic thing
        generic = describer.sentences.get(entry.action.rsplit(".", 1)[-1]) if describer else None
        try:
            sentence = escape(str(generic or _l("%(actor)s changed %(object)s"))) % values
        except (KeyError, ValueError, TypeError):
            sentence = escape(_("%(actor)s changed %(object)s")) % values
    return Description(sentence=sentence, changes=changes)
