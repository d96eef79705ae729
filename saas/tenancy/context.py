"""The current tenant, kept on ``flask.g`` (one app context per request and per job).

Every ORM select, relationship load and bulk update/delete of a tenant-owned model gets
``tenant_id = <current>`` added automatically; new tenant rows are stamped with it on flush.
With no tenant in context, touching a tenant table raises ``TenantContextMissing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from saas.errors import CrossTenantWrite, TenantContextMissing
from saas.extensions import db
from saas.tenancy import rls
from saas.tenancy.models import TenantScoped

_UNSET = object()


def current_tenant_id() -> int | None:
    """Return the tenant id of this request or job, or None."""
    if not has_app_context():
        return None
    return g.get("tenant_id")


def require_tenant_id() -> int:
    """Return the current tenant id; raise ``TenantContextMissing`` if there is none."""
    tid = current_tenant_id()
    if tid is None:
        raise TenantContextMissing("no tenant in context")
    return tid


def current_account_id() -> int | None:
    """The account (login identity) acting in this request or job, or None."""
    if not has_app_context():
        return None
    return g.get("account_id")


def current_login_email() -> str | None:
    """The normalised email being looked up (login, reset, signup), or None."""
    if not has_app_context():
        return None
    return g.get("login_email")


def enter_account(account_id: int | None) -> None:
    """Make ``account_id`` the acting account (its own rows of global tables become visible)."""
    g.account_id = account_id
    _reapply()


@contextmanager
def email_lookup(email: str) -> Iterator[None]:
    """Allow reading the account row of ``email`` (login, reset, signup) inside the block."""
    previous = g.get("login_email")
    g.login_email = email
    _reapply()
    try:
        yield
    finally:
        g.login_email = previous
        _reapply()


def _reapply() -> None:
    session = db.session()
    if session.in_transaction():
        rls.apply_to_session(session)


def enter_tenant(tenant_id: int | None) -> None:
    """Make ``tenant_id`` current for the rest of this app context (and the open transaction).

    Switching to another tenant carries no ORM object across: pending changes are flushed
    while the old tenant is still current, then every tenant-owned object of another tenant
    leaves the identity map (``session.get`` would otherwise return it without a query, past
    the scoping). Objects the caller still holds are detached: re-read them in the new context.

    It also forgets the acting user (``g.actor_id``): a user of one company is never recorded
    as the actor of another's changes (e.g. someone logged in to company A who opens company
    B's invitation or reset link).
    """
    previous = g.get("tenant_id")
    if previous != tenant_id:
        g.actor_id = None
        if "sqlalchemy" in current_app.extensions:
            _leave_tenant(tenant_id)
    g.tenant_id = tenant_id
    _reapply()


def _leave_tenant(new_tenant_id: int | None) -> None:
    session = db.session()
    if any(isinstance(o, TenantScoped) for o in (*session.new, *session.dirty, *session.deleted)):
        session.flush()
    for obj in list(session.identity_map.values()):
        # read the loaded value only: an expired object must not be refreshed on the way out
        if isinstance(obj, TenantScoped) and inspect(obj).dict.get("tenant_id") != new_tenant_id:
            session.expunge(obj)


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    """Run a block as ``tenant_id`` (CLI, jobs, tests), restoring the previous tenant after."""
    previous = g.get("tenant_id", _UNSET)
    actor = g.get("actor_id")
    enter_tenant(tenant_id)
    try:
        yield
    finally:
        enter_tenant(None if previous is _UNSET else previous)
        g.actor_id = actor


def _is_tenant_mapper(mapper: object) -> bool:
    return issubclass(mapper.class_, TenantScoped)  # type: ignore[attr-defined]


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.execution_options.get("all_tenants"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tid = current_tenant_id()
    if tid is None:
        if any(_is_tenant_mapper(m) for m in state.all_mappers):
            raise TenantContextMissing("tenant table queried with no tenant in context")
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tid, include_aliases=True)
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context: object, instances: object) -> None:
    tid = current_tenant_id()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if tid is None:
            raise TenantContextMissing(f"new {type(obj).__name__} with no tenant in context")
        if obj.tenant_id is None:
            obj.tenant_id = tid
        elif obj.tenant_id != tid:
            raise CrossTenantWrite(f"{type(obj).__name__} of tenant {obj.tenant_id} in {tid}")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and inspect(obj).attrs.tenant_id.history.deleted:
            raise CrossTenantWrite(f"tenant_id of {type(obj).__name__} changed")
