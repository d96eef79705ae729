"""GET /jobs/<id>: a job's progress, a fragment that polls itself until the job has finished."""

from __future__ import annotations

from typing import Any

from flask_login import current_user, login_required

from saas import htmx
from saas.progress import bp
from saas.progress.service import KINDS, get_job


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int) -> Any:
    record = get_job(viewer=current_user, job_id=job_id)
    return htmx.render("jobs/show.html", "jobs/_progress.html", job=record, kind=KINDS[record.kind])
