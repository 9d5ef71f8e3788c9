"""Command line, peak memory and the JSON result line shared by the stand-alone benchmark
scripts (``build_*.py``, ``nest_*.py``, ``neuron_*.py``).

Standard library only, so that the scripts of the peers' environment (``.venv-peers``, no
Cantata) can use it too.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def work_parser(doc: str, default: Path, *, threads: bool = True,
                help: str = "network folder") -> argparse.ArgumentParser:
    """The parser of a simulation script: ``--work DIR`` (and ``--threads N`` unless told not)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--work", type=Path, default=default, help=help)
    if threads:
        parser.add_argument("--threads", type=int, default=1)
    return parser


def rounded(seconds: dict[str, float]) -> dict[str, float]:
    """Phase times rounded to 0.1 ms, as printed."""
    return {name: round(value, 4) for name, value in seconds.items()}


def emit(record: dict[str, Any]) -> None:
    """Print ``record`` plus this process's ``peak_rss_mb`` as the one JSON line the harness reads."""
    record["peak_rss_mb"] = round(peak_rss_mb(), 1)
    json.dump(record, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
