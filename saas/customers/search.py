"""Quick search of the customer list: what a query matches, and the data that makes it fast.

**What matches** (the semantics; ``reference_match`` is the same rule in plain Python, the
oracle of the tests). Every customer has a *search document*: the folded text of its name,
city and comments, and of each contact's name, emails and phones — a phone as the digits of
what was typed, of its E.164 form (without ``+``) and of its national form (trunk prefix +
national significant number), so ``0912 123 4567``,
``+98 912 123 4567`` and ``۰۹۱۲۱۲۳۴۵۶۷`` all find ``+989121234567``. Folding (``fold``) is
``normalize._fold`` — NFKC (full-width = half-width), case-folded, Arabic letters as Persian
(ي = ی, ك = ک), every decimal digit as ASCII — with whitespace runs made one space. Fields are
kept apart by a newline, which no folded query contains, so a match never spans two fields.

The query ``q`` (one line, ≤ 200 characters) becomes a *term*:

- an exact No. (``123``, ``No. 123``, ``#123``, any script's digits) is looked up by No.; its
  digits are also the term;
- a query of digits and phone punctuation (``+``, spaces, ``-``, ``(``, ``)``, ``.``, ``/``) is
  reduced to its digits;
- anything else is ``fold(q)``.

Then, by the term's length and script:

=========================================  ================================================
term                                       matches customers whose …
=========================================  ================================================
3+ characters                              document contains the term (*substring path*)
2 characters, one of them CJK (华信)        document contains the term (*bigram path*)
shorter (1 character; 2 without CJK)       ``name_key`` starts with ``name_key(q)`` (*prefix
                                           path*, the list's former search)
=========================================  ================================================

or whose No. is the exact No. asked for. Results keep the list's own order and visibility.

**How it is fast.** The documents live in ``customer_search`` (one row per customer, revision
0019) with two PostgreSQL GIN indexes: ``pg_trgm`` on ``doc`` (``LIKE '%term%'``, 3+
characters) and one on ``grams``, the document's CJK bigrams (every two adjacent characters of
which at least one is CJK), for the 2-character path that trigrams cannot serve. A bigram is
stored with its tenant (``7:华信``, ``gram_key``, revision 0028), so the lookup reads the
tenant's own entries of one GIN key: with bare bigrams PostgreSQL intersected the GIN bitmap with
the tenant's whole ``tenant_id`` index (14 ms for 250,000 entries, measured) and a small
tenant paid for a big one's matches. Under
row-level security PostgreSQL will not use either index as the app role: ``LIKE`` and ``@>``
are not leakproof, so the planner must apply the tenant policy first (a sequential scan). The
lookup is therefore the SECURITY DEFINER function ``baza_customer_search(tenant, like, gram)``
(revision 0019): it answers nothing unless ``tenant`` is ``app.tenant_id`` and names the tenant
in its own ``WHERE``; the list query joins its ids to ``customers``, where the policy applies as
usual. SQLite (the embedded default) has FTS5 indexes instead (revision 0029, kept by
triggers): ``customer_search_fts`` (trigram tokenizer) for terms of 3+ characters and
``customer_search_fts_grams`` (each bigram one hex token) for the 2-character path; their
candidates are re-checked with ``instr``. A SQLite without them scans with ``instr``.

**How it stays true.** ``after_flush`` collects the customers whose name, city or comments, or
whose contacts (name, customer), phones or emails were added, changed, moved or deleted in that
flush, and ``after_flush_postexec`` rewrites their documents in the same transaction — every
service that writes through the ORM is covered without a call. Bulk loads (``saas/demo``) write
the documents themselves with ``document``/``bigrams``; revision 0019 backfills existing rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers
from flask import g, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import (
    JSON,
    ColumnElement,
    Index,
    Integer,
    Select,
    Text,
    UniqueConstraint,
    any_,
    bindparam,
    column,
    delete,
    event,
    false,
    func,
    insert,
    select,
    table,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from saas.customers.normalize import _LETTERS, _fold, name_key
from saas.extensions import db
from saas.formatting import LATIN_DIGITS
from saas.tenancy.models import TenantScoped, tenant_args, tenant_fk
from saas.text import single_line

#: Keeps the fields of a document apart: a folded query never contains it.
SEP = "\n"
MAX_QUERY = 200
#: Terms at least this long take the substring (trigram) path.
TRIGRAM = 3
#: The largest No. (a PostgreSQL integer).
MAX_NUMBER = 2**31 - 1
_NUMBER_QUERY = re.compile(r"^\s*(?:no\.?|#|№)?\s*(\d{1,12})\s*$", re.IGNORECASE)
_PHONEISH = re.compile(r"[+(]*\d[\d\s\-().\/+]*")
_NOT_DIGIT = re.compile(r"\D")


class CustomerSearch(TenantScoped, db.Model):
    """The search document of one customer (see the module docstring)."""

    __tablename__ = "customer_search"
    __table_args__ = tenant_args(
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "customer_id"),
        Index(
            "ix_customer_search_doc_trgm",
            "doc",
            postgresql_using="gin",
            postgresql_ops={"doc": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index("ix_customer_search_grams", "grams", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    customer_id: Mapped[int]
    #: Folded fields joined by ``SEP``.
    doc: Mapped[str] = mapped_column(Text, default="")
    #: The document's CJK bigrams as ``gram_key``s (a text[] on PostgreSQL, a JSON list on
    #: SQLite).
    grams: Mapped[list[str]] = mapped_column(
        JSON().with_variant(postgresql.ARRAY(Text()), "postgresql"), default=list
    )


# --- folding and documents ----------------------------------------------------------------------


class _FoldTable(dict):
    """``normalize._LETTERS`` plus every non-ASCII decimal digit as its ASCII digit, filled
    lazily: one ``str.translate`` does what ``normalize._fold`` does character by character."""

    def __missing__(self, code: int) -> int | str:
        ch = chr(code)
        value: int | str = code
        if code in _LETTERS:
            value = _LETTERS[code]  # type: ignore[assignment]
        elif ch.isdecimal() and not ch.isascii():
            value = str(unicodedata.decimal(ch))
        self[code] = value
        return value


_TABLE = _FoldTable()


def fold(value: str | None) -> str:
    """NFKC, case-folded, Persian letters, ASCII digits (``normalize._fold``); whitespace runs
    as one space, trimmed."""
    if not value:
        return ""
    if value.isascii():  # NFKC, the letters and the digits change nothing in ASCII
        return " ".join(value.lower().split())
    text = unicodedata.normalize("NFKC", value).casefold().translate(_TABLE)
    return " ".join(text.split())


def is_cjk(ch: str) -> bool:
    """Chinese, Japanese and Korean characters (ideographs, kana, hangul syllables)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x20000 <= o <= 0x3FFFF
        or 0xF900 <= o <= 0xFAFF
        or 0x3040 <= o <= 0x30FF
        or 0xAC00 <= o <= 0xD7AF
        or 0x3005 <= o <= 0x3007
    )


def digits(value: str | None) -> str:
    """The ASCII digits of ``value`` (any script's digits read as digits)."""
    return _NOT_DIGIT.sub("", fold(value))


@lru_cache(maxsize=1024)
def _trunk(country_code: int) -> str | None:
    """The national (trunk) prefix of a country calling code's main region: "0", "8" …"""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
    return (metadata.national_prefix or "") if metadata else ""


def national(e164: str | None) -> str:
    """The digits of the national form: the trunk prefix and the national significant number
    (``+989121234567`` → ``09121234567``, ``+79123456789`` → ``89123456789``); "" if unknown."""
    number = digits(e164)
    for size in (1, 2, 3):
        trunk = _trunk(int(number[:size])) if len(number) > size else None
        if trunk is not None:
            return trunk + number[size:]
    return ""


def phone_forms(raw: str | None, e164: str | None) -> list[str]:
    """The digit strings a phone is found by: as typed, E.164 and national (deduplicated)."""
    forms = [digits(raw), digits(e164), national(e164)]
    return [f for f in dict.fromkeys(forms) if f]


@dataclass
class ContactText:
    """What of a contact is searched."""

    name: str | None = None
    phones: list[tuple[str | None, str | None]] = field(default_factory=list)  # (raw, e164)
    emails: list[str] = field(default_factory=list)


def document(
    name: str | None,
    city: str | None = None,
    comments: str | None = None,
    contacts: Iterable[ContactText] = (),
) -> str:
    """The search document: folded fields joined by ``SEP``, empty and repeated ones dropped."""
    parts = [fold(name), fold(city), fold(comments)]
    for contact in contacts:
        parts.append(fold(contact.name))
        for raw, e164 in contact.phones:
            parts.extend(phone_forms(raw, e164))
        parts.extend(fold(e) for e in contact.emails)
    return SEP.join(p for p in dict.fromkeys(parts) if p)


_CJK = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0003ffff\uf900-\ufaff\u3040-\u30ff"
    "\uac00-\ud7af\u3005-\u3007]"
)


def gram_key(tenant_id: int, gram: str) -> str:
    """How ``customer_search.grams`` stores bigram ``gram`` of tenant ``tenant_id``."""
    return f"{tenant_id}:{gram}"


def bigrams(doc: str) -> list[str]:
    """Every two adjacent characters of ``doc`` of which at least one is CJK (sorted, once)."""
    grams: set[str] = set()
    for m in _CJK.finditer(doc):
        i = m.start()
        if i > 0 and doc[i - 1] != SEP:
            grams.add(doc[i - 1 : i + 1])
        if i + 1 < len(doc) and doc[i + 1] != SEP:
            grams.add(doc[i : i + 2])
    return sorted(grams)


# --- the query ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How a query is run: ``path`` is ``substring``, ``bigram``, ``prefix`` or ``none``."""

    number: int | None
    term: str
    path: str
    prefix: str = ""


@lru_cache(maxsize=256)
def plan(q: str | None) -> Plan | None:
    """The plan of query ``q``; None for an empty query (no narrowing). Cached: the list asks
    for it again for every highlighted cell of the page."""
    text = single_line(q)[:MAX_QUERY]
    if not text:
        return None
    exact = _NUMBER_QUERY.match(text.translate(LATIN_DIGITS))
    folded = fold(text)
    number = None
    if exact:
        number = int(exact.group(1))
        number = number if number <= MAX_NUMBER else None  # no No. is that large
        term = digits(exact.group(1))
    elif _PHONEISH.fullmatch(folded):
        term = digits(folded)
    else:
        term = folded
    if len(term) >= TRIGRAM:
        return Plan(number, term, "substring")
    if len(term) == 2 and any(is_cjk(ch) for ch in term):
        return Plan(number, term, "bigram")
    if exact:
        return Plan(number, term, "none")
    return Plan(None, term, "prefix", name_key(text)[:200])


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE's wildcards and escape character escaped (backslash)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching_ids(tenant_id: int, p: Plan) -> Select:
    """Ids of the tenant's customers whose document matches ``p`` (substring or bigram path)."""
    if db.session.get_bind().dialect.name == "postgresql":
        fn = func.baza_customer_search(
            tenant_id,
            like_pattern(p.term) if p.path == "substring" else None,
            p.term if p.path == "bigram" else None,
        ).table_valued("customer_id")
        return select(fn.c.customer_id)
    found = select(CustomerSearch.customer_id).where(
        CustomerSearch.tenant_id == tenant_id, func.instr(CustomerSearch.doc, p.term) > 0
    )
    if p.path == "substring":
        index, indexed, phrase = _FTS_DOC, _FTS_DOC.c.doc, fts_phrase(p.term)
    else:
        index, indexed, phrase = _FTS_GRAMS, _FTS_GRAMS.c.grams, bigram_token(p.term)
    if index.name in fts_tables():
        # the index's candidates, each re-checked by ``instr`` above: exact whatever the index
        # folds or splits (revision 0029)
        candidates = select(index.c.rowid).where(indexed.op("MATCH")(phrase))
        found = found.where(CustomerSearch.id.in_(candidates))
    return found


def fts_phrase(term: str) -> str:
    """``term`` as an FTS5 phrase (double quotes, inner ones doubled): matched as a substring
    by the trigram tokenizer, whatever operators or punctuation it holds."""
    return '"' + term.replace('"', '""') + '"'


def bigram_token(gram: str) -> str:
    """A 2-character ``gram`` as SQLite's bigram index stores it: its code points in hex
    (``华信`` → ``534ex4fe1``), one token no tokenizer splits or folds."""
    return "x".join(f"{ord(ch):x}" for ch in gram)


#: SQLite's indexes of the documents (revision 0029), and FTS5's own tables beside them: no
#: model declares them (``migrations/env.py`` keeps autogenerate from dropping them), so
#: they are named here as lightweight tables (no metadata).
FTS_TABLE = "customer_search_fts"
_FTS_DOC = table(FTS_TABLE, column("rowid", Integer), column("doc", Text))
_FTS_GRAMS = table(f"{FTS_TABLE}_grams", column("rowid", Integer), column("grams", Text))
_SQLITE_MASTER = table("sqlite_master", column("type", Text), column("name", Text))


def fts_tables() -> set[str]:
    """Which of revision 0029's indexes this database has: none on PostgreSQL, none on a
    SQLite without FTS5, the bigram one alone without the trigram tokenizer (3.34+). Asked
    each time (~10 µs): a migration may add or drop them while the app runs."""
    if db.session.get_bind().dialect.name != "sqlite":
        return set()
    names = db.session.scalars(
        select(_SQLITE_MASTER.c.name).where(
            _SQLITE_MASTER.c.type == "table",
            _SQLITE_MASTER.c.name.in_([_FTS_DOC.name, _FTS_GRAMS.name]),
        )
    )
    return set(names)


def is_fts_table(name: str | None) -> bool:
    return bool(name) and (name == FTS_TABLE or str(name).startswith(FTS_TABLE + "_"))


class _IdArray(TypeDecorator):
    """An ``integer[]`` parameter sent as one array literal (``{1,2,3}``) that the server reads
    as an ``integer[]`` constant: psycopg adapting a list of 6,429 ints one by one took ~6 ms,
    and a text parameter ``CAST`` to ``integer[]`` hides the array's length from the planner,
    which then probed the primary key 6,429 times rather than walk the No. index (27 vs 2 ms)."""

    impl = postgresql.ARRAY(Integer())
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else "{" + ",".join(str(int(v)) for v in value) + "}"

    def bind_processor(self, dialect: Any) -> Any:
        # not the ARRAY's own processor after ours: it would split the literal into elements
        process = self.process_bind_param
        return lambda value: process(value, dialect)

    def literal_processor(self, dialect: Any) -> Any:  # EXPLAIN with literal_binds (tests)
        return lambda value: "ARRAY[" + ",".join(str(int(v)) for v in value) + "]::integer[]"


_MEMO = "customer_search_ids"


def _request_ids(tenant_id: int, p: Plan, ids: Select) -> list[int]:
    """The ids ``ids`` selects, read once per request (and again after any document rewrite:
    ``_rewrite`` forgets them)."""
    memo: dict | None = None
    if has_app_context():
        memo = g.setdefault(_MEMO, {})
    key = (tenant_id, p)
    if memo is not None and key in memo:
        return memo[key]
    found = sorted(set(db.session.scalars(ids)))
    if memo is not None:
        memo[key] = found
    return found


def condition(tenant_id: int, q: str | None, model: Any = None) -> ColumnElement[bool] | None:
    """The SQL condition over ``Customer`` of quick search ``q`` (None: no search)."""
    from saas.customers.models import Customer

    p = plan(q)
    if p is None:
        return None
    if p.path in ("substring", "bigram"):
        ids = _matching_ids(tenant_id, p)
        if p.number is not None:
            exact = select(Customer.id).where(
                Customer.tenant_id == tenant_id, Customer.number == p.number
            )
            ids = union_all(exact, ids)  # type: ignore[assignment]
        if db.session.get_bind().dialect.name == "postgresql":
            # ``id = ANY(:ids)``: the lookup runs once per request (a page counts five tabs
            # and lists one: the same ids), then the primary key is probed per id — whatever
            # the (possibly stale) row estimates, which after a bulk load made ``IN (…)`` walk
            # the whole tenant in a nested loop
            return Customer.id == any_(bindparam(None, _request_ids(tenant_id, p, ids), _IdArray()))
        return Customer.id.in_(ids)
    if p.path == "none":
        return false() if p.number is None else Customer.number == p.number
    if not p.prefix:
        return false()
    # name_key keeps letters and digits only: no LIKE wildcard can be in it
    cond = Customer.name_key.like(f"{p.prefix}%")
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite's LIKE ignores ASCII case, so its index cannot serve it: add the range
        top = p.prefix + "\U0010ffff"
        cond = cond & (Customer.name_key >= p.prefix) & (Customer.name_key < top)
    return cond


# --- the reference (the semantics in plain Python, for the tests) ---------------------------------


def reference_match(
    q: str | None,
    *,
    number: int,
    name: str,
    name_key: str,
    city: str | None = None,
    comments: str | None = None,
    contacts: Sequence[ContactText] = (),
) -> bool:
    """Whether a customer with these values matches ``q``, by the rules of the module's
    docstring written field by field (no stored document)."""
    p = plan(q)
    if p is None:
        return True
    if p.number is not None and number == p.number:
        return True
    if p.path == "prefix":
        return bool(p.prefix) and name_key.startswith(p.prefix)
    if p.path == "none":
        return False
    fields = [fold(name), fold(city), fold(comments)]
    for c in contacts:
        fields.append(fold(c.name))
        fields += [f for raw, e164 in c.phones for f in phone_forms(raw, e164)]
        fields += [fold(e) for e in c.emails]
    return any(p.term in f for f in fields)


# --- highlighting ---------------------------------------------------------------------------------


def _folded_map(text: str, drop: str = "") -> tuple[str, list[int]]:
    """``text`` folded character by character, and the index in ``text`` of each folded one."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = _fold(ch)
        if ch.isspace():
            f = " "
        for c in f:
            if c in drop:
                continue
            out.append(c)
            where.append(i)
    return "".join(out), where


def highlight(text: Any, q: Any) -> Markup:
    """``text`` escaped, with what quick search ``q`` matched in it wrapped in ``<mark>``."""
    text = "" if text is None else str(text)
    p = plan(q) if isinstance(q, str) else None
    if not text or p is None or not p.term or p.path == "none":
        return Markup(escape(text))  # noqa: S704 (escaped)
    phone = p.term.isdigit()
    folded, where = _folded_map(text, " -().+/" if phone else "")
    if not phone:  # whitespace runs fold to one space
        collapsed, kept = [], []
        for c, i in zip(folded, where, strict=True):
            if c == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(c)
            kept.append(i)
        folded, where = "".join(collapsed), kept
    term = p.term
    if p.path == "prefix":
        term = fold(single_line(q))
        if not folded.startswith(term):
            return Markup(escape(text))  # noqa: S704 (escaped)
    spans: list[tuple[int, int]] = []
    start = folded.find(term)
    while start >= 0 and term:
        end = start + len(term)
        spans.append((where[start], where[end - 1] + 1))
        start = folded.find(term, end)
    if not spans:
        return Markup(escape(text))  # noqa: S704 (escaped)
    out, pos = Markup(""), 0
    for a, b in spans:
        if a < pos:
            continue
        out += escape(text[pos:a]) + Markup("<mark>") + escape(text[a:b]) + Markup("</mark>")
        pos = b
    return out + escape(text[pos:])


# --- maintenance ----------------------------------------------------------------------------------

_PENDING = "customer_search_pending"


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def documents(conn: Any, tenant_id: int, customer_ids: Iterable[int]) -> dict[int, str]:
    """``{customer id: document}`` read from the tables through ``conn`` (a session or a
    connection); customers that do not exist are left out."""
    from saas.contacts.models import Contact, ContactEmail, ContactPhone
    from saas.customers.models import Customer

    customers, contacts, phones, emails = (
        Customer.__table__,
        Contact.__table__,
        ContactPhone.__table__,
        ContactEmail.__table__,
    )
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(set(customer_ids))):
        rows = conn.execute(
            select(customers.c.id, customers.c.name, customers.c.city, customers.c.comments).where(
                customers.c.tenant_id == tenant_id, customers.c.id.in_(chunk)
            )
        ).all()
        people: dict[int, ContactText] = {}
        of: dict[int, list[ContactText]] = {}
        for cid, customer_id, name in conn.execute(
            select(contacts.c.id, contacts.c.customer_id, contacts.c.name)
            .where(contacts.c.tenant_id == tenant_id, contacts.c.customer_id.in_(chunk))
            .order_by(contacts.c.id)
        ):
            people[cid] = ContactText(name)
            of.setdefault(customer_id, []).append(people[cid])
        if people:
            for contact_id, raw, e164 in conn.execute(
                select(phones.c.contact_id, phones.c.raw, phones.c.e164)
                .where(phones.c.tenant_id == tenant_id, phones.c.contact_id.in_(list(people)))
                .order_by(phones.c.id)
            ):
                people[contact_id].phones.append((raw, e164))
            for contact_id, email in conn.execute(
                select(emails.c.contact_id, emails.c.email)
                .where(emails.c.tenant_id == tenant_id, emails.c.contact_id.in_(list(people)))
                .order_by(emails.c.id)
            ):
                people[contact_id].emails.append(email)
        for cid, name, city, comments in rows:
            out[cid] = document(name, city, comments, of.get(cid, ()))
    return out


def documents_in_range(conn: Any, tenant_id: int, low: int, high: int) -> dict[int, str]:
    """``{customer id: document}`` of the tenant's customers with ``low <= id < high``: four
    range reads (customers by key, contacts through ``(tenant_id, customer_id, id)``, phones and
    emails joined to them), for backfills — no long ``IN`` lists."""
    from saas.contacts.models import Contact, ContactEmail, ContactPhone
    from saas.customers.models import Customer

    cu, co, ph, em = (
        Customer.__table__,
        Contact.__table__,
        ContactPhone.__table__,
        ContactEmail.__table__,
    )
    in_range = (co.c.tenant_id == tenant_id) & (co.c.customer_id >= low) & (co.c.customer_id < high)
    people: dict[int, ContactText] = {}
    of: dict[int, list[ContactText]] = {}
    for cid, customer_id, name in conn.execute(
        select(co.c.id, co.c.customer_id, co.c.name).where(in_range).order_by(co.c.id)
    ):
        people[cid] = ContactText(name)
        of.setdefault(customer_id, []).append(people[cid])
    for contact_id, raw, e164 in conn.execute(
        select(ph.c.contact_id, ph.c.raw, ph.c.e164)
        .join(co, (co.c.tenant_id == ph.c.tenant_id) & (co.c.id == ph.c.contact_id))
        .where(in_range)
        .order_by(ph.c.id)
    ):
        people[contact_id].phones.append((raw, e164))
    for contact_id, email in conn.execute(
        select(em.c.contact_id, em.c.email)
        .join(co, (co.c.tenant_id == em.c.tenant_id) & (co.c.id == em.c.contact_id))
        .where(in_range)
        .order_by(em.c.id)
    ):
        people[contact_id].emails.append(email)
    rows = conn.execute(
        select(cu.c.id, cu.c.name, cu.c.city, cu.c.comments).where(
            cu.c.tenant_id == tenant_id, cu.c.id >= low, cu.c.id < high
        )
    )
    return {
        cid: document(name, city, comments, of.get(cid, ())) for cid, name, city, comments in rows
    }


def rows_for(tenant_id: int, docs: dict[int, str]) -> list[dict[str, Any]]:
    """``customer_search`` rows of ``docs``."""
    return [
        {
            "tenant_id": tenant_id,
            "customer_id": cid,
            "doc": doc,
            "grams": [gram_key(tenant_id, g) for g in bigrams(doc)],
        }
        for cid, doc in docs.items()
    ]


def refresh(conn: Any, tenant_id: int, customer_ids: Iterable[int]) -> None:
    """Rewrite the search documents of ``customer_ids`` (of ``tenant_id``) from the tables."""
    table = CustomerSearch.__table__
    ids = sorted(set(customer_ids))
    for chunk in _chunks(ids):
        docs = documents(conn, tenant_id, chunk)
        conn.execute(
            delete(table).where(table.c.tenant_id == tenant_id, table.c.customer_id.in_(chunk))
        )
        if docs:
            conn.execute(insert(table), rows_for(tenant_id, docs))


_WATCHED = {
    "customers": ("name", "city", "comments"),
    "contacts": ("name", "customer_id"),
    "contact_phones": ("raw", "e164", "customer_id", "contact_id"),
    "contact_emails": ("email", "customer_id", "contact_id"),
}


def _affected(obj: Any, attrs: tuple[str, ...], *, changed_only: bool) -> set[int]:
    """Customer ids whose document ``obj``'s change touches."""
    from sqlalchemy import inspect

    table = obj.__tablename__
    key = "id" if table == "customers" else "customer_id"
    state = inspect(obj)
    ids: set[int] = set()
    if changed_only:
        changed = False
        for attr in attrs:
            hist = state.attrs[attr].history
            if hist.has_changes():
                changed = True
                if attr == key:
                    ids.update(v for v in hist.deleted if v is not None)
        if not changed:
            return set()
    value = getattr(obj, key, None)
    if value is not None:
        ids.add(value)
    return ids


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: object) -> None:
    pending: dict[int, set[int]] = session.info.setdefault(_PENDING, {})
    for group, changed_only in (
        (session.new, False),
        (session.dirty, True),
        (session.deleted, False),
    ):
        for obj in group:
            attrs = _WATCHED.get(getattr(obj, "__tablename__", ""))
            if attrs is None:
                continue
            if obj in session.deleted and obj.__tablename__ == "customers":
                continue  # its document goes with it (ON DELETE CASCADE)
            ids = _affected(obj, attrs, changed_only=changed_only)
            if ids and obj.tenant_id is not None:
                pending.setdefault(obj.tenant_id, set()).update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _rewrite(session: Session, flush_context: object) -> None:
    pending = session.info.pop(_PENDING, None)
    for tenant_id, ids in (pending or {}).items():
        refresh(session, tenant_id, ids)
    if pending and has_app_context():
        g.pop(_MEMO, None)  # documents changed: the request's found ids may be stale


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- PostgreSQL DDL (revision 0019) ---------------------------------------------------------------


#: The lookups ``baza_customer_search`` runs ($1 the tenant, $2 the pattern or bigram key). The
#: key names the tenant; ``tenant_id + 0`` checks it again without letting the planner AND the
#: tenant's whole ``tenant_id`` index into the GIN bitmap (see the module's docstring).
GRAM_LOOKUP = (
    "SELECT s.customer_id FROM customer_search s "
    "WHERE s.grams @> ARRAY[$2]::text[] AND s.tenant_id + 0 = $1"
)
LIKE_LOOKUP = "SELECT s.customer_id FROM customer_search s WHERE s.tenant_id = $1 AND s.doc LIKE $2"


def function_sql(role: str) -> list[str]:
    """The SECURITY DEFINER lookup (see the module's docstring) and its grant to ``role``."""
    from saas.tenancy.rls import _ident

    r = _ident(role)
    return [
        "CREATE OR REPLACE FUNCTION baza_customer_search(p_tenant integer, p_like text, "
        "p_gram text) RETURNS TABLE (customer_id integer) LANGUAGE plpgsql STABLE "
        "SECURITY DEFINER SET search_path = public, pg_temp ROWS 100 AS $fn$ BEGIN "
        "IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM "
        "NULLIF(current_setting('app.tenant_id', true), '')::integer THEN RETURN; END IF; "
        f"IF p_gram IS NOT NULL THEN RETURN QUERY EXECUTE '{GRAM_LOOKUP}' "
        "USING p_tenant, p_tenant::text || ':' || p_gram; "
        f"ELSIF p_like IS NOT NULL THEN RETURN QUERY EXECUTE '{LIKE_LOOKUP}' "
        "USING p_tenant, p_like; "
        "END IF; END $fn$",
        "REVOKE ALL ON FUNCTION baza_customer_search(integer, text, text) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION baza_customer_search(integer, text, text) TO {r}",
    ]
