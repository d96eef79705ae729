"""The import benchmark (``tests/benchmarks/imports.py``) at a tiny size.

Not a timing test: it runs the whole benchmark path — seeding a base with the ``demo``
command, writing the 12-column xlsx, the upload and the real import job each in a subprocess,
the reader's floor beside them, the table — so ``make bench`` cannot rot. Every row of the file
must become a customer (the file's companies are not in the base).
"""

from __future__ import annotations

import pytest

from tests.benchmarks import imports


@pytest.mark.timeout(600)
def test_import_benchmark_runs_at_a_small_size(tmp_path):
    result, table = imports.run(
        database_url=f"sqlite:///{tmp_path}/bench.sqlite",
        rows=150,
        base=100,
        instance=tmp_path,
        echo=lambda _line: None,
    )
    assert result["upload"]["rows"] == result["floor"]["rows"] == 150
    assert result["upload"]["mapped"] == 12
    job = result["job"]
    assert job["status"] == "done"
    assert job["created"] + job["rejected"] == 150 and job["created"] >= 140, job
    assert job["peak_mb"] >= job["base_mb"] > 0
    assert "job s" in table and "floor s" in table
