"""The rows of the Customers grid, drawn in Python.

The grid's hottest output: 50-200 rows of up to ~30 columns per page turn and per keystroke of
a quick search, and the printed list's 500. As a Jinja loop it cost ~0.2 ms a row (a call, an
escape and a yield per piece, the locale looked up per number); here each cell is one small
function of its column's ``cell`` kind (``columns.Column``), the words, labels, URLs and the CSRF
token are set up once per page, and every value is escaped by markupsafe as Jinja would
(docs/PERFORMANCE.md has the figures). ``templates/customers/_rows.html`` calls ``render``: the
list, a page turn, a claimed row (htmx swaps it in place) and the printed list share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from saas import formatting
from saas.auth.models import User
from saas.customers.columns import Column
from saas.customers.grid import cf_texts
from saas.customers.models import KIND_LABELS, STAGE_LABELS, Customer
from saas.customers.search import highlight
from saas.web import id_url

DASH = "—"


@dataclass
class _Page:
    """What every row of one page shares: the reader, the search, words and URLs."""

    me: int
    q: str
    show_url: Callable[[int], str]
    number: Callable[[Any], str]
    words: dict[str, str]
    kinds: dict[str, str]
    stages: dict[str, str]
    countries: dict[str, str] = field(default_factory=dict)

    def country(self, code: str) -> str:
        name = self.countries.get(code)
        if name is None:
            name = self.countries[code] = formatting.country_name(code)
        return name


def _text(value: Any) -> str:
    return DASH if value is None or value == "" else str(escape(value))


def _number(c: Column, customer: Customer, page: _Page) -> str:
    return str(escape(page.number(customer.number)))


def _name(c: Column, customer: Customer, page: _Page) -> str:
    out = f'<a href="{page.show_url(customer.id)}">{highlight(customer.name, page.q)}</a>'
    if customer.locked:
        out += f' <span class="badge badge-warn">{page.words["locked"]}</span>'
    return out


def _kind(c: Column, customer: Customer, page: _Page) -> str:
    return _text(page.kinds.get(customer.kind, customer.kind))


def _badge(entry: Any) -> str:
    return f'<span class="{escape(entry.badge_class)}">{escape(entry.name)}</span>'


def _entry(c: Column, customer: Customer, page: _Page) -> str:
    if c.key == "stage":  # the company's name for it, else the built-in stage's
        entry = customer.stage_entry
        if entry is not None:
            return _text(entry.name)
        return _text(page.stages.get(customer.stage, customer.stage))
    entry = getattr(customer, c.attr or "")
    return _badge(entry) if entry else DASH


def _tags(c: Column, customer: Customer, page: _Page) -> str:
    tags = customer.tags
    if not tags:
        return DASH
    return '<span class="badges">' + "".join(_badge(t) for t in tags) + "</span>"


def _country(c: Column, customer: Customer, page: _Page) -> str:
    return _text(page.country(customer.country)) if customer.country else DASH


def _numberish(c: Column, customer: Customer, page: _Page) -> str:
    value = getattr(customer, c.attr or "")
    return DASH if value is None else str(escape(page.number(value)))


def _user(c: Column, customer: Customer, page: _Page) -> str:
    if c.key == "owner":
        if customer.owner_id is None:
            return f'<span class="badge">{page.words["pool"]}</span>'
        if customer.owner_id == page.me:
            return page.words["you"]
        owner = customer.owner
        return _text(owner.name) if owner else DASH
    if customer.created_by_id == page.me:
        return page.words["you"]
    creator = customer.__dict__.get("_created_by")  # set by grid.build / the printout
    return _text(creator.name) if creator else DASH


def _datetime(c: Column, customer: Customer, page: _Page) -> str:
    value = getattr(customer, c.attr or "")
    return _text(formatting.user_datetime(value)) if value else DASH


def _bool(c: Column, customer: Customer, page: _Page) -> str:
    return page.words["yes"] if getattr(customer, c.attr or "") else page.words["no"]


def _plain(c: Column, customer: Customer, page: _Page) -> str:
    value = getattr(customer, c.attr or "")
    if c.key in ("city", "comments"):
        return str(highlight(value, page.q)) if value else DASH
    return _text(value or None)


#: How each ``Column.cell`` kind draws (``custom`` reads the row's custom-field texts).
CELLS: dict[str, Callable[[Column, Customer, _Page], str]] = {
    "number": _number,
    "name": _name,
    "kind": _kind,
    "entry": _entry,
    "tags": _tags,
    "country": _country,
    "numberish": _numberish,
    "user": _user,
    "datetime": _datetime,
    "bool": _bool,
}


def render(
    customers: Iterable[Customer],
    columns: list[Column],
    *,
    actor: User,
    q: str = "",
    select: bool = True,
    printing: bool = False,
) -> Markup:
    """The ``<tr>`` of each customer: a checkbox for the batch form (``select``), the cells of
    ``columns``, and a Claim button for a pool customer (pool access); ``printing``: the
    cells alone."""
    page = _Page(
        me=actor.id,
        q=q or "",
        show_url=id_url("customers.show", "customer_id"),
        number=formatting.number_formatter(),
        words={
            k: str(escape(v))
            for k, v in {
                "locked": _("locked"),
                "pool": _("in the pool"),
                "you": _("you"),
                "yes": _("Yes"),
                "no": _("No"),
            }.items()
        },
        kinds={k: str(v) for k, v in KIND_LABELS.items()},
        stages={k: str(v) for k, v in STAGE_LABELS.items()},
    )
    select = select and not printing
    claim_url = None
    if not printing and actor.can("customers.pool"):
        claim_url = id_url("customers.claim", "customer_id")
        claim = escape(_("Claim"))
        claim_tail = (
            f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
            f'<button type="submit" class="button button-small">{claim}</button></form>'
        )
    select_label = _("Select %(name)s")  # formatted per row
    heads = []
    for c in columns:
        numeric = c.numeric or c.cell == "number"
        num = ' class="num"' if numeric else ""
        heads.append(f'<td data-label="{escape(str(c.label))}"{num}>')
    draw = [(head, c, CELLS.get(c.cell, _plain)) for head, c in zip(heads, columns, strict=True)]
    custom = any(c.cell == "custom" for c in columns)
    out: list[str] = []
    for customer in customers:
        cid = int(customer.id)
        out.append(f'<tr id="customer-{cid}">' if not printing else "<tr>")
        if select:
            label = escape(select_label % {"name": customer.name})
            out.append(
                f'<td class="select-col"><input type="checkbox" name="ids" value="{cid}"'
                f' form="batch-form" id="select-{cid}" aria-label="{label}"></td>'
            )
        texts = cf_texts(customer, columns) if custom else {}
        for head, c, cell in draw:
            out.append(head)
            if c.cell == "custom":
                out.append(_text(texts.get((c.key or "")[3:]) or None))
            else:
                out.append(cell(c, customer, page))
            out.append("</td>")
        if not printing:
            out.append('<td class="row-actions">')
            if claim_url is not None and customer.owner_id is None:
                url = claim_url(cid)
                out.append(
                    f'<form action="{url}" method="post" class="inline-form" hx-post="{url}"'
                    f' hx-target="#customer-{cid}" hx-swap="outerHTML">{claim_tail}'
                )
            out.append("</td>")
        out.append("</tr>\n")
    return Markup("".join(out))  # noqa: S704 (every value escaped above)
