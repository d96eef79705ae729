"""What a backup holds: the tenant tables (found in the metadata), the ones left out and why,
the columns that name stored files, and the exact value ↔ xlsx cell mapping.

Every table with a ``tenant_id`` column is backed up unless ``EXCLUDED`` names it with its
reason, so a table a later feature adds is included without a change here
(``tests/test_backups.py`` fails on a tenant table that is neither).

Cells are typed where a spreadsheet keeps the value exactly (integers, booleans, text); the
rest is text that reads back exactly: ``Numeric`` as its decimal digits, dates and datetimes in
ISO 8601 (UTC, as stored), JSON as JSON text. A text that a spreadsheet cannot hold as it is —
empty (an empty cell means NULL), with a carriage return (XML turns CR LF into LF), with
control characters xlsx forbids, or starting with the mark itself — is written as ``ESCAPE`` +
its JSON string; a text longer than a cell (32,767 characters) is kept in pieces on the sheet
``_long`` and its cell says ``LONG`` + the pieces' reference. Text is always written as
text: a value starting with ``=`` is never a formula (and is not altered either: a backup
restores exactly, unlike an export, which neutralises such cells).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric, Table

from saas.extensions import db

#: Tenant tables not in a backup, each with the reason (docs/ARCHITECTURE.md repeats them).
EXCLUDED: dict[str, str] = {
    "user_sessions": "logged-in browsers: secret hashes that open nothing in another company",
    "api_tokens": "token hashes: a token names its company, so none would work after a restore",
    "jobs": "progress records of finished work (their download links belong to the old company)",
    "backups": "the backups themselves (a backup does not contain older backups)",
    "mail_messages": "the outbox: delivery bookkeeping; reset and invitation mail carry live links",
    "plan_changes": "billing history of the old company's subscription; the new one has its own",
    "import_runs": "import history with its uploaded file: undo works only where the import ran",
    "import_rows": "per-row import results and undo data (old values): undo stays with its run",
}

#: Columns that hold a storage key (saas/storage.py): their files go into ``files/<key>``.
FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_attachments": ("storage_key",),
    "contacts": ("photo_key",),
}

#: Columns named ``*_key`` that are not storage keys (the test checks every ``*_key`` column
#: is in one of the two, so a new file column is not silently left without its files).
NOT_FILE_KEYS = frozenset({"name_key", "email_key", "unique_key", "key"})

#: Tenant settings (columns of the global ``tenants`` row) a backup carries on the sheet
#: ``_company``. Left out: the SMTP password (encrypted with this installation's key: enter it
#: again), the plan, the seat lock. Restore keeps the new company's name and plan.
TENANT_COLUMNS = (
    "name",
    "default_currency",
    "default_country",
    "timezone",
    "logo_key",
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_from",
    "smtp_security",
    "customer_seq",
    "duplicate_policy",
    "backup_weeks",
)
#: Of those, what a restore applies to the new company.
TENANT_RESTORED = (
    "default_currency",
    "default_country",
    "timezone",
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_from",
    "smtp_security",
    "duplicate_policy",
    "backup_weeks",
)
TENANT_SHEET = "_company"

#: Starts every cell that is not the text itself: ``ESCAPE`` + a JSON string, or ``LONG`` + the
#: reference of a text longer than a cell holds, kept in pieces on the sheet ``_long``.
MARK = "\u2063"
ESCAPE = MARK + "json:"
LONG = MARK + "long:"
LONG_SHEET = "_long"
#: xlsx cells hold at most 32,767 characters (openpyxl cuts longer text); pieces are shorter.
CELL_MAX = 32_767
PIECE = 30_000
#: Sheet names are at most 31 characters in xlsx.
SHEET_NAME_MAX = 31


def tenant_tables() -> list[Table]:
    """Every tenant table, parents before children (``metadata.sorted_tables``)."""
    return [t for t in db.metadata.sorted_tables if "tenant_id" in t.c]


def backed_up_tables() -> list[Table]:
    """The tenant tables a backup holds, parents first."""
    return [t for t in tenant_tables() if t.name not in EXCLUDED]


def sheet_name(table: str) -> str:
    return table[:SHEET_NAME_MAX]


def tenant_references(table: Table) -> list[tuple[str, str]]:
    """``[(column, referred table)]``: the composite foreign keys ``(tenant_id, column)`` to
    another (or the same) tenant table: the ids a restore remaps."""
    refs = []
    for fk in table.foreign_key_constraints:
        cols = [c.name for c in fk.columns]
        if "tenant_id" in cols and len(cols) == 2:
            refs.append((next(c for c in cols if c != "tenant_id"), fk.referred_table.name))
    return refs


# --- values ↔ cells ----------------------------------------------------------------------------


def _text_cell(value: str) -> str:
    if (
        value == ""
        or value.startswith(MARK)
        or "\r" in value
        or ILLEGAL_CHARACTERS_RE.search(value)
    ):
        return ESCAPE + json.dumps(value, ensure_ascii=False)
    return value


def to_cell(column: Any, value: Any) -> Any:
    """The cell of ``value`` (a column's value as the database gives it)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, JSON):
        return _text_cell(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return str(Decimal(value))
    if isinstance(kind, DateTime):
        return value.isoformat()
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Integer):
        return int(value)
    return _text_cell(str(value))


class BadCell(ValueError):
    """A cell whose value does not fit its column (a damaged or edited backup)."""


def _text_value(cell: Any) -> str:
    if not isinstance(cell, str):
        raise BadCell("text expected")
    if cell.startswith(ESCAPE):
        try:
            value = json.loads(cell[len(ESCAPE) :])
        except ValueError as exc:
            raise BadCell("bad escaped text") from exc
        if not isinstance(value, str):
            raise BadCell("bad escaped text")
        return value
    return cell


def from_cell(column: Any, cell: Any) -> Any:
    """The column value of ``cell`` (``to_cell`` reversed exactly); ``BadCell`` if it cannot be."""
    if cell is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, JSON):
            return json.loads(_text_value(cell))
        if isinstance(kind, Boolean):
            if not isinstance(cell, bool):
                raise BadCell("true or false expected")
            return cell
        if isinstance(kind, Numeric) and not isinstance(kind, Integer):
            if not isinstance(cell, str):
                raise BadCell("a decimal number as text expected")
            return Decimal(cell)
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(_text_value(cell))
        if isinstance(kind, Date):
            return date.fromisoformat(_text_value(cell))
        if isinstance(kind, Integer):
            if isinstance(cell, bool) or not isinstance(cell, int):
                raise BadCell("a whole number expected")
            return cell
        text = _text_value(cell)
        length = getattr(kind, "length", None)
        if length is not None and len(text) > length:
            raise BadCell(f"longer than {length} characters")
        return text
    except (ValueError, InvalidOperation) as exc:
        if isinstance(exc, BadCell):
            raise
        raise BadCell(str(exc)) from exc
