"""Customer exports: the current list, a segment or the whole base, to xlsx or CSV.

**Source.** An export is a list state (``view``, ``q``, ``query``, ``sort``, ``cols``) — the
Customers page's URL state, a segment's stored state (``segment``; ``view``/``q``/``query``/
``sort`` beside it replace the segment's, like ``GET /api/v1/customers?segment=``) or the whole
base (view ``all``). It is checked as the actor with ``segments.clean_state``/``state_of`` (a view
the actor may not open is a 403, a tree that does not parse a 422 with its path, another user's
private segment or another tenant's is a 404) and its rows are read with
``customers.service.list_customers`` — the very function the grid pages with: the visibility rule
of the view first, then the quick search and the query, in the list's sort, by keyset pages of
``CHUNK`` rows (never OFFSET, never every row in memory). So the exported rows are the list's rows.

**Columns** are the list's visible columns (``grid.visible_columns``: the state's ``cols``, else the
user's saved choice, else the defaults), headers translated in the actor's language, values typed
(``writers``): numbers as numbers, money as ``Money`` (Decimal), dates as dates and datetimes in the
actor's zone, list entries by their name, owner and creator by name, tags and multi-choice
values joined. Every text cell is neutralised by the writer (formula injection: a ``'`` in CSV,
``quotePrefix`` in xlsx).

**Contacts**: ``none``; ``rows`` — each customer's contacts on the rows under it, in the contact
columns appended to the right (xlsx and CSV); ``sheet`` — a second sheet "Contacts" with the
customer's No. and name on each contact (xlsx only: a CSV file has one sheet, and a zip of two
CSV files is a worse thing to open in Excel than an xlsx; ``sheet`` with CSV is a 422). Phones and
emails of pool customers stay masked as on the card when the company masks them.

**Run.** Up to ``SYNC_LIMIT`` matching rows are written in the request (the job record is created
already finished); more become the tracked job ``exports.run`` on the ``documents`` queue, which
re-checks the source as the actor is *then*, counts the rows for the bar and commits its progress
after every chunk. Either way the file is stored (``storage.put_new_file``) and offered for
``EXPIRES_AFTER`` (24 h, like printouts) at ``GET /exports/<id>/download``; afterwards the download
answers 410 and the file is deleted (at the download, or by the scheduler's hourly
``printouts.tasks.sweep_expired_printouts``, which expires every kind of ``EXPIRING_KINDS``).

**Audit.** Every export records the event ``exports.run`` (``audit.service.record_event``) with
the format, the contacts option, the source (the list state as JSON and the segment's id and
name), the columns, the row count and the customers exported: their ids inline when at most
``AUDIT_IDS_INLINE``, else the key of a gzipped id list (one id a line, in the file's order) kept
in storage beside the audit trail. "Who exported which rows when" is answered by the entry (who,
when, what) and that list (which rows), not by re-running a query that may have changed since.
The list lives as long as its entry: audit entries are never deleted, so it is never swept; it
is stored in the entry's transaction (``put_new_file``), so a rolled-back export leaves none.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas import errors, progress, storage
from saas.access import authorize
from saas.audit.describe import EVENTS
from saas.auth.models import User
from saas.errors import Gone, NotFound, PermissionDenied, ValidationFailed
from saas.exports.writers import Money, writer_for
from saas.extensions import db
from saas.formatting import number
from saas.jobs import enqueue_after_commit, job
from saas.printouts import service as printouts
from saas.progress.models import JobRecord, JobStatus
from saas.progress.service import KINDS, Kind
from saas.utils import utcnow

KIND = "exports.run"
#: Who may follow another user's export job (its creator always may). Downloading also needs
#: ``PERMISSION``.
KINDS[KIND] = Kind(_l("Exporting customers"), "customers.view_all")
printouts.EXPIRING_KINDS.add(KIND)
EVENTS["exports.run"] = _l("%(actor)s exported customers")

PERMISSION = "customers.export"
FORMATS = ("xlsx", "csv")
CONTACTS = ("none", "rows", "sheet")
#: Rows written in the request; more run as a job.
SYNC_LIMIT = 500
#: Rows per keyset page (``list_customers``' largest page) and per committed progress step.
CHUNK = 200
#: Rows between two progress commits of a job.
COMMIT_ROWS = 1000
#: How long a file can be downloaded (the printouts' expiry).
EXPIRES_AFTER = printouts.EXPIRES_AFTER
#: Customer ids written into the audit entry itself; more go to a gzipped list in storage.
AUDIT_IDS_INLINE = 1000
#: An export job may run this long (a million rows take minutes, RQ's default is 3).
JOB_TIMEOUT = 6 * 3600

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class Expired(Gone):
    def default_message(self) -> str:
        return str(_l("This download has expired. Export the customers again."))


class NotReady(errors.NotReady):
    def default_message(self) -> str:
        return str(_l("The export is not ready yet."))


@dataclass
class Spec:
    """What to export, as JSON-able values (a job's argument)."""

    format: str
    contacts: str
    view: str
    q: str | None = None
    #: the query tree (JSON), or None
    query: Any = None
    sort: str | None = None
    cols: list[str] | None = None
    segment_id: int | None = None
    segment_name: str | None = None
    source: str = "list"  # list | segment | all

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- checking the request --------------------------------------------------------------------


def _choice(value: Any, allowed: tuple[str, ...], code: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed(_("Choose one of the offered values."), code=code)
    return value


def prepare(
    actor: User,
    *,
    format: Any = "xlsx",
    contacts: Any = "none",
    view: Any = None,
    q: Any = None,
    query: Any = None,
    sort: Any = None,
    cols: Any = None,
    segment: Any = None,
    whole: bool = False,
) -> tuple[Spec, Any]:
    """Check an export request as ``actor`` (the permission first): ``(spec, state)`` where
    ``state`` is the validated ``segments.ListState`` (its parsed query node). A list (``view``,
    ``q``, ``query`` tree, ``sort``, ``cols``), a segment id (``view``… beside it replace the
    segment's), or ``whole`` (view "all")."""
    from saas.customers import segments

    authorize(actor, PERMISSION)
    format = _choice(format, FORMATS, "format")
    contacts = _choice(contacts, CONTACTS, "contacts")
    if format == "csv" and contacts == "sheet":
        raise ValidationFailed(
            _("A CSV file has one sheet: choose contacts as rows, or Excel (xlsx)."),
            code="contacts",
        )
    segment_name = None
    if segment is not None:
        if not isinstance(segment, int) or isinstance(segment, bool):
            raise ValidationFailed(_("Choose one of the offered values."), code="segment")
        found = segments.get_segment(actor, segment)  # 404: private to another, another tenant
        overrides = {
            k: v
            for k, v in {"view": view, "q": q, "query": query, "sort": sort}.items()
            if v is not None
        }
        state = segments.state_with(actor, segment, overrides)
        if cols is not None:
            state.cols = segments.clean_state(actor, view=state.view, cols=cols).cols
        source, segment_name = "segment", found.name
    else:
        if whole:  # every customer: the list's search and query do not apply
            view, source, q, query = "all", "all", None, None
            if "all" not in _views(actor):
                raise PermissionDenied(
                    _("Exporting the whole base needs the right to see every customer.")
                )
        else:
            source = "list"
        state = segments.clean_state(
            actor, view=view or "mine", q=q, query=query, sort=sort, cols=cols
        )
    spec = Spec(
        format=format,
        contacts=contacts,
        view=state.view,
        q=state.q,
        query=state.query_json(),
        sort=state.sort,
        cols=state.cols,
        segment_id=segment if source == "segment" else None,
        segment_name=segment_name,
        source=source,
    )
    return spec, state


def _views(actor: User) -> list[str]:
    from saas.customers import service as customers

    return customers.views_for(actor)


def _state(actor: User, spec: Spec) -> Any:
    """``spec``'s state re-checked as ``actor`` is now (a job runs later than its request)."""
    from saas.customers import segments

    authorize(actor, PERMISSION)
    if spec.segment_id is not None:
        segments.get_segment(actor, spec.segment_id)  # deleted or unshared since → 404
    return segments.clean_state(
        actor, view=spec.view, q=spec.q, query=spec.query, sort=spec.sort, cols=spec.cols
    )


def count(actor: User, state: Any, cap: int | None = None) -> int:
    """Rows of ``state`` (at most ``cap + 1`` counted)."""
    from saas.customers import service as customers

    return customers.count_view(
        actor, state.view, state.q, cap=cap if cap is not None else 10**12, query=state.node
    )


# --- reading rows ----------------------------------------------------------------------------


def pages(actor: User, state: Any, size: int = CHUNK) -> Iterator[list[Any]]:
    """The customers of ``state`` as ``actor`` sees them, in the list's order, page by page
    (``list_customers``' keyset pages: the grid's own rows)."""
    from saas.customers import service as customers

    cursor = None
    while True:
        page = customers.list_customers(
            actor=actor,
            view=state.view,
            cursor=cursor,
            limit=size,
            q=state.q,
            query=state.node,
            sort=state.sort or None,
        )
        if page.items:
            yield page.items
        if not page.next:
            return
        cursor = page.next


@dataclass
class Layout:
    """The columns of one export and how to read their values (computed once)."""

    actor: User
    columns: list[Any]
    custom: dict[str, Any]
    zone: Any
    contacts: str
    user_names: dict[int, str] = field(default_factory=dict)
    mask: bool = False
    #: translated labels by (what, value), computed once (a million rows, a few labels)
    labels: dict[tuple[str, Any], str] = field(default_factory=dict)

    def label(self, what: str, value: Any, make: Callable[[], Any]) -> str:
        key = (what, value)
        if key not in self.labels:
            self.labels[key] = str(make())
        return self.labels[key]

    def header(self) -> list[str]:
        names = [str(c.label) for c in self.columns]
        if self.contacts == "rows":
            names += contact_header()
        return names


def contact_header(with_customer: bool = False) -> list[str]:
    head = [_("Customer No."), _("Customer")] if with_customer else []
    return [
        *head,
        _("Contact"),
        _("Position"),
        _("Primary contact"),
        _("Phones"),
        _("Emails"),
        _("Birthday"),
    ]


def layout(actor: User, state: Any, contacts: str) -> Layout:
    """The visible columns of ``state`` for ``actor`` (the grid's choice) and their readers."""
    from saas.customers import fields, grid
    from saas.customers.pool import get_settings
    from saas.customers.state import ListState

    list_state = ListState(view=state.view, cols=tuple(state.cols or ()))
    _available, shown = grid.visible_columns(actor, list_state)
    custom = {f.key: f for f in fields.fields()}
    settings = get_settings()
    return Layout(
        actor=actor,
        columns=shown,
        custom=custom,
        zone=get_timezone(),
        contacts=contacts,
        mask=bool(settings is not None and settings.mask_pool_contacts),
    )


def _local(value: datetime | None, zone: Any) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _user_name(lay: Layout, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    if user_id not in lay.user_names:
        name = db.session.scalar(select(User.name).where(User.id == user_id))
        lay.user_names[user_id] = name or ""
    return lay.user_names[user_id] or None


def _yes_no(lay: Layout, value: Any) -> str | None:
    if value is None:
        return None
    return lay.label("bool", bool(value), lambda: _("Yes") if value else _("No"))


def cell_value(lay: Layout, column: Any, customer: Any) -> Any:
    """The typed value of ``column`` for ``customer`` (what ``writers`` writes)."""
    from saas.customers import fields, lists
    from saas.customers.attributes import FieldType
    from saas.formatting import country_name

    key = column.key
    if column.cell == "custom":
        f = lay.custom.get(key[3:])
        if f is None:
            return None
        value = fields._value(f, fields._rows_of(customer).get(f.id, []))
        if value is None or value == []:
            return None
        kind = FieldType(f.type)
        if kind == FieldType.MONEY:
            return Money(value)
        if kind == FieldType.YES_NO:
            return _yes_no(lay, value)
        if kind == FieldType.MULTI_CHOICE:
            return ", ".join(value)
        return value
    if key == "number":
        return customer.number
    if key == "kind":
        return lay.label("kind", customer.kind, lambda: customer.kind_label)
    if key == "stage":
        if customer.stage_entry is not None:
            return customer.stage_entry.name
        return lay.label("stage", customer.stage, lambda: lists.stage_label(customer))
    if column.cell == "entry":
        entry = getattr(customer, column.attr)
        return entry.name if entry is not None else None
    if key == "tags":
        return ", ".join(t.name for t in lists.tags_of(customer)) or None
    if key == "country":
        return country_name(customer.country) if customer.country else None
    if key == "owner":
        if customer.owner_id is None:
            return lay.label("owner", None, lambda: _("in the pool"))
        return customer.owner.name if customer.owner is not None else None
    if key == "created_by":
        return _user_name(lay, customer.created_by_id)
    if column.cell == "datetime":
        return _local(getattr(customer, column.attr), lay.zone)
    if column.cell == "bool":
        return _yes_no(lay, getattr(customer, column.attr))
    value = getattr(customer, column.attr, None) if column.attr else None
    return value if value != "" else None


def _contacts_of(lay: Layout, page: list[Any]) -> dict[int, list[Any]]:
    """The contacts of a page of customers, primary first, with phones and emails (3 queries)."""
    from sqlalchemy.orm import selectinload

    from saas.contacts.models import Contact

    found: dict[int, list[Any]] = {c.id: [] for c in page}
    rows = db.session.scalars(
        select(Contact)
        .where(Contact.customer_id.in_(list(found)))
        .options(selectinload(Contact.phones), selectinload(Contact.emails))
        .order_by(Contact.customer_id, Contact.is_primary.desc(), Contact.id)
    )
    for contact in rows:
        found[contact.customer_id].append(contact)
    return found


def _masked_ids(lay: Layout, page: list[Any]) -> set[int]:
    """Pool customers of the page whose phones and emails ``lay.actor`` sees masked (the card's
    rule, ``pool.masked``, for a page in one query)."""
    from saas.customers.pool_models import PoolEvent, PoolEventKind

    if not lay.mask:
        return set()
    pool = {c.id: (c.returned_at or c.created_at) for c in page if c.owner_id is None}
    if not pool:
        return set()
    revealed = db.session.execute(
        select(PoolEvent.customer_id, PoolEvent.at).where(
            PoolEvent.customer_id.in_(list(pool)),
            PoolEvent.user_id == lay.actor.id,
            PoolEvent.kind == PoolEventKind.REVEALED,
        )
    )
    seen = {cid for cid, at in revealed if at >= pool[cid]}
    return set(pool) - seen


def contact_values(contact: Any, masked: bool, yes: str | None = None) -> list[Any]:
    from saas.customers.pool import mask_email, mask_phone

    phones = [mask_phone(p.e164) if masked else p.e164 for p in contact.phones]
    emails = [mask_email(e.email) if masked else e.email for e in contact.emails]
    return [
        contact.name,
        contact.position,
        (yes or _("Yes")) if contact.is_primary else None,
        ", ".join(phones) or None,
        ", ".join(emails) or None,
        contact.birthday,
    ]


def _prefetch(lay: Layout, page: list[Any]) -> None:
    from saas.customers import fields, lists

    keys = {c.key for c in lay.columns}
    if "tags" in keys:
        lists.prefetch(page)
    if any(c.cell == "custom" for c in lay.columns):
        fields.prefetch(page)


@dataclass
class Written:
    rows: int
    contacts: int
    #: a gzip file of the exported customer ids (one a line), for the audit
    ids_path: Path
    ids: list[int]


def write(
    actor: User,
    state: Any,
    spec: Spec,
    path: Path,
    on_page: Callable[[int], None] | None = None,
) -> Written:
    """Write the export of ``state`` to ``path``; ``on_page(n)`` after each page of ``n``
    customers (a job commits its progress there). Memory stays flat: one page is held at a
    time, the file and the id list stream to disk."""
    lay = layout(actor, state, spec.contacts)
    rows = contacts_written = 0
    inline: list[int] = []
    ids_path = path.with_suffix(".ids.gz")
    with (
        writer_for(spec.format, path) as out,
        gzip.open(ids_path, "wt", encoding="ascii") as ids,
    ):
        main = out.sheet(_("Customers"), lay.header())
        extra = (
            out.sheet(_("Contacts"), contact_header(with_customer=True))
            if spec.contacts == "sheet"
            else None
        )
        pad = [None] * len(lay.columns)
        for page in pages(actor, state):
            _prefetch(lay, page)
            contacts = _contacts_of(lay, page) if spec.contacts != "none" else {}
            masked = _masked_ids(lay, page) if contacts else set()
            for customer in page:
                main.row([cell_value(lay, c, customer) for c in lay.columns])
                for contact in contacts.get(customer.id, ()):
                    values = contact_values(
                        contact, customer.id in masked, lay.label("bool", True, lambda: _("Yes"))
                    )
                    if extra is not None:
                        extra.row([customer.number, customer.name, *values])
                    else:
                        main.row(pad + values)
                    contacts_written += 1
                ids.write(f"{customer.id}\n")
                if len(inline) <= AUDIT_IDS_INLINE:
                    inline.append(customer.id)
            rows += len(page)
            if on_page is not None:
                on_page(len(page))
    return Written(rows, contacts_written, ids_path, inline)


# --- starting and running --------------------------------------------------------------------


def file_name(spec: Spec, today: date | None = None) -> str:
    """``customers-2026-11-30.xlsx`` (the day in the reader's zone)."""
    day = today or _local(utcnow(), get_timezone()).date()  # type: ignore[union-attr]
    return f"customers-{day.isoformat()}.{spec.format}"


def summary(rows: int, contacts: int) -> list[str]:
    lines = [
        ngettext("%(n)s customer exported.", "%(n)s customers exported.", rows, n=number(rows))
    ]
    if contacts:
        lines.append(
            ngettext(
                "%(n)s contact included.", "%(n)s contacts included.", contacts, n=number(contacts)
            )
        )
    return lines


def start(actor: User, spec: Spec, state: Any) -> JobRecord:
    """Start the export of a checked ``spec`` (``prepare``): written now when at most
    ``SYNC_LIMIT`` rows match (the record is returned finished), else queued as a job."""
    matching = count(actor, state, cap=SYNC_LIMIT)
    if matching <= SYNC_LIMIT:
        record = progress.create_job(KIND, actor=actor, total=matching)
        record.status = JobStatus.RUNNING
        record.started_at = utcnow()
        _run(actor, record, spec, state, lambda n: setattr(record, "done", record.done + n))
        record.status = JobStatus.SUCCEEDED
        record.finished_at = utcnow()
        db.session.flush()
        return record
    record = progress.create_job(KIND, actor=actor, total=None)
    enqueue_after_commit(
        run_export,
        record.tenant_id,
        record.id,
        actor_id=actor.id,
        spec=spec.as_dict(),
        job_timeout=JOB_TIMEOUT,
    )
    return record


def _run(
    actor: User, record: JobRecord, spec: Spec, state: Any, on_page: Callable[[int], None]
) -> None:
    """Write, store and audit the export of ``record``."""
    from saas.audit.service import record_event

    tmp = Path(tempfile.mkdtemp(prefix="baza-export-"))
    path = tmp / f"export.{spec.format}"
    try:
        written = write(actor, state, spec, path, on_page)
        tenant_id = record.tenant_id
        key = storage.unique_key("exports/customers", spec.format)
        storage.put_new_file(tenant_id, key, path)
        details: dict[str, Any] = {
            "format": spec.format,
            "contacts": spec.contacts,
            "source": spec.source,
            "state": {k: getattr(spec, k) for k in ("view", "q", "query", "sort", "cols")},
            "segment_id": spec.segment_id,
            "segment_name": spec.segment_name,
            "rows": written.rows,
            "contact_rows": written.contacts,
            "job_id": record.id,
        }
        if written.rows <= AUDIT_IDS_INLINE:
            details["customer_ids"] = written.ids[: written.rows]
        else:
            ids_key = storage.unique_key("exports/audit-ids", "txt.gz")
            storage.put_new_file(tenant_id, ids_key, written.ids_path)
            details["customer_ids_file"] = ids_key
        record_event("exports.run", **details)
        size = os.path.getsize(storage.get_storage().local_path(tenant_id, key))
        record.result = {
            "count": written.rows,
            "contacts": written.contacts,
            "format": spec.format,
            "summary": summary(written.rows, written.contacts),
            "file": key,
            "name": file_name(spec),
            "size": size,
            "expires_at": (utcnow() + EXPIRES_AFTER).isoformat(),
            "download_url": url_for("exports.download", job_id=record.id),
        }
    finally:
        for leftover in tmp.iterdir():
            leftover.unlink(missing_ok=True)
        tmp.rmdir()


@job("documents", retries=0)
def run_export(tenant_id: int, record_id: int, spec: dict[str, Any]) -> None:
    """Tracked: the export of ``spec`` as the actor is now, committed page by page."""
    from flask import g

    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    if actor is None or not actor.is_active:
        return
    checked = Spec(**spec)
    with printouts.reading_as(actor), progress.track(record_id) as tracker:
        state = _state(actor, checked)
        tracker.set_total(count(actor, state))
        db.session.commit()
        pending = 0

        def on_page(n: int) -> None:  # progress committed every COMMIT_ROWS rows
            nonlocal pending
            pending += n
            tracker.advance(n, commit=pending >= COMMIT_ROWS)
            if pending >= COMMIT_ROWS:
                pending = 0

        _run(actor, tracker.record, checked, state, on_page)


# --- reading and downloading -----------------------------------------------------------------


def get_export(*, viewer: User, job_id: int) -> JobRecord:
    """An export's record ``viewer`` may follow (``NotFound`` otherwise)."""
    record = progress.get_job(viewer=viewer, job_id=job_id)
    if record.kind != KIND:
        raise NotFound()
    return record


downloadable = printouts.downloadable
expired = printouts.expired
expires_at = printouts.expires_at


def download(*, viewer: User, job_id: int) -> tuple[JobRecord, Path]:
    """The file of a finished export, as a local path: 409 while it runs, 410 once expired
    (the file is deleted then). Needs ``customers.export`` as well as seeing the job."""
    record = get_export(viewer=viewer, job_id=job_id)
    authorize(viewer, PERMISSION)
    if record.status != JobStatus.SUCCEEDED:
        if record.status == JobStatus.FAILED:
            raise NotFound(_("This export failed; nothing can be downloaded."))
        raise NotReady()
    result = record.result or {}
    if expired(record):
        if result.get("file"):
            storage.get_storage().delete(record.tenant_id, result["file"])
        raise Expired()
    path = storage.get_storage().local_path(record.tenant_id, result["file"])
    if not path.is_file():
        raise Expired()
    return record, path


def audit_ids(entry_changes: dict[str, Any]) -> list[int]:
    """The customer ids an ``exports.run`` audit entry recorded (inline or from its file)."""
    if "customer_ids" in entry_changes:
        return list(entry_changes["customer_ids"])
    key = entry_changes.get("customer_ids_file")
    if not key:
        return []
    data = storage.get_storage().get(_tenant_id(), key)
    if data is None:
        return []
    return [int(line) for line in gzip.decompress(data).decode("ascii").split()]


def _tenant_id() -> int:
    from saas.tenancy.context import require_tenant_id

    return require_tenant_id()


def parse_query_text(text: Any) -> Any:
    """The query tree of a URL's ``query`` text (None for none); a bad one is a 422."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(_("The query is not valid JSON."), code="bad_json") from exc
