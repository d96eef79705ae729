"""Contacts of a customer: the people, their phones, emails and relationships.

A contact belongs to one customer and moves with it: who may see or change it is decided by
its customer (``customers.service.may_see`` / ``may_edit``), never by the contact itself.
Exactly one contact of a customer that has contacts is primary (``contacts.service``; a
partial unique index is the backstop).

Phones and emails live in their own tables with the match keys the duplicate check looks up
through indexes led by ``tenant_id``: ``contact_phones.e164`` and ``contact_emails.email_key``
(both also carry ``customer_id``, so a match names its customer without a join).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.utils import utcnow


class PhoneType(StrEnum):
    MOBILE = "mobile"
    WORK = "work"
    HOME = "home"
    FAX = "fax"


class EmailType(StrEnum):
    WORK = "work"
    HOME = "home"
    OTHER = "other"


PHONE_LABELS = {
    PhoneType.MOBILE: _l("Mobile"),
    PhoneType.WORK: _l("Work"),
    PhoneType.HOME: _l("Home"),
    PhoneType.FAX: _l("Fax"),
}
EMAIL_LABELS = {
    EmailType.WORK: _l("Work"),
    EmailType.HOME: _l("Home"),
    EmailType.OTHER: _l("Other"),
}

#: Messengers and social networks a contact's account may be on (``accounts[].kind``).
ACCOUNT_LABELS = {
    "wechat": _l("WeChat"),
    "whatsapp": _l("WhatsApp"),
    "telegram": _l("Telegram"),
    "qq": _l("QQ"),
    "viber": _l("Viber"),
    "skype": _l("Skype"),
    "linkedin": _l("LinkedIn"),
    "facebook": _l("Facebook"),
    "instagram": _l("Instagram"),
    "x": _l("X (Twitter)"),
    "weibo": _l("Weibo"),
    "vk": _l("VK"),
    "other": _l("Other"),
}

#: Suggested relationship words (free text is allowed too).
RELATION_SUGGESTIONS = (
    _l("spouse of"),
    _l("former colleague of"),
    _l("colleague of"),
    _l("manager of"),
    _l("assistant of"),
    _l("relative of"),
    _l("friend of"),
)


class Contact(TenantScoped, db.Model):
    """A person at a customer."""

    __tablename__ = "contacts"
    __audit__ = True
    __audit_exclude__ = ("created_at", "updated_at", "created_by_id", "updated_by_id")
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("created_by_id", "users"),
        tenant_fk("updated_by_id", "users"),
        Index("ix_contacts_tenant_customer", "tenant_id", "customer_id", "id"),
        # the Contacts page sorted by name: a keyset walk of (name, id), no sort step
        Index("ix_contacts_tenant_name", "tenant_id", "name", "id"),
    )

    customer_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(default=False)
    birthday: Mapped[date | None]
    #: Hobbies and interests.
    interests: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    #: Messengers and social accounts: ``[{"kind": "wechat", "handle": "liwei88"}, …]``.
    accounts: Mapped[list] = mapped_column(JSON, default=list)
    #: Storage key of the photo (PNG, re-encoded), see ``saas/storage.py``.
    photo_key: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None]
    updated_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="ContactPhone.id",
        primaryjoin="foreign(ContactPhone.contact_id) == Contact.id",
    )
    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="ContactEmail.id",
        primaryjoin="foreign(ContactEmail.contact_id) == Contact.id",
    )
    #: The search keys of the Contacts page (``contacts.search``), kept by the service.
    terms: Mapped[list[ContactTerm]] = relationship(
        cascade="all, delete-orphan",
        primaryjoin="foreign(ContactTerm.contact_id) == Contact.id",
    )

    @property
    def account_items(self) -> list[tuple[str, str, str]]:
        """``(kind, label, handle)`` of each messenger/social account."""
        return [
            (
                a.get("kind", "other"),
                str(ACCOUNT_LABELS.get(a.get("kind"), a.get("kind"))),
                a["handle"],
            )
            for a in self.accounts or ()
            if isinstance(a, dict) and a.get("handle")
        ]


# At most one primary contact per customer (the service keeps exactly one): partial unique index.
Index(
    "uq_contacts_primary",
    Contact.tenant_id,
    Contact.customer_id,
    unique=True,
    sqlite_where=Contact.is_primary,
    postgresql_where=Contact.is_primary,
)


class ContactPhone(TenantScoped, db.Model):
    """One phone number of a contact: as typed (``raw``) and in E.164 (``e164``, matched on)."""

    __tablename__ = "contact_phones"
    __audit__ = True
    __table_args__ = tenant_args(
        tenant_fk("contact_id", "contacts", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_contact_phones_tenant_e164", "tenant_id", "e164"),
        Index("ix_contact_phones_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[int]
    #: The contact's customer (denormalised: a phone match names its customer without a join).
    customer_id: Mapped[int]
    raw: Mapped[str] = mapped_column(String(64))
    #: ``+8613812345678``: what the duplicate check compares.
    e164: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(8), default=PhoneType.MOBILE)

    contact: Mapped[Contact] = relationship(
        back_populates="phones",
        primaryjoin="foreign(ContactPhone.contact_id) == Contact.id",
    )

    @property
    def type_label(self) -> str:
        return str(PHONE_LABELS.get(self.type, self.type))  # type: ignore[call-overload]


class ContactEmail(TenantScoped, db.Model):
    """One email address of a contact; ``email_key`` (NFKC, case-folded) is matched on."""

    __tablename__ = "contact_emails"
    __audit__ = True
    __audit_exclude__ = ("email_key",)
    __table_args__ = tenant_args(
        tenant_fk("contact_id", "contacts", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_contact_emails_tenant_key", "tenant_id", "email_key"),
        Index("ix_contact_emails_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[int]
    customer_id: Mapped[int]
    email: Mapped[str] = mapped_column(String(320))
    #: ``contacts.normalize.email_key(email)``: what the duplicate check compares.
    email_key: Mapped[str] = mapped_column(String(320))
    #: work / home / other, or NULL (untyped).
    type: Mapped[str | None] = mapped_column(String(8))

    contact: Mapped[Contact] = relationship(
        back_populates="emails",
        primaryjoin="foreign(ContactEmail.contact_id) == Contact.id",
    )

    @property
    def type_label(self) -> str:
        return str(EMAIL_LABELS.get(self.type, "")) if self.type else ""  # type: ignore[call-overload]


class ContactRelation(TenantScoped, db.Model):
    """``contact`` is ``kind`` ``other`` ("spouse of", "former colleague of", free text)."""

    __tablename__ = "contact_relations"
    __audit__ = True
    __table_args__ = tenant_args(
        tenant_fk("contact_id", "contacts", ondelete="CASCADE"),
        tenant_fk("other_id", "contacts", ondelete="CASCADE"),
        Index("ix_contact_relations_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_contact_relations_tenant_other", "tenant_id", "other_id"),
    )

    contact_id: Mapped[int]
    other_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(100))

    contact: Mapped[Contact] = relationship(
        primaryjoin="foreign(ContactRelation.contact_id) == Contact.id", viewonly=True
    )
    other: Mapped[Contact] = relationship(
        primaryjoin="foreign(ContactRelation.other_id) == Contact.id", viewonly=True
    )


class TermKind(StrEnum):
    """What a search key was made from: its kind decides who may match it."""

    NAME = "n"  # a word of the name or position, the whole name, a CJK suffix
    PHONE = "p"  # an E.164 number (hidden from whom the pool masks it)
    EMAIL = "e"  # an email_key (hidden likewise)


#: Byte order on PostgreSQL whatever the database's collation: ``term >= p AND term < p'`` is
#: exactly "starts with p" and uses the index; ``>=``/``<`` are leakproof, so row-level security
#: does not keep the planner from the index (``LIKE`` is not). SQLite's BINARY is byte order.
TERM_TYPE = String(100).with_variant(String(100, collation="C"), "postgresql")


class ContactTerm(TenantScoped, db.Model):
    """One search key of a contact: the Contacts page's quick search is a prefix range scan of
    ``(tenant_id, term)`` (``contacts.search``). Derived data: rebuilt from the contact by the
    service whenever its name, position, phones or emails change; not audited."""

    __tablename__ = "contact_terms"
    __table_args__ = tenant_args(
        tenant_fk("contact_id", "contacts", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_contact_terms_tenant_term", "tenant_id", "term"),
        Index("ix_contact_terms_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[int]
    #: The contact's customer (denormalised: a masked pool customer's keys are skipped by it).
    customer_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(1))
    term: Mapped[str] = mapped_column(TERM_TYPE)
