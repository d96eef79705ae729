"""Reading an uploaded table: xlsx, xls, csv or vcf, whatever its name says.

``open_table(path, filename, max_rows=...)`` sniffs the bytes (never trusts the name: a CSV
renamed .xlsx is read as CSV, a PNG renamed .xlsx is refused), checks the limits, finds the
header row and returns a :class:`Table`. ``Table.rows()`` re-reads the file each call, one row
at a time, so memory stays flat whatever the size. Every refusal is an :class:`ImportFileError`
(422) with a specific ``code`` and a translated message.

- xlsx: openpyxl read-only, ``data_only`` (a formula gives its cached value, or None when the
  writer stored none — never the formula text); dimensions reset so a sheet that claims
  A1:XFD1048576 is not padded. Merged ranges (not exposed in read-only mode) are found by
  streaming the sheet's XML for ``<mergeCell ref=…>``; a merged value applies to every cell of
  its range (header and data). Before opening, the zip's declared uncompressed sizes are added
  up (``zipfile`` never inflates a member past its declared size): over
  ``MAX_UNCOMPRESSED`` is a zip bomb.
- xls: python-calamine (the Rust calamine reader).
- csv: encoding by BOM (utf-8-sig, utf-16), else strict UTF-8, else charset-normalizer limited
  to gb18030 / cp1256 / cp1251. A file whose lines are partly UTF-8 and partly not is refused
  naming the first line that is not UTF-8 (no guess would read both halves right). Delimiter:
  the one of ``, ; tab |`` that splits the first lines into the same number (> 1) of fields most
  often.
- vcf: vCard 2.1 (quoted-printable, CHARSET), 3.0 and 4.0 through vobject, one row per card
  with fixed columns (``VCARD_COLUMNS``).

Header: among the first 30 non-blank rows, the first one that is mostly short texts and at
least half as wide as the widest of those rows (a title, a date line or a merged title above
it is skipped). Blank header cells become "Column C"; duplicates "Phone (2)".
Values are returned as the reader gives them, except that empty or blank strings are None.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import pickle
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from saas.errors import ValidationFailed

#: Excel's own limit of characters in one cell.
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 100
#: The sum of an xlsx zip's declared uncompressed sizes above which it is a zip bomb.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
#: xlsx whose sheets and shared strings unpack to at most this are read with calamine (fast,
#: the sheet in memory); larger ones stream through openpyxl read-only (constant memory).
CALAMINE_MAX_XML = 128 * 1024 * 1024
#: Limits of the child process that runs calamine (``_sheet_child.py``).
CHILD_MEMORY = 1024 * 1024 * 1024
CHILD_CPU_SECONDS = 300
_CHILD = Path(__file__).with_name("_sheet_child.py")
#: How many non-blank rows the header may be preceded by (titles, notes).
HEADER_SCAN_ROWS = 30
MAX_HEADER_CHARS = 100
LEGACY_ENCODINGS = ("gb18030", "cp1256", "cp1251")
DELIMITERS = (",", ";", "\t", "|")

#: vCard columns: (key, English label). The labels are translated in ``Table.columns``.
VCARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("full_name", "Full name"),
    ("organization", "Organization"),
    ("title", "Title"),
    ("mobile", "Mobile"),
    ("work_phone", "Work phone"),
    ("home_phone", "Home phone"),
    ("fax", "Fax"),
    ("email", "Email"),
    ("birthday", "Birthday"),
    ("note", "Note"),
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def vcard_labels() -> list[str]:
    """The vCard table's column names in the reader's language (``VCARD_COLUMNS`` order)."""
    labels = {
        "full_name": _("Full name"),
        "organization": _("Organization"),
        "title": _("Title"),
        "mobile": _("Mobile"),
        "work_phone": _("Work phone"),
        "home_phone": _("Home phone"),
        "fax": _("Fax"),
        "email": _("Email"),
        "birthday": _("Birthday"),
        "note": _("Note"),
    }
    return [str(labels[key]) for key, _label in VCARD_COLUMNS]


class ImportFileError(ValidationFailed):
    """The uploaded file cannot be imported: ``code`` says why, ``message`` tells the user."""

    status = 422
    code = "bad_file"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (type(self), (self.code, self.message))  # picklable (a job's result, a log)


Merge = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col (1-based)


@dataclass
class Table:
    format: str
    columns: list[str]
    header_row: int
    total_rows: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    _raw: Callable[[], Iterator[tuple[int, list[Any]]]] = field(default=None, repr=False)  # type: ignore[assignment]
    _offset: int = field(default=0, repr=False)

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number in the file, values aligned to ``columns``) for every non-blank data
        row; reads the file again each call."""
        width = len(self.columns)
        offset = self._offset
        for number, values in self._raw():
            if number <= self.header_row or _blank(values):
                continue
            if offset:
                values = values[offset:]
            if len(values) < width:
                values = values + [None] * (width - len(values))
            elif len(values) > width:
                values = values[:width]
            yield number, values

    def preview(self, n: int = 10) -> list[list[str]]:
        """The first ``n`` data rows as display strings."""
        from saas.imports.values import cell_text

        out: list[list[str]] = []
        if n <= 0:
            return out
        for _number, values in self.rows():
            out.append([cell_text(v) or "" for v in values])
            if len(out) >= n:
                break
        return out


# -- helpers ---------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _fail(code: str, message: str) -> ImportFileError:
    return ImportFileError(code, message)


def _cell_too_long(number: int, col: int) -> ImportFileError:
    return _fail(
        "cell_too_long",
        _(
            "The cell %(cell)s has more than %(limit)s characters, Excel's own limit. "
            "Shorten it and upload the file again.",
            cell=f"{get_column_letter(col)}{number}",
            limit=f"{MAX_CELL_CHARS:,}",
        ),
    )


def _too_many_columns(count: int) -> ImportFileError:
    return _fail(
        "too_many_columns",
        _(
            "The table has %(count)s columns; at most %(limit)s can be imported. "
            "Delete the columns you do not need and upload the file again.",
            count=count,
            limit=MAX_COLUMNS,
        ),
    )


def _truncated() -> ImportFileError:
    return _fail(
        "truncated",
        _(
            "The file is damaged or incomplete (perhaps the upload was cut off). "
            "Open it in Excel, save it again and upload it again."
        ),
    )


def _not_a_table() -> ImportFileError:
    return _fail(
        "not_a_table",
        _(
            "This file is not a table Baza can read. Upload an Excel file (.xlsx or .xls), "
            "a CSV file or a vCard file (.vcf)."
        ),
    )


def _empty() -> ImportFileError:
    return _fail("empty_file", _("The file is empty."))


def _encrypted() -> ImportFileError:
    return _fail(
        "encrypted",
        _(
            "The file is protected with a password. Open it in Excel, remove the password "
            "(File → Info → Protect Workbook) and upload it again."
        ),
    )


# -- merged cells ----------------------------------------------------------------------------


def _apply_merges(
    rows: Iterator[tuple[int, list[Any]]], merges: list[Merge]
) -> Iterator[tuple[int, list[Any]]]:
    """``rows`` with each merged range's top-left value copied to every cell of the range."""
    if not merges:
        yield from rows
        return
    starting: dict[int, list[Merge]] = {}
    for m in merges:
        starting.setdefault(m[0], []).append(m)
    active: list[tuple[Merge, Any]] = []
    for number, values in rows:
        if active:
            active = [(m, v) for m, v in active if m[2] >= number]
        for m in starting.get(number, ()):
            top = values[m[1] - 1] if m[1] - 1 < len(values) else None
            active.append((m, top))
        for (_r0, c0, _r1, c1), value in active:
            if value is None:
                continue
            if len(values) < c1:
                values = values + [None] * (c1 - len(values))
            for c in range(c0 - 1, c1):
                values[c] = value
        yield number, values


def _xlsx_merges(archive: zipfile.ZipFile, member: str) -> list[Merge]:
    """Merged ranges of one sheet, streamed out of its XML (read-only openpyxl has none)."""
    merges: list[Merge] = []
    tail = b""
    with archive.open(member) as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            last = 0
            for match in _MERGE_RE.finditer(data):
                min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode())
                merges.append((min_row, min_col, max_row, max_col))
                last = match.end()
            tail = data[max(last, len(data) - 256) :]
    return merges


# -- xlsx ------------------------------------------------------------------------------------


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, NotImplementedError (a newer zip version), …
        raise _truncated() from exc
    infos = archive.infolist()
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        archive.close()
        raise _fail(
            "too_big",
            _(
                "The file unpacks to more than %(limit)s MB, more than any real table needs: "
                "it was refused as a possible zip bomb.",
                limit=MAX_UNCOMPRESSED // (1024 * 1024),
            ),
        )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        archive.close()
        raise _not_a_table()
    if any(i.flag_bits & 0x1 for i in infos):
        archive.close()
        raise _encrypted()
    return archive


class _XlsxSource:
    """The first non-empty worksheet of an xlsx, read with openpyxl read-only."""

    format = "xlsx"

    def __init__(self, path: str) -> None:
        self.path = path
        self.sheet: str | None = None
        self.merges: list[Merge] = []

    def _workbook(self) -> Any:
        from openpyxl import load_workbook

        try:
            return load_workbook(self.path, read_only=True, data_only=True, keep_links=False)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _truncated() from exc
        except Exception as exc:  # a broken part: openpyxl raises many kinds
            raise _truncated() from exc

    def _sheet_rows(self, ws: Any) -> Iterator[tuple[int, list[Any]]]:
        ws.reset_dimensions()
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, [_clean(v) for v in row]
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _truncated() from exc
        except ImportFileError:
            raise
        except Exception as exc:  # a malformed sheet XML
            raise _truncated() from exc

    def first_sheet(self) -> Iterator[tuple[int, list[Any]]]:
        """Choose the first worksheet with a non-blank row and yield its rows."""
        wb = self._workbook()
        try:
            for ws in wb.worksheets:
                if not hasattr(ws, "iter_rows"):
                    continue
                rows = self._sheet_rows(ws)
                buffered: list[tuple[int, list[Any]]] = []
                for item in rows:
                    buffered.append(item)
                    if not _blank(item[1]):
                        break
                else:
                    continue
                self.sheet = ws.title
                with contextlib.suppress(Exception):
                    self.merges = _xlsx_merges(wb._archive, ws._worksheet_path)
                yield from _apply_merges(_chain(buffered, rows), self.merges)
                return
        finally:
            wb.close()

    def again(self) -> Iterator[tuple[int, list[Any]]]:
        wb = self._workbook()
        try:
            ws = wb[self.sheet]
            yield from _apply_merges(self._sheet_rows(ws), self.merges)
        finally:
            wb.close()


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


# -- xls -------------------------------------------------------------------------------------


class _CalamineSource:
    """The first non-empty sheet of an .xls (BIFF) or a not-huge .xlsx, read with
    python-calamine (Rust: ~25x faster than openpyxl's read-only mode; it loads the sheet into
    compact memory, ~70 MB for 100,000 x 12 cells, hence ``CALAMINE_MAX_XML`` for xlsx).

    calamine runs in a child process (``_sheet_child.py``) under ``CHILD_MEMORY`` and
    ``CHILD_CPU_SECONDS``: a crafted file that makes it allocate gigabytes aborts the child,
    never the web or worker process."""

    def __init__(self, path: str, fmt: str) -> None:
        self.path = path
        self.format = fmt
        self.sheet: str | None = None
        self.index = 0
        self.merges: list[Merge] = []

    def _frames(self, which: str) -> Iterator[Any]:
        command = [
            sys.executable,
            "-I",
            str(_CHILD),
            self.path,
            which,
            str(CHILD_MEMORY),
            str(CHILD_CPU_SECONDS),
        ]
        child = subprocess.Popen(  # noqa: S603 - our own script, no shell
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert child.stdout is not None
        try:
            while True:
                try:
                    frame = pickle.load(child.stdout)  # noqa: S301 - our own child's output
                except (EOFError, pickle.UnpicklingError, OSError) as exc:
                    child.wait()
                    if child.returncode and child.returncode < 0:  # killed: memory, CPU time
                        raise _too_hard() from exc
                    raise _truncated() from exc
                if isinstance(frame, dict) and "error" in frame:
                    raise _child_error(frame["error"])
                yield frame
                if frame is None:
                    return
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
            child.wait()

    def _open(self, which: str) -> Iterator[tuple[int, list[Any]]]:
        frames = self._frames(which)
        head = next(frames)
        self.sheet, self.index = head["sheet"], head["index"]
        self.merges = [tuple(m) for m in head["merges"]]  # type: ignore[misc]
        return _apply_merges(self._rows(frames), self.merges)

    @staticmethod
    def _rows(frames: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
        try:
            for batch in frames:
                if batch is None:
                    return
                yield from batch
        finally:
            frames.close()  # type: ignore[attr-defined]

    def first_sheet(self) -> Iterator[tuple[int, list[Any]]]:
        return self._open("-")

    def again(self) -> Iterator[tuple[int, list[Any]]]:
        return self._open(str(self.index))


def _too_hard() -> ImportFileError:
    return _fail(
        "too_big",
        _(
            "Reading the file needs more memory or time than Baza allows (a damaged file, or "
            "cells scattered far apart). Copy the table into a new workbook and upload that."
        ),
    )


def _child_error(code: str) -> ImportFileError:
    if code == "encrypted":
        return _encrypted()
    if code == "empty_file":
        return _empty()
    if code == "too_big":
        return _too_hard()
    return _truncated()


def _ole_kind(path: str) -> str:
    """ "encrypted" (an OOXML package encrypted inside a CFB container), "xls" or "other"."""
    with open(path, "rb") as fh:
        data = fh.read()
    names = data  # directory entry names are UTF-16LE
    if "EncryptionInfo".encode("utf-16-le") in names or (
        "EncryptedPackage".encode("utf-16-le") in names
    ):
        return "encrypted"
    if "Workbook".encode("utf-16-le") in names or "Book".encode("utf-16-le") in names:
        return "xls"
    return "other"


# -- csv -------------------------------------------------------------------------------------


def _detect_encoding(path: str, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf8_line: int | None = None
    bad_line: int | None = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.isascii():
                continue
            try:
                decoded = line.decode("utf-8")
            except UnicodeDecodeError:
                if bad_line is None:
                    bad_line = number
            else:
                if utf8_line is None and sum(1 for ch in decoded if ord(ch) > 127) >= 2:
                    utf8_line = number
            if bad_line is not None and utf8_line is not None:
                raise _fail(
                    "encoding",
                    _(
                        "The file mixes text encodings: line %(line)s is not UTF-8 like "
                        "line %(good)s. Save the file again as “CSV UTF-8” and upload it again.",
                        line=bad_line,
                        good=utf8_line,
                    ),
                )
    if bad_line is None:
        return "utf-8"
    from charset_normalizer import from_path

    best = from_path(path, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None:
        raise _fail(
            "encoding",
            _(
                "The text encoding of the file could not be recognised (line %(line)s is not "
                "UTF-8). Save the file again as “CSV UTF-8” and upload it again.",
                line=bad_line,
            ),
        )
    name = codecs.lookup(best.encoding).name
    return {"windows-1256": "cp1256", "windows-1251": "cp1251"}.get(name, name)


def _detect_delimiter(sample: str) -> str:
    lines = sample.splitlines()[:50]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _CsvSource:
    format = "csv"

    def __init__(self, path: str, head: bytes) -> None:
        self.path = path
        self.encoding = _detect_encoding(path, head)
        try:
            with open(path, encoding=self.encoding, newline="") as fh:
                sample = fh.read(64 * 1024)
        except (UnicodeDecodeError, UnicodeError) as exc:
            raise self._undecodable() from exc
        if not sample.strip().strip("\ufeff"):
            raise _empty()
        self.delimiter = _detect_delimiter(sample)
        self.sheet = None
        self.merges: list[Merge] = []

    def _undecodable(self) -> ImportFileError:
        return _fail(
            "encoding",
            _(
                "The file is not valid %(encoding)s text. Save it again as “CSV UTF-8” and "
                "upload it again.",
                encoding=self.encoding,
            ),
        )

    def first_sheet(self) -> Iterator[tuple[int, list[Any]]]:
        return self.again()

    def again(self) -> Iterator[tuple[int, list[Any]]]:
        number = 0
        try:
            with open(self.path, encoding=self.encoding, newline="") as fh:
                for number, row in enumerate(csv.reader(fh, delimiter=self.delimiter), start=1):
                    yield number, [_clean(v) for v in row]
        except UnicodeDecodeError as exc:
            raise self._undecodable() from exc
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _fail(
                    "cell_too_long",
                    _(
                        "Row %(row)s has a cell with more than %(limit)s characters, Excel's "
                        "own limit. Shorten it and upload the file again.",
                        row=number + 1,
                        limit=f"{MAX_CELL_CHARS:,}",
                    ),
                ) from exc
            raise _fail(
                "not_a_table",
                _(
                    "Row %(row)s of the CSV file cannot be read: %(error)s",
                    row=number + 1,
                    error=str(exc),
                ),
            ) from exc


# -- vcf -------------------------------------------------------------------------------------


def _vcard_text(path: str) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
        return str(best) if best is not None else data.decode("latin-1")


def _types(line: Any) -> set[str]:
    kinds = {p.upper() for value in line.params.get("TYPE", ()) for p in str(value).split(",")}
    kinds.update(p.upper() for p in getattr(line, "singletonparams", ()) or ())
    return kinds


def _card_row(card: Any) -> list[Any]:
    def first(name: str) -> Any:
        lines = card.contents.get(name)
        return lines[0].value if lines else None

    name = first("fn")
    if not name and "n" in card.contents:
        name = " ".join(str(card.n.value).split())
    org = first("org")
    if isinstance(org, list):
        org = " ".join(o for o in org if o).strip() or None
    phones: dict[str, list[str]] = {"mobile": [], "work": [], "home": [], "fax": []}
    for tel in card.contents.get("tel", ()):
        kinds = _types(tel)
        number = str(tel.value).strip()
        if number.lower().startswith("tel:"):
            number = number[4:]
        if not number:
            continue
        if "FAX" in kinds:
            phones["fax"].append(number)
        elif "CELL" in kinds:
            phones["mobile"].append(number)
        elif "WORK" in kinds:
            phones["work"].append(number)
        elif "HOME" in kinds:
            phones["home"].append(number)
        else:
            phones["mobile"].append(number)
    emails = [str(e.value).strip() for e in card.contents.get("email", ()) if str(e.value).strip()]
    birthday: Any = first("bday")
    if isinstance(birthday, str):
        raw = birthday.strip()
        with contextlib.suppress(ValueError):
            if re.fullmatch(r"\d{8}", raw):
                birthday = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", raw):
                birthday = date.fromisoformat(raw[:10])
    values = [
        name,
        org,
        first("title"),
        "; ".join(phones["mobile"]),
        "; ".join(phones["work"]),
        "; ".join(phones["home"]),
        "; ".join(phones["fax"]),
        "; ".join(emails),
        birthday,
        first("note"),
    ]
    return [_clean(str(v).strip() if isinstance(v, str) else v) for v in values]


class _VcfSource:
    format = "vcf"

    def __init__(self, path: str) -> None:
        self.path = path
        self.sheet = None
        self.merges: list[Merge] = []

    def first_sheet(self) -> Iterator[tuple[int, list[Any]]]:
        return self.again()

    def again(self) -> Iterator[tuple[int, list[Any]]]:
        import vobject

        text = _vcard_text(self.path)
        try:
            for number, card in enumerate(vobject.readComponents(text, allowQP=True), start=1):
                if getattr(card, "name", "").upper() != "VCARD":
                    continue
                yield number, _card_row(card)
        except ImportFileError:
            raise
        except Exception as exc:  # vobject's ParseError and friends
            raise _fail(
                "not_a_table",
                _("The vCard file cannot be read: %(error)s", error=str(exc)[:200]),
            ) from exc


# -- the table -------------------------------------------------------------------------------


def _is_header_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    if not stripped or len(stripped) > MAX_HEADER_CHARS:
        return False
    return not re.fullmatch(r"[\d\s.,:/+\-()%]+", stripped)


def _span_count(values: list[Any]) -> int:
    """Non-empty cells, a run of one repeated value (a merged range) counted once."""
    count, previous = 0, None
    for value in values:
        if value is not None and value != previous:
            count += 1
        previous = value
    return count


def _header_index(rows: list[tuple[int, list[Any]]]) -> int | None:
    """Index in ``rows`` (non-blank rows only) of the header row, or None."""
    counts = [_span_count(values) for _n, values in rows]
    if not counts:
        return None
    width = max(counts)
    for index, (_number, values) in enumerate(rows):
        cells = [v for v in values if v is not None]
        n = _span_count(values)
        if n < max(1, min(2, width), (width + 1) // 2):
            continue
        texts = [v.strip() for v in cells if _is_header_text(v)]
        if len(texts) < 0.8 * n:
            continue
        if width >= 2 and len(set(texts)) < 2:
            continue
        return index
    return None


def _column_names(header: list[Any], width: int, *, start: int = 0) -> list[str]:
    from saas.imports.values import cell_text

    names: list[str] = []
    seen: dict[str, int] = {}
    taken = set()
    raw = [" ".join((cell_text(v) or "").split()) for v in header] + [""] * (width - len(header))
    for index, name in enumerate(raw[:width]):
        if not name:
            name = str(_("Column %(letter)s", letter=get_column_letter(start + index + 1)))
        key = name.casefold()
        if key in taken:
            count = seen.get(key, 1)
            while True:
                count += 1
                candidate = f"{name} ({count})"
                if candidate.casefold() not in taken:
                    break
            seen[key] = count
            name = candidate
        taken.add(name.casefold())
        names.append(name)
    return names


def _first_filled(values: list[Any]) -> int:
    for index, value in enumerate(values):
        if value is not None:
            return index
    return len(values)


def _last_filled(values: list[Any]) -> int:
    for index in range(len(values) - 1, -1, -1):
        if values[index] is not None:
            return index + 1
    return 0


def _check_lengths(number: int, values: list[Any]) -> None:
    for index, value in enumerate(values):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise _cell_too_long(number, index + 1)


def _sniff(path: str) -> tuple[str, bytes]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head.strip(b" \t\r\n\x00").strip(codecs.BOM_UTF8).strip(b"\xff\xfe").strip():
        raise _empty()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip", head
    if head.startswith(_OLE_MAGIC):
        return "ole", head
    if head.startswith(_BINARY_MAGIC):
        raise _not_a_table()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        start = head.decode("utf-16", errors="ignore").lstrip()
    elif b"\x00" in head:
        raise _not_a_table()
    else:
        start = head.lstrip(codecs.BOM_UTF8).decode("latin-1").lstrip()
    if start[:11].upper() == "BEGIN:VCARD":
        return "vcf", head
    return "csv", head


def open_table(path: str | os.PathLike[str], filename: str, *, max_rows: int) -> Table:
    """Read ``path`` (uploaded as ``filename``), check it, find its header: a :class:`Table`.
    Raises :class:`ImportFileError`."""
    path = os.fspath(path)
    try:
        if os.path.getsize(path) == 0:
            raise _empty()
    except OSError as exc:
        raise _empty() from exc
    kind, head = _sniff(path)
    source: Any
    if kind == "zip":
        with _open_zip(path) as archive:
            xml_size = sum(
                i.file_size
                for i in archive.infolist()
                if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
            )
        source = (
            _CalamineSource(path, "xlsx") if xml_size <= CALAMINE_MAX_XML else _XlsxSource(path)
        )
    elif kind == "ole":
        ole = _ole_kind(path)
        if ole == "encrypted":
            raise _encrypted()
        if ole != "xls":
            raise _not_a_table()
        source = _CalamineSource(path, "xls")
    elif kind == "vcf":
        source = _VcfSource(path)
    else:
        source = _CsvSource(path, head)

    if kind == "vcf":
        columns = vcard_labels()
        header_row = offset = 0
        total = 0
        for number, values in source.first_sheet():
            _check_lengths(number, values)
            if not _blank(values):
                total += 1
        if total == 0:
            raise _fail("no_rows", _("The vCard file has no cards."))
    else:
        header_row, columns, total, offset = _scan(source)
    if total > max_rows:
        raise _fail(
            "too_many_rows",
            _(
                "The file has %(count)s rows; at most %(limit)s can be imported at once on "
                "your plan. Split the file and import the parts one after another.",
                count=f"{total:,}",
                limit=f"{max_rows:,}",
            ),
        )
    table = Table(
        format=source.format,
        columns=columns,
        header_row=header_row,
        total_rows=total,
        encoding=getattr(source, "encoding", None),
        delimiter=getattr(source, "delimiter", None),
        sheet=source.sheet,
    )
    table._raw = source.again
    table._offset = offset
    return table


def _scan(source: Any) -> tuple[int, list[str], int, int]:
    """One pass over the rows: the header (row number, column names), the data row count and
    the number of empty columns on the left (dropped)."""
    rows = source.first_sheet()
    candidates: list[tuple[int, list[Any]]] = []
    for number, values in rows:
        _check_lengths(number, values)
        if _blank(values):
            continue
        candidates.append((number, values))
        if len(candidates) >= HEADER_SCAN_ROWS:
            break
    if not candidates:
        raise _empty()
    index = _header_index(candidates)
    if index is None:
        raise _fail(
            "no_header",
            _(
                "No header row was found: the first row of the table must name its columns "
                "(for example Company, Contact, Phone)."
            ),
        )
    header_number, header = candidates[index]
    width = _last_filled(header)
    first = _first_filled(header)
    if width - first > MAX_COLUMNS:
        raise _too_many_columns(width - first)
    total = 0
    for checked, (number, values) in _chain(
        [(True, c) for c in candidates[index + 1 :]], ((False, r) for r in rows)
    ):
        if not checked:
            _check_lengths(number, values)
        if _blank(values):
            continue
        total += 1
        filled = _last_filled(values)
        if filled > width or first:
            first = min(first, _first_filled(values))
            width = max(width, filled)
            if width - first > MAX_COLUMNS:
                raise _too_many_columns(width - first)
    if total == 0:
        raise _fail(
            "no_rows",
            _("The file has a header row but no data rows under it: there is nothing to import."),
        )
    return header_number, _column_names(header[first:], width - first, start=first), total, first


__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_UNCOMPRESSED",
    "VCARD_COLUMNS",
    "ImportFileError",
    "Table",
    "open_table",
]
