"""GET /jobs/<id>: a job's progress, a fragment that polls itself until the job has finished.

The answer that shows a finished job carries the ``jobFinished`` event (``{"kind": …}``), so a
page can refresh what the job changed (the backups list shows the new backup)."""

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
    resp = htmx.render("jobs/show.html", "jobs/_progress.html", job=record, kind=KINDS[record.kind])
    if record.finished and htmx.is_fragment_request():
        htmx.trigger(resp, "jobFinished", {"kind": record.kind})
    return resp
