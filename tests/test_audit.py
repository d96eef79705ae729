"""Every mutating service function leaves audit entries, in the same transaction as the change."""

import importlib
import inspect
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from saas.attachments import service as attachments
from saas.audit.models import AuditEntry
from saas.auth import service as auth_service
from saas.auth import tokens
from saas.auth.models import Invitation, Role, User
from saas.contacts import service as contacts_service
from saas.customers import fields as custom_fields
from saas.customers import lists as customer_lists
from saas.customers import notes, sharing
from saas.customers import service as customers_service
from saas.customers.models import Customer
from saas.extensions import db
from saas.roles import service as roles_service
from saas.tenancy.context import enter_tenant, tenant_context
from saas.users import service as users_service
from tests.conftest import PASSWORD, add_member, csrf, login, make_company

SERVICE_MODULES = [
    "saas.auth.service",
    "saas.auth.tokens",
    "saas.users.service",
    "saas.users.seats",
    "saas.roles.service",
    "saas.tenancy.service",
    "saas.billing.service",
    "saas.settings.service",
    "saas.mail.service",
    "saas.dashboard.service",
    "saas.customers.service",
    "saas.customers.sharing",
    "saas.contacts.service",
    "saas.customers.lists",
    "saas.customers.fields",
    "saas.customers.notes",
    "saas.attachments.service",
]

#: Functions that change nothing (or only bookkeeping excluded from the audit on purpose).
READ_ONLY = {
    # writes only a progress record (bookkeeping); each resend it runs is audited
    "start_resend_failed",
    "may_manage",
    "within_own_permissions",
    "signer",
    "assignable_roles",
    "possible_managers",
    "hash_password",
    "check_password",
    "validate_password",
    "normalize_email",
    "find_role",
    "get_user",
    "list_users",
    "list_roles",
    "list_invitations",
    "authenticate",
    "load_session_user",
    "invitation_url",
    "get_invitation",
    "load_invitation",
    "list_tokens",
    "get_role",
    "current_tenant",
    "get_plan",
    "list_plans",
    "seats_used",
    "ensure_free_seat",
    "check_free_seat",
    "plan_history",
    "preview_plan_change",
    "billing_period",
    "prorate",
    "next_renewal",
    "timezones",
    "currencies",
    "countries",
    "validate_timezone",
    "smtp_settings_for",
    "instance_smtp",
    "tenant_smtp",
    "deliver",
    "send_email",
    "require_owner_password",
    # sends a test mail to the actor, stores nothing
    "send_test_message",
    "next_steps",
    # bumps Tenant.seat_lock, excluded from the audit (a lock, not a change)
    "lock_seats",
    # stamps ApiToken.last_used_at, excluded from the audit (bookkeeping on every API call)
    "user_for_token",
    # part of signup, covered there
    "create_builtin_roles",
    "memberships",
    "check_credentials",
    "enter_membership",
    "account_by_id",
    "company_language",
    # only enqueues send_password_reset, which runs request_password_reset (a scenario)
    "queue_password_reset",
    # signup confirmed by mail: checks, enqueues, or mails with no company to audit in; the
    # company is created (and audited) by confirm_signup, a scenario
    "signup_confirms_by_mail",
    "check_signup",
    "queue_signup",
    "request_signup",
    "load_signup",
    "send_instance_mail",
    # customers: reads, and the number counter (tenants.customer_seq, excluded: a counter)
    "next_number",
    "get_customer",
    "may_see",
    "is_manager_of",
    "views_for",
    "list_customers",
    # customers: access rules and reads (sharing: the writes are scenarios below)
    "today",
    "is_above",
    "is_admin",
    "in_charge",
    "share_is_live",
    "share_of",
    "subordinate_ids",
    "list_shares",
    "shareable_users",
    "may_delete",
    "list_trash",
    "clean_until",
    "register_purge_hook",
    # contacts: reads and access checks
    "get_contact",
    "editable_customer",
    "editable_contact",
    "may_edit_customer",
    "list_contacts",
    "contacts_of",
    "count_contacts",
    "photo",
    "relations_of",
    "masked",
    # lists and custom fields: reads, validation, form helpers
    "N_",
    "NP_",
    "default_rows",
    # part of signup (the company's creation is recorded as tenants.created)
    "create_defaults",
    "entries",
    "offered",
    "reasons_for",
    "get_entry",
    "tags_of",
    "stage_label",
    "resolve",
    "default_stage",
    "pick",
    "list_label",
    "fields",
    "get_field",
    "parse",
    "validate",
    "python_values",
    "values_of",
    "shown",
    "type_labels",
    "form_fields",
    "form_values",
    "fill",
    "prefetch",
    "view_query",
    "count_view",
    # notes: reads and checks
    "clean_text",
    "list_notes",
    "get_note",
    "may_change",
    # attachments: reads and limits
    "used_bytes",
    "limits",
    "list_attachments",
    "get_attachment",
    # schedule file deletions for the trash purge, whose customer deletion is audited
    "purge_customer_files",
    "purge_customer_photos",
    "may_edit",
    "get_editable",
    # sets updated_at / updated_by only (audit-excluded columns): the change it marks is audited
    "touch",
}


def _png():
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, "PNG")
    return out.getvalue()


def _scenarios(company, member, owner, other):
    """function name → (call, expected action, expected object type)."""
    return {
        "signup": (
            lambda: auth_service.signup(
                company="New Co", name="N", email="n@newco.example.com", password=PASSWORD
            ),
            "users.created",
            "users",
        ),
        "confirm_signup": (
            lambda: auth_service.confirm_signup(token=_signup_token()),
            "users.created",
            "users",
        ),
        "record_login": (lambda: auth_service.record_login(owner), "auth.login", "users"),
        "create_customer": (
            lambda: customers_service.create_customer(actor=owner, name="Acme Trading"),
            "customers.created",
            "customers",
        ),
        "claim": (
            lambda: customers_service.claim(actor=owner, customer_id=_pool_customer(owner)),
            "customers.updated",
            "customers",
        ),
        "return_to_pool": (
            lambda: customers_service.return_to_pool(
                actor=owner, customer_id=_own_customer(owner), reason="No budget"
            ),
            "customers.updated",
            "customers",
        ),
        "assign": (
            lambda: customers_service.assign(
                actor=owner, customer_id=_own_customer(owner), user_id=member.id
            ),
            "customers.updated",
            "customers",
        ),
        "update_customer": (
            lambda: customers_service.update_customer(owner, _own_customer(owner), city="Tirana"),
            "customers.updated",
            "customers",
        ),
        "share": (
            lambda: sharing.share(
                actor=owner, customer_id=_own_customer(owner), user_ids=[member.id]
            ),
            "customer_shares.created",
            "customer_shares",
        ),
        "unshare": (
            lambda: sharing.unshare(
                actor=owner, customer_id=_shared(owner, member), user_ids=[member.id]
            ),
            "customer_shares.deleted",
            "customer_shares",
        ),
        "sweep_expired_shares": (
            lambda: _expired_share(owner, member) and sharing.sweep_expired_shares(),
            "customer_shares.deleted",
            "customer_shares",
        ),
        "reclaim": (
            lambda: sharing.reclaim(actor=owner, customer_id=_own_customer(member), to="me"),
            "customers.updated",
            "customers",
        ),
        "set_locked": (
            lambda: sharing.set_locked(actor=owner, customer_id=_own_customer(owner), locked=True),
            "customers.updated",
            "customers",
        ),
        "trash": (
            lambda: sharing.trash(actor=owner, customer_id=_own_customer(owner)),
            "customers.updated",
            "customers",
        ),
        "restore": (
            lambda: sharing.restore(actor=owner, customer_id=_trashed(owner)),
            "customers.updated",
            "customers",
        ),
        "purge_trash": (
            lambda: _trashed(owner, days=31) and sharing.purge_trash(),
            "customers.deleted",
            "customers",
        ),
        "create_contact": (
            lambda: contacts_service.create_contact(
                actor=owner, customer_id=_own_customer(owner), name="Li", emails=["li@a.example"]
            ),
            "contact_emails.created",
            "contact_emails",
        ),
        "add_inline": (
            lambda: contacts_service.add_inline(
                actor=owner,
                customer=customers_service.create_customer(actor=owner, name="With contacts"),
                contacts=[{"name": "Li", "phones": [{"number": "+8613800138000"}]}],
            ),
            "contact_phones.created",
            "contact_phones",
        ),
        "update_contact": (
            lambda: contacts_service.update_contact(
                actor=owner, contact_id=_contact(owner), position="CEO"
            ),
            "contacts.updated",
            "contacts",
        ),
        "make_primary": (
            lambda: contacts_service.make_primary(actor=owner, contact_id=_contact(owner, 2)),
            "contacts.updated",
            "contacts",
        ),
        "delete_contact": (
            lambda: contacts_service.delete_contact(actor=owner, contact_id=_contact(owner)),
            "contacts.deleted",
            "contacts",
        ),
        "set_photo": (
            lambda: contacts_service.set_photo(
                actor=owner, contact_id=_contact(owner), data=_png()
            ),
            "contacts.updated",
            "contacts",
        ),
        "add_relation": (
            lambda: contacts_service.add_relation(
                actor=owner, contact_id=_contact(owner), other_id=_contact(owner), kind="spouse of"
            ),
            "contact_relations.created",
            "contact_relations",
        ),
        "delete_relation": (
            lambda: contacts_service.delete_relation(actor=owner, relation_id=_relation(owner)),
            "contact_relations.deleted",
            "contact_relations",
        ),
        "add_note": (
            lambda: notes.add_note(actor=owner, customer_id=_own_customer(owner), text="Hi"),
            "customer_notes.created",
            "customer_notes",
        ),
        "edit_note": (
            lambda: notes.edit_note(actor=owner, note_id=_note(owner), text="Changed"),
            "customer_notes.updated",
            "customer_notes",
        ),
        "delete_note": (
            lambda: notes.delete_note(actor=owner, note_id=_note(owner)),
            "customer_notes.updated",
            "customer_notes",
        ),
        "upload_attachment": (
            lambda: attachments.upload_attachment(
                actor=owner, customer_id=_own_customer(owner), filename="a.pdf", data=b"%PDF-1.4"
            ),
            "customer_attachments.created",
            "customer_attachments",
        ),
        "download_attachment": (
            lambda: attachments.download_attachment(actor=owner, attachment_id=_file(owner)),
            "customer_attachments.downloaded",
            "customer_attachments",
        ),
        "delete_attachment": (
            lambda: attachments.delete_attachment(actor=owner, attachment_id=_file(owner)),
            "customer_attachments.updated",
            "customer_attachments",
        ),
        "start_session": (lambda: auth_service.start_session(owner), "auth.login", "users"),
        "add_entry": (
            lambda: customer_lists.add_entry(actor=owner, kind="tag", name="Hot"),
            "customer_list_entries.created",
            "customer_list_entries",
        ),
        "update_entry": (
            lambda: customer_lists.update_entry(
                actor=owner, entry_id=_list_entry(), name="Renamed", colour="pink"
            ),
            "customer_list_entries.updated",
            "customer_list_entries",
        ),
        "move_entry": (
            lambda: customer_lists.move_entry(actor=owner, entry_id=_list_entry(), position=3),
            "customer_list_entries.updated",
            "customer_list_entries",
        ),
        "archive_entry": (
            lambda: customer_lists.archive_entry(actor=owner, entry_id=_list_entry()),
            "customer_list_entries.updated",
            "customer_list_entries",
        ),
        # lists.apply / put: the level is a customers.updated change, tags a named event
        "apply": (
            lambda: customer_lists.apply(_own(owner), actor=owner, level="Small", tags=["VIP"]),
            "customers.tags_changed",
            "customers",
        ),
        "put": (
            lambda: customer_lists.put(
                _own(owner), customer_lists.pick(None, tags=["VIP"], level="Regular")
            ),
            "customers.updated",
            "customers",
        ),
        "store": (
            lambda: custom_fields.apply(_own(owner), {_custom_field(owner).key: "ACME-1"}, owner),
            "customers.fields_changed",
            "customers",
        ),
        "create_field": (
            lambda: custom_fields.create_field(actor=owner, label="Contract", type="text"),
            "custom_fields.created",
            "custom_fields",
        ),
        "update_field": (
            lambda: custom_fields.update_field(
                actor=owner, field_id=_custom_field(owner).id, label="Deal no.", unique=True
            ),
            "custom_fields.updated",
            "custom_fields",
        ),
        "move_field": (
            lambda: custom_fields.move_field(
                actor=owner, field_id=_custom_field(owner).id, position=1
            ),
            "custom_fields.updated",
            "custom_fields",
        ),
        "archive_field": (
            lambda: custom_fields.archive_field(actor=owner, field_id=_custom_field(owner).id),
            "custom_fields.updated",
            "custom_fields",
        ),
        "end_session": (
            lambda: auth_service.end_session(_with_session(owner)),
            "auth.logout",
            "users",
        ),
        "invite": (
            lambda: users_service.invite(actor=owner, email="i@acme.example.com", role="viewer"),
            "invitations.created",
            "invitations",
        ),
        "resend_invitation": (
            lambda: users_service.resend_invitation(actor=owner, invitation=_inv(owner)),
            "invitations.updated",
            "invitations",
        ),
        "revoke_invitation": (
            lambda: users_service.revoke_invitation(actor=owner, invitation=_inv(owner)),
            "invitations.updated",
            "invitations",
        ),
        "accept_invitation": (
            lambda: users_service.accept_invitation(
                invitation=_inv(owner), name="I", password=PASSWORD, language="en"
            ),
            "users.created",
            "users",
        ),
        "update_user": (
            lambda: users_service.update_user(actor=owner, user=member, role="viewer"),
            "users.updated",
            "users",
        ),
        "set_active": (
            lambda: users_service.set_active(actor=owner, user=member, active=False),
            "users.updated",
            "users",
        ),
        "leave_company": (
            lambda: users_service.leave_company(user=member, current_password=PASSWORD),
            "users.left",
            "users",
        ),
        "update_profile": (
            lambda: users_service.update_profile(
                actor=owner,
                name="Renamed",
                language="ru",
                timezone="Europe/Tirane",
                calendar="jalali",
            ),
            "users.updated",
            "users",
        ),
        "change_password": (
            lambda: auth_service.change_password(
                actor=owner, current=PASSWORD, new="a new long password"
            ),
            "accounts.updated",
            "accounts",
        ),
        "request_password_reset": (
            lambda: auth_service.request_password_reset(email=owner.email),
            "auth.password_reset_requested",
            "users",
        ),
        "reset_password": (
            lambda: auth_service.reset_password(
                token=_reset_token(owner), password="another long pass"
            ),
            "accounts.updated",
            "accounts",
        ),
        "set_password_by_operator": (
            lambda: auth_service.set_password_by_operator(
                email=owner.email, password="set by operator"
            ),
            "accounts.updated",
            "accounts",
        ),
        "create_token": (
            lambda: tokens.create_token(actor=owner, name="script"),
            "api_tokens.created",
            "api_tokens",
        ),
        "revoke_token": (
            lambda: tokens.revoke_token(
                actor=owner, token_id=tokens.create_token(actor=owner, name="t")[0].id
            ),
            "api_tokens.updated",
            "api_tokens",
        ),
        "token_for_credentials": (
            lambda: tokens.token_for_credentials(email=owner.email, password=PASSWORD),
            "api_tokens.created",
            "api_tokens",
        ),
        "create_role": (
            lambda: roles_service.create_role(
                actor=owner, name="Intern", permissions=["reports.view"]
            ),
            "roles.created",
            "roles",
        ),
        "update_role": (
            lambda: roles_service.update_role(
                actor=owner,
                role=roles_service.create_role(actor=owner, name="R", permissions=[]),
                name="R2",
                permissions=["customers.pool"],
            ),
            "roles.updated",
            "roles",
        ),
        "delete_role": (
            lambda: roles_service.delete_role(
                actor=owner, role=roles_service.create_role(actor=owner, name="D", permissions=[])
            ),
            "roles.deleted",
            "roles",
        ),
        "change_plan": (
            lambda: _billing().change_plan(actor=owner, plan_code="business"),
            "tenants.updated",
            "tenants",
        ),
        "update_company": (
            lambda: _settings().update_company(
                actor=owner,
                name="Acme Ltd",
                default_currency="ALL",
                default_country="al",
                timezone="Europe/Tirane",
            ),
            "tenants.updated",
            "tenants",
        ),
        "update_smtp": (
            lambda: _settings().update_smtp(
                actor=owner,
                current_password=PASSWORD,
                host="localhost",
                port=2525,
                user="u",
                password="p",
                sender=None,
                security="starttls",
            ),
            "tenants.updated",
            "tenants",
        ),
        "set_logo": (
            lambda: _settings().set_logo(actor=owner, data=_png()),
            "tenants.updated",
            "tenants",
        ),
        "queue_mail": (_queue_test_mail, "mail_messages.created", "mail_messages"),
        "send_message": (
            lambda: _mail().send_message(_queue_test_mail().id),
            "mail_messages.updated",
            "mail_messages",
        ),
        "resend_message": (
            lambda: _mail().resend_message(actor=owner, message_id=_interrupted_mail().id),
            "mail_messages.updated",
            "mail_messages",
        ),
    }


def _billing():
    from saas.billing import service

    return service


def _settings():
    from saas.settings import service

    return service


def _mail():
    from saas.mail import service

    return service


def _queue_test_mail():
    return _mail().queue_mail(
        kind="test",
        to="x@acme.example.com",
        template="password_reset",
        language="en",
        name="X",
        url="http://x",
        minutes=5,
    )


def _interrupted_mail():
    msg = _queue_test_mail()
    msg.status = "interrupted"
    db.session.flush()
    return msg


def _inv(owner):
    inv = db.session.scalar(
        select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    )
    return inv or users_service.invite(actor=owner, email="late@acme.example.com", role="viewer")


def _pool_customer(owner):
    return customers_service.create_customer(actor=owner, name="Pooled", owner_id=None).id


def _own(owner):
    return db.session.get(Customer, _own_customer(owner))


def _list_entry():
    return customer_lists.entries("source")[0].id


def _custom_field(owner):
    custom_fields.create_field(actor=owner, label="Before", type="text")
    return custom_fields.create_field(actor=owner, label="Ref", type="text")


def _own_customer(owner):
    return customers_service.create_customer(actor=owner, name="Mine").id


def _shared(owner, member):
    cid = _own_customer(owner)
    sharing.share(actor=owner, customer_id=cid, user_ids=[member.id])
    return cid


def _expired_share(owner, member):
    from datetime import timedelta

    from sqlalchemy import update

    from saas.customers.models import CustomerShare

    cid = _shared(owner, member)
    db.session.execute(
        update(CustomerShare)
        .where(CustomerShare.customer_id == cid)
        .values(until=customers_service.today() - timedelta(days=2))
    )
    return cid


def _trashed(owner, days=0):
    from datetime import timedelta

    from sqlalchemy import update

    from saas.customers.models import Customer
    from saas.utils import utcnow

    cid = _own_customer(owner)
    sharing.trash(actor=owner, customer_id=cid)
    db.session.execute(
        update(Customer)
        .where(Customer.id == cid)
        .values(deleted_at=utcnow() - timedelta(days=days))
    )
    return cid


def _contact(owner, count=1):
    """The last of ``count`` new contacts of a new customer of ``owner``."""
    customer_id = _own_customer(owner)
    for i in range(count):
        contact = contacts_service.create_contact(
            actor=owner, customer_id=customer_id, name=f"C{i}"
        )
    return contact.id


def _relation(owner):
    contact = _contact(owner, 2)
    other = contacts_service.create_contact(
        actor=owner, customer_id=contacts_service.get_contact(owner, contact).customer_id, name="O"
    )
    return contacts_service.add_relation(
        actor=owner, contact_id=contact, other_id=other.id, kind="former colleague of"
    ).id


def _file(owner):
    customer_id = _own_customer(owner)
    data = b"%PDF-1.4"
    return attachments.upload_attachment(
        actor=owner, customer_id=customer_id, filename="a.pdf", data=data
    ).id


def _note(owner):
    return notes.add_note(actor=owner, customer_id=_own_customer(owner), text="First").id


def _with_session(user):
    auth_service.start_session(user)
    return user


def _reset_token(owner):
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="reset").dumps(
        {"a": owner.account.id, "f": owner.account.password_fingerprint()}
    )


def _signup_token():
    data = {"c": "Mail Co", "n": "M", "e": "m@mailco.example.com", "l": "en", "z": None}
    return auth_service.signer("signup").dumps(data | {"h": auth_service.hash_password(PASSWORD)})


def _service_functions():
    found = {}
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == name and not fname.startswith("_"):
                found[fname] = name
    return found


def test_every_service_function_is_classified():
    scenarios = set(_scenarios(None, None, None, None))
    unknown = set(_service_functions()) - READ_ONLY - scenarios
    assert unknown == set(), "add these to the audit scenarios (or READ_ONLY with a reason)"


@pytest.mark.parametrize("name", sorted(_scenarios(None, None, None, None)))
def test_mutating_service_function_writes_audit_entries(app, name):
    company = make_company(app, plan="team")
    member = add_member(app, company, "sales")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        from flask import g

        owner = db.session.get(User, company.owner.id)
        g.actor_id = owner.id
        users_service.invite(actor=owner, email="open@acme.example.com", role="viewer")
        db.session.commit()
        enter_tenant(company.tenant_id)
        before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
        call, action, object_type = _scenarios(
            company, db.session.get(User, member.id), owner, None
        )[name]
        call()
        db.session.flush()
        from saas.tenancy.context import current_tenant_id

        tid = current_tenant_id()
        entries = [
            (e.action, e.object_type, e.actor_id)
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.id > before))
        ]
        db.session.commit()
    assert any(a == action and t == object_type for a, t, _ in entries), entries
    if tid == company.tenant_id and name not in {
        "accept_invitation",
        "reset_password",
        "send_message",
        "leave_company",  # the person who leaves is the actor
    }:
        assert any(actor == company.owner.id for a, _, actor in entries if a == action), entries


def test_audit_records_field_changes_from_what_to_what(app):
    company = make_company(app)
    member = add_member(app, company, "sales")
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        from flask import g

        owner = db.session.get(User, company.owner.id)
        g.actor_id = owner.id
        sales, viewer = (
            db.session.scalar(select(Role.id).where(Role.key == k)) for k in ("sales", "viewer")
        )
        users_service.update_user(actor=owner, user=db.session.get(User, member.id), role="viewer")
        db.session.commit()
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "users.updated")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.changes == {"role_id": [sales, viewer]}
        assert entry.actor_id == owner.id and entry.object_id == member.id


def test_secrets_are_masked(app):
    company = make_company(app)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        auth_service.change_password(actor=owner, current=PASSWORD, new="a new long password")
        db.session.commit()
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "accounts.updated")
        ).first()
        assert entry.changes == {"password_hash": ["***", "***"]}


def test_a_rolled_back_change_leaves_no_entry(app):
    company = make_company(app)
    with app.test_request_context("/"):
        enter_tenant(company.tenant_id)
        owner = db.session.get(User, company.owner.id)
        count = len(db.session.scalars(select(AuditEntry)).all())
        roles_service.create_role(actor=owner, name="Temp", permissions=[])
        db.session.rollback()
        enter_tenant(company.tenant_id)
        assert len(db.session.scalars(select(AuditEntry)).all()) == count


def test_admins_browse_and_filter_the_log(app, client):
    company = make_company(app, plan="team")
    member = add_member(app, company, "sales")
    login(client, company.owner.email)
    token = csrf(client, "/users")
    client.post(f"/users/{member.id}/active", data={"active": "0", "csrf_token": token})
    page = client.get("/audit").get_data(as_text=True)
    assert "users.updated" in page and "is_active" in page
    only_roles = client.get("/audit?type=roles").get_data(as_text=True)
    assert "roles.created" in only_roles and "users.updated" not in only_roles
    by_owner = client.get(f"/audit?user={company.owner.id}").get_data(as_text=True)
    assert "users.updated" in by_owner
    future = client.get("/audit?from=2999-01-01").get_data(as_text=True)
    assert "No entries match" in future
    # htmx asks for the table only
    frag = client.get("/audit?type=users", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="audit-table">')
    # a sales rep may not read the log
    rep = app.test_client()
    login(rep, add_member(app, company, "viewer").email)
    assert rep.get("/audit").status_code == 403
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(AuditEntry)).first() is not None


def test_unknown_query_parameters_do_not_break_the_log(app, client, monkeypatch):
    """Issue 5 finding 15: `/audit?endpoint=x` gave a 500 (query args passed into url_for)."""
    from saas.audit import search

    monkeypatch.setattr(search.search, "__defaults__", (2,))  # two entries a page
    company = make_company(app, plan="team")
    for i in range(3):
        add_member(app, company, "sales", email=f"s{i}@acme.example.com")
    login(client, company.owner.email)
    resp = client.get("/audit?endpoint=x&values=1&_external=1&_anchor=a&type=users&junk=1")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    older = re.search(r'href="(/audit\?[^"]*)"', page).group(1)
    assert "type=users" in older and "cursor=" in older
    assert "endpoint" not in older and "junk" not in older and "_anchor" not in older
