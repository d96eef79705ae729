"""Record audit entries automatically on flush, and named events on request.

Any model with ``__audit__ = True`` is audited: an insert, update or delete in a flush writes
an ``AuditEntry`` in the same transaction (so a rolled-back change leaves no entry). Columns in
``__audit_exclude__`` are not recorded; those in ``__audit_mask__`` are recorded as changed,
value hidden. The actor is ``g.actor_id`` (set per request from the logged-in user, per job
from its arguments).

ORM bulk statements (``session.execute(update(Model)...)`` / ``delete(Model)``) of an audited
model are audited too, one entry per affected row, shaped like a flush entry
(``<table>.updated`` with ``{field: [old, new]}``, ``<table>.deleted``): a row changed in bulk has
the same history as one changed by hand. The hook reads the affected rows (their ids and the
old values of the columns being set, within the tenant scoping) before the statement and the
new values after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.engine import Result
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from saas.audit.models import AuditEntry
from saas.extensions import db
from saas.tenancy.context import current_tenant_id
from saas.tenancy.models import Tenant
from saas.utils import utcnow

MASK = "***"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _tenant_of(obj: object) -> int | None:
    if getattr(obj, "__audit_in_current_tenant__", False):
        return current_tenant_id()  # a global row (an account) changed in this company
    return obj.id if isinstance(obj, Tenant) else getattr(obj, "tenant_id", None)


#: Never worth a line in the log: the entry itself names the object and its tenant.
_ALWAYS_SKIPPED = frozenset({"id", "tenant_id"})


def _columns(obj: object) -> list[str]:
    skip = set(getattr(obj, "__audit_exclude__", ())) - set(getattr(obj, "__audit_mask__", ()))
    skip |= _ALWAYS_SKIPPED
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in skip]


def _value(obj: object, key: str, value: Any) -> Any:
    return MASK if key in getattr(obj, "__audit_mask__", ()) else _jsonable(value)


def snapshot(obj: object) -> dict[str, list[Any]]:
    """Every audited field of ``obj`` as ``{field: [None, value]}`` (a creation)."""
    return {
        k: [None, _value(obj, k, getattr(obj, k))]
        for k in _columns(obj)
        if getattr(obj, k) is not None
    }


def diff(obj: object) -> dict[str, list[Any]]:
    """The audited fields of ``obj`` changed in this flush, as ``{field: [old, new]}``."""
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old != new:
            out[key] = [_value(obj, key, old), _value(obj, key, new)]
    return out


def _actor_for(tenant_id: int | None) -> int | None:
    if not has_app_context() or tenant_id != current_tenant_id():
        return None
    return g.get("actor_id")


def _display(obj: object | None, table: str, changes: dict, actor_id: int | None) -> dict:
    from saas.audit.describe import display_snapshot

    session = (object_session(obj) if obj is not None else None) or db.session()
    return display_snapshot(session, obj, table, changes, actor_id)


def _row(obj: object, verb: str, changes: dict) -> dict[str, Any]:
    tid = _tenant_of(obj)
    table = inspect(obj).mapper.local_table.name
    actor_id = _actor_for(tid)
    return {
        "tenant_id": tid,
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": f"{table}.{verb}",
        "object_type": table,
        "object_id": getattr(obj, "id", None),
        "changes": changes,
        "display": _display(obj, table, changes, actor_id),
    }


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context: object) -> None:
    if session.info.get("audit_suppressed"):
        return
    rows = []
    for obj in session.new:
        if getattr(obj, "__audit__", False):
            rows.append(_row(obj, "created", snapshot(obj)))
    for obj in session.dirty:
        if getattr(obj, "__audit__", False) and (changes := diff(obj)):
            if getattr(obj, "__audit_in_current_tenant__", False) and current_tenant_id() is None:
                # an account changed outside any company (login upgrading an outdated password
                # hash): no company's log holds it
                continue
            rows.append(_row(obj, "updated", changes))
    for obj in session.deleted:
        if getattr(obj, "__audit__", False):
            rows.append(_row(obj, "deleted", {}))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _bulk_columns(mapper: Any, stmt: Any, params: list[dict] | None) -> list[str]:
    """The audited attribute keys an UPDATE sets (``.values()`` or bulk-by-primary-key rows)."""
    by_column = {c.key: a.key for a in mapper.column_attrs for c in a.columns}
    by_column.update({a.key: a.key for a in mapper.column_attrs})
    names = [k if isinstance(k, str) else getattr(k, "key", None) for k in stmt._values or {}]
    for p in params or ():
        names.extend(p)
    keys = {by_column[n] for n in names if n in by_column}
    skip = set(getattr(mapper.class_, "__audit_exclude__", ())) - set(
        getattr(mapper.class_, "__audit_mask__", ())
    )
    return sorted(keys - skip - _ALWAYS_SKIPPED) if keys else []


@event.listens_for(Session, "do_orm_execute")
def _audit_bulk(state: ORMExecuteState) -> Result | None:
    if not (state.is_update or state.is_delete) or state.session.info.get("audit_suppressed"):
        return None
    mapper = state.bind_mapper
    if mapper is None or not getattr(mapper.class_, "__audit__", False):
        return None
    cls = mapper.class_
    stmt = state.statement
    # ``session.execute(update(Model), [{"id": 1, ...}, ...])``: a bulk UPDATE by primary key
    by_pk = state.parameters if isinstance(state.parameters, list) else None
    keys = _bulk_columns(mapper, stmt, by_pk) if state.is_update else []
    if state.is_update and not keys:
        return None  # only unaudited columns change
    tenant_col = cls.id if cls is Tenant else cls.tenant_id
    opts = {"all_tenants": True} if state.execution_options.get("all_tenants") else {}
    cols = [cls.id, tenant_col, *(getattr(cls, k) for k in keys)]
    before_q = select(*cols).execution_options(**opts)
    if by_pk:
        before_q = before_q.where(cls.id.in_([p["id"] for p in by_pk if "id" in p]))
    if stmt.whereclause is not None:
        before_q = before_q.where(stmt.whereclause)
    before = {r[0]: r for r in state.session.execute(before_q).all()}
    result = state.invoke_statement()
    if not before:
        return result
    rows = []
    if state.is_update:
        after_q = select(*cols).where(cls.id.in_(list(before))).execution_options(**opts)
        for new in state.session.execute(after_q).all():
            old = before[new[0]]
            changes = {
                k: [_bulk_value(cls, k, old[i + 2]), _bulk_value(cls, k, new[i + 2])]
                for i, k in enumerate(keys)
                if old[i + 2] != new[i + 2]
            }
            if changes:
                rows.append(_bulk_row(cls, new[0], new[1], "updated", changes))
    else:
        rows = [_bulk_row(cls, rid, r[1], "deleted", {}) for rid, r in before.items()]
    if rows:
        state.session.connection().execute(insert(AuditEntry.__table__), rows)
    return result


def _bulk_value(cls: type, key: str, value: Any) -> Any:
    return MASK if key in getattr(cls, "__audit_mask__", ()) else _jsonable(value)


def _bulk_row(cls: type, oid: int, tid: int, verb: str, changes: dict) -> dict[str, Any]:
    mapper = inspect(cls)
    table = mapper.local_table.name
    actor_id = _actor_for(tid)
    # the object's name only if it is already loaded: a bulk statement loads no objects
    obj = db.session().identity_map.get(mapper.identity_key_from_primary_key((oid,)))
    return {
        "tenant_id": tid,
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": f"{table}.{verb}",
        "object_type": table,
        "object_id": oid,
        "changes": changes,
        "display": _display(obj, table, changes, actor_id),
    }


@contextmanager
def suppressed() -> Iterator[None]:
    """Flush without audit (only for a tenant's own creation, recorded once it is current,
    and for leaving a company, recorded as the event ``users.left``)."""
    session = db.session()
    session.info["audit_suppressed"] = True
    try:
        yield
    finally:
        session.info.pop("audit_suppressed", None)


def record_event(action: str, obj: object | None = None, **details: Any) -> AuditEntry:
    """Record a named event (``auth.login``, ``billing.plan_changed``) about ``obj``."""
    tid = _tenant_of(obj) if obj is not None else current_tenant_id()
    actor_id = _actor_for(tid)
    table = inspect(obj).mapper.local_table.name if obj is not None else ""
    changes = {k: _jsonable(v) for k, v in details.items()}
    entry = AuditEntry(
        tenant_id=tid,
        actor_id=actor_id,
        action=action,
        object_type=table,
        object_id=getattr(obj, "id", None),
        changes=changes,
        display=_display(obj, table, changes, actor_id),
    )
    db.session.add(entry)
    return entry
