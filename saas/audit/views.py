"""Audit log page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_login import login_required

from saas import htmx
from saas.access import permission_required
from saas.audit import bp, search
from saas.audit.describe import describe, type_label
from saas.users.service import list_users

#: The query parameters the page understands; "Older entries" carries these and nothing else
#: (passing arbitrary ones into ``url_for`` broke on ``endpoint``, ``values``, ``_external``…).
FILTERS = ("user", "type", "from", "to")


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
@login_required
@permission_required("audit.view")
def index() -> Any:
    f = search.AuditFilter(
        actor_id=_int("user"),
        object_type=request.args.get("type") or None,
        date_from=_date("from"),
        date_to=_date("to"),
        cursor=request.args.get("cursor") or None,
    )
    page = search.search(f)
    return htmx.render(
        "audit/index.html",
        "audit/_table.html",
        entries=page.items,
        listing=page,
        describe=describe,
        type_label=type_label,
        f=f,
        users=list_users(),
        types=search.object_types(),
        args={k: v for k in FILTERS if (v := request.args.get(k))},
    )
