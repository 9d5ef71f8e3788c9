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

import argparse
import csv
import json
import os
import resource
from pathlib import Path

from benchmarks.nest_brunel_network import DEFAULT_OUT, ensure


def types_table(path: Path) -> dict[int, dict[str, str]]:
    """A SONATA types csv as ``{type id: row}``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter=" "))
    key = next(k for k in rows[0] if k.endswith("_type_id"))
    return {int(r[key]): r for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_OUT, help="network folder")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    preparing = time.perf_counter() - t
    net, comps = args.work / "network", args.work / "components"
    seconds = {}

    t = time.perf_counter()
    import h5py
    import numpy as np

    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    with h5py.File(net / "brunel_nodes.h5") as f:
        cell_types = f["nodes/brunel/node_type_id"][:]
    node_types = types_table(net / "brunel_node_types.csv")
    params = {tid: json.loads((comps / "point_neuron_models" / row["dynamics_params"]).read_text())
              for tid, row in node_types.items()}
    with h5py.File(net / "ext_nodes.h5") as f:
        n_ext = f["nodes/ext/node_type_id"].shape[0]
    edges = {}
    for name, pop in (("brunel_brunel", "brunel_to_brunel"), ("ext_brunel", "ext_to_brunel")):
        with h5py.File(net / f"{name}_edges.h5") as f:
            g = f[f"edges/{pop}"]
            edges[name] = (g["source_node_id"][:].astype(np.int64), g["target_node_id"][:].astype(np.int64),
                           g["edge_type_id"][:], g["0/nsyns"][:], types_table(net / f"{name}_edge_types.csv"))
    with h5py.File(args.work / "inputs" / "ext_spikes.h5") as f:
        in_ids = f["spikes/ext/node_ids"][:].astype(np.int64)
        in_times = f["spikes/ext/timestamps"][:]
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": args.threads})
    cells = np.zeros(cell_types.size, dtype=np.int64)
    for tid, p in params.items():
        rows = np.flatnonzero(cell_types == tid)
        first = nest.Create(node_types[tid]["model_template"].split(":")[1], rows.size, params=p)[0].global_id
        cells[rows] = np.arange(first, first + rows.size)
    injectors = nest.Create("spike_train_injector", n_ext)
    order = np.lexsort((in_times, in_ids))
    trains = np.split(in_times[order], np.searchsorted(in_ids[order], np.arange(1, n_ext)))
    injectors.set([{"spike_times": train} for train in trains])
    ext = np.asarray(injectors.tolist(), dtype=np.int64)
    for name, (src, trg, etype, nsyns, types) in edges.items():
        sources = cells if name == "brunel_brunel" else ext
        for tid in sorted(types):
            sel = etype == tid
            row = types[tid]
            nest.Connect(sources[src[sel]], cells[trg[sel]], "one_to_one", syn_spec={
                "synapse_model": row["model_template"], "weight": float(row["syn_weight"]) * nsyns[sel],
                "delay": np.full(int(sel.sum()), float(row["delay"]))})  # arrays: NEST's connect_arrays
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(cells.tolist()), recorder)
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(1000.0)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    events = recorder.get("events")
    node_of = np.zeros(cells.max() + 1, dtype=np.int64)
    node_of[cells] = np.arange(cells.size)
    ids = node_of[np.asarray(events["senders"], dtype=np.int64)]
    times = np.asarray(events["times"])
    order = np.lexsort((ids, times))
    out = args.work / "output_pynest"
    out.mkdir(exist_ok=True)
    with h5py.File(out / "spikes.h5", "w") as f:
        g = f.create_group("spikes/brunel")
        g.create_dataset("timestamps", data=times[order]).attrs["units"] = "ms"
        g.create_dataset("node_ids", data=ids[order].astype(np.uint64))
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    print(json.dumps({
        "benchmark": "brunel", "tool": "pynest", "n_nodes": info["n_nodes"],
        "n_edges": int(sum(e[0].size for e in edges.values())), "n_spikes": int(ids.size),
        "seconds": {k: round(v, 4) for k, v in seconds.items()}, "total_s": round(total, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
