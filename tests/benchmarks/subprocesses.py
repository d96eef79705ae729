"""What the export and import benchmarks share: each measured step runs in a child process of
its own (``python -m <module> --child …``), so its peak RSS is its own; the child prints its
figures as one JSON line last."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(module: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run ``python -m module --child *args`` and return the JSON of its last output line."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{module} child {args} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])
