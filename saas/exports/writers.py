"""Row writers for spreadsheets people open in Excel: xlsx (constant memory) and CSV.

A small, stable API shared by the exports and the backups::

    with XlsxWriter(path) as out:              # or CsvWriter(path)
        customers = out.sheet("Customers", ["No.", "Name", "Created"])
        customers.row([1, "=HYPERLINK(…)", datetime(2026, 11, 30, 9, 0)])
        contacts = out.sheet("Contacts", ["Customer No.", "Name"])   # xlsx only
        contacts.row([1, "Li Wei"])
        out.row([2, "Acme", None])             # the latest sheet

- ``XlsxWriter`` writes with openpyxl's write-only workbook: rows stream to temporary files,
  so memory stays flat whatever the row count; several sheets may be filled in any order.
  Cells are typed: ``int``/``float``/``Decimal`` are numbers (a ``Money`` value gets a money
  format), ``date``/``datetime`` are dates with a number format (``datetime`` must be naive: the
  caller converts to the reader's zone first), ``bool`` is a boolean, ``None`` is blank, anything
  else is a string.
- ``CsvWriter`` writes one sheet (a second ``sheet`` raises ``ValueError``) as UTF-8 with a BOM
  (so Excel opens Chinese and Persian correctly) with ``\\r\\n`` line ends; numbers are written
  plainly (``1234.5``), dates ISO (``2026-11-30``, ``2026-11-30 09:00``).

**Formula injection** (OWASP "CSV injection"): every *text* value that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is neutralised. In CSV it is written with a
single quote in front (``neutralise``). In xlsx it is a string cell marked ``quotePrefix`` (the
style Excel gives text typed after an apostrophe): never a formula, not even after the user
edits the cell, and shown as typed — a phone ``+86 138…`` does not show an apostrophe. Numbers
are not text: ``Decimal("-5")`` stays the number -5. Both writers apply it to every text cell,
so no caller can forget; ``neutralise`` is public for callers that write elsewhere.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl.cell.cell import ERROR_CODES as OPENPYXL_ERROR_CODES

__all__ = [
    "DANGEROUS_FIRST",
    "CsvWriter",
    "Money",
    "XlsxWriter",
    "neutralise",
    "writer_for",
]

#: First characters that make a spreadsheet read a cell as a formula (or start a DDE payload).
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")

#: Characters XML 1.0 (and so xlsx) cannot hold; openpyxl refuses them. They are dropped.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"
MONEY_FORMAT = "#,##0.00"
#: Texts openpyxl would store as error cells.
_ERROR_CODES = frozenset(OPENPYXL_ERROR_CODES)
#: Longest text one xlsx cell holds (Excel's limit); longer text is cut with an ellipsis.
XLSX_CELL_MAX = 32_767


class Money(Decimal):
    """A ``Decimal`` that is an amount of money: a number cell with a money number format."""

    __slots__ = ()


def neutralise(value: Any) -> Any:
    """``value`` safe to put in a spreadsheet cell: a text starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'`` (OWASP's advice); anything that is not text (numbers,
    dates, None) is returned unchanged."""
    if isinstance(value, str) and value and value[0] in DANGEROUS_FIRST:
        return "'" + value
    return value


class _Sheet:
    """One sheet of a writer: ``row(values)`` appends a row."""

    def __init__(self, writer: Any, handle: Any) -> None:
        self._writer = writer
        self._handle = handle
        self.rows = 0

    def row(self, values: Iterable[Any]) -> None:
        self._writer._write(self._handle, values)
        self.rows += 1


class _Writer:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._current: _Sheet | None = None
        self.closed = False

    def sheet(self, name: str, header: Sequence[Any] | None = None) -> _Sheet:
        """Start a sheet called ``name`` (header row ``header`` when given); rows written with
        ``row`` go to it from now on. Returns the sheet, whose own ``row`` always writes there."""
        sheet = _Sheet(self, self._new_sheet(name))
        self._current = sheet
        if header is not None:
            sheet.row([str(h) for h in header])
        return sheet

    def row(self, values: Iterable[Any]) -> None:
        """Append a row to the latest sheet."""
        if self._current is None:
            raise ValueError("call sheet() before row()")
        self._current.row(values)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # subclasses
    def _new_sheet(self, name: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self, handle: Any, values: Iterable[Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique xlsx sheet title (≤ 31 characters, none of ``[]:*?/\\``)."""
    title = re.sub(r"[\[\]:*?/\\]", " ", str(name)).strip().strip("'")[:31] or "Sheet"
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


class XlsxWriter(_Writer):
    """An .xlsx file written row by row with openpyxl's write-only workbook (constant memory)."""

    def __init__(self, path: str | Path) -> None:
        from openpyxl import Workbook

        super().__init__(path)
        self._book = Workbook(write_only=True)
        self._titles: set[str] = set()

    def _new_sheet(self, name: str) -> Any:
        return self._book.create_sheet(_sheet_title(name, self._titles))

    def _cell(self, ws: Any, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Decimal):
            if not value.is_finite():
                return str(value)
            if isinstance(value, Money):
                cell = WriteOnlyCell(ws, Decimal(value))
                cell.number_format = MONEY_FORMAT
                return cell
            return value
        if isinstance(value, datetime | date | time):
            if isinstance(value, datetime | time) and value.tzinfo is not None:
                raise ValueError("convert datetimes to the reader's zone (naive) before writing")
            if not isinstance(value, datetime | time):
                return value  # openpyxl formats a date as yyyy-mm-dd itself
            cell = WriteOnlyCell(ws, value)
            cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else TIME_FORMAT
            return cell
        text = _ILLEGAL_XML.sub("", str(value))
        if len(text) > XLSX_CELL_MAX:
            text = text[: XLSX_CELL_MAX - 1] + "…"
        if text[:1] in DANGEROUS_FIRST:
            cell = WriteOnlyCell(ws, text)
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            cell.quotePrefix = True  # and Excel keeps it text when the user edits the cell
            return cell
        if text in _ERROR_CODES:  # "#N/A" typed by a user is text, not an error cell
            cell = WriteOnlyCell(ws, text)
            cell.data_type = "s"
            return cell
        # Any other text is a string cell as it is (a plain value is much faster than a cell
        # object per value).
        return text

    def _write(self, handle: Any, values: Iterable[Any]) -> None:
        handle.append([self._cell(handle, v) for v in values])

    def close(self) -> None:
        """Write the workbook to ``path`` (a workbook with no sheet gets an empty one)."""
        if self.closed:
            return
        if not self._book.worksheets:
            self._new_sheet("Sheet")
        self._book.save(self.path)
        self.closed = True


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    return neutralise(str(value))


class CsvWriter(_Writer):
    """A .csv file: UTF-8 with a BOM, ``\\r\\n`` line ends, one sheet."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._file = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._sheets = 0

    def _new_sheet(self, name: str) -> Any:
        if self._sheets:
            raise ValueError("a CSV file holds one sheet")
        self._sheets += 1
        return self._csv

    def _write(self, handle: Any, values: Iterable[Any]) -> None:
        handle.writerow([_csv_text(v) for v in values])

    def close(self) -> None:
        if self.closed:
            return
        self._file.close()
        self.closed = True


def writer_for(format: str, path: str | Path) -> XlsxWriter | CsvWriter:
    """The writer of ``format`` (``xlsx`` or ``csv``)."""
    if format == "xlsx":
        return XlsxWriter(path)
    if format == "csv":
        return CsvWriter(path)
    raise ValueError(f"unknown format {format!r}")
