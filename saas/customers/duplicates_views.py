"""The live duplicate panel of the new/edit customer form (htmx, debounced on typing)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user, login_required

from saas import htmx
from saas.customers import bp, duplicates


def _values(*suffixes: str) -> list[str]:
    """Non-empty query values whose field name is or ends with one of ``suffixes`` (the contact
    sub-forms name their inputs ``contacts-0-phones-1-number`` and so on)."""
    found = []
    for key in request.args:
        if key == suffixes[0] or key.endswith(suffixes):
            found += [v.strip() for v in request.args.getlist(key) if v.strip()]
    return found[:10]


@bp.get("/customers/duplicates")
@login_required
def duplicate_panel() -> Any:
    """The panel listing existing customers like the one being typed (a fragment for htmx)."""
    name = (request.args.get("name") or "").strip()[:1000]
    phones = _values("phone", "-number")
    emails = _values("email", "-address")
    exclude = request.args.get("exclude_id", type=int)
    matches: list[duplicates.Match] = []
    if name or phones or emails:
        matches = duplicates.find(
            actor=current_user, name=name, phones=phones, emails=emails, exclude_id=exclude
        )
    else:
        duplicates.find(actor=current_user)  # the permission check alone
    policy = duplicates.tenant_policy()
    return htmx.render(
        "customers/duplicates.html",
        "customers/_duplicates.html",
        matches=matches,
        blocked=policy == duplicates.Policy.BLOCK and any(m.exact for m in matches),
    )
