"""Run by ``reading.py`` as a child process: read one sheet with python-calamine, under memory
and CPU limits, and stream its rows back as pickled batches on stdout.

calamine is fast but trusts the file: a crafted .xls or .xlsx (two cells far apart, a damaged
record length) makes it allocate gigabytes and abort the whole process. In a child with
``RLIMIT_AS`` that abort costs only the child; the parent turns it into an ``ImportFileError``.
This file imports nothing of Baza (it runs by path, ``python -I``).

argv: path, sheet index or "-" (the first worksheet with a non-blank row), memory limit bytes,
CPU seconds. Frames: {"sheet", "index", "merges"} | {"error": code, "detail"}, then lists of
(row number, values) with blank strings as None, then None.
"""

from __future__ import annotations

import pickle
import resource
import sys
from typing import Any

BATCH = 2000


def _send(frame: Any) -> None:
    pickle.dump(frame, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)


def _clean(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _rows(sheet: Any) -> Any:
    # calamine yields rows from the sheet's first row, columns from its first used one
    pad = [None] * (sheet.start[1] if sheet.start else 0)
    for number, row in enumerate(sheet.iter_rows(), start=1):
        yield number, pad + [_clean(v) for v in row]


def main() -> int:
    path, which, memory, cpu = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(path)
    except Exception as exc:
        message = str(exc).lower()
        code = "encrypted" if "password" in message or "encrypt" in message else "truncated"
        _send({"error": code, "detail": str(exc)[:300]})
        return 0
    try:
        indexes = (
            [int(which)]
            if which != "-"
            else [
                i
                for i, meta in enumerate(book.sheets_metadata)
                if "worksheet" in str(meta.typ).lower()
            ]
        )
        for index in indexes:
            sheet = book.get_sheet_by_index(index)
            rows = _rows(sheet)
            batch = []
            for item in rows:
                batch.append(item)
                if any(v is not None for v in item[1]):
                    break
            else:
                continue
            merges = [
                (r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or ())
            ]
            _send({"sheet": sheet.name, "index": index, "merges": merges})
            for item in rows:
                batch.append(item)
                if len(batch) >= BATCH:
                    _send(batch)
                    batch = []
            if batch:
                _send(batch)
            _send(None)
            return 0
        _send({"error": "empty_file", "detail": ""})
    except MemoryError:
        _send({"error": "too_big", "detail": "memory"})
    except Exception as exc:
        _send({"error": "truncated", "detail": str(exc)[:300]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
