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

import argparse
import json
import resource
from pathlib import Path

from benchmarks.nest_brunel_network import DEFAULT_OUT, ensure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_OUT, help="network folder")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t

    seconds = {}
    t = time.perf_counter()
    from cantata.sim import Simulation

    sim = Simulation.from_config(args.work / "config.json", threads=args.threads, progress=False)
    n_edges = sum(pop.size for pop in sim.circuit.edges.values())
    n_cells, n_recurrent = sim.circuit.nodes["brunel"].size, sim.circuit.edges["brunel_to_brunel"].size
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    sim.build()
    seconds["instantiate"] = time.perf_counter() - t
    t = time.perf_counter()
    result = sim.run()
    seconds["simulate"] = result.run_seconds
    seconds["write"] = time.perf_counter() - t - result.run_seconds
    total = time.perf_counter() - START - preparing
    print(json.dumps({
        "benchmark": "brunel", "tool": "cantata", "n_nodes": info["n_nodes"], "n_edges": n_edges,
        "n_cells": n_cells, "n_recurrent_edges": n_recurrent,
        "n_spikes": result.n_spikes, "build_save_s": info["build_save_s"],
        "seconds": {k: round(v, 4) for k, v in seconds.items()}, "total_s": round(total, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
