"""Errors a service raises; the edges turn them into a friendly page or a JSON error."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class ServiceError(Exception):
    """A refusal the user reads: a stable ``code``, a translated ``message``, an HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message) if message is not None else str(self.default_message())
        if code:
            self.code = code

    def default_message(self) -> str:
        return str(_l("The request could not be processed."))

    def details(self) -> dict[str, object]:
        """More fields of the JSON error body (e.g. the ``path`` of a bad query node)."""
        return {}


class ValidationFailed(ServiceError):
    status = 422
    code = "invalid"


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"

    def default_message(self) -> str:
        return str(_l("You do not have permission to do this."))


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return str(_l("Not found."))


class Gone(ServiceError):
    """A file that was there and has expired (410): the message says how to get a new one."""

    status = 410
    code = "expired"


class NotReady(ServiceError):
    """A job's file asked for before the job has finished (409)."""

    status = 409
    code = "not_ready"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class SeatLimitReached(ServiceError):
    """The plan has no free seat: the message offers the upgrade."""

    status = 402
    code = "seat_limit"


class TenantContextMissing(RuntimeError):
    """A tenant table was touched with no tenant in context (a job or CLI forgot to enter one)."""


class CrossTenantWrite(RuntimeError):
    """An object of one tenant was about to be written inside another tenant's context."""
