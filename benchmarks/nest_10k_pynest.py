"""Direct PyNEST side of the S2 point-network benchmark: the model of
:mod:`benchmarks.nest_network` built with plain PyNEST calls (files read with h5py and the csv
module, array ``nest.Connect`` per edge type, one ``spike_generator`` per input), run for 1 s,
spikes written with h5py. The floor Cantata's overhead is measured against.

    python -m benchmarks.nest_10k_pynest [--work DIR] [--threads N]
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.nest_network import DEFAULT_OUT, ensure
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
    network = direct.read_network(args.work, "v1", "lgn")
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    cells, recorder = direct.instantiate(nest, network, args.threads, "spike_generator")
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(1000.0)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    ids, times = direct.recorded_spikes(recorder, cells)
    direct.write_spikes(args.work / "output_pynest", "v1", ids, times)
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    emit({"benchmark": "point_10k", "tool": "pynest", "n_nodes": info["n_nodes"], "n_edges": network.n_edges,
          "n_spikes": int(ids.size), "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
