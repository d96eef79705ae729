"""The Customers page's batch action "Print": the ticked customers' sheets as one PDF (a job
on the ``documents`` queue; the page goes to its progress bar, which ends with the link)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from saas.auth.models import User
from saas.customers import batch
from saas.customers import service as customers
from saas.printouts import service


def _check(actor: User, customer_id: int, params: dict[str, Any]) -> None:
    customers.get_customer(actor, customer_id)  # one id at a time: what the card allows


def _start(actor: User, ids: list[int], params: dict[str, Any]) -> Any:
    return service.start_batch(actor=actor, ids=ids)


batch.ACTIONS["print"] = batch.Action(
    "print",
    _l("Print"),
    _check,
    _l("%(count)s of %(total)s are not yours to print."),
    start=_start,
)
