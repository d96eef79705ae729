"""Printed customer sheets: one customer as a PDF, or many merged into one (an RQ job).

A sheet is what the card shows (details, list entries, tags, custom fields, contacts with
phones and birthdays, the latest ``HISTORY_LINES`` lines of history, the files) with the
company's logo and name, the print date in the reader's zone and calendar and page numbers,
in the reader's language (right to left for Persian). Access is the card's: the customer is
read through ``customers.service.get_customer`` (404 for another tenant's id, another rep's
customer, a trashed one), pool customers' phones and emails stay masked as on the card.

Batches (``start_batch``) run on the ``documents`` queue as the tracked job
``printouts.batch``: each id the actor may see becomes a sheet, the others are counted as
"not found" together (never told apart); the merged PDF is stored (``storage.put_new``) and
offered for ``EXPIRES_AFTER``; after that the download answers 410 and the file is deleted
(at the download, or by the scheduler's ``tasks.sweep_expired_printouts``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, render_template, url_for
from flask_babel import force_locale, get_locale, ngettext, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas import errors, progress, storage
from saas.auth.models import User
from saas.errors import Gone, NotFound, ValidationFailed
from saas.extensions import db
from saas.formatting import number
from saas.jobs import job
from saas.printouts import fonts, render
from saas.progress.models import JobRecord, JobStatus
from saas.progress.service import KINDS, Kind
from saas.utils import utcnow
from saas.web import text_direction

KIND = "printouts.batch"
KINDS[KIND] = Kind(_l("Printing customer sheets"), "customers.view_all")

#: History lines (notes and changes, newest first) a sheet shows.
HISTORY_LINES = 20
#: Most customers one batch prints (one merged PDF is held in memory while it is written).
MAX_IDS = 500
#: How long a merged PDF can be downloaded.
EXPIRES_AFTER = timedelta(hours=24)
#: Job kinds whose result holds an expiring file (``file``, ``expires_at``): the hourly sweep
#: (``expire_printouts``) deletes the files of them all. Exports add theirs.
EXPIRING_KINDS: set[str] = {KIND}
#: Sheets laid out between two progress commits.
CHUNK = 10


class Expired(Gone):
    def default_message(self) -> str:
        return str(_l("This download has expired. Print the customers again."))


class NotReady(errors.NotReady):
    def default_message(self) -> str:
        return str(_l("The printout is not ready yet."))


def _logo_uri(tenant: Any) -> str | None:
    if not getattr(tenant, "logo_key", None):
        return None
    data = storage.get_storage().get(tenant.id, tenant.logo_key)
    if not data:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def sheet_context(actor: User, customer_id: int) -> dict[str, Any]:
    """Everything the sheet of ``customer_id`` shows, read as ``actor`` (``NotFound`` when the
    card would be)."""
    from saas.attachments import service as attachments
    from saas.contacts import service as contacts
    from saas.customers import fields, history, lists, pool
    from saas.customers import service as customers

    customer = customers.get_customer(actor, customer_id)
    return {
        "customer": customer,
        "tags": lists.tags_of(customer),
        "custom_fields": fields.shown(customer),
        "contacts": contacts.contacts_of(customer),
        "masked": pool.masked(actor, customer),
        "history": history.history(actor=actor, customer_id=customer.id, limit=HISTORY_LINES).items,
        "attachments": attachments.list_attachments(actor=actor, customer_id=customer.id),
        "company": actor.tenant,
        "logo": _logo_uri(actor.tenant),
        "printed_at": utcnow(),
        "reader": actor,
    }


def _texts(context: dict[str, Any]) -> list[str]:
    """The user-typed texts of a sheet (to know whether it needs a CJK font)."""
    c = context["customer"]
    texts = [c.name, c.city, c.address, c.comments, c.purchase_preferences, context["company"].name]
    texts += [text for _f, text in context["custom_fields"]] + [t.name for t in context["tags"]]
    for contact in context["contacts"]:
        texts += [contact.name, contact.position, contact.interests, contact.notes]
    for item in context["history"]:
        if item.note is not None:
            texts.append(item.note.text)
        elif item.description is not None:
            texts.append(str(item.description.sentence))
    texts += [a.name for a in context["attachments"]]
    return [t for t in texts if t]


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css() -> str:
    """ "Page 2 of 5" in the reader's language as a CSS ``content`` value with live counters
    (Persian counts in Persian digits)."""
    style = "persian" if str(get_locale() or "en") == "fa" else "decimal"
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    parts = []
    for chunk in text.replace("\x02", "\x00\x02\x00").replace("\x01", "\x00\x01\x00").split("\x00"):
        if chunk == "\x01":
            parts.append(f"counter(page, {style})")
        elif chunk == "\x02":
            parts.append(f"counter(pages, {style})")
        elif chunk:
            parts.append(_css_string(chunk))
    return " ".join(parts)


def sheet_html(actor: User, customer_id: int) -> str:
    """The sheet as HTML for WeasyPrint (rendered in the current reader's language)."""
    context = sheet_context(actor, customer_id)
    language = str(get_locale() or "en")
    return render_template(
        "printouts/sheet.html",
        **context,
        lang=language,
        direction=text_direction(),
        page_counter=page_counter_css(),
        font_faces=fonts.font_face_css(),
        font_stack=fonts.font_stack(language),
        missing_cjk=fonts.missing_cjk(
            *_texts(context), str(_("Printed")), str(context["customer"].stage_label)
        ),
        cjk_package=fonts.CJK_PACKAGE,
    )


def customer_sheet_pdf(actor: User, customer_id: int) -> tuple[int, bytes]:
    """The PDF sheet of one customer ``actor`` may see (``NotFound`` otherwise), with the
    customer's No. (for the file name)."""
    html = sheet_html(actor, customer_id)
    from saas.customers.service import get_customer

    return get_customer(actor, customer_id).number, render.pdf(html)


# --- batches ---------------------------------------------------------------------------------


def clean_ids(ids: Any) -> list[int]:
    """The ids of a batch: JSON integers, at least one, at most ``MAX_IDS``, each once."""
    if not isinstance(ids, list) or not ids:
        raise ValidationFailed(_("Choose at least one customer."), code="customer_ids")
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise ValidationFailed(_("Choose one of the offered values."), code="customer_ids")
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_IDS:
        raise ValidationFailed(
            _("Print at most %(n)s customers at once.", n=number(MAX_IDS)), code="too_many"
        )
    return unique


def start_batch(*, actor: User, ids: Any) -> JobRecord:
    """Queue one merged PDF of the sheets of ``ids`` on the ``documents`` queue (tracked)."""
    ids = clean_ids(ids)
    record = progress.create_job(KIND, actor=actor, total=len(ids))
    from saas.jobs import enqueue_after_commit

    enqueue_after_commit(print_batch, record.tenant_id, record.id, ids, actor_id=actor.id)
    return record


@contextmanager
def reading_as(actor: User) -> Iterator[None]:
    """Render as ``actor`` would read it in a request: their language, zone and calendar (jobs
    have no request; the formatting helpers read ``current_user``)."""
    base = current_app.config.get("BASE_URL") or "http://localhost/"
    with current_app.test_request_context("/", base_url=base), force_locale(actor.language or "en"):
        g._login_user = actor
        refresh()
        try:
            yield
        finally:
            g.pop("_login_user", None)
            refresh()


def summary(printed: int, missing: int, total: int) -> list[str]:
    lines = [
        ngettext(
            "%(n)s customer sheet printed.",
            "%(n)s customer sheets printed.",
            printed,
            n=number(printed),
        )
    ]
    if missing:
        lines.append(
            ngettext(
                "%(count)s of %(total)s was not found (deleted, or not yours to see).",
                "%(count)s of %(total)s were not found (deleted, or not yours to see).",
                missing,
                count=number(missing),
                total=number(total),
            )
        )
    return lines


@job("documents", retries=0)
def print_batch(tenant_id: int, record_id: int, ids: list[int]) -> None:
    """Tracked: each visible customer's sheet, merged into one stored PDF; the result holds the
    summary, the download link and its expiry."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    if actor is None or not actor.is_active:
        return
    with reading_as(actor), progress.track(record_id) as tracker:
        tracker.set_total(len(ids))
        documents, missing = [], 0
        for i, customer_id in enumerate(ids, 1):
            try:
                documents.append(render.document(sheet_html(actor, customer_id)))
            except NotFound:
                missing += 1
            tracker.advance(1, commit=i % CHUNK == 0)
        result: dict[str, Any] = {
            "count": len(documents),
            "missing": missing,
            "summary": summary(len(documents), missing, len(ids)),
        }
        if documents:
            data = render.to_pdf(documents)
            key = storage.unique_key("printouts/batch", "pdf")
            storage.put_new(tenant_id, key, data)
            result |= {
                "file": key,
                "size": len(data),
                "expires_at": (utcnow() + EXPIRES_AFTER).isoformat(),
                "download_url": url_for("printouts.download", job_id=record_id),
            }
        tracker.record.result = result


def _printout(viewer: User, job_id: int) -> JobRecord:
    record = progress.get_job(viewer=viewer, job_id=job_id)
    if record.kind != KIND:
        raise NotFound()
    return record


def get_printout(*, viewer: User, job_id: int) -> JobRecord:
    """A batch printout's record ``viewer`` may follow (``NotFound`` otherwise)."""
    return _printout(viewer, job_id)


def expires_at(record: JobRecord) -> datetime | None:
    value = (record.result or {}).get("expires_at")
    return datetime.fromisoformat(value) if value else None


def downloadable(record: JobRecord, now: datetime | None = None) -> bool:
    """Whether the merged PDF of ``record`` may still be downloaded."""
    until = expires_at(record)
    return (
        bool((record.result or {}).get("file")) and until is not None and until > (now or utcnow())
    )


def expired(record: JobRecord, now: datetime | None = None) -> bool:
    """Whether ``record`` had a merged PDF whose time is over."""
    result = record.result or {}
    return bool(result.get("expired")) or (
        bool(result.get("file")) and not downloadable(record, now)
    )


def download(*, viewer: User, job_id: int) -> tuple[JobRecord, bytes]:
    """The merged PDF of a finished batch: 409 while it runs, 410 once expired (the file is
    deleted at once: the refusal's transaction rolls back, the deletion must not wait for it)."""
    record = _printout(viewer, job_id)
    if record.status != JobStatus.SUCCEEDED:
        raise NotReady()
    result = record.result or {}
    if expired(record):
        if result.get("file"):
            storage.get_storage().delete(record.tenant_id, result["file"])
        raise Expired()
    if not result.get("file"):
        raise NotFound(_("Nothing was printed: none of the customers could be found."))
    data = storage.get_storage().get(record.tenant_id, result["file"])
    if data is None:
        raise Expired()
    return record, data


def _expire(record: JobRecord) -> None:
    result = dict(record.result or {})
    key = result.pop("file", None)
    if key:
        storage.delete_after_commit(record.tenant_id, key)
        result.pop("download_url", None)
        result["expired"] = True
        record.result = result


def expire_printouts(now: datetime | None = None) -> int:
    """Delete the current tenant's files of ``EXPIRING_KINDS`` (merged PDFs, exports) past
    their expiry; how many."""
    now = now or utcnow()
    expired = 0
    for record in db.session.scalars(
        select(JobRecord).where(
            JobRecord.kind.in_(sorted(EXPIRING_KINDS)),
            JobRecord.status == JobStatus.SUCCEEDED,
            JobRecord.created_at <= now - EXPIRES_AFTER,  # expiry counts from the end
        )
    ):
        if (record.result or {}).get("file") and not downloadable(record, now):
            _expire(record)
            expired += 1
    db.session.flush()
    return expired


# --- the list printout ------------------------------------------------------------------------

#: Most rows a list printout holds (a longer list says how many it leaves out). It is laid
#: out in the request: 1,000 rows take ~10 s of CPU (docs/PERFORMANCE.md), too long for one.
LIST_MAX = 500
#: More visible columns than this print on a landscape page.
PORTRAIT_COLUMNS = 6


def list_html(actor: User, state: Any) -> str:
    """The current list (``customers.state.ListState``: view, quick search, query, sort,
    columns) as HTML for WeasyPrint: its first ``LIST_MAX`` rows in the chosen columns, the
    header row repeated on every page, landscape when wide. Access is the list's (a view not
    the actor's is ``PermissionDenied``); a bad query or sort is a 422, never ignored on paper."""
    from saas.customers import fields, grid, lists
    from saas.customers import service as customers
    from saas.customers.models import Customer

    node, error = grid.parse_query(actor, state.query)
    if error:
        raise ValidationFailed(error["message"], code="query")
    if sort_error := grid.check_sort(state):
        raise ValidationFailed(sort_error["message"], code="sort")
    _available, shown = grid.visible_columns(actor, state)
    rows: list[Customer] = []
    cursor = None
    while len(rows) < LIST_MAX:
        page = customers.list_customers(
            actor=actor,
            view=state.view,
            cursor=cursor,
            limit=min(200, LIST_MAX - len(rows)),
            q=state.q,
            query=node,
            sort=state.sort or None,
        )
        rows.extend(page.items)
        if not page.next:
            break
        cursor = page.next
    keys = {c.key for c in shown}
    if "tags" in keys:
        lists.prefetch(rows)
    if any(c.cell == "custom" for c in shown):
        fields.prefetch(rows)
    if "created_by" in keys:
        ids = {c.created_by_id for c in rows if c.created_by_id}
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
        for customer in rows:
            customer.__dict__["_created_by"] = users.get(customer.created_by_id)
    total = customers.count_view(actor, state.view, state.q, query=node)
    language = str(get_locale() or "en")
    return render_template(
        "printouts/list.html",
        rows=rows,
        columns=shown,
        total_text=_("%(n)s+", n=number(customers.COUNT_CAP))
        if total > customers.COUNT_CAP
        else number(total),
        capped=total > len(rows),
        state=state,
        q=state.q,
        company=actor.tenant,
        logo=_logo_uri(actor.tenant),
        printed_at=utcnow(),
        reader=actor,
        lang=language,
        direction=text_direction(),
        landscape=len(shown) > PORTRAIT_COLUMNS,
        page_counter=page_counter_css(),
        font_faces=fonts.font_face_css(),
        font_stack=fonts.font_stack(language),
        missing_cjk=fonts.missing_cjk(*(r.name for r in rows), actor.tenant.name),
        cjk_package=fonts.CJK_PACKAGE,
    )


def list_pdf(actor: User, state: Any) -> bytes:
    """The current list as a PDF (see ``list_html``)."""
    return render.pdf(list_html(actor, state))
