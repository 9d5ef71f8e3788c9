"""Shared helpers of the build benchmarks: scenario sizes, timing, peak memory, JSON output.

Imports neither Cantata nor BMTK, so the BMTK-side scripts run in an environment without
Cantata.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

#: The 10k scenario: recurrent cells, connection probability, virtual input cells and
#: their connection probability (10,000 x 0.01 ~ 1M recurrent, 500 x 10,000 x 0.1 = 0.5M input edges).
N_EXC, N_INH, P_RECURRENT = 8000, 2000, 0.01
N_VIRTUAL, P_INPUT = 500, 0.1


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    """Collects named wall-clock phases."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        yield
        self.phases[name] = round(time.perf_counter() - start, 4)


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", help="output folder (default: a temporary folder, removed afterwards)")
    return parser.parse_args()


@contextmanager
def output_dir(path: str | None):
    """The requested folder, or a temporary one that is removed afterwards."""
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path)
        return
    tmp = tempfile.mkdtemp(prefix="cantata-bench-")
    try:
        yield Path(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def folder_size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 2)


def report(result: dict) -> None:
    """Print the result as one JSON object (the harness reads stdout)."""
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
