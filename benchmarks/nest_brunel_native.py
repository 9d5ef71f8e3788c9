"""NEST-native side of the S5 Brunel benchmark: the model of NEST's ``brunel_delta_nest.py``
as a NEST user writes it, no files: ``nest.Connect`` with the ``fixed_indegree`` rule (no
autapses or multapses, as Cantata's ``FixedInDegree``) and one ``poisson_generator`` giving every
cell an independent Poisson train, 1 thread, 1 s simulated, spikes written with h5py.

Sizes, weights and the drive come from the ``network.json`` of
:mod:`benchmarks.nest_brunel_network` (same J, g, delay, in-degrees and 20 kHz x J drive per
cell), but NEST draws its own connections and input trains, so the spike count can only agree
statistically with the file-based sides (and the external drive is independent per cell here,
shared among cells through the pool of 2,500 virtual cells there).

    python -m benchmarks.nest_brunel_native [--work DIR] [--threads N]
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse
import json
import os
import resource
from pathlib import Path

from benchmarks.nest_brunel_network import (
    DEFAULT_OUT,
    DELAY,
    DRIVE_MV_PER_S,
    DT,
    TSTOP,
    G,
    ensure,
)

SEED = 12345


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_OUT, help="network folder (for network.json)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    params = json.loads((args.work / "components" / "point_neuron_models" / "brunel_delta.json").read_text())
    preparing = time.perf_counter() - t
    seconds = {}

    t = time.perf_counter()
    import h5py
    import numpy as np

    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": args.threads, "rng_seed": SEED})
    j = info["j_mv"]
    exc = nest.Create("iaf_psc_delta", info["n_exc"], params=params)
    inh = nest.Create("iaf_psc_delta", info["n_inh"], params=params)
    cells = exc + inh
    noise = nest.Create("poisson_generator", params={"rate": DRIVE_MV_PER_S / j})
    nest.Connect(noise, cells, syn_spec={"weight": j, "delay": DELAY})
    for sources, indegree, weight in ((exc, info["ce"], j), (inh, info["ci"], -G * j)):
        nest.Connect(sources, cells, {"rule": "fixed_indegree", "indegree": indegree, "allow_autapses": False,
                                      "allow_multapses": False}, {"weight": weight, "delay": DELAY})
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(TSTOP)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    events = recorder.get("events")
    ids = np.asarray(events["senders"], dtype=np.int64) - cells[0].global_id
    times = np.asarray(events["times"])
    order = np.lexsort((ids, times))
    out = args.work / "output_native"
    out.mkdir(exist_ok=True)
    with h5py.File(out / "spikes.h5", "w") as f:
        g = f.create_group("spikes/brunel")
        g.create_dataset("timestamps", data=times[order]).attrs["units"] = "ms"
        g.create_dataset("node_ids", data=ids[order].astype(np.uint64))
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    n_cells = len(cells)
    # every connection but the generator's and the recorder's, one per cell each (GetConnections
    # would build a 15.6M-entry collection and raise this process's peak memory)
    n_recurrent = nest.num_connections - 2 * n_cells
    print(json.dumps({
        "benchmark": "brunel", "tool": "pynest-native", "n_cells": n_cells, "n_recurrent_edges": n_recurrent,
        "n_spikes": int(ids.size), "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "total_s": round(total, 4), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
