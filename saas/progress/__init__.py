"""Long work: a progress record per job, advanced in committed chunks, polled by page and API.

``create_job`` makes the record in the request; the RQ job opens it with ``track`` and walks its
work with ``Tracker.batches`` (one commit per batch: a 200,000-row import is many short
transactions, each with its progress) or ``Tracker.advance``. GET /jobs/<id> is a fragment that
polls itself every second until the job has finished; GET /api/v1/jobs/{id} answers the same.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from saas.progress.models import JobRecord, JobStatus  # noqa: E402
from saas.progress.service import Tracker, create_job, get_job, track  # noqa: E402

__all__ = ["JobRecord", "JobStatus", "Tracker", "bp", "create_job", "get_job", "track"]
