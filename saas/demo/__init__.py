"""``flask --app wsgi demo``: realistic multilingual demo companies, fast enough for a million rows.

Demo tenant *n* is the company whose owner is ``owner@demo<n>.example.com``: a re-run finds it
by that login and tops it up (missing users, customers up to ``--customers``) instead of adding
another. Each tenant has a "home" (China, Iran, Albania, Russia, the UK in turn): its users'
language, the company's time zone and country, and most of its customers come from there, the
rest from the other four. Per tenant: the owner, an admin, managers (reporting to the owner)
and reps (reporting to the managers), all with the same password; customers spread over the
reps (about 5,000 each at a million), managers, and the pool (a fifth); notes by the owner on
about a third of the owned customers; 1 to 3 contacts per new customer (names and positions in the
customer's language, exactly one primary, 1 or 2 phones and an email each); a few per cent of the
owned customers shared, read or write, with a colleague (a third of the shares with an end date).
Contacts and shares are made with their customers only: a top-up gives them to the new
customers, and customers made before contacts existed stay without.

The company and its owner are created by ``auth.service.signup`` (audited, as the signup page
does); everything else is bulk-inserted by ``demo.sql`` as the tables' owner, bypassing the ORM
hooks on purpose (see there).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import Table, select

from saas.demo.names import HOMES, Pools, build_pools, company_name, person_name
from saas.utils import utcnow

DEFAULT_PASSWORD = "demo password"  # noqa: S105 (a demo login, printed on purpose)
#: Customers a rep owns at the top size: a million → 150 reps.
PER_REP = 5000
MAX_REPS = 200


def domain(n: int) -> str:
    return f"demo{n}.example.com"


def owner_email(n: int) -> str:
    return f"owner@{domain(n)}"


def reps_for(customers: int) -> int:
    """Reps of a tenant of ``customers``: three a small one, 150 at a million."""
    return max(3, min(MAX_REPS, round(customers * 0.75 / PER_REP)))


@dataclass
class Staff:
    owner: int
    admin: int
    managers: list[int] = field(default_factory=list)
    reps: list[int] = field(default_factory=list)


@dataclass
class Login:
    tenant: int
    company: str
    password: str | None
    owner: str
    others: list[str]


@lru_cache(maxsize=200_000)
def _key(name: str) -> str:
    from saas.customers.normalize import name_key

    return name_key(name)[:200]


def seed(
    *,
    tenants: int,
    customers: int,
    password: str = DEFAULT_PASSWORD,
    seed_value: int = 1,
    contacts: tuple[int, int] = (1, 3),
    echo: Callable[[str], None] = print,
) -> list[Login]:
    """Create or top up demo tenants 1..``tenants`` to ``customers`` customers each."""
    from saas.demo.sql import BulkWriter

    pools = build_pools(seed_value)
    writer = BulkWriter(current_app.config["DATABASE_MIGRATION_URL"])
    logins = []
    try:
        for n in range(1, tenants + 1):
            language, _country, zone, _locale = HOMES[(n - 1) % len(HOMES)]
            rng = random.Random(f"{seed_value}:{n}")
            tenant_id, company, password_ok = _tenant(n, pools[language], zone, password, rng)
            staff, emails = _staff(writer, tenant_id, n, customers, pools[language], rng)
            _customers(
                writer, tenant_id, n, customers, staff, pools, language, seed_value, echo, contacts
            )
            logins.append(Login(tenant_id, company, password if password_ok else None, *emails))
        writer.analyze()
    finally:
        writer.close()
    return logins


def _tenant(n: int, pools: Pools, zone: str, password: str, rng: random.Random) -> tuple:
    """(tenant id, company name, whether ``password`` is the owner's) of demo tenant ``n``."""
    from saas.auth.models import Account
    from saas.auth.service import check_password, memberships, signup
    from saas.extensions import db
    from saas.tenancy.context import email_lookup

    email = owner_email(n)
    with current_app.test_request_context("/"):
        with email_lookup(email):
            account = db.session.scalar(select(Account).where(Account.email == email))
        if account is not None:
            found = memberships(account.id)
            if found:
                ok = check_password(account, password)
                db.session.commit()
                return found[0].tenant_id, found[0].company, ok
        company = company_name(rng, pools)
        user = signup(
            company=company,
            name=person_name(rng, pools),
            email=email,
            password=password,
            language=pools.language,
            timezone=zone,
        )
        tenant_id = user.tenant_id
        db.session.commit()
        return tenant_id, company, True


def _staff(writer, tenant_id: int, n: int, customers: int, pools: Pools, rng: random.Random):  # noqa: ANN001
    """The tenant's admin, managers and reps (created when missing); their login emails."""
    from saas.auth.models import Account, User

    reps = reps_for(customers)
    managers = max(1, math.ceil(reps / 8))
    with writer.tenant(tenant_id) as conn:
        writer.set_plan(conn, tenant_id, "business")  # seats for every demo user
        members = writer.members(conn, tenant_id)
        roles = writer.role_ids(conn, tenant_id)
        owner_id = members[owner_email(n)][0]
        pw_hash = writer.password_hash(
            conn,
            writer.account_id(conn, owner_email(n)),  # type: ignore[arg-type]
        )
        staff = Staff(owner=owner_id, admin=0)

        def ensure(local: str, role: str, manager: int | None) -> int:
            email = f"{local}@{domain(n)}"
            if email in members:
                return members[email][0]
            account = writer.account_id(conn, email) or writer.insert_returning_id(
                conn, Account.__table__, {"email": email, "password_hash": pw_hash}
            )
            return writer.insert_returning_id(
                conn,
                User.__table__,
                {
                    "tenant_id": tenant_id,
                    "account_id": account,
                    "name": person_name(rng, pools),
                    "role_id": roles[role],
                    "manager_id": manager,
                    "language": pools.language,
                    "calendar": "jalali" if pools.language == "fa" else "gregorian",
                },
            )

        staff.admin = ensure("admin", "admin", owner_id)
        staff.managers = [
            ensure(f"manager{k}", "manager", owner_id) for k in range(1, managers + 1)
        ]
        staff.reps = [
            ensure(f"rep{k}", "sales", staff.managers[(k - 1) % managers])
            for k in range(1, reps + 1)
        ]
    emails = [f"admin@{domain(n)}"] + [f"manager{k}@{domain(n)}" for k in range(1, managers + 1)]
    emails += [f"rep{k}@{domain(n)}" for k in range(1, reps + 1)]
    return staff, (owner_email(n), emails)


#: Columns the demo command fills; ``_defaults`` adds any other column with a Python default.
CUSTOMER_COLUMNS = (
    "tenant_id", "number", "name", "name_key", "kind", "stage", "country", "city", "address",
    "website", "comments", "owner_id", "locked", "claimed_at", "returned_at", "return_reason",
    "created_by_id", "updated_by_id", "created_at", "updated_at", "deleted_at",
)  # fmt: skip


NOTE_COLUMNS = ("tenant_id", "customer_id", "author_id", "text", "created_at", "updated_at")
CONTACT_COLUMNS = (
    "tenant_id", "customer_id", "name", "position", "is_primary", "accounts", "created_by_id",
    "updated_by_id", "created_at", "updated_at",
)  # fmt: skip
PHONE_COLUMNS = ("tenant_id", "contact_id", "customer_id", "raw", "e164", "type")
EMAIL_COLUMNS = ("tenant_id", "contact_id", "customer_id", "email", "email_key", "type")
SEARCH_COLUMNS = ("tenant_id", "customer_id", "doc", "grams")
TERM_COLUMNS = ("tenant_id", "contact_id", "customer_id", "kind", "term")
SHARE_COLUMNS = (
    "tenant_id", "customer_id", "user_id", "access", "until", "created_by_id", "created_at",
)  # fmt: skip
#: Share of the owned customers shared with a colleague.
SHARED = 0.04


def _phone(rng: random.Random, country: str, home: str) -> tuple[str, str]:
    """(raw, e164) of a mobile of ``country`` as a user of ``home`` types it; the E.164 form
    through ``contacts.normalize.parse_phone`` as the contact form computes it."""
    from saas.contacts.normalize import format_phone, parse_phone
    from saas.demo.names import mobile
    from saas.errors import ValidationFailed

    while True:  # a few of the drawn numbers fall in unallocated ranges: draw again
        raw = format_phone(mobile(rng, country), home)
        try:
            return raw, parse_phone(raw, home)
        except ValidationFailed:
            continue


class _Tables:
    """The contact and share tables with their column lists (defaults of later columns)."""

    def __init__(self) -> None:
        from saas.contacts.models import Contact, ContactEmail, ContactPhone, ContactTerm
        from saas.customers.models import CustomerShare
        from saas.customers.search import CustomerSearch

        self.parts = {}
        for name, model, cols in (
            ("contacts", Contact, CONTACT_COLUMNS),
            ("phones", ContactPhone, PHONE_COLUMNS),
            ("emails", ContactEmail, EMAIL_COLUMNS),
            ("terms", ContactTerm, TERM_COLUMNS),
            ("shares", CustomerShare, SHARE_COLUMNS),
            ("search", CustomerSearch, SEARCH_COLUMNS),
        ):
            extra_cols, extra_vals = _defaults(model.__table__, cols)
            self.parts[name] = (model.__table__, cols + extra_cols, extra_vals)

    def insert(self, writer, conn, name: str, rows: list[tuple]) -> None:  # noqa: ANN001
        table, columns, extra = self.parts[name]
        writer.insert(conn, table, columns, [(*row, *extra) for row in rows])


def _contacts_and_shares(
    writer,  # noqa: ANN001
    conn,  # noqa: ANN001
    tables: _Tables,
    tenant_id: int,
    ids: list[int],
    made: list[tuple],
    staff: Staff,
    home: str,
    contacts: tuple[int, int],
    rng: random.Random,
) -> dict[int, list]:
    """Contacts (with phones and emails) and shares of the customers just inserted: ``made``
    holds (index in ``ids``, number, pools, owner, created) of each. Returns what quick search
    reads of them: ``{customer id: [search.ContactText, …]}``."""
    from saas.contacts.normalize import email_key
    from saas.contacts.search import keys as search_keys
    from saas.customers.search import ContactText
    from saas.demo.names import email_address, person_name, position

    accounts = "[]" if writer.postgres else []  # COPY takes the JSON text
    today = utcnow().date()
    colleagues = [staff.owner, staff.admin, *staff.managers, *staff.reps]
    people, shares = [], []
    for i, number, pools, owner, created in made:
        author = owner or staff.owner
        for k in range(rng.randint(*contacts)):
            name = person_name(rng, pools)
            row = (tenant_id, ids[i], name, position(rng, pools.language), k == 0, accounts,
                   author, author, created, created)  # fmt: skip
            people.append((number, k, name, pools.country, ids[i], row))
        if owner is not None and rng.random() < SHARED:
            user = rng.choice([u for u in colleagues if u != owner])
            access = "write" if rng.random() < 0.3 else "read"
            until = today + timedelta(days=rng.randint(7, 180)) if rng.random() < 0.33 else None
            shares.append((tenant_id, ids[i], user, access, until, owner, created))
    tables.insert(writer, conn, "contacts", [p[-1] for p in people])
    tables.insert(writer, conn, "shares", shares)
    if not people:
        return {}
    contact_ids = writer.contact_ids(conn, tenant_id, min(ids), max(ids))
    if len(contact_ids) != len(people):
        raise RuntimeError("demo: contacts of the new customers do not match what was inserted")
    phones, emails = [], []
    terms = []
    searched: dict[int, list] = {}
    for contact_id, (number, k, name, country, customer_id, row) in zip(
        contact_ids, people, strict=True
    ):
        numbers = []
        text = ContactText(name)
        searched.setdefault(customer_id, []).append(text)
        for j in range(rng.randint(1, 2)):
            raw, e164 = _phone(rng, country, home)
            kind = "mobile" if j == 0 else "work"
            phones.append((tenant_id, contact_id, customer_id, raw, e164, kind))
            numbers.append(e164)
            text.phones.append((raw, e164))
        email = email_address(name, number, k + 1)
        emails.append((tenant_id, contact_id, customer_id, email, email_key(email), "work"))
        text.emails.append(email)
        # the Contacts page's search keys, as the contact service writes them
        for kind, term in search_keys(name, row[3], numbers, [email_key(email)]):
            terms.append((tenant_id, contact_id, customer_id, kind, term))
    tables.insert(writer, conn, "phones", phones)
    tables.insert(writer, conn, "emails", emails)
    tables.insert(writer, conn, "terms", terms)
    return searched


def _search_documents(
    writer,  # noqa: ANN001
    conn,  # noqa: ANN001
    tables: _Tables,
    tenant_id: int,
    ids: list[int],
    rows: list[tuple],
    people: dict[int, list],
) -> None:
    """Quick search's documents of the customers just inserted (``rows`` in ``ids`` order,
    columns as ``CUSTOMER_COLUMNS``), as ``search.refresh`` would write them."""
    from saas.customers.search import bigrams, document, gram_key

    name, city, comments = (CUSTOMER_COLUMNS.index(c) for c in ("name", "city", "comments"))
    docs = []
    for customer_id, row in zip(ids, rows, strict=True):
        doc = document(row[name], row[city], row[comments], people.get(customer_id, ()))
        grams = [gram_key(tenant_id, g) for g in bigrams(doc)]
        docs.append((tenant_id, customer_id, doc, _pg_array(grams) if writer.postgres else grams))
    tables.insert(writer, conn, "search", docs)


def _pg_array(items: list[str]) -> str:
    """A text[] literal for COPY: every element quoted, ``"`` and ``\\`` escaped."""
    quoted = ('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return "{" + ",".join(quoted) + "}"


def _defaults(table: Table, columns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple]:
    """Columns added by other features since, with their Python defaults (for COPY)."""
    names, values = [], []
    for col in table.c:
        if col.name in columns or col.name == "id" or col.default is None:
            continue
        default = col.default
        if getattr(default, "is_scalar", False):
            value = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            value = default.arg(None)  # type: ignore[attr-defined]
        else:
            continue
        names.append(col.name)
        values.append(value() if callable(value) else value)
    return tuple(names), tuple(values)


def _customers(
    writer,  # noqa: ANN001
    tenant_id: int,
    n: int,
    target: int,
    staff: Staff,
    all_pools: dict[str, Pools],
    language: str,
    seed_value: int,
    echo: Callable[[str], None],
    contacts: tuple[int, int] = (1, 3),
) -> None:
    from saas.customers.models import Customer
    from saas.customers.notes import CustomerNote
    from saas.demo.names import note_text

    table = Customer.__table__
    extra_cols, extra_vals = _defaults(table, CUSTOMER_COLUMNS)
    columns = CUSTOMER_COLUMNS + extra_cols
    notes_table = CustomerNote.__table__
    note_extra_cols, note_extra_vals = _defaults(notes_table, NOTE_COLUMNS)
    note_columns = NOTE_COLUMNS + note_extra_cols
    tables = _Tables()
    with writer.tenant(tenant_id) as conn:
        have = writer.count(conn, "customers", tenant_id)
    todo = target - have
    if todo <= 0:
        echo(f"demo{n}: {have:,} customers already, nothing to add")
        return
    rng = random.Random(f"{seed_value}:{n}:{have}")
    home = all_pools[language]
    others = [p for lang, p in all_pools.items() if lang != language]
    bosses = [staff.owner, staff.admin, *staff.managers]
    now = utcnow().replace(microsecond=0)
    span = timedelta(days=3 * 365).total_seconds()
    batch = 50_000 if writer.postgres else 10_000
    started, done, rep_turn = time.monotonic(), 0, have
    while done < todo:
        size = min(batch, todo - done)
        with writer.tenant(tenant_id) as conn:
            first = writer.take_numbers(conn, tenant_id, size)
            rows, notes, made = [], [], []
            for number in range(first, first + size):
                pools = home if rng.random() < 0.7 else rng.choice(others)
                company = rng.random() < 0.75
                name = company_name(rng, pools) if company else person_name(rng, pools)
                created = now - timedelta(seconds=span * (1 - number / max(target, number)))
                r = rng.random()
                if r < 0.2:
                    owner = None
                elif r < 0.25:
                    owner = rng.choice(bosses)
                else:
                    owner = staff.reps[rep_turn % len(staff.reps)]
                    rep_turn += 1
                returned = owner is None and rng.random() < 0.3
                stage = rng.choices(("potential", "active", "ended"), (6, 3, 1))[0]
                rows.append(
                    (
                        tenant_id,
                        number,
                        name,
                        _key(name),
                        "company" if company else "person",
                        stage,
                        pools.country,
                        rng.choice(pools.cities),
                        rng.choice(pools.streets) if rng.random() < 0.6 else None,
                        f"https://www.example.com/{number}" if company and r > 0.6 else None,
                        None,
                        owner,
                        owner is not None and rng.random() < 0.05,
                        created if owner is not None else None,
                        created if returned else None,
                        "No budget" if returned else None,
                        owner or staff.owner,
                        owner or staff.owner,
                        created,
                        created,
                        now if rng.random() < 0.002 else None,
                        *extra_vals,
                    )
                )
                made.append((number - first, number, pools, owner, created))
                if owner is not None and rng.random() < 0.3:  # a note or two from the owner
                    for k in range(rng.randint(1, 2)):
                        when = created + timedelta(days=k + rng.randint(0, 30))
                        notes.append((number - first, owner, note_text(rng, pools.language), when))
            writer.insert(conn, table, columns, rows)
            ids = writer.ids_by_number(conn, tenant_id, first, first + size - 1)
            people = _contacts_and_shares(
                writer, conn, tables, tenant_id, ids, made, staff, home.country, contacts, rng
            )
            _search_documents(writer, conn, tables, tenant_id, ids, rows, people)
            if notes:
                note_rows = [
                    (
                        tenant_id,
                        ids[i],
                        author,
                        body,
                        min(when, now),
                        min(when, now),
                        *note_extra_vals,
                    )
                    for i, author, body, when in notes
                ]
                writer.insert(conn, notes_table, note_columns, note_rows)
        done += size
        rate = done / max(time.monotonic() - started, 1e-6)
        echo(f"demo{n}: {have + done:,} / {target:,} customers ({rate:,.0f}/s)")


@click.command("demo")
@with_appcontext
@click.option("--tenants", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option(
    "--customers",
    type=click.IntRange(0, 10_000_000),
    default=1000,
    show_default=True,
    help="Customers per demo tenant (existing ones are topped up to this).",
)
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option(
    "--contacts",
    default="1-3",
    show_default=True,
    help="Contacts per new customer: a number (2) or a range (1-3).",
)
def demo(tenants: int, customers: int, password: str, seed_value: int, contacts: str) -> None:
    """Fill the database with multilingual demo companies (idempotent per tenant)."""
    from saas.auth.service import validate_password
    from saas.errors import ServiceError

    try:
        validate_password(password)
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--password") from exc
    low, _dash, high = contacts.partition("-")
    try:
        span = (int(low), int(high or low))
    except ValueError:
        span = (-1, -1)
    if not 0 <= span[0] <= span[1] <= 10:
        raise click.BadParameter(
            _("a number or a range such as 1-3, at most 10"), param_hint="--contacts"
        )
    started = time.monotonic()
    logins = seed(
        tenants=tenants, customers=customers, password=password, seed_value=seed_value,
        contacts=span, echo=click.echo,
    )  # fmt: skip
    click.echo(f"\nDone in {time.monotonic() - started:,.1f} s. Log in with:")
    for login in logins:
        pw = login.password or "(the password set when it was created)"
        click.echo(f"\n{login.company} (tenant {login.tenant}) — password: {pw}")
        click.echo(f"  owner  {login.owner}")
        shown = (
            login.others if len(login.others) <= 8 else [*login.others[:6], "…", login.others[-1]]
        )
        for email in shown:
            click.echo(f"  {'' if email == '…' else 'user  '} {email}")
