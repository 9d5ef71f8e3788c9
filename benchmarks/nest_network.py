"""The SONATA point network of the NEST benchmarks (scenario S2), written once and reused.

10,000 ``iaf_psc_alpha`` cells (8,000 exc + 2,000 inh) with connection probability 0.01 (about
1M recurrent edges, ``nsyns`` 1-3 each), 500 virtual cells firing Poisson trains at 10 Hz
(times on the 0.1 ms grid) projecting with probability 0.1 (about 0.5M edges), 1 s simulated.
Files: ``network/``, ``components/``, ``inputs/lgn_spikes.h5`` and ``config.json`` (NEST,
1 thread, spikes to ``output/spikes.h5``), usable by Cantata and BMTK PointNet alike: they stay
within PointNet's limits (one node-types file per population, so virtual and real types never
share one; no per-node parameters in the nodes h5; no ``allow_offgrid_spikes``).

    python -m benchmarks.nest_network [--out DIR] [--force]

Prints ``{"out": DIR, "n_nodes": ..., "n_edges": ..., "n_input_spikes": ...}``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.script_io import ensure_network, network_main

DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "nest_10k"
N_EXC, N_INH, P_RECURRENT = 8000, 2000, 0.01
N_VIRTUAL, P_INPUT, INPUT_RATE_HZ = 500, 0.1, 10.0
TSTOP, DT = 1000.0, 0.1
CELL = {"C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0,
        "tau_syn_ex": 2.0, "tau_syn_in": 2.0}
EXC = {**CELL, "I_e": 100.0}
INH = {**CELL, "I_e": 100.0}
#: edge_type_id -> (syn_weight pA, delay ms)
EDGE_TYPES = {1: (10.0, 1.5), 2: (-50.0, 1.5), 3: (20.0, 1.0)}
SEED = 20240601


def _random_edges(rng: np.random.Generator, sources: np.ndarray, n_targets: int, p: float,
                  no_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each source connects to Binomial(n_targets, p) targets drawn without replacement."""
    counts = rng.binomial(n_targets, p, size=sources.size)
    src = np.repeat(sources, counts)
    trg = np.concatenate([rng.choice(n_targets, size=c, replace=False) for c in counts])
    if no_self:
        keep = src != trg
        src, trg = src[keep], trg[keep]
    return src.astype(np.int64), trg.astype(np.int64)


def write(out: Path) -> dict:
    from cantata.sonata.spikes import SpikeTrains
    from cantata.sonata.write import (
        EdgeTable,
        NodeTable,
        write_edges,
        write_nodes,
        write_types_csv,
    )

    rng = np.random.default_rng(SEED)
    net, comps, inputs = out / "network", out / "components", out / "inputs"
    for folder in (net, comps / "point_neuron_models", comps / "synaptic_models", inputs):
        folder.mkdir(parents=True, exist_ok=True)
    (comps / "point_neuron_models" / "exc.json").write_text(json.dumps(EXC, indent=2))
    (comps / "point_neuron_models" / "inh.json").write_text(json.dumps(INH, indent=2))
    (comps / "synaptic_models" / "static.json").write_text("{}\n")

    n = N_EXC + N_INH
    write_nodes(net / "v1_nodes.h5", {"v1": NodeTable(
        node_type_id=np.repeat([100, 101], [N_EXC, N_INH]), groups=[{}])}, overwrite=True)
    write_types_csv(net / "v1_node_types.csv", pd.DataFrame({
        "node_type_id": [100, 101], "pop_name": ["exc", "inh"], "ei": ["e", "i"],
        "model_type": ["point_neuron"] * 2, "model_template": ["nest:iaf_psc_alpha"] * 2,
        "dynamics_params": ["exc.json", "inh.json"]}), overwrite=True)
    write_nodes(net / "lgn_nodes.h5", {"lgn": NodeTable(node_type_id=np.full(N_VIRTUAL, 200), groups=[{}])},
                overwrite=True)
    write_types_csv(net / "lgn_node_types.csv", pd.DataFrame({
        "node_type_id": [200], "pop_name": ["tON"], "model_type": ["virtual"]}), overwrite=True)

    s_exc, t_exc = _random_edges(rng, np.arange(N_EXC), n, P_RECURRENT, True)
    s_inh, t_inh = _random_edges(rng, np.arange(N_EXC, n), n, P_RECURRENT, True)
    src, trg = np.concatenate([s_exc, s_inh]), np.concatenate([t_exc, t_inh])
    etype = np.repeat([1, 2], [s_exc.size, s_inh.size])
    write_edges(net / "v1_v1_edges.h5", {"v1_to_v1": EdgeTable(
        source="v1", target="v1", source_node_id=src, target_node_id=trg, edge_type_id=etype,
        attributes={"nsyns": rng.integers(1, 4, src.size)}, n_source_nodes=n, n_target_nodes=n)}, overwrite=True)
    s_in, t_in = _random_edges(rng, np.arange(N_VIRTUAL), n, P_INPUT, False)
    write_edges(net / "lgn_v1_edges.h5", {"lgn_to_v1": EdgeTable(
        source="lgn", target="v1", source_node_id=s_in, target_node_id=t_in, edge_type_id=np.full(s_in.size, 3),
        attributes={"nsyns": rng.integers(1, 4, s_in.size)}, n_source_nodes=N_VIRTUAL, n_target_nodes=n)},
        overwrite=True)
    for name, tids in (("v1_v1_edge_types.csv", (1, 2)), ("lgn_v1_edge_types.csv", (3,))):
        write_types_csv(net / name, pd.DataFrame({
            "edge_type_id": list(tids), "model_template": ["static_synapse"] * len(tids),
            "dynamics_params": ["static.json"] * len(tids),
            "syn_weight": [EDGE_TYPES[t][0] for t in tids], "delay": [EDGE_TYPES[t][1] for t in tids]}),
            overwrite=True)

    counts = rng.poisson(INPUT_RATE_HZ * TSTOP / 1000.0, size=N_VIRTUAL)
    ids = np.repeat(np.arange(N_VIRTUAL), counts)
    steps = rng.integers(1, round(TSTOP / DT) + 1, size=ids.size)  # on the dt grid, 0 < t <= tstop
    SpikeTrains.from_arrays(ids, steps * DT, "lgn").write_h5(inputs / "lgn_spikes.h5", overwrite=True)

    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "target_simulator": "NEST",
        "run": {"tstop": TSTOP, "dt": DT, "nsteps_block": 5000, "n_thread": 1},
        "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models"},
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/v1_nodes.h5", "node_types_file": "$NETWORK_DIR/v1_node_types.csv"},
                      {"nodes_file": "$NETWORK_DIR/lgn_nodes.h5", "node_types_file": "$NETWORK_DIR/lgn_node_types.csv"}],
            "edges": [{"edges_file": "$NETWORK_DIR/v1_v1_edges.h5", "edge_types_file": "$NETWORK_DIR/v1_v1_edge_types.csv"},
                      {"edges_file": "$NETWORK_DIR/lgn_v1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/lgn_v1_edge_types.csv"}],
        },
        "node_sets": {"lgn": {"population": "lgn"}},
        "inputs": {"lgn_spikes": {"input_type": "spikes", "module": "sonata",
                                  "input_file": "$BASE_DIR/inputs/lgn_spikes.h5", "node_set": "lgn"}},
        "output": {"output_dir": "$BASE_DIR/output", "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_sort_order": "time", "overwrite_output_dir": True, "log_to_console": False,
                   "quiet_simulator": True},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    info = {"out": str(out), "n_nodes": n + N_VIRTUAL, "n_edges": int(src.size + s_in.size),
            "n_input_spikes": int(ids.size)}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def ensure(out: Path = DEFAULT_OUT) -> dict:
    """The network's summary, writing the files first if they are not there yet."""
    return ensure_network(out, "benchmarks.nest_network")


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write)


if __name__ == "__main__":
    main()
