"""Create, track and read progress records of long jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.access import authorize
from saas.auth.models import User
from saas.errors import NotFound
from saas.extensions import db
from saas.jobs import enqueue_after_commit
from saas.progress.models import JobRecord, JobStatus
from saas.utils import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Items per committed chunk unless a job says otherwise.
CHUNK = 500


@dataclass(frozen=True)
class Kind:
    """A kind of tracked job: its title for people and the permission that lets others see it."""

    title: Any
    permission: str


#: Every kind of tracked job. A job is visible to its creator and to holders of the permission.
KINDS: dict[str, Kind] = {
    "mail.resend_failed": Kind(_l("Resending failed mail"), "outbox.view"),
}


def create_job(
    kind: str, *, actor: User | None, total: int | None = None, fn: Callable | None = None
) -> JobRecord:
    """A ``queued`` record of ``kind``; with ``fn``, enqueue ``fn(tenant_id, record_id)`` after
    commit (as ``actor``), so the worker never looks for a record that is not there yet."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    record = JobRecord(kind=kind, total=total, created_by=actor.id if actor else None)
    db.session.add(record)
    db.session.flush()
    if fn is not None:
        enqueue_after_commit(fn, record.tenant_id, record.id, actor_id=actor.id if actor else None)
    return record


def visible_to(viewer: User, record: JobRecord) -> bool:
    """Whether ``viewer`` may follow ``record``: its creator, or a holder of its permission."""
    kind = KINDS.get(record.kind)
    return record.created_by == viewer.id or (kind is not None and viewer.can(kind.permission))


def get_job(*, viewer: User, job_id: int) -> JobRecord:
    """One job record of the current tenant that ``viewer`` may see, else ``NotFound``."""
    record = db.session.get(JobRecord, job_id)
    if record is None or not visible_to(viewer, record):
        raise NotFound()
    return record


class Tracker:
    """The running side of a record: counts work and commits it in chunks."""

    def __init__(self, record: JobRecord) -> None:
        self.record = record

    def set_total(self, total: int) -> None:
        self.record.total = total

    def advance(self, n: int = 1, *, commit: bool = False) -> None:
        """Count ``n`` items done; ``commit=True`` commits the work so far with the count."""
        self.record.done += n
        if commit:
            db.session.commit()

    def batches(self, items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
        """Yield ``items`` in lists of ``size``; after each list, count it and commit.

        The caller's work on a batch and the new count are committed together, so the record
        never claims more than is stored, and a crash loses at most one batch.
        """
        batch: list[T] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                self.advance(len(batch), commit=True)
                batch = []
        if batch:
            yield batch
            self.advance(len(batch), commit=True)


@contextmanager
def track(record_id: int) -> Iterator[Tracker]:
    """Run the body as the job of record ``record_id``: ``running`` → ``succeeded``/``failed``.

    On an exception the uncommitted batch is rolled back, the record is marked ``failed`` (the
    batches already committed stay, and ``done`` says how many) and the exception propagates.
    """
    record = db.session.get(JobRecord, record_id)
    if record is None:
        raise NotFound()
    record.status = JobStatus.RUNNING
    record.started_at = utcnow()
    db.session.commit()
    tracker = Tracker(record)
    try:
        yield tracker
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s) failed", record_id, record.kind)
        record = db.session.get(JobRecord, record_id)
        record.status = JobStatus.FAILED
        record.message = f"{type(exc).__name__}: {exc}"[:300]
        record.finished_at = utcnow()
        db.session.commit()
        raise
    record.status = JobStatus.SUCCEEDED
    record.finished_at = utcnow()
    db.session.commit()


#: A running record not updated for this long lost its worker (killed, out of memory).
STALE_AFTER = timedelta(minutes=30)


def fail_stale_jobs(now: datetime | None = None) -> int:
    """Mark the current tenant's ``running`` records silent for ``STALE_AFTER`` as ``failed``.

    Their committed batches stay (``done`` says how far they got); nothing reruns on its own.
    """
    now = now or utcnow()
    stale = db.session.scalars(
        select(JobRecord).where(
            JobRecord.status == JobStatus.RUNNING, JobRecord.updated_at < now - STALE_AFTER
        )
    ).all()
    for record in stale:
        record.status = JobStatus.FAILED
        record.message = "interrupted: the worker stopped mid-job"
        record.finished_at = now
    db.session.flush()
    return len(stale)


def require_kind_permission(actor: User, kind: str) -> None:
    """``authorize`` the permission of ``kind`` (starting a job needs what seeing it needs)."""
    authorize(actor, KINDS[kind].permission)
