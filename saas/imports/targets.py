"""What a column of an imported table can become: the targets, their labels and groups.

Keys are the contract (the API's mapping values and ``suggest.suggest``'s answers); labels are
for people. ``cf.<key>`` targets come from the company's live custom fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Target:
    key: str
    label: Any
    group: Any
    #: May be chosen for several columns (all values are kept: phones, emails).
    repeatable: bool = False


CUSTOMER = _l("Customer")
CONTACT = _l("Contact person")
CUSTOM = _l("Custom fields")

#: The built-in targets in the order the mapping select offers them.
BUILTIN: tuple[Target, ...] = (
    Target("name", _l("Name"), CUSTOMER),
    Target("number", _l("No. (update the customer with this number)"), CUSTOMER),
    Target("kind", _l("Company or person"), CUSTOMER),
    Target("industry", _l("Industry"), CUSTOMER),
    Target("level", _l("Level"), CUSTOMER),
    Target("stage", _l("Stage"), CUSTOMER),
    Target("source", _l("Source"), CUSTOMER),
    Target("tags", _l("Tags"), CUSTOMER),
    Target("country", _l("Country"), CUSTOMER),
    Target("city", _l("City"), CUSTOMER),
    Target("address", _l("Address"), CUSTOMER),
    Target("website", _l("Website"), CUSTOMER),
    Target("comments", _l("Comments"), CUSTOMER),
    Target("purchase_preferences", _l("Purchase preferences"), CUSTOMER),
    Target("owner", _l("Manager (owner)"), CUSTOMER),
    Target("contact.name", _l("Contact name"), CONTACT),
    Target("contact.position", _l("Position"), CONTACT),
    Target("contact.phone_mobile", _l("Mobile phone"), CONTACT, repeatable=True),
    Target("contact.phone_work", _l("Work phone"), CONTACT, repeatable=True),
    Target("contact.phone_home", _l("Home phone"), CONTACT, repeatable=True),
    Target("contact.fax", _l("Fax"), CONTACT, repeatable=True),
    Target("contact.email", _l("Email"), CONTACT, repeatable=True),
    Target("contact.birthday", _l("Birthday"), CONTACT),
    Target("contact.notes", _l("Notes"), CONTACT),
    Target("contact.interests", _l("Hobbies and interests"), CONTACT),
)
BY_KEY = {t.key: t for t in BUILTIN}
#: Phone targets → the phone's type.
PHONE_TYPES = {
    "contact.phone_mobile": "mobile",
    "contact.phone_work": "work",
    "contact.phone_home": "home",
    "contact.fax": "fax",
}


def targets() -> list[Target]:
    """Every target of the current tenant: the built-ins, then its live custom fields."""
    from saas.customers import fields

    return [*BUILTIN, *(Target(f"cf.{f.key}", f.label, CUSTOM) for f in fields.fields())]


def custom_fields() -> list[tuple[str, str]]:
    """``(key, label)`` of the live custom fields (what ``suggest`` matches headers against)."""
    from saas.customers import fields

    return [(f.key, f.label) for f in fields.fields()]


def label(key: str | None) -> str:
    """A target's label in the reader's language ("" for None)."""
    if key is None:
        return ""
    for target in targets():
        if target.key == key:
            return str(target.label)
    return key
