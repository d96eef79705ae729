"""The export benchmark (``tests/benchmarks/exports.py``) at a tiny size.

Not a timing test: it runs the whole benchmark path — seeding with the ``demo`` command, the
app's export job in a subprocess per size and format, the raw floor beside it, the table — so
``make bench`` cannot rot. The export must write exactly the floor's rows (the visible,
non-trashed customers of the tenant).
"""

from __future__ import annotations

import pytest

from tests.benchmarks import exports


@pytest.mark.timeout(600)
def test_export_benchmark_runs_at_a_small_size(tmp_path):
    results, table = exports.run(
        database_url=f"sqlite:///{tmp_path}/bench.sqlite",
        size=120,
        instance=tmp_path,
        echo=lambda _line: None,
    )
    assert [(r["size"], r["format"]) for r in results] == [
        (120, "xlsx"),
        (120, "csv"),
        (12, "xlsx"),
        (12, "csv"),
    ]
    for r in results:
        assert r["baza"]["status"] == "succeeded"
        assert r["baza"]["rows"] == r["floor"]["rows"] > 0
        assert r["baza"]["bytes"] > 0 and r["baza"]["peak_mb"] >= r["baza"]["base_mb"]
    assert "Baza s" in table and "floor s" in table
