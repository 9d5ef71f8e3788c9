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

import argparse
import json
import resource
from pathlib import Path

from benchmarks.nest_network import DEFAULT_OUT, ensure


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
        "benchmark": "point_10k", "tool": "cantata", "n_nodes": info["n_nodes"], "n_edges": n_edges,
        "n_spikes": result.n_spikes, "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "total_s": round(total, 4), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
