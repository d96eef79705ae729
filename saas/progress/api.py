"""API: the status of a tracked job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, ConfigDict

from saas.api import api
from saas.progress.service import get_job


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    done: int
    total: int | None
    percent: int | None
    finished: bool
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@api.route(
    "/jobs/<int:job_id>",
    "GET",
    summary="Progress of a long job (poll until finished is true)",
    response=JobOut,
    errors={404: "No such job (or not yours to see)"},
)
def get_job_status(job_id: int) -> Any:
    return get_job(viewer=current_user, job_id=job_id)
