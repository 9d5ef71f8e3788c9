"""Cantata side of the S5 Brunel benchmark: Cantata's NEST engine on the SONATA files of
:mod:`benchmarks.nest_brunel_network` (built first if missing), 1 thread, 1 s simulated.

    python -m benchmarks.nest_brunel [--work DIR] [--threads N]

What ``cantata run config.json`` does, in timed phases: load (config, circuit), instantiate
(NEST kernel, cells, injectors with their input spikes, connections), simulate, write (the
spike file). Prints one JSON object with the phases and ``total_s``, the wall time from the
start of the script (imports included) to the spike file on disk, not counting the one-off
building of the network files (reported as ``build_save_s``).
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.cantata_run import n_edges, run_config
from benchmarks.nest_brunel_network import DEFAULT_OUT, ensure
from benchmarks.script_io import emit, rounded, work_parser


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT).parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t
    sim, result, seconds = run_config(args.work / "config.json", threads=args.threads)
    total = time.perf_counter() - START - preparing
    emit({"benchmark": "brunel", "tool": "cantata", "n_nodes": info["n_nodes"], "n_edges": n_edges(sim),
          "n_cells": sim.circuit.nodes["brunel"].size, "n_recurrent_edges": sim.circuit.edges["brunel_to_brunel"].size,
          "n_spikes": result.n_spikes, "build_save_s": info["build_save_s"],
          "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
