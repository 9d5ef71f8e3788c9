"""Shared helpers of the build benchmarks: scenario sizes, timing, peak memory, JSON output.

Imports neither Cantata nor BMTK, so the BMTK-side scripts run in an environment without
Cantata.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

try:
    from benchmarks.script_io import emit, peak_rss_mb
except ImportError:  # run as a plain script
    from script_io import emit, peak_rss_mb  # type: ignore

#: The 10k scenario: recurrent cells, connection probability, virtual input cells and
#: their connection probability (10,000 x 0.01 ~ 1M recurrent, 500 x 10,000 x 0.1 = 0.5M input edges).
N_EXC, N_INH, P_RECURRENT = 8000, 2000, 0.01
N_VIRTUAL, P_INPUT = 500, 0.1
#: The recurrent cell types of every build scenario: (pop_name, ei, dynamics_params); all
#: ``nest:iaf_psc_alpha`` point neurons.
CELL_TYPES = (("exc", "e", "exc.json"), ("inh", "i", "inh.json"))
#: syn_weight of the recurrent edges by source ``ei`` (delay 1.5 ms), and of the input edges (delay 1 ms).
RECURRENT_WEIGHTS, INPUT_WEIGHT = (("e", 2.0), ("i", -8.0)), 3.0

__all__ = ["CELL_TYPES", "INPUT_WEIGHT", "N_EXC", "N_INH", "N_VIRTUAL", "P_INPUT", "P_RECURRENT",
           "RECURRENT_WEIGHTS", "Timer", "arguments", "folder_size_mb", "output_dir", "peak_rss_mb", "report"]


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
    emit(result)
