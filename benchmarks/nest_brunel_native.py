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

import json

from benchmarks.nest_brunel_network import (
    DEFAULT_OUT,
    DELAY,
    DRIVE_MV_PER_S,
    DT,
    TSTOP,
    G,
    ensure,
)
from benchmarks.script_io import emit, rounded, work_parser

SEED = 12345


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, help="network folder (for network.json)").parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    params = json.loads((args.work / "components" / "point_neuron_models" / "brunel_delta.json").read_text())
    preparing = time.perf_counter() - t
    seconds = {}

    t = time.perf_counter()
    import numpy as np

    from benchmarks import pynest_direct as direct  # h5py and NEST: part of loading

    nest = direct.import_nest()
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    direct.reset_kernel(nest, args.threads, DT, seed=SEED)
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
    direct.write_spikes(args.work / "output_native", "brunel", ids, np.asarray(events["times"]))
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    n_cells = len(cells)
    # every connection but the generator's and the recorder's, one per cell each (GetConnections
    # would build a 15.6M-entry collection and raise this process's peak memory)
    n_recurrent = nest.num_connections - 2 * n_cells
    emit({"benchmark": "brunel", "tool": "pynest-native", "n_cells": n_cells, "n_recurrent_edges": n_recurrent,
          "n_spikes": int(ids.size), "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
