"""API: the status of a tracked job."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flask import url_for
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.progress.models import JobRecord
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


class DownloadJobOut(BaseModel):
    """A job that ends in a file (an export, merged printouts): its progress, its summary and,
    once it has succeeded, the file's link until it expires. Features add their own fields."""

    id: int = Field(description="The job's id (also readable at /api/v1/jobs/{id})")
    status: str = Field(description="queued, running, succeeded or failed")
    done: int
    total: int | None
    finished: bool
    summary: list[str] = Field(default_factory=list)
    download_url: str | None = Field(
        default=None, description="The file, until expires_at; null before or after"
    )
    expires_at: datetime | None = None
    expired: bool = False


class Downloads(Protocol):
    """What a feature's service says about its job's file."""

    def downloadable(self, record: JobRecord) -> bool: ...
    def expires_at(self, record: JobRecord) -> datetime | None: ...
    def expired(self, record: JobRecord) -> bool: ...


def download_job_fields(record: JobRecord, files: Downloads, endpoint: str) -> dict[str, Any]:
    """``DownloadJobOut``'s fields of ``record``; ``endpoint`` (taking ``job_id``) serves the
    file, linked only while ``files`` says it can be downloaded."""
    ready = files.downloadable(record)
    return {
        "id": record.id,
        "status": record.status,
        "done": record.done,
        "total": record.total,
        "finished": record.finished,
        "summary": (record.result or {}).get("summary") or [],
        "download_url": url_for(endpoint, job_id=record.id) if ready else None,
        "expires_at": files.expires_at(record) if ready else None,
        "expired": files.expired(record),
    }
