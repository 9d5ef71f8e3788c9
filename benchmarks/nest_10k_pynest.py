"""Direct PyNEST side of the S2 point-network benchmark: the model of
:mod:`benchmarks.nest_network` built with plain PyNEST calls (files read with h5py and the csv
module, array ``nest.Connect`` per edge type, one ``spike_generator`` per input), run for 1 s,
spikes written with h5py. The floor Cantata's overhead is measured against.

    python -m benchmarks.nest_10k_pynest [--work DIR] [--threads N]
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

from benchmarks.nest_network import DEFAULT_OUT, ensure


def types_table(path: Path) -> dict[int, dict[str, str]]:
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

    with h5py.File(net / "v1_nodes.h5") as f:
        v1_types = f["nodes/v1/node_type_id"][:]
    node_types = types_table(net / "v1_node_types.csv")
    params = {tid: json.loads((comps / "point_neuron_models" / row["dynamics_params"]).read_text())
              for tid, row in node_types.items()}
    with h5py.File(net / "lgn_nodes.h5") as f:
        n_lgn = f["nodes/lgn/node_type_id"].shape[0]
    edges = {}
    for name, pop in (("v1_v1", "v1_to_v1"), ("lgn_v1", "lgn_to_v1")):
        with h5py.File(net / f"{name}_edges.h5") as f:
            g = f[f"edges/{pop}"]
            edges[name] = (g["source_node_id"][:].astype(np.int64), g["target_node_id"][:].astype(np.int64),
                           g["edge_type_id"][:], g["0/nsyns"][:])
        edges[name] += (types_table(net / f"{name}_edge_types.csv"),)
    with h5py.File(args.work / "inputs" / "lgn_spikes.h5") as f:
        in_ids = f["spikes/lgn/node_ids"][:].astype(np.int64)
        in_times = f["spikes/lgn/timestamps"][:]
    seconds["load"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": args.threads})
    v1 = np.zeros(v1_types.size, dtype=np.int64)
    for tid, p in params.items():
        rows = np.flatnonzero(v1_types == tid)
        first = nest.Create(node_types[tid]["model_template"].split(":")[1], rows.size, params=p)[0].global_id
        v1[rows] = np.arange(first, first + rows.size)
    generators = nest.Create("spike_generator", n_lgn)
    order = np.lexsort((in_times, in_ids))
    trains = np.split(in_times[order], np.searchsorted(in_ids[order], np.arange(1, n_lgn)))
    generators.set([{"spike_times": train} for train in trains])
    lgn = np.asarray(generators.tolist(), dtype=np.int64)
    for name, (src, trg, etype, nsyns, types) in edges.items():
        sources = v1 if name == "v1_v1" else lgn
        for tid, row in types.items():
            sel = etype == tid
            nest.Connect(sources[src[sel]], v1[trg[sel]], "one_to_one", syn_spec={
                "synapse_model": row["model_template"], "weight": float(row["syn_weight"]) * nsyns[sel],
                "delay": np.full(int(sel.sum()), float(row["delay"]))})
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(v1.tolist()), recorder)
    seconds["instantiate"] = time.perf_counter() - t

    t = time.perf_counter()
    nest.Simulate(1000.0)
    seconds["simulate"] = time.perf_counter() - t

    t = time.perf_counter()
    events = recorder.get("events")
    node_of = np.zeros(v1.max() + 1, dtype=np.int64)
    node_of[v1] = np.arange(v1.size)
    ids = node_of[np.asarray(events["senders"], dtype=np.int64)]
    times = np.asarray(events["times"])
    order = np.lexsort((ids, times))
    out = args.work / "output_pynest"
    out.mkdir(exist_ok=True)
    with h5py.File(out / "spikes.h5", "w") as f:
        g = f.create_group("spikes/v1")
        g.create_dataset("timestamps", data=times[order]).attrs["units"] = "ms"
        g.create_dataset("node_ids", data=ids[order].astype(np.uint64))
    seconds["write"] = time.perf_counter() - t
    total = time.perf_counter() - START - preparing
    print(json.dumps({
        "benchmark": "point_10k", "tool": "pynest", "n_nodes": info["n_nodes"],
        "n_edges": int(sum(e[0].size for e in edges.values())), "n_spikes": int(ids.size),
        "seconds": {k: round(v, 4) for k, v in seconds.items()}, "total_s": round(total, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
