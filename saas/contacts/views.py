"""Contacts on the customer card: the "Contacts" tab, add/edit/delete in place, primary, photo,
relationships, vCard download.

Every answer to an htmx action is the whole tab panel (``contacts/_tab.html``, ``#contacts``),
so the primary-first order stays right after any change; without JavaScript each form posts and
redirects to the tab (``/customers/<id>/contacts``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Response, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from saas import htmx
from saas.auth.models import User
from saas.contacts import bp, search, service
from saas.contacts.forms import ContactForm, PhotoForm, PrimaryContactForm, RelationForm
from saas.contacts.models import RELATION_SUGGESTIONS, Contact
from saas.contacts.normalize import format_phone, tel_uri
from saas.contacts.vcard import to_vcard
from saas.customers import service as customers
from saas.customers.card import CardTab, register_tab
from saas.customers.models import Customer
from saas.errors import ServiceError, ValidationFailed
from saas.extensions import db
from saas.formatting import number as format_number
from saas.forms import error_status, options
from saas.storage import get_storage
from saas.text import single_line

# --- the card's tab ---------------------------------------------------------------------------


def tab_context(actor: User, customer: Customer) -> dict[str, Any]:
    """What ``contacts/_tab.html`` shows: the contacts (primary first), their relationships and
    whether the actor may change them."""
    contacts = service.contacts_of(customer)
    return {
        "contacts": contacts,
        "may_edit": customers.may_edit(actor, customer),
        "relations": {c.id: service.relations_of(actor, c) for c in contacts},
        "suggestions": [str(s) for s in RELATION_SUGGESTIONS],
        "masked": service.masked(actor, customer),
    }


register_tab(
    CardTab(
        name="contacts",
        label=_l("Contacts"),
        template="contacts/_tab.html",
        order=20,
        context=tab_context,
    )
)


@bp.app_template_filter("phone")
def phone_filter(e164: str) -> str:
    """An E.164 number as the reader writes it (national in the company's country)."""
    country = current_user.tenant.default_country if current_user.is_authenticated else None
    return format_phone(e164, country)


@bp.app_template_filter("tel")
def tel_filter(e164: str) -> str:
    return tel_uri(e164)


def _tab_url(customer_id: int) -> str:
    return url_for("customers.show_tab", customer_id=customer_id, tab_name="contacts")


def _panel(customer: Customer, status: int = 200, **extra: Any) -> Response:
    """The whole tab panel (htmx) in place of ``#contacts`` whichever element asked, with the
    flash messages out of band."""
    resp = htmx.respond(
        "contacts/_tab.html",
        status=status,
        customer=customer,
        actor=current_user,
        **tab_context(current_user, customer),
        **extra,
    )
    resp.headers["HX-Retarget"] = "#contacts"
    resp.headers["HX-Reswap"] = "outerHTML"
    return resp


def _done(customer: Customer, message: str, event: str) -> Response:
    flash(message, "success")
    if not htmx.is_fragment_request():
        return htmx.redirect(_tab_url(customer.id))
    resp = _panel(customer)
    htmx.trigger(resp, event)
    return resp


# --- the new-customer form's primary contact ------------------------------------------------


def add_primary_contact(subform: PrimaryContactForm, actor: User, customer: Customer) -> None:
    """Create the sub-form's contact with the customer just created (same transaction): a bad
    value lands on its field and the whole form is refused (the customer is not saved)."""
    values = subform.values()
    if values is None:
        return
    try:
        service.add_inline(actor=actor, customer=customer, contacts=[values])
    except service.ContactInvalid as exc:
        if not subform.place(exc.path, exc.message):
            raise
        raise ValidationFailed(
            _("Check the primary contact: nothing was saved."), code="contact_form"
        ) from None


# --- the contact form -------------------------------------------------------------------------


def _prepare(form: ContactForm, contact: Contact | None) -> None:
    """Fill a GET form from ``contact`` and keep one spare row in each list."""
    if not form.is_submitted() and contact is not None:
        form.name.data = contact.name
        form.position.data = contact.position or ""
        form.birthday.data = contact.birthday
        form.interests.data = contact.interests or ""
        form.notes.data = contact.notes or ""
        form.primary.data = contact.is_primary
        for rows, items in (
            (form.phones, [{"number": p.raw, "kind": p.type} for p in contact.phones]),
            (form.emails, [{"email": e.email, "kind": e.type or ""} for e in contact.emails]),
            (form.accounts, [{"kind": k, "handle": h} for k, _label, h in contact.account_items]),
        ):
            while len(rows):
                rows.pop_entry()
            for item in items:
                rows.append_entry(item)
    for rows in (form.phones, form.emails, form.accounts):
        if all(_filled(row) for row in rows):
            rows.append_entry()


def _filled(row: Any) -> bool:
    return any((f.data or "").strip() for f in row.form if f.type == "StringField")


def _submit(
    form: ContactForm,
    customer: Customer,
    contact: Contact | None,
    action: Callable[[], Any],
    message: str,
    event: str,
) -> Response:
    """Validate, save, answer with the panel; errors land on their fields (422)."""
    status = 200
    if form.validate_on_submit():
        try:
            action()
        except ServiceError as exc:
            placed = isinstance(exc, service.ContactInvalid) and form.place(exc.path, exc.message)
            if not placed:
                form.form_errors.append(exc.message)
            status = error_status(exc)
        else:
            return _done(customer, message, event)
    elif form.is_submitted():
        status = 422
    _prepare(form, None)
    return htmx.render(
        "contacts/form_page.html",
        "contacts/_form.html",
        status=status,
        form=form,
        customer=customer,
        contact=contact,
    )


@bp.route("/customers/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@login_required
def new(customer_id: int) -> Any:
    customer = service.editable_customer(current_user, customer_id)
    form = ContactForm()
    _prepare(form, None)
    return _submit(
        form,
        customer,
        None,
        lambda: service.create_contact(
            actor=current_user, customer_id=customer.id, **form.values()
        ),
        _("Contact added."),
        "contactAdded",
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id: int) -> Any:
    contact, customer = service.editable_contact(current_user, contact_id)
    form = ContactForm()
    _prepare(form, contact)
    return _submit(
        form,
        customer,
        contact,
        lambda: service.update_contact(actor=current_user, contact_id=contact.id, **form.values()),
        _("Contact saved."),
        "contactChanged",
    )


@bp.post("/contacts/<int:contact_id>/delete")
@login_required
def delete(contact_id: int) -> Any:
    contact = service.get_contact(current_user, contact_id)
    name = contact.name
    customer = service.delete_contact(actor=current_user, contact_id=contact_id)
    return _done(customer, _("%(name)s deleted.", name=name), "contactDeleted")


@bp.post("/contacts/<int:contact_id>/primary")
@login_required
def primary(contact_id: int) -> Any:
    contact = service.make_primary(actor=current_user, contact_id=contact_id)
    customer = customers.get_customer(current_user, contact.customer_id)
    return _done(
        customer, _("%(name)s is the primary contact now.", name=contact.name), "contactChanged"
    )


# --- vCard, photo -----------------------------------------------------------------------------


def vcard_response(contact: Contact, actor: User) -> Response:
    """``<name>.vcf`` as an attachment (text/vcard; the name RFC 5987-encoded when not ASCII);
    without phones and emails while they are masked from ``actor``."""
    customer = db.session.get(Customer, contact.customer_id)
    photo = get_storage().get(contact.tenant_id, contact.photo_key) if contact.photo_key else None
    hidden = customer is not None and service.masked(actor, customer)
    text = to_vcard(
        contact,
        organization=customer.name if customer else None,
        photo=photo,
        reachable=not hidden,
    )
    safe = "".join(ch for ch in contact.name if ch.isprintable() and ch not in '/\\"') or "contact"
    resp = send_file(
        io.BytesIO(text.encode("utf-8")),
        mimetype="text/vcard",
        as_attachment=True,
        download_name=f"{safe}.vcf",
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/contacts/<int:contact_id>.vcf")
@login_required
def vcard(contact_id: int) -> Any:
    return vcard_response(service.get_contact(current_user, contact_id), current_user)


@bp.get("/contacts/<int:contact_id>/photo.png")
@login_required
def photo(contact_id: int) -> Any:
    data = service.photo(current_user, contact_id)
    if data is None:
        return Response(status=404)
    resp = send_file(io.BytesIO(data), mimetype="image/png", max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/contacts/<int:contact_id>/photo")
@login_required
def upload_photo(contact_id: int) -> Any:
    contact, customer = service.editable_contact(current_user, contact_id)
    form = PhotoForm()
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(_("The form expired; try again."), code="photo")
        upload = form.photo.data
        data = upload.read() if upload else None
        if not data:
            raise ValidationFailed(_("Choose an image file to upload."), code="photo")
        service.set_photo(actor=current_user, contact_id=contact.id, data=data)
    except ServiceError as exc:
        flash(exc.message, "error")
        if not htmx.is_fragment_request():
            return htmx.redirect(_tab_url(customer.id))
        return _panel(customer, status=error_status(exc))
    return _done(customer, _("Photo saved."), "contactChanged")


@bp.post("/contacts/<int:contact_id>/photo/delete")
@login_required
def delete_photo(contact_id: int) -> Any:
    contact, customer = service.editable_contact(current_user, contact_id)
    service.set_photo(actor=current_user, contact_id=contact.id, data=None)
    return _done(customer, _("Photo removed."), "contactChanged")


# --- relationships ----------------------------------------------------------------------------


@bp.post("/contacts/<int:contact_id>/relations")
@login_required
def add_relation(contact_id: int) -> Any:
    contact, customer = service.editable_contact(current_user, contact_id)
    form = RelationForm()
    form.other_id.choices = options(
        (c.id, c.name) for c in service.contacts_of(customer) if c.id != contact.id
    )
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(_("Name the relationship and choose the other contact."))
        try:
            other_id = int(form.other_id.data)
        except (TypeError, ValueError):
            raise ValidationFailed(_("Choose a contact you can see.")) from None
        service.add_relation(
            actor=current_user, contact_id=contact.id, other_id=other_id, kind=form.kind.data
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        if not htmx.is_fragment_request():
            return htmx.redirect(_tab_url(customer.id))
        return _panel(customer, status=error_status(exc))
    return _done(customer, _("Relationship added."), "contactChanged")


@bp.post("/contact-relations/<int:relation_id>/delete")
@login_required
def delete_relation(relation_id: int) -> Any:
    contact = service.delete_relation(actor=current_user, relation_id=relation_id)
    customer = customers.get_customer(current_user, contact.customer_id)
    return _done(customer, _("Relationship removed."), "contactChanged")


# --- the Contacts page: people across the customers the user may see -------------------------

#: Tab labels of the Contacts page (the customers' lists: a contact shows with its customer).
CONTACT_VIEW_LABELS = {
    "mine": _l("Of my customers"),
    "pool": _l("In the pool"),
    "shared": _l("Shared with me"),
    "subordinates": _l("Subordinates'"),
    "all": _l("All"),
}
SORT_LABELS = {
    "name": _l("Name, A to Z"),
    "-name": _l("Name, Z to A"),
    "customer": _l("Customer, A to Z"),
    "-customer": _l("Customer, Z to A"),
    "-created": _l("Newest first"),
    "created": _l("Oldest first"),
}


def _size(value: str | None) -> int:
    try:
        size = int(value or search.PAGE)
    except ValueError:
        return search.PAGE
    return size if size in search.PAGE_SIZES else search.PAGE


@bp.get("/contacts")
@login_required
def index() -> Any:
    """The Contacts page (or its ``#contacts-list`` fragment) of the query string:
    ``view``, ``q``, ``sort``, ``size``, ``cursor``."""
    allowed = customers.views_for(current_user)
    view = request.args.get("view") or search.default_view(current_user)
    q = single_line(request.args.get("q"))[: search.MAX_QUERY]
    sort = request.args.get("sort") or search.DEFAULT_SORT
    if sort not in search.SORTS:
        sort = search.DEFAULT_SORT
    size = _size(request.args.get("size"))
    cursor = request.args.get("cursor") or None
    try:
        page = search.list_contacts(
            actor=current_user, view=view, q=q, sort=sort, cursor=cursor, limit=size
        )
    except ValidationFailed as exc:
        if exc.code != "cursor":
            raise
        cursor = None  # an old or edited page link: the first page
        page = search.list_contacts(actor=current_user, view=view, q=q, sort=sort, limit=size)
    if cursor is None and page.next is None:
        total = len(page.items)  # the whole list is on this page: no second run of the search
    else:
        total = search.count_contacts(current_user, view, q)
    state = {
        "view": view,
        "q": q or None,
        "sort": None if sort == search.DEFAULT_SORT else sort,
        "size": None if size == search.PAGE else size,
    }
    return htmx.render(
        "contacts/index.html",
        "contacts/_list.html",
        rows=page.items,
        listing=page,
        masked_ids=search.masked_customers(current_user, page.items),
        view=view,
        views=[
            (v, str(CONTACT_VIEW_LABELS.get(v, v)))
            for v in ("mine", "pool", "shared", "subordinates", "all")
            if v in allowed
        ],
        q=q,
        sort=sort,
        sorts=[(s, str(label)) for s, label in SORT_LABELS.items()],
        size=size,
        sizes=search.PAGE_SIZES,
        total=total,
        total_text=_("%(n)s+", n=format_number(search.COUNT_CAP))
        if total > search.COUNT_CAP
        else format_number(total),
        state=state,
        company_empty=not q and not page.items and _no_contacts(),
    )


def _no_contacts() -> bool:
    """Whether the company has no contact at all (the empty state then teaches adding one)."""
    return db.session.scalar(select(Contact.id).limit(1)) is None
