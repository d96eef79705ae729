# ruff: noqa: RUF002 - Arabic, Persian and full-width characters are the point
"""Text folding for comparisons in SQL: the same function in Python, SQLite and PostgreSQL.

``fold(text)``: NFKC (full-width = half-width, ligatures), lower case, Arabic letters as their
Persian forms (ي/ى → ی, ك → ک, ة/ۀ → ه, as ``normalize._LETTERS``), tatweel and zero-width
joiners dropped, Persian and Arabic-Indic digits as ASCII digits (full-width digits are ASCII
after NFKC already). The combined query (``customers/query.py``) compares ``baza_fold(column)``
with the folded value, so "ＡＣＭＥ", "acme" and "Acme" are one spelling, as are "علي" and "علی".

The database side is one SQL function ``baza_fold(text)``: on SQLite a deterministic Python
function registered on every connection (``register_sqlite``, from ``saas/database.py``), on
PostgreSQL an IMMUTABLE SQL function (revision 0024) —
``translate(lower(normalize($1, NFKC)), FROM, TO)`` — that the planner inlines, so an
expression index on ``baza_fold(col)`` could serve it. Lower case, not Unicode case folding:
PostgreSQL's ``lower`` maps one character to one character, so "ß" stays "ß" (not "ss") and
Python's context-dependent final sigma and dotted İ are the known edges where the two
databases could differ (the tests' alphabet leaves them out).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, func

from saas.customers.normalize import _LETTERS

#: Characters ``translate`` maps, and what to (same length) …
_MAP_FROM = "\u064a\u0649\u0643\u0629\u06c0" + "".join(
    chr(c) for c in (*range(0x06F0, 0x06FA), *range(0x0660, 0x066A))
)
_MAP_TO = "\u06cc\u06cc\u06a9\u0647\u0647" + "0123456789" * 2
#: … and the ones it drops (tatweel, ZWNJ, ZWJ): ``translate`` deletes FROM characters past TO.
_DROP = "\u0640\u200c\u200d"
FROM = _MAP_FROM + _DROP
TO = _MAP_TO

_TABLE: dict[int, str | None] = str.maketrans(dict(zip(_MAP_FROM, _MAP_TO, strict=True)))
_TABLE.update({ord(c): None for c in _DROP})
# the letters must agree with the duplicate check's (normalize.py)
assert all(_TABLE.get(k) == v for k, v in _LETTERS.items())


def fold(value: str | None) -> str | None:
    """``value`` folded for comparison (see the module's docstring); None stays None."""
    if value is None:
        return None
    return unicodedata.normalize("NFKC", value).lower().translate(_TABLE)


def sql_fold(expr: Any) -> ColumnElement[str]:
    """``baza_fold(expr)`` in SQL."""
    return func.baza_fold(expr, type_=expr.type if hasattr(expr, "type") else None)


def register_sqlite(dbapi_conn: Any) -> None:
    """Make ``baza_fold`` callable on a new SQLite connection (deterministic: indexable)."""
    dbapi_conn.create_function("baza_fold", 1, fold, deterministic=True)


def create_postgresql_sql() -> str:
    """The DDL of ``baza_fold`` on PostgreSQL (revision 0024)."""
    src = FROM.replace("'", "''")
    dst = TO.replace("'", "''")
    return (
        "CREATE OR REPLACE FUNCTION baza_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT translate(lower(normalize($1, NFKC)), '{src}', '{dst}') $$"
    )
