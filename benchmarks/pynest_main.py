"""The timed run shared by the direct-PyNEST benchmark scripts (``nest_*_pynest.py``).

Standard library only at import: numpy, h5py and NEST are imported inside the timed load
phase, as a PyNEST user's script pays for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.script_io import emit, rounded, work_parser


def run_direct(start: float, doc: str, default_out: Path, ensure: Callable[[Path], dict[str, Any]], *,
               cells: str, inputs: str, generator: str, benchmark: str) -> None:
    """Build the network of ``ensure`` with plain PyNEST, simulate 1 s, write the spikes and
    print the JSON result line; ``start`` is the script's own start time."""
    args = work_parser(doc, default_out).parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t
    seconds = {}

    t = time.perf_counter()
    from benchmarks import pynest_direct as direct  # numpy, h5py and NEST: part of loading

    nest = direct.import_nest()
    network = direct.read_network(args.work, cells, inputs)
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    nodes, recorder = direct.instantiate(nest, network, args.threads, generator)
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(1000.0)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    ids, times = direct.recorded_spikes(recorder, nodes)
    direct.write_spikes(args.work / "output_pynest", cells, ids, times)
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - start - preparing
    emit({"benchmark": benchmark, "tool": "pynest", "n_nodes": info["n_nodes"], "n_edges": network.n_edges,
          "n_spikes": int(ids.size), "seconds": rounded(seconds), "total_s": round(total, 4)})
