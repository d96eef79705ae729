"""Batch actions on a selection of customers: claim, return, assign, share, lock, delete, …

Each action calls the same service function as its one-customer button, once per id, each in
its own savepoint: a refusal (not yours, already claimed, not found) rolls back that id only and
is collected with its reason; the rest is done. The summary says what was done and what was
refused and why ("3 of 40 are not yours to assign"). Ids the actor may not see — another
tenant's, deleted, never existing — are all "not found", counted together, never told apart.

Up to ``SYNC_LIMIT`` ids run in the request; more run as a tracked RQ job
(``customers.batch``, progress at /jobs/<id>) whose result holds the same summary, written in the
actor's language. Actions of other slices (``sharing``: share, lock, unlock, delete, reclaim)
appear once their service functions exist.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from saas import progress
from saas.access import authorize
from saas.auth.models import User
from saas.customers import segments, service
from saas.customers.models import Customer
from saas.errors import ServiceError, ValidationFailed
from saas.extensions import db
from saas.formatting import number
from saas.jobs import enqueue_after_commit, job
from saas.progress.service import KINDS, Kind
from saas.text import clean_name

#: Most ids one batch takes (a larger selection is the later query/segment batch of issue 7).
MAX_IDS = 10_000
#: More ids than this run as a background job with a progress bar.
SYNC_LIMIT = 200
#: Ids per committed chunk of the background job.
CHUNK = 100

KINDS["customers.batch"] = Kind(_l("Batch action on customers"), "customers.view_all")


@dataclass(frozen=True)
class Action:
    """One batch action. ``run(actor, customer_id, params)`` does it for one id; ``prepare``
    checks and normalises the parameters once (a bad reason is one error, not 40 refusals);
    ``permission``: needed for the whole batch (else 403 before anything is done), also the
    condition for offering it; ``forbidden``: how a per-customer refusal reads."""

    name: str
    label: Any
    run: Callable[[User, int, dict[str, Any]], Any]
    forbidden: Any
    permission: str | None = None
    prepare: Callable[[User, dict[str, Any]], dict[str, Any]] | None = None
    #: the module and function that must exist for the action to be offered
    needs: tuple[str, str] | None = None
    #: does the whole batch its own way (e.g. one merged PDF: ``printouts``), returning a
    #: result or a ``JobRecord`` as ``start`` does
    start: Callable[[User, list[int], dict[str, Any]], Any] | None = None

    def available(self) -> bool:
        if self.needs is None:
            return True
        return getattr(_module(self.needs[0]), self.needs[1], None) is not None


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _call(module: str, fn: str, **kwargs: Any) -> Any:
    return getattr(_module(module), fn)(**kwargs)


_SHARING = "saas.customers.sharing"


def _prepare_return(actor: User, params: dict[str, Any]) -> dict[str, Any]:
    return {"reason": clean_name(params.get("reason"), _("Reason"))}


def _prepare_assign(actor: User, params: dict[str, Any]) -> dict[str, Any]:
    user_id = params.get("user_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise ValidationFailed(_("Choose an active member of the company."), code="user_id")
    return {"user_id": user.id}


def _prepare_share(actor: User, params: dict[str, Any]) -> dict[str, Any]:
    user_ids = params.get("user_ids") or []
    if not isinstance(user_ids, list) or not user_ids:
        raise ValidationFailed(_("Choose at least one person."), code="user_ids")
    access = params.get("access") or "read"
    if access not in ("read", "write"):
        raise ValidationFailed(_("Choose one of the offered values."), code="access")
    until = params.get("until")
    if isinstance(until, str) and until:
        try:
            until = date.fromisoformat(until)
        except ValueError:
            raise ValidationFailed(_("Enter a valid date."), code="until") from None
    return {"user_ids": user_ids, "access": access, "until": until or None}


def _prepare_reclaim(actor: User, params: dict[str, Any]) -> dict[str, Any]:
    to = params.get("to") or "pool"
    if to not in ("pool", "me"):
        raise ValidationFailed(_("Choose one of the offered values."), code="to")
    return {"to": to}


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "claim",
            _l("Claim"),
            lambda actor, cid, p: service.claim(actor=actor, customer_id=cid),
            _l("%(count)s of %(total)s are not yours to claim."),
            permission="customers.pool",
        ),
        Action(
            "return",
            _l("Return to the pool"),
            lambda actor, cid, p: service.return_to_pool(actor=actor, customer_id=cid, **p),
            _l("%(count)s of %(total)s are not yours to return."),
            prepare=_prepare_return,
        ),
        Action(
            "assign",
            _l("Assign"),
            lambda actor, cid, p: service.assign(actor=actor, customer_id=cid, **p),
            _l("%(count)s of %(total)s are not yours to assign."),
            permission="customers.assign",
            prepare=_prepare_assign,
        ),
        Action(
            "share",
            _l("Share"),
            lambda actor, cid, p: _call(_SHARING, "share", actor=actor, customer_id=cid, **p),
            _l("%(count)s of %(total)s are not yours to share."),
            prepare=_prepare_share,
            needs=(_SHARING, "share"),
        ),
        Action(
            "lock",
            _l("Lock"),
            lambda actor, cid, p: _call(
                _SHARING, "set_locked", actor=actor, customer_id=cid, locked=True
            ),
            _l("%(count)s of %(total)s are not yours to lock."),
            needs=(_SHARING, "set_locked"),
        ),
        Action(
            "unlock",
            _l("Unlock"),
            lambda actor, cid, p: _call(
                _SHARING, "set_locked", actor=actor, customer_id=cid, locked=False
            ),
            _l("%(count)s of %(total)s are not yours to unlock."),
            needs=(_SHARING, "set_locked"),
        ),
        Action(
            "reclaim",
            _l("Reclaim"),
            lambda actor, cid, p: _call(_SHARING, "reclaim", actor=actor, customer_id=cid, **p),
            _l("%(count)s of %(total)s are not yours to reclaim."),
            prepare=_prepare_reclaim,
            needs=(_SHARING, "reclaim"),
        ),
        Action(
            "delete",
            _l("Delete"),
            lambda actor, cid, p: _call(_SHARING, "trash", actor=actor, customer_id=cid),
            _l("%(count)s of %(total)s are not yours to delete."),
            permission="customers.delete",
            needs=(_SHARING, "trash"),
        ),
    )
}


def actions_for(actor: User) -> list[Action]:
    """The batch actions ``actor`` is offered (those that exist and that they may use)."""
    return [
        a
        for a in ACTIONS.values()
        if a.available() and (a.permission is None or actor.can(a.permission))
    ]


def _clean_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list) or not ids:
        raise ValidationFailed(_("Choose at least one customer."), code="ids")
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise ValidationFailed(_("Choose one of the offered values."), code="ids")
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_IDS:
        raise ValidationFailed(
            _("Choose at most %(n)s customers.", n=number(MAX_IDS)), code="too_many"
        )
    return unique


def _action(name: Any) -> Action:
    found = ACTIONS.get(name) if isinstance(name, str) else None
    if found is None or not found.available():
        raise ValidationFailed(_("Choose one of the offered values."), code="action")
    return found


def start(
    *,
    actor: User,
    action: str,
    ids: list[int] | None = None,
    params: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    segment: int | None = None,
) -> dict[str, Any] | progress.JobRecord:
    """Do ``action`` on a selection: ``ids``, or every customer matching a list state ``query``
    (``{"view", "q", "query"}``: the page's "Select all N matching"), or a saved ``segment``
    (exactly one of the three). Returns the result (see ``apply``) or, above ``SYNC_LIMIT``
    customers, the record of the background job doing it.

    A query or segment is validated now, as ``actor`` (its view, its tree), and resolved to ids
    only when it runs: in the request when it matches at most ``SYNC_LIMIT`` customers, else in
    the job, in keyset chunks (constant memory)."""
    found = _action(action)
    state = _selection(actor, ids, query, segment)
    if state is None:
        ids = _clean_ids(ids)
    if found.permission is not None:
        authorize(actor, found.permission)
    prepared = found.prepare(actor, dict(params or {})) if found.prepare else {}
    if found.start is not None:  # the action takes the whole selection its own way
        if state is not None:
            ids = list(_matching_ids(actor, state, after=0, limit=MAX_IDS + 1))
        return found.start(actor, ids or [], prepared)
    if state is not None:
        first = list(_matching_ids(actor, state, after=0, limit=SYNC_LIMIT + 1))
        if len(first) <= SYNC_LIMIT:
            return apply(actor, found, first, prepared)
        record = progress.create_job("customers.batch", actor=actor, total=None)
        enqueue_after_commit(
            run_query_batch_job,
            record.tenant_id,
            record.id,
            found.name,
            _state_json(state),
            prepared,
            actor_id=actor.id,
        )
        return record
    assert ids is not None
    if len(ids) <= SYNC_LIMIT:
        return apply(actor, found, ids, prepared)
    record = progress.create_job("customers.batch", actor=actor, total=len(ids))
    enqueue_after_commit(
        run_batch_job, record.tenant_id, record.id, found.name, ids, prepared, actor_id=actor.id
    )
    return record


def _selection(actor: User, ids: Any, query: Any, segment: Any) -> segments.ListState | None:
    """The list state of a query or segment selection (checked as ``actor``), None for ids."""
    if sum(x is not None for x in (ids, query, segment)) != 1:
        raise ValidationFailed(
            _("Choose the customers by ids, by a query or by a segment: one of them."),
            code="selection",
        )
    if segment is not None:
        return segments.state_of(actor, segments.get_segment(actor, segment))
    if query is not None:
        if not isinstance(query, dict):
            raise ValidationFailed(_("Choose one of the offered values."), code="query")
        return segments.clean_state(
            actor,
            view=query.get("view") or "mine",
            q=query.get("q"),
            query=query.get("query"),
        )
    return None


def _state_json(state: segments.ListState) -> dict[str, Any]:
    return {"view": state.view, "q": state.q, "query": state.query_json()}


def _matching_ids(
    actor: User, state: segments.ListState, *, after: int, limit: int
) -> Iterator[int]:
    """Ids of customers matching ``state`` for ``actor`` with ``id > after``, ascending: one
    keyset chunk (the list's visibility, search and query re-evaluated now)."""
    query = (
        segments.customer_query(actor, state)
        .with_only_columns(Customer.id)
        .where(Customer.id > after)
        .order_by(Customer.id)
        .limit(limit)
    )
    yield from db.session.scalars(query)


def apply(
    actor: User,
    action: Action,
    ids: list[int],
    params: dict[str, Any],
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run ``action`` on each id in its own savepoint; collect what was done and refused.

    Returns ``{"action", "total", "done": [ids], "refused": [{"code", "message", "count",
    "ids"}], "summary": [sentences]}`` (refusals grouped by reason, the biggest group first).
    """
    done: list[int] = []
    refused: dict[tuple[str, str], dict[str, Any]] = {}
    for cid in ids:
        try:
            with db.session.begin_nested():
                action.run(actor, cid, params)
        except ServiceError as exc:
            code = "not_found" if exc.status == 404 else exc.code
            group = refused.setdefault((code, exc.message), {"code": code, "ids": []})
            group["message"] = exc.message
            group["ids"].append(cid)
        else:
            done.append(cid)
        if advance is not None:
            advance(cid)
    groups = sorted(refused.values(), key=lambda r: -len(r["ids"]))
    for group in groups:
        group["count"] = len(group["ids"])
    result = {
        "action": action.name,
        "total": len(ids),
        "done": done,
        "done_count": len(done),
        "refused": groups,
    }
    result["summary"] = summary(action, result)
    return result


def summary(action: Action, result: dict[str, Any]) -> list[str]:
    """What was done and what was refused and why, one sentence each (reader's language)."""
    total = result["total"]
    lines = [
        _(
            "%(action)s: done for %(done)s of %(total)s.",
            action=str(action.label),
            done=number(result.get("done_count", len(result["done"]))),
            total=number(total),
        )
    ]
    for group in result["refused"]:
        count, code = group["count"], group["code"]
        if code == "not_found":
            lines.append(
                ngettext(
                    "%(count)s of %(total)s was not found (deleted, or not yours to see).",
                    "%(count)s of %(total)s were not found (deleted, or not yours to see).",
                    count,
                    count=number(count),
                    total=number(total),
                )
            )
        elif code == "forbidden":
            lines.append(str(action.forbidden) % {"count": number(count), "total": number(total)})
        else:
            lines.append(
                _(
                    "%(count)s of %(total)s refused: %(reason)s",
                    count=number(count),
                    total=number(total),
                    reason=group["message"],
                )
            )
    return lines


@job("default", retries=0)
def run_batch_job(
    tenant_id: int, record_id: int, action: str, ids: list[int], params: dict[str, Any]
) -> None:
    """Tracked: ``apply`` in committed chunks of ``CHUNK`` ids, in the actor's language; the
    result (with its summary) is stored on the job record."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    if actor is None or not actor.is_active:
        return
    found = _action(action)
    with force_locale(actor.language or "en"), progress.track(record_id) as tracker:
        tracker.set_total(len(ids))
        merged: dict[str, Any] = {
            "action": found.name,
            "total": len(ids),
            "done": [],
            "refused": [],
        }
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for start_at in range(0, len(ids), CHUNK):
            chunk = ids[start_at : start_at + CHUNK]
            part = apply(actor, found, chunk, params)
            merged["done"].extend(part["done"])
            for group in part["refused"]:
                into = groups.setdefault(
                    (group["code"], group["message"]),
                    {"code": group["code"], "message": group["message"], "ids": []},
                )
                into["ids"].extend(group["ids"])
            tracker.advance(len(chunk), commit=True)
        merged["refused"] = sorted(groups.values(), key=lambda r: -len(r["ids"]))
        for group in merged["refused"]:
            group["count"] = len(group["ids"])
        merged["summary"] = summary(found, merged)
        tracker.record.result = merged


#: Ids kept in a query batch's stored result (the counts are always whole).
KEEP_IDS = MAX_IDS


@job("default", retries=0)
def run_query_batch_job(
    tenant_id: int, record_id: int, action: str, state: dict[str, Any], params: dict[str, Any]
) -> None:
    """Tracked: ``action`` on every customer matching the list ``state`` for the actor, read
    in keyset chunks of ``CHUNK`` ids (``id > last``), each applied and committed with its
    progress; memory stays constant however many match (the stored result keeps at most
    ``KEEP_IDS`` ids per list, and whole counts). The state is re-validated and each row's
    permission re-checked now, as the actor is now."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    if actor is None or not actor.is_active:
        return
    found = _action(action)
    with force_locale(actor.language or "en"), progress.track(record_id) as tracker:
        if found.permission is not None:
            authorize(actor, found.permission)
        parsed = segments.clean_state(actor, **state)
        tracker.set_total(
            service.count_view(actor, parsed.view, parsed.q, cap=10**9, query=parsed.node)
        )
        db.session.commit()
        merged = _Merged(found.name)
        last = 0
        while True:
            chunk = list(_matching_ids(actor, parsed, after=last, limit=CHUNK))
            if not chunk:
                break
            last = chunk[-1]
            merged.add(apply(actor, found, chunk, params))
            tracker.record.total = max(tracker.record.total or 0, merged.total)
            tracker.advance(len(chunk), commit=True)
        tracker.record.total = merged.total
        tracker.record.result = merged.result(found)


class _Merged:
    """The chunks' results summed: counts whole, ids kept up to ``KEEP_IDS`` per list."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.total = 0
        self.done: list[int] = []
        self.done_count = 0
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, part: dict[str, Any]) -> None:
        self.total += part["total"]
        self.done_count += len(part["done"])
        self.done.extend(part["done"][: max(0, KEEP_IDS - len(self.done))])
        for group in part["refused"]:
            into = self.groups.setdefault(
                (group["code"], group["message"]),
                {"code": group["code"], "message": group["message"], "ids": [], "count": 0},
            )
            into["count"] += group["count"]
            into["ids"].extend(group["ids"][: max(0, KEEP_IDS - len(into["ids"]))])

    def result(self, action: Action) -> dict[str, Any]:
        out = {
            "action": self.action,
            "total": self.total,
            "done": self.done,
            "done_count": self.done_count,
            "refused": sorted(self.groups.values(), key=lambda r: -r["count"]),
        }
        out["summary"] = summary(action, out)
        return out
