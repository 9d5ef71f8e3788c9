"""Run the Cantata and BMTK sides of the build benchmarks in separate processes and print
their results with the ratios the issue asks for (each side in its own environment).

    python -m benchmarks.build_compare --bmtk-python .venv-peers/bin/python

Targets: 10k scenario at least 20x faster and at most 1/5 of BMTK's peak memory; per-pair
Python rule no slower than BMTK.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {
    "build_10k": (["-m", "benchmarks.build_10k"], ["-m", "benchmarks.build_10k_bmtk"]),
    "build_pyrule": (["-m", "benchmarks.build_pyrule", "--impl", "cantata"],
                     ["-m", "benchmarks.build_pyrule", "--impl", "bmtk"]),
}


def run(python: str, args: list[str]) -> dict:
    proc = subprocess.run([python, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bmtk-python", required=True, help="python of an environment with BMTK installed")
    parser.add_argument("--cantata-python", default=sys.executable)
    args = parser.parse_args()
    results = {}
    for name, (ours, theirs) in PAIRS.items():
        cantata = run(args.cantata_python, ours)
        bmtk = run(args.bmtk_python, theirs)
        entry = {"cantata": cantata, "bmtk": bmtk}
        if "error" not in cantata and "error" not in bmtk:
            entry["speedup"] = round(bmtk["total_s"] / cantata["total_s"], 2)
            entry["memory_ratio"] = round(cantata["peak_rss_mb"] / bmtk["peak_rss_mb"], 3)
        results[name] = entry
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
