"""Direct PyNEST side of the S5 Brunel benchmark: the network of
:mod:`benchmarks.nest_brunel_network` built with plain PyNEST calls, run for 1 s on 1 thread,
spikes written with h5py. The floor Cantata's overhead is measured against.

The model is the SONATA files' own: connections, weights (``syn_weight`` x ``nsyns``) and
delays are read with h5py and the csv module and made with one array ``nest.Connect`` per edge
type; the virtual Poisson inputs are ``spike_train_injector``\\ s playing the same spike file.
So the result must be Cantata's spike for spike.

    python -m benchmarks.nest_brunel_pynest [--work DIR] [--threads N]

Phases: load (imports, files), instantiate (kernel, cells, injectors, connections, recorder),
simulate, write; ``total_s`` from the start of the script to the spike file on disk.
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.nest_brunel_network import DEFAULT_OUT, ensure
from benchmarks.script_io import emit, rounded, work_parser


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT).parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t
    seconds = {}

    t = time.perf_counter()
    # numpy, h5py and NEST are imported here: part of loading
    from benchmarks import pynest_direct as direct

    nest = direct.import_nest()
    network = direct.read_network(args.work, "brunel", "ext")
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    cells, recorder = direct.instantiate(nest, network, args.threads, "spike_train_injector")
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(1000.0)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    ids, times = direct.recorded_spikes(recorder, cells)
    direct.write_spikes(args.work / "output_pynest", "brunel", ids, times)
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    emit({"benchmark": "brunel", "tool": "pynest", "n_nodes": info["n_nodes"], "n_edges": network.n_edges,
          "n_spikes": int(ids.size), "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
