"""A small SONATA point network for the simulation tests, and the same model built directly
in PyNEST (the reference the NEST engine must match spike for spike).

Population ``cortex``: exc and inh ``iaf_psc_alpha`` cells (node types interleaved, per-node
``I_e`` in the h5 ``dynamics_params`` group); population ``input``: virtual nodes fed from a
SONATA spike file. Edges: recurrent exc (syn_weight > 0, delay in the edge types) and inh
(syn_weight < 0, per-edge delays in the h5), input -> cortex (no delay: NEST's default),
all with per-edge ``nsyns``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_edges,
    write_nodes,
    write_types_csv,
)

EXC = {"C_m": 250.0, "tau_m": 15.0, "t_ref": 2.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "tau_syn_ex": 0.5}
INH = {"C_m": 200.0, "tau_m": 10.0, "t_ref": 1.0, "E_L": -65.0, "V_th": -52.0, "V_reset": -67.0}
TYPES = {100: ("exc", EXC), 101: ("inh", INH)}
EDGE_TYPES = {  # edge_type_id: (source pop, target pop, syn_weight, delay or None)
    1: ("cortex", "cortex", 30.0, 1.5),
    2: ("cortex", "cortex", -60.0, None),   # per-edge delays in the h5 file
    3: ("input", "cortex", 80.0, None),     # no delay at all: NEST's default (1 ms)
}


@dataclass
class PointNetwork:
    """Arrays of the network as written, and where it was written."""

    root: Path
    config: Path
    cortex_types: np.ndarray
    i_e: np.ndarray
    n_input: int
    edges: dict[str, dict[str, np.ndarray]]
    spikes: tuple[np.ndarray, np.ndarray]
    tstop: float
    dt: float


def write_network(root: Path, *, n_exc: int = 24, n_inh: int = 8, n_input: int = 10, tstop: float = 200.0,
                  dt: float = 0.1, seed: int = 7, config_extra: dict[str, Any] | None = None,
                  edge_models: dict[int, tuple[str, dict[str, Any]]] | None = None,
                  weight_functions: dict[int, str] | None = None) -> PointNetwork:
    """Write the network; ``edge_models`` gives edge types another (model_template, dynamics
    params), ``weight_functions`` a weight_function name."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    net = root / "network"
    comps = root / "components"
    (comps / "point").mkdir(parents=True, exist_ok=True)
    (comps / "synapses").mkdir(parents=True, exist_ok=True)
    net.mkdir(exist_ok=True)
    for name, params in TYPES.values():
        (comps / "point" / f"{name}.json").write_text(json.dumps(params))
    (comps / "synapses" / "static.json").write_text("{}")
    edge_models = edge_models or {}
    for tid, (_, params) in edge_models.items():
        (comps / "synapses" / f"type{tid}.json").write_text(json.dumps(params))

    n = n_exc + n_inh
    cortex_types = np.array([100] * n_exc + [101] * n_inh)
    rng.shuffle(cortex_types)
    i_e = np.round(rng.uniform(150.0, 330.0, n), 1)
    write_nodes(net / "nodes.h5", {
        "cortex": NodeTable(node_type_id=cortex_types, groups=[{"layer": np.full(n, 4)}],
                            dynamics_params=[{"I_e": i_e}]),
        "input": NodeTable(node_type_id=np.full(n_input, 200), groups=[{}]),
    })
    write_types_csv(net / "node_types.csv", pd.DataFrame({
        "node_type_id": [100, 101, 200],
        "model_type": ["point_neuron", "point_neuron", "virtual"],
        "model_template": ["nest:iaf_psc_alpha", "nest:iaf_psc_alpha", None],
        "dynamics_params": ["exc.json", "inh.json", None],
        "ei": ["e", "i", None],
    }))

    exc_ids = np.flatnonzero(cortex_types == 100)
    inh_ids = np.flatnonzero(cortex_types == 101)
    edges: dict[str, dict[str, np.ndarray]] = {}

    def pairs(sources: np.ndarray, targets: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
        s, t = np.meshgrid(sources, targets, indexing="ij")
        s, t = s.ravel(), t.ravel()
        keep = (rng.random(s.size) < p) & (s != t)
        return s[keep], t[keep]

    s1, t1 = pairs(exc_ids, np.arange(n), 0.2)
    s2, t2 = pairs(inh_ids, np.arange(n), 0.3)
    src = np.concatenate([s1, s2])
    trg = np.concatenate([t1, t2])
    etype = np.concatenate([np.full(s1.size, 1), np.full(s2.size, 2)])
    nsyns = rng.integers(1, 4, src.size)
    delay = np.where(etype == 2, np.round(rng.uniform(0.8, 3.0, src.size), 1), np.nan)
    edges["cortex_cortex"] = {"source": src, "target": trg, "type": etype, "nsyns": nsyns, "delay": delay}

    s3, t3 = pairs(np.arange(n_input), np.arange(n), 0.4)
    nsyns3 = rng.integers(1, 3, s3.size)
    edges["input_cortex"] = {"source": s3, "target": t3, "type": np.full(s3.size, 3), "nsyns": nsyns3,
                             "delay": np.full(s3.size, np.nan)}

    # h5 values win over the edge-types csv: type 1 edges carry the csv delay (1.5) in the h5 too,
    # type 2 edges their own per-edge delays
    with_delay = np.where(etype == 1, 1.5, delay)
    edges["cortex_cortex"]["delay"] = with_delay
    write_edges(net / "cortex_edges.h5", {"cortex_cortex": EdgeTable(
        source="cortex", target="cortex", source_node_id=src, target_node_id=trg, edge_type_id=etype,
        attributes={"nsyns": nsyns, "delay": with_delay}, n_source_nodes=n, n_target_nodes=n)})
    write_edges(net / "input_edges.h5", {"input_cortex": EdgeTable(
        source="input", target="cortex", source_node_id=s3, target_node_id=t3, edge_type_id=np.full(s3.size, 3),
        attributes={"nsyns": nsyns3}, n_source_nodes=n_input, n_target_nodes=n)})
    for name, tids in (("cortex_edge_types.csv", (1, 2)), ("input_edge_types.csv", (3,))):
        write_types_csv(net / name, pd.DataFrame({
            "edge_type_id": list(tids),
            "model_template": [edge_models[t][0] if t in edge_models else "static_synapse" for t in tids],
            "dynamics_params": [f"type{t}.json" if t in edge_models else "static.json" for t in tids],
            "syn_weight": [EDGE_TYPES[t][2] for t in tids],
            **({"delay": [EDGE_TYPES[t][3] for t in tids]} if name.startswith("cortex") else {}),
            **({"weight_function": [(weight_functions or {}).get(t) for t in tids]} if weight_functions else {}),
        }))

    # input spikes on the dt grid
    steps = rng.integers(1, int(tstop / dt), size=n_input * 12)
    ids = rng.integers(0, n_input, size=steps.size)
    times = steps * dt
    SpikeTrains.from_arrays(ids, times, "input").write_h5(root / "input_spikes.h5")

    config = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEST",
        "run": {"tstop": tstop, "dt": dt, "nsteps_block": 500},
        "components": {"point_neuron_models_dir": "$BASE/components/point",
                       "synaptic_models_dir": "$BASE/components/synapses"},
        "networks": {
            "nodes": [{"nodes_file": "$NET/nodes.h5", "node_types_file": "$NET/node_types.csv"}],
            "edges": [{"edges_file": "$NET/cortex_edges.h5", "edge_types_file": "$NET/cortex_edge_types.csv"},
                      {"edges_file": "$NET/input_edges.h5", "edge_types_file": "$NET/input_edge_types.csv"}],
        },
        "node_sets": {"inputs": {"population": "input"}, "exc": {"population": "cortex", "ei": "e"}},
        "inputs": {"stim": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                            "node_set": "inputs"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
                   "log_file": "log.txt", "log_to_console": False, "quiet_simulator": True},
    }
    for key, value in (config_extra or {}).items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return PointNetwork(root, path, cortex_types, i_e, n_input, edges, (ids, times), tstop, dt)


def write_config(net: PointNetwork, name: str = "config.json", **changes: Any) -> Path:
    """A copy of the network's config with top-level blocks updated (None deletes a key)."""
    config = json.loads(net.config.read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            merged = {**config[key], **value}
            config[key] = {k: v for k, v in merged.items() if v is not None}
        else:
            config[key] = value
    path = net.root / name
    path.write_text(json.dumps(config, indent=2))
    return path


# ----------------------------------------------------------------------------------------------
# the same model in plain PyNEST


def nest_quiet():
    os.environ.setdefault("PYNEST_QUIET", "1")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


def run_direct(net: PointNetwork, *, record_vm: list[int] | None = None, iclamp: dict[str, Any] | None = None,
               synapse: dict[int, dict[str, Any]] | None = None,
               weights: dict[int, np.ndarray] | None = None) -> dict[str, Any]:
    """Build and run the network with PyNEST calls only.

    ``synapse`` updates the syn_spec of an edge type, ``weights`` replaces its weights. Returns
    ``spikes`` (node ids, times), ``vm`` when asked, and ``weights`` (final, per edge type).
    """
    nest = nest_quiet()
    nest.ResetKernel()
    nest.resolution = net.dt
    n = net.cortex_types.size
    cortex = np.zeros(n, dtype=np.int64)
    for tid, (_, params) in TYPES.items():
        rows = np.flatnonzero(net.cortex_types == tid)
        created = nest.Create("iaf_psc_alpha", rows.size, params={**params, "I_e": net.i_e[rows]})
        cortex[rows] = created.tolist()
    gens = nest.Create("spike_generator", net.n_input)
    ids, times = net.spikes
    for i in range(net.n_input):
        gens[i].set(spike_times=np.sort(times[ids == i]))
    generator_ids = np.asarray(gens.tolist())
    e = net.edges["cortex_cortex"]
    for etype in (1, 2):
        sel = e["type"] == etype
        spec = {"synapse_model": "static_synapse", "weight": EDGE_TYPES[etype][2] * e["nsyns"][sel],
                "delay": e["delay"][sel]}
        if weights and etype in weights:
            spec["weight"] = weights[etype]
        spec.update((synapse or {}).get(etype, {}))
        nest.Connect(cortex[e["source"][sel]], cortex[e["target"][sel]], "one_to_one", syn_spec=spec)
    e = net.edges["input_cortex"]
    nest.Connect(generator_ids[e["source"]], cortex[e["target"]], "one_to_one",
                 syn_spec={"synapse_model": "static_synapse", "weight": EDGE_TYPES[3][2] * e["nsyns"]})
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(np.sort(cortex).tolist()), recorder)
    if iclamp is not None:
        gen = nest.Create("step_current_generator", params=iclamp["params"])
        nest.Connect(gen, nest.NodeCollection(sorted(cortex[iclamp["nodes"]].tolist())), syn_spec={"delay": net.dt})
    mm = None
    if record_vm:
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": net.dt})
        nest.Connect(mm, nest.NodeCollection(sorted(cortex[record_vm].tolist())))
    nest.Simulate(net.tstop + (2.0 if record_vm else 0.0))
    ev = recorder.events
    node_of = {int(g): i for i, g in enumerate(cortex)}
    senders = np.asarray(ev["senders"], dtype=np.int64)
    stimes = np.asarray(ev["times"])
    keep = stimes <= net.tstop
    out: dict[str, Any] = {"spikes": (np.array([node_of[s] for s in senders[keep]], dtype=np.int64), stimes[keep])}
    out["weights"] = final_weights(nest, cortex, net)
    if mm is not None:
        mev = mm.events
        out["vm"] = {node_of[int(s)]: (mev["times"][mev["senders"] == s], mev["V_m"][mev["senders"] == s])
                     for s in np.unique(mev["senders"])}
    return out


def final_weights(nest: Any, cortex: np.ndarray, net: PointNetwork) -> dict[tuple[int, int], list[float]]:
    """Weights of the cortex -> cortex connections after the run, by (source, target) node."""
    conns = nest.GetConnections(source=nest.NodeCollection(np.sort(cortex).tolist()),
                                target=nest.NodeCollection(np.sort(cortex).tolist()))
    status = conns.get(["source", "target", "weight"])
    node_of = {int(g): i for i, g in enumerate(cortex)}
    out: dict[tuple[int, int], list[float]] = {}
    for s, t, w in zip(status["source"], status["target"], status["weight"]):
        out.setdefault((node_of[int(s)], node_of[int(t)]), []).append(float(w))
    return {k: sorted(v) for k, v in out.items()}


def spike_set(ids: np.ndarray, times: np.ndarray) -> list[tuple[int, float]]:
    return sorted(zip(np.asarray(ids).tolist(), np.round(np.asarray(times), 9).tolist()))
