"""Contacts: phones in many formats and countries, emails, the primary rule, vCards, photos,
relationships, access through the customer (attacks), the API and the card's tab."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
import vobject
from PIL import Image
from sqlalchemy import select

from saas.audit.describe import describe
from saas.audit.models import AuditEntry
from saas.contacts import service
from saas.contacts.models import Contact, ContactEmail, ContactPhone, ContactRelation
from saas.contacts.normalize import check_email, email_key, format_phone, parse_phone
from saas.contacts.vcard import parse_vcards, to_vcard
from saas.customers import service as customers
from saas.customers.models import Customer
from saas.errors import NotFound, PermissionDenied, ValidationFailed
from saas.extensions import db
from saas.tenancy.models import Tenant
from tests.conftest import add_member, as_member, csrf, login, make_company

# --- helpers ----------------------------------------------------------------------------------


_as = as_member  # run fn(actor) as a member, like one request (tests/conftest.py)


def _set_country(app, member, country):
    def go(actor):
        db.session.get(Tenant, actor.tenant_id).default_country = country

    _as(app, member, go)


@pytest.fixture
def team(app):
    company = make_company(app, plan="team")
    ann = add_member(app, company, "sales", email="ann@acme.example.com")
    bob = add_member(app, company, "sales", email="bob@acme.example.com")
    viewer = add_member(app, company, "viewer", email="viewer@acme.example.com")
    _set_country(app, company.owner, "CN")
    return company, {"owner": company.owner, "ann": ann, "bob": bob, "viewer": viewer}


def _customer(app, member, name="Acme", **kw):
    return _as(app, member, lambda a: customers.create_customer(actor=a, name=name, **kw).id)


def _contact(app, member, customer_id, name="Li Wei", **kw):
    return _as(
        app,
        member,
        lambda a: service.create_contact(actor=a, customer_id=customer_id, name=name, **kw).id,
    )


def _primary_ids(app, member, customer_id):
    return _as(
        app,
        member,
        lambda a: [c.id for c in service.list_contacts(a, customer_id) if c.is_primary],
    )


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+86 138 0013 8000", None, "+8613800138000"),
        ("138-0013-8000", "CN", "+8613800138000"),
        ("(010) 6552 9988", "CN", "+861065529988"),
        ("0086 138 0013 8000", "IR", "+8613800138000"),
        ("0912 123 4567", "IR", "+989121234567"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "IR", "+989121234567"),  # Persian digits
        ("٠٩١٢١٢٣٤٥٦٧", "IR", "+989121234567"),  # Arabic-Indic digits
        ("+98 (912) 123-4567", "CN", "+989121234567"),
        ("069 123 4567", "AL", "+355691234567"),
        ("+355 4 222 3333", None, "+35542223333"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("+7 495 123-45-67", "AL", "+74951234567"),
        ("＋８６ １３８ ００１３ ８０００", None, "+8613800138000"),  # noqa: RUF001 - full-width
        ("(202) 555-0143", "US", "+12025550143"),
    ],
)
def test_phones_are_normalised_to_e164_in_the_tenants_country(raw, country, e164):
    assert parse_phone(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("12345", "CN"),
        ("0912 123", "IR"),
        ("+86 1", None),
        ("not a phone", "RU"),
        ("", "CN"),
        ("1" * 80, "CN"),
        ("+999 123 456 789", None),
        ("138 0013 8000", None),  # no country: + and the code are needed
    ],
)
def test_invalid_phones_are_refused_with_a_clear_message(raw, country):
    with pytest.raises(ValidationFailed) as err:
        parse_phone(raw, country)
    assert err.value.code == "phone" and err.value.message


def test_a_number_without_prefix_and_no_company_country_asks_for_the_code():
    with pytest.raises(ValidationFailed, match="country code"):
        parse_phone("138 0013 8000", None)


def test_phones_read_nationally_at_home_and_internationally_abroad():
    assert format_phone("+8613800138000", "CN") == "138 0013 8000"
    assert format_phone("+8613800138000", "IR") == "+86 138 0013 8000"
    assert format_phone("+989121234567", "IR") == "0912 123 4567"
    assert format_phone("+79123456789", None) == "+7 912 345-67-89"


# --- emails -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["li.wei@example.cn", "Ali@Example.IR", "zhang@例子.中国", "user+tag@sub.example.al"]
)
def test_emails_are_checked_without_dns(raw):
    assert check_email(raw)


@pytest.mark.parametrize(
    "raw", ["", "no-at-sign", "a@", "@b.com", "a b@c.com", "a@b..com", "x" * 400 + "@a.com"]
)
def test_invalid_emails_are_refused(raw):
    with pytest.raises(ValidationFailed) as err:
        check_email(raw)
    assert err.value.code == "email"


def test_email_keys_ignore_case_and_width():
    assert email_key("Li.Wei@Example.CN") == email_key("li.wei@example.cn")
    assert email_key("ＬＩ@example.cn") == email_key("li@example.cn")  # noqa: RUF001


# --- the service: contacts, primary rule ------------------------------------------------------


def test_a_contact_keeps_its_phones_emails_and_accounts_with_match_keys(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(
        app,
        p["ann"],
        cid,
        name="李伟",
        position="采购经理",
        phones=[
            {"number": "138 0013 8000", "type": "mobile"},
            {"number": "+86 10 6552 9988", "type": "work"},
            {"number": "+8613800138000", "type": "mobile"},  # the same number again: kept once
        ],
        emails=["Li.Wei@Example.CN", {"email": "home@example.cn", "type": "home"}],
        accounts=[{"kind": "wechat", "handle": "liwei88"}, {"kind": "qq", "handle": ""}],
        birthday="1985-03-04",
        interests="围棋, tea",
        notes="Prefers calls after 10:00",
    )

    def check(actor):
        contact = service.get_contact(actor, contact_id)
        assert [(ph.e164, ph.type) for ph in contact.phones] == [
            ("+8613800138000", "mobile"),
            ("+861065529988", "work"),
        ]
        assert [(e.email, e.email_key, e.type) for e in contact.emails] == [
            ("Li.Wei@example.cn", "li.wei@example.cn", None),
            ("home@example.cn", "home@example.cn", "home"),
        ]
        assert contact.accounts == [{"kind": "wechat", "handle": "liwei88"}]
        assert contact.is_primary and str(contact.birthday) == "1985-03-04"
        # the duplicate check's lookups: one indexed equality each, naming the customer
        assert db.session.scalars(
            select(ContactPhone.customer_id).where(ContactPhone.e164 == "+8613800138000")
        ).all() == [cid]
        assert db.session.scalars(
            select(ContactEmail.customer_id).where(ContactEmail.email_key == "li.wei@example.cn")
        ).all() == [cid]

    _as(app, p["ann"], check)


def test_a_bad_phone_or_email_names_its_place_and_saves_nothing(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    with pytest.raises(service.ContactInvalid) as err:
        _contact(app, p["ann"], cid, phones=[{"number": "138 0013 8000"}, {"number": "12"}])
    assert err.value.path == ("phones", 1, "number") and "12" in err.value.message
    with pytest.raises(service.ContactInvalid) as err:
        _contact(app, p["ann"], cid, emails=["ok@example.cn", {"email": "nope", "type": "work"}])
    assert err.value.path == ("emails", 1, "email")
    with pytest.raises(service.ContactInvalid) as err:
        _contact(app, p["ann"], cid, name="   ")
    assert err.value.path == ("name",)
    with pytest.raises(service.ContactInvalid):
        _contact(app, p["ann"], cid, name="x" * 10_000)
    with pytest.raises(service.ContactInvalid) as err:
        _contact(app, p["ann"], cid, phones=[{"number": "138 0013 8000", "type": "pager"}])
    assert err.value.path == ("phones", 0, "type")
    with pytest.raises(service.ContactInvalid) as err:
        _contact(app, p["ann"], cid, birthday="2999-01-01")
    assert _as(app, p["ann"], lambda a: service.list_contacts(a, cid)) == []


def test_birthdays_in_the_jalali_calendar_and_persian_digits(app, team):
    _, p = team

    def jalali(actor):
        actor.calendar = "jalali"

    _as(app, p["ann"], jalali)
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid, birthday="۱۳۶۹/۰۵/۱۲")  # noqa: RUF001
    birthday = _as(app, p["ann"], lambda a: service.get_contact(a, contact_id).birthday)
    assert str(birthday) == "1990-08-03"


def test_the_first_contact_is_primary_and_there_is_always_exactly_one(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    first = _contact(app, p["ann"], cid, name="First")
    second = _contact(app, p["ann"], cid, name="Second")
    third = _contact(app, p["ann"], cid, name="Third", primary=True)
    assert _primary_ids(app, p["ann"], cid) == [third]
    # the list reads primary first, then oldest first
    names = _as(app, p["ann"], lambda a: [c.name for c in service.list_contacts(a, cid)])
    assert names == ["Third", "First", "Second"]
    _as(app, p["ann"], lambda a: service.make_primary(actor=a, contact_id=second))
    assert _primary_ids(app, p["ann"], cid) == [second]
    with pytest.raises(service.ContactInvalid):
        _as(
            app,
            p["ann"],
            lambda a: service.update_contact(actor=a, contact_id=second, primary=False),
        )
    # deleting the primary promotes the oldest remaining contact
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=second))
    assert _primary_ids(app, p["ann"], cid) == [first]
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=first))
    assert _primary_ids(app, p["ann"], cid) == [third]
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=third))
    assert _primary_ids(app, p["ann"], cid) == []
    assert _primary_ids(app, p["ann"], cid) == []
    again = _contact(app, p["ann"], cid, name="Again")
    assert _primary_ids(app, p["ann"], cid) == [again]


def test_concurrent_first_contacts_leave_exactly_one_primary(app, team):
    import threading

    _, p = team
    cid = _customer(app, p["ann"])
    racers = [p["ann"], p["owner"]] * 4
    barrier = threading.Barrier(len(racers))
    errors: list = []

    def go(i, member):
        barrier.wait()
        try:
            _contact(app, member, cid, name=f"Racer {i}", primary=i % 3 == 0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i, m)) for i, m in enumerate(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_as(app, p["ann"], lambda a: service.list_contacts(a, cid))) == len(racers)
    assert len(_primary_ids(app, p["ann"], cid)) == 1


def test_updating_replaces_lists_and_keeps_unchanged_rows(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(
        app, p["ann"], cid, phones=[{"number": "13800138000"}, {"number": "+74951234567"}]
    )
    before = _as(
        app, p["ann"], lambda a: [ph.id for ph in service.get_contact(a, contact_id).phones]
    )
    _as(
        app,
        p["ann"],
        lambda a: service.update_contact(
            actor=a,
            contact_id=contact_id,
            phones=[{"number": "138 0013 8000"}, {"number": "+98 912 123 4567"}],
            position="CEO",
        ),
    )

    def check(actor):
        contact = service.get_contact(actor, contact_id)
        return contact.position, [(ph.id, ph.e164) for ph in contact.phones]

    position, phones = _as(app, p["ann"], check)
    assert position == "CEO"
    assert phones[0] == (before[0], "+8613800138000")  # same number, same row
    assert phones[1][1] == "+989121234567" and phones[1][0] not in before


def test_every_change_is_audited_and_touches_the_customer(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid, name="Ali", phones=[{"number": "13800138000"}])
    _as(app, p["bob"], lambda a: None)
    _as(
        app,
        p["owner"],
        lambda a: service.update_contact(actor=a, contact_id=contact_id, position="Boss"),
    )

    def check(actor):
        customer = db.session.get(Customer, cid)
        assert customer.updated_by_id == p["owner"].id
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [e.action for e in entries]
        assert "contacts.created" in actions and "contact_phones.created" in actions
        assert "contacts.updated" in actions
        return [describe(e).sentence for e in entries if e.object_type.startswith("contact")]

    sentences = _as(app, p["owner"], check)
    assert any("Ali" in s and "Acme" in s for s in sentences), sentences
    assert any("+86 138 0013 8000" in s for s in sentences), sentences


# --- access: a contact follows its customer ---------------------------------------------------


def test_another_tenants_or_an_invisible_customers_contact_is_not_found(app, team):
    _, p = team
    other = make_company(app, "Globex")
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    for who in (p["bob"], other.owner):  # bob may not see ann's customer; Globex is elsewhere
        with pytest.raises(NotFound):
            _as(app, who, lambda a: service.get_contact(a, contact_id))
        with pytest.raises(NotFound):
            _as(
                app, who, lambda a: service.update_contact(actor=a, contact_id=contact_id, name="X")
            )
        with pytest.raises(NotFound):
            _as(app, who, lambda a: service.delete_contact(actor=a, contact_id=contact_id))
        with pytest.raises(NotFound):
            _as(app, who, lambda a: service.create_contact(actor=a, customer_id=cid, name="X"))
        with pytest.raises(NotFound):
            _as(app, who, lambda a: service.list_contacts(a, cid))
    assert _as(app, p["ann"], lambda a: service.get_contact(a, contact_id).name) == "Li Wei"


def test_a_read_only_caller_sees_but_may_not_write(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    viewer = p["viewer"]
    assert _as(app, viewer, lambda a: service.get_contact(a, contact_id).id) == contact_id
    for fn in (
        lambda a: service.update_contact(actor=a, contact_id=contact_id, name="X"),
        lambda a: service.delete_contact(actor=a, contact_id=contact_id),
        lambda a: service.create_contact(actor=a, customer_id=cid, name="X"),
        lambda a: service.make_primary(actor=a, contact_id=contact_id),
        lambda a: service.set_photo(actor=a, contact_id=contact_id, data=None),
    ):
        with pytest.raises(PermissionDenied):
            _as(app, viewer, fn)


def test_a_contact_moves_with_its_customer(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    _as(app, p["owner"], lambda a: customers.assign(actor=a, customer_id=cid, user_id=p["bob"].id))
    assert _as(app, p["bob"], lambda a: service.get_contact(a, contact_id).id) == contact_id
    with pytest.raises(NotFound):
        _as(app, p["ann"], lambda a: service.get_contact(a, contact_id))


# --- relationships ----------------------------------------------------------------------------


def test_relationships_between_contacts_of_the_tenant(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    other_cid = _customer(app, p["ann"], name="Initech")
    hidden_cid = _customer(app, p["bob"], name="Bob's client")
    wife = _contact(app, p["ann"], cid, name="Zahra")
    husband = _contact(app, p["ann"], other_cid, name="Reza")
    hidden = _contact(app, p["bob"], hidden_cid, name="Secret")
    _as(
        app,
        p["ann"],
        lambda a: service.add_relation(
            actor=a, contact_id=wife, other_id=husband, kind="spouse of"
        ),
    )
    with pytest.raises(service.ContactInvalid):  # a contact ann may not see
        _as(
            app,
            p["ann"],
            lambda a: service.add_relation(actor=a, contact_id=wife, other_id=hidden, kind="x"),
        )
    with pytest.raises(service.ContactInvalid):
        _as(
            app,
            p["ann"],
            lambda a: service.add_relation(actor=a, contact_id=wife, other_id=wife, kind="x"),
        )

    def seen(actor, contact_id):
        contact = service.get_contact(actor, contact_id)
        return [(r.kind, o.name, out) for r, o, out in service.relations_of(actor, contact)]

    assert _as(app, p["ann"], lambda a: seen(a, wife)) == [("spouse of", "Reza", True)]
    assert _as(app, p["ann"], lambda a: seen(a, husband)) == [("spouse of", "Zahra", False)]
    # deleting a contact takes its relationships along
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=husband))
    assert _as(app, p["ann"], lambda a: db.session.scalars(select(ContactRelation)).all()) == []


# --- vCard ------------------------------------------------------------------------------------


def test_vcard_round_trip_keeps_chinese_and_persian_text(app, team):
    _, p = team
    cid = _customer(app, p["ann"], name="شرکت آریا")
    contact_id = _contact(
        app,
        p["ann"],
        cid,
        name="محمدرضا شجریان",
        position="مدیر فروش",
        phones=[
            {"number": "+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷", "type": "mobile"},
            {"number": "+86 10 6552 9988", "type": "fax"},
        ],
        emails=[{"email": "reza@example.ir", "type": "work"}, "li@例子.中国"],
        accounts=[
            {"kind": "telegram", "handle": "@reza"},
            {"kind": "linkedin", "handle": "reza-s"},
        ],
        birthday="1980-09-23",
        interests="موسیقی، 书法",
        notes="Line one\nخط دوم; with, punctuation",
    )

    def card(actor):
        contact = service.get_contact(actor, contact_id)
        return to_vcard(contact, organization="شرکت آریا")

    text = _as(app, p["ann"], card)
    parsed = vobject.readOne(text)
    assert parsed.fn.value == "محمدرضا شجریان" and parsed.version.value == "3.0"
    assert parsed.org.value == ["شرکت آریا"]
    (back,) = parse_vcards(text)
    assert back["name"] == "محمدرضا شجریان" and back["position"] == "مدیر فروش"
    assert back["phones"] == [
        {"number": "+989121234567", "type": "mobile"},
        {"number": "+861065529988", "type": "fax"},
    ]
    assert back["emails"] == [
        {"email": "reza@example.ir", "type": "work"},
        {"email": "li@例子.中国", "type": None},
    ]
    assert back["accounts"] == [
        {"kind": "telegram", "handle": "@reza"},
        {"kind": "linkedin", "handle": "reza-s"},
    ]
    assert str(back["birthday"]) == "1980-09-23"
    assert back["interests"] == "موسیقی، 书法"
    assert back["notes"] == "Line one\nخط دوم; with, punctuation"
    # what the parser reads is what the service takes: an import creates the same contact
    again = _as(
        app,
        p["ann"],
        lambda a: (
            service.create_contact(
                actor=a,
                customer_id=cid,
                **{k: v for k, v in back.items() if k not in ("organization", "photo")},
            ).id
        ),
    )
    assert (
        _as(
            app,
            p["ann"],
            lambda a: to_vcard(service.get_contact(a, again), organization="شرکت آریا"),
        )
        == text
    )


def test_parse_vcards_refuses_what_is_not_a_vcard():
    with pytest.raises(ValueError):
        parse_vcards("BEGIN:VCARD\nthis is not\n")


# --- photo ------------------------------------------------------------------------------------


def _png(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_photos_are_checked_resized_and_follow_the_transaction(app, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    _as(
        app,
        p["ann"],
        lambda a: service.set_photo(actor=a, contact_id=contact_id, data=_png((1200, 900))),
    )
    data = _as(app, p["ann"], lambda a: service.photo(a, contact_id))
    assert Image.open(io.BytesIO(data)).size == (512, 384)
    with pytest.raises(ValidationFailed):
        _as(
            app,
            p["ann"],
            lambda a: service.set_photo(actor=a, contact_id=contact_id, data=b"GIF89a nope"),
        )
    with pytest.raises(ValidationFailed):
        _as(
            app,
            p["ann"],
            lambda a: service.set_photo(
                actor=a, contact_id=contact_id, data=b"\x89PNG" + b"0" * service.PHOTO_MAX_BYTES
            ),
        )
    with pytest.raises(ValidationFailed):  # a decompression bomb's header is read, not decoded
        _as(
            app,
            p["ann"],
            lambda a: service.set_photo(actor=a, contact_id=contact_id, data=_png((7000, 7000))),
        )
    key = _as(app, p["ann"], lambda a: service.get_contact(a, contact_id).photo_key)
    tenants_dir = app.config["TENANTS_DIR"]
    path = f"{tenants_dir}/{p['ann'].tenant_id}/{key}"
    import os

    assert os.path.exists(path)
    _as(app, p["ann"], lambda a: service.delete_contact(actor=a, contact_id=contact_id))
    assert not os.path.exists(path)  # gone with the contact, after the commit


def test_photo_files_live_and_die_with_their_contact_and_customer(app, team):
    """Real files on disk: a replaced photo, a deleted contact, the trash and restore, and the
    nightly purge. Files go only when the change that stops pointing at them commits."""
    from datetime import timedelta
    from pathlib import Path

    from sqlalchemy import update

    from saas.attachments import service as attachments
    from saas.customers import sharing
    from saas.utils import utcnow

    company, p = team
    owner = p["owner"]  # customers.delete and sees everything
    root = Path(app.config["TENANTS_DIR"]) / str(company.tenant_id)

    def files() -> set[str]:  # this test's files (SQLite reuses a former test's tenant id)
        found = {str(f.relative_to(root)) for f in root.rglob("*") if f.is_file()}
        return found - earlier

    earlier: set[str] = set()
    earlier = files() if root.exists() else set()

    def photo_key(contact_id):
        return _as(app, owner, lambda a: service.get_contact(a, contact_id).photo_key)

    def set_photo(contact_id, colour_size, commit=True):
        return _as(
            app,
            owner,
            lambda a: service.set_photo(actor=a, contact_id=contact_id, data=_png(colour_size)),
            commit=commit,
        )

    gone, kept = _customer(app, owner, "Gone"), _customer(app, owner, "Kept")
    li, wang = _contact(app, owner, gone, "Li Wei"), _contact(app, owner, gone, "Wang Fang")
    zhao = _contact(app, owner, kept, "Zhao Lei")
    for contact_id in (li, wang, zhao):
        set_photo(contact_id, (40, 30))
    attachment_key = _as(
        app,
        owner,
        lambda a: (
            attachments.upload_attachment(
                actor=a, customer_id=gone, filename="offer.txt", data=b"an offer"
            ).storage_key
        ),
    )
    before = files()
    assert before == {photo_key(li), photo_key(wang), photo_key(zhao), attachment_key}

    # replacing a photo: a rollback keeps the old file and drops the new one
    old = photo_key(li)
    set_photo(li, (50, 40), commit=False)
    assert files() == before
    set_photo(li, (50, 40))
    assert old not in files() and photo_key(li) in files() and len(files()) == len(before)

    # deleting a contact: a rollback keeps its photo; the commit removes it
    wang_key = photo_key(wang)
    _as(app, owner, lambda a: service.delete_contact(actor=a, contact_id=wang), commit=False)
    assert wang_key in files()
    _as(app, owner, lambda a: service.delete_contact(actor=a, contact_id=wang))
    assert wang_key not in files()

    # the trash and back: every file stays
    before = files()
    _as(app, owner, lambda a: sharing.trash(actor=a, customer_id=gone))
    _as(app, owner, lambda a: sharing.restore(actor=a, customer_id=gone))
    assert files() == before
    assert _as(app, owner, lambda a: service.photo(a, li)) is not None

    # the nightly purge: rolled back, nothing goes; committed, the customer's files go (its
    # contacts' photos and its attachments), another customer's stay
    def trash_long_ago(actor):
        sharing.trash(actor=actor, customer_id=gone)
        db.session.execute(
            update(Customer)
            .where(Customer.id == gone)
            .values(deleted_at=utcnow() - timedelta(days=sharing.TRASH_DAYS + 1))
        )

    _as(app, owner, trash_long_ago)
    _as(app, owner, lambda a: sharing.purge_trash(), commit=False)
    assert files() == before
    assert _as(app, owner, lambda a: sharing.purge_trash()) == 1
    assert files() == {photo_key(zhao)}


# --- the API ----------------------------------------------------------------------------------


def _bearer(app, member):
    from saas.auth import tokens

    return _as(app, member, lambda a: tokens.create_token(actor=a, name="t")[1])


def _api(client, token, method, url, json=None):
    return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def test_api_contacts_crud_and_vcard(app, client, team):
    _, p = team
    ann = _bearer(app, p["ann"])
    cid = _customer(app, p["ann"])
    resp = _api(
        client,
        ann,
        "POST",
        f"/api/v1/customers/{cid}/contacts",
        {
            "name": "王芳",
            "phones": [{"number": "138 0013 8000", "type": "work"}],
            "emails": ["wf@example.cn"],
        },
    )
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["is_primary"] and body["phones"] == [
        {
            "number": "138 0013 8000",
            "e164": "+8613800138000",
            "type": "work",
            "display": "138 0013 8000",
        }
    ]
    contact_id = body["id"]
    resp = _api(
        client,
        ann,
        "POST",
        f"/api/v1/customers/{cid}/contacts",
        {"name": "Second", "primary": True},
    )
    second = resp.json["id"]
    listed = _api(client, ann, "GET", f"/api/v1/customers/{cid}/contacts").json
    assert [c["id"] for c in listed] == [second, contact_id]
    resp = _api(
        client,
        ann,
        "PATCH",
        f"/api/v1/contacts/{contact_id}",
        {"position": "总经理", "primary": True},
    )
    assert resp.status_code == 200 and resp.json["position"] == "总经理" and resp.json["is_primary"]
    assert resp.json["emails"] == [{"email": "wf@example.cn", "type": None}]  # untouched
    resp = _api(
        client, ann, "PATCH", f"/api/v1/contacts/{contact_id}", {"phones": [{"number": "12"}]}
    )
    assert resp.status_code == 422
    assert resp.json["error"]["message"].startswith("phones.0.number: ")
    resp = _api(client, ann, "PATCH", f"/api/v1/contacts/{contact_id}", {"nickname": "x"})
    assert resp.status_code == 422
    resp = _api(client, ann, "GET", f"/api/v1/contacts/{contact_id}.vcf")
    assert resp.status_code == 200 and resp.mimetype == "text/vcard"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition)[1]) == "王芳.vcf"
    assert vobject.readOne(resp.get_data(as_text=True)).fn.value == "王芳"
    customer = _api(client, ann, "GET", f"/api/v1/customers/{cid}").json
    assert [c["name"] for c in customer["contacts"]] == ["王芳", "Second"]
    assert _api(client, ann, "DELETE", f"/api/v1/contacts/{contact_id}").status_code == 204
    assert _api(client, ann, "GET", f"/api/v1/contacts/{contact_id}").status_code == 404
    assert _api(client, ann, "GET", f"/api/v1/contacts/{second}").json["is_primary"]


def test_api_attacks_on_contacts(app, client, team):
    _, p = team
    other = make_company(app, "Globex")
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    for token in (_bearer(app, p["bob"]), _bearer(app, other.owner)):
        for method, url, body in (
            ("GET", f"/api/v1/contacts/{contact_id}", None),
            ("GET", f"/api/v1/contacts/{contact_id}.vcf", None),
            ("PATCH", f"/api/v1/contacts/{contact_id}", {"name": "Hacked"}),
            ("DELETE", f"/api/v1/contacts/{contact_id}", None),
            ("GET", f"/api/v1/customers/{cid}/contacts", None),
            ("POST", f"/api/v1/customers/{cid}/contacts", {"name": "Planted"}),
        ):
            assert _api(client, token, method, url, body).status_code == 404, (method, url)
    viewer = _bearer(app, p["viewer"])
    assert _api(client, viewer, "GET", f"/api/v1/contacts/{contact_id}").status_code == 200
    assert (
        _api(client, viewer, "PATCH", f"/api/v1/contacts/{contact_id}", {"name": "X"}).status_code
        == 403
    )
    assert _api(client, viewer, "DELETE", f"/api/v1/contacts/{contact_id}").status_code == 403
    resp = _api(client, viewer, "POST", f"/api/v1/customers/{cid}/contacts", {"name": "X"})
    assert resp.status_code == 403
    assert _as(app, p["ann"], lambda a: [c.name for c in service.list_contacts(a, cid)]) == [
        "Li Wei"
    ]


def test_api_customer_with_inline_contacts_is_all_or_nothing(app, client, team):
    _, p = team
    ann = _bearer(app, p["ann"])
    contacts = [
        {
            "name": "Ana",
            "position": "CEO",
            "phones": [{"number": "+355 69 123 4567", "type": "mobile"}],
            "emails": ["ana@example.al"],
        },
        {
            "name": "Boris",
            "phones": [
                {"number": "+7 (912) 345-67-89", "type": "work"},
                {"number": "+7 12", "type": "mobile"},
            ],
        },
    ]
    resp = _api(
        client, ann, "POST", "/api/v1/customers", {"name": "Tirana Trade", "contacts": contacts}
    )
    assert resp.status_code == 422
    assert resp.json["error"]["message"].startswith("contacts.1.phones.1.number: ")

    def counts(actor):
        return (
            db.session.scalars(select(Customer.id)).all(),
            db.session.scalars(select(Contact.id)).all(),
            db.session.scalars(select(ContactPhone.id)).all(),
        )

    assert _as(app, p["ann"], counts) == ([], [], [])
    # a type error is caught by the schema, with its path too
    bad = [{"name": "X", "phones": [{"number": 5}]}]
    resp = _api(client, ann, "POST", "/api/v1/customers", {"name": "T", "contacts": bad})
    assert resp.status_code == 422 and resp.json["error"]["message"].startswith(
        "contacts.0.phones.0.number"
    )
    contacts[1]["phones"].pop()
    resp = _api(
        client, ann, "POST", "/api/v1/customers", {"name": "Tirana Trade", "contacts": contacts}
    )
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert [(c["name"], c["is_primary"]) for c in body["contacts"]] == [
        ("Ana", True),
        ("Boris", False),
    ]
    assert body["contacts"][1]["phones"][0]["e164"] == "+79123456789"
    assert body["number"] == 1  # the failed attempt gave its number back


def test_openapi_declares_the_contact_routes(app, client):
    doc = client.get("/api/v1/openapi.json").json
    paths = doc["paths"]
    assert set(paths["/api/v1/contacts/{contact_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/customers/{customer_id}/contacts"]) == {"get", "post"}
    vcf = paths["/api/v1/contacts/{contact_id}.vcf"]["get"]["responses"]
    assert "text/vcard" in vcf["200"]["content"] and "404" in vcf


# --- the card's tab ---------------------------------------------------------------------------


def test_the_contacts_tab_adds_edits_and_deletes_in_place(app, client, team):
    _, p = team
    cid = _customer(app, p["ann"])
    _contact(
        app,
        p["ann"],
        cid,
        name="Existing",
        phones=[{"number": "13800138000"}],
        emails=["e@example.cn"],
    )
    login(client, p["ann"].email)
    page = client.get(f"/customers/{cid}/contacts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="tel:+8613800138000"' in html and "138 0013 8000" in html
    assert 'href="mailto:e@example.cn"' in html and ".vcf" in html
    token = csrf(client, f"/customers/{cid}/contacts/new")
    hx = {"HX-Request": "true"}
    bad = client.post(
        f"/customers/{cid}/contacts/new",
        data={
            "csrf_token": token,
            "name": "New",
            "phones-0-number": "12",
            "phones-0-kind": "mobile",
        },
        headers=hx,
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "is not a valid phone number" in html
    phone_input = re.search(r'<input[^>]*name="phones-0-number"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in phone_input and "phones-0-number-error" in phone_input
    ok = client.post(
        f"/customers/{cid}/contacts/new",
        data={
            "csrf_token": token,
            "name": "Новый",
            "phones-0-number": "+7 495 123-45-67",
            "phones-0-kind": "work",
            "emails-0-email": "novy@example.ru",
            "accounts-0-kind": "telegram",
            "accounts-0-handle": "@novy",
            "primary": "y",
        },
        headers=hx,
    )
    assert ok.status_code == 200 and ok.headers["HX-Retarget"] == "#contacts"
    html = ok.get_data(as_text=True)
    assert html.index("Новый") < html.index("Existing")  # the new primary first
    assert 'href="tel:+74951234567"' in html and "+7 495 123-45-67" in html
    new_id = _as(app, p["ann"], lambda a: service.list_contacts(a, cid)[0].id)
    form = client.get(f"/contacts/{new_id}/edit", headers=hx)
    assert form.status_code == 200 and 'value="+7 495 123-45-67"' in form.get_data(as_text=True)
    deleted = client.post(f"/contacts/{new_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith(
        f"/customers/{cid}/contacts"
    )
    assert _primary_ids(app, p["ann"], cid) != []
    vcf = client.get(f"/contacts/{_primary_ids(app, p['ann'], cid)[0]}.vcf")
    assert vcf.status_code == 200 and vcf.mimetype == "text/vcard"


def test_the_tab_hides_writing_from_a_read_only_caller(app, client, team):
    _, p = team
    cid = _customer(app, p["ann"])
    contact_id = _contact(app, p["ann"], cid)
    login(client, p["viewer"].email)
    html = client.get(f"/customers/{cid}/contacts").get_data(as_text=True)
    assert (
        "Li Wei" in html
        and "Add a contact" not in html
        and f"/contacts/{contact_id}/edit" not in html
    )
    token = csrf(client, f"/customers/{cid}/contacts")
    resp = client.post(f"/contacts/{contact_id}/delete", data={"csrf_token": token})
    assert resp.status_code == 403


# --- the new-customer form's primary contact --------------------------------------------------


def test_new_customer_form_saves_its_primary_contact_all_or_nothing(app, client, team):
    _, p = team
    login(client, p["ann"].email)
    token = csrf(client, "/customers/new")
    data = {
        "csrf_token": token,
        "name": "Beijing Trading",
        "kind": "company",
        "stage": "potential",
        "country": "CN",
        "contact-name": "王芳",
        "contact-position": "经理",
        "contact-phone": "138 0013",
        "contact-phone_type": "work",
        "contact-email": "wf@example.cn",
    }
    bad = client.post("/customers/new", data=data)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "138 0013 is not a valid phone number" in html and "nothing was saved" in html
    assert 'value="王芳"' in html  # the input is kept
    assert _as(app, p["ann"], lambda a: db.session.scalars(select(Customer.id)).all()) == []
    bad_email = client.post(
        "/customers/new", data=data | {"contact-phone": "", "contact-email": "x@"}
    )
    assert bad_email.status_code == 422 and "is not a valid email address" in bad_email.get_data(
        as_text=True
    )
    ok = client.post("/customers/new", data=data | {"contact-phone": "138 0013 8000"})
    assert ok.status_code == 303

    def saved(actor):
        customer = db.session.scalars(select(Customer)).one()
        (contact,) = service.contacts_of(customer)
        return (
            customer.number,
            contact.name,
            contact.is_primary,
            [(ph.e164, ph.type) for ph in contact.phones],
            [e.email for e in contact.emails],
        )

    assert _as(app, p["ann"], saved) == (
        1,
        "王芳",
        True,
        [("+8613800138000", "work")],
        ["wf@example.cn"],
    )
    # a blank sub-form adds no contact
    client.post(
        "/customers/new",
        data={k: v for k, v in data.items() if not k.startswith("contact")}
        | {"name": "No contact"},
    )
    counts = _as(app, p["ann"], lambda a: len(db.session.scalars(select(Contact.id)).all()))
    assert counts == 1


# --- anti-poaching: a pool customer's phones and emails stay masked until revealed ------------


def test_masked_pool_contacts_hide_phones_and_emails_until_revealed(app, client, team):
    from saas.customers import pool

    _, p = team
    _as(app, p["owner"], lambda a: pool.update_settings(actor=a, mask_pool_contacts=True))
    cid = _customer(app, p["owner"], name="Pooled", owner_id=None)
    contact_id = _contact(
        app, p["owner"], cid, phones=[{"number": "138 0013 8000"}], emails=["wf@example.cn"]
    )
    ann = _bearer(app, p["ann"])
    body = _api(client, ann, "GET", f"/api/v1/contacts/{contact_id}").json
    assert body["masked"] and "8000" not in body["phones"][0]["e164"]
    assert (
        body["phones"][0]["e164"].endswith("00") and body["emails"][0]["email"] == "w***@example.cn"
    )
    vcf = _api(client, ann, "GET", f"/api/v1/contacts/{contact_id}.vcf").get_data(as_text=True)
    assert "TEL" not in vcf and "EMAIL" not in vcf and "Li Wei" in vcf
    listed = _api(client, ann, "GET", f"/api/v1/customers/{cid}").json["contacts"]
    assert listed[0]["masked"]
    login(client, p["ann"].email)
    html = client.get(f"/customers/{cid}/contacts").get_data(as_text=True)
    assert "tel:" not in html and "mailto:" not in html and "hidden until you reveal" in html
    assert _api(client, ann, "POST", f"/api/v1/customers/{cid}/reveal").status_code == 200
    body = _api(client, ann, "GET", f"/api/v1/contacts/{contact_id}").json
    assert not body["masked"] and body["phones"][0]["e164"] == "+8613800138000"
    html = client.get(f"/customers/{cid}/contacts").get_data(as_text=True)
    assert 'href="tel:+8613800138000"' in html
