"""Command line, peak memory and the JSON result line shared by the stand-alone benchmark
scripts (``build_*.py``, ``nest_*.py``, ``neuron_*.py``).

Standard library only, so that the scripts of the peers' environment (``.venv-peers``, no
Cantata) can use it too.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Callable, Iterable
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


REPO = Path(__file__).resolve().parents[1]


def cantata_python() -> str:
    """Cantata's interpreter (network writers need Cantata), whichever environment asks."""
    candidate = REPO / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def ensure_network(out: Path, module: str, *, size: str | None = None) -> dict[str, Any]:
    """The summary (``network.json``) of a benchmark network, writing the files first with
    ``python -m <module>`` when they are not there or (``size`` given) are of another size; in a
    child process, so the caller's memory and imports stay untouched."""
    stamp = out / "network.json"
    info = json.loads(stamp.read_text()) if stamp.is_file() else None
    if info is None or (size is not None and info.get("size") != size):
        command = [cantata_python(), "-m", module, "--out", str(out), "--force"]
        if size is not None:
            command += ["--size", size]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        info = json.loads(stamp.read_text())
    return info


def network_main(doc: str, default_out: Path, write: Callable[..., dict[str, Any]],
                 sizes: Iterable[str] | None = None) -> None:
    """Command line of a network writer: ``--out DIR [--size S] [--force]``; prints the summary,
    writing the files only when they are not there (or ``--force``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out, help=f"folder (default {default_out})")
    if sizes is not None:
        parser.add_argument("--size", choices=sorted(sizes), default="full", help="network size (default full)")
    parser.add_argument("--force", action="store_true", help="write even if the files are there")
    args = parser.parse_args()
    stamp = args.out / "network.json"
    if stamp.is_file() and not args.force:
        info = json.loads(stamp.read_text())
    else:
        info = write(args.out, args.size) if sizes is not None else write(args.out)
    print(json.dumps(info))
