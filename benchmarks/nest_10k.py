"""Cantata side of the S2 point-network benchmark: Cantata's NEST engine on the SONATA files
of :mod:`benchmarks.nest_network` (written first if missing), 1 thread, 1 s simulated.

    python -m benchmarks.nest_10k [--work DIR] [--threads N]

Prints one JSON object: phases (load, instantiate, simulate, write) and ``total_s``, the wall
time from the start of the script (imports included) to the spike file on disk, not counting
the one-off writing of the network files.
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.cantata_run import n_edges, run_config
from benchmarks.nest_network import DEFAULT_OUT, ensure
from benchmarks.script_io import emit, rounded, work_parser


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT).parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t
    sim, result, seconds = run_config(args.work / "config.json", threads=args.threads)
    total = time.perf_counter() - START - preparing
    emit({"benchmark": "point_10k", "tool": "cantata", "n_nodes": info["n_nodes"], "n_edges": n_edges(sim),
          "n_spikes": result.n_spikes, "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
