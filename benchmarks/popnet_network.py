"""The populations of scenario S8 (PopNet), written once: a SONATA network and config for
Cantata's popnet engine and ``populations.json`` with the same numbers for the NEST
Monte-Carlo side.

The recurrent E-I network of tests/test_popnet_montecarlo.py at benchmark length: two
populations of leaky integrate-and-fire neurons with delta synapses (DiPDE's model: rest and
reset at 0, threshold 20 mV, potentials clamped at -50 mV, no refractory period), E with
tau_m = 20 ms and I with 10 ms; in-degrees E->E 10, E->I 40, I->E 10, I->I 10 with jumps of
+1, +1, -2, -1 mV and 2 ms delays; each population driven by its own Poisson input (E 1000 Hz,
I 800 Hz) of 1 mV jumps. Density grid: dv = 0.05 mV from -50 to 20 mV, dt = 0.1 ms.

NEST simulates ``n_E`` and ``n_I`` ``iaf_psc_delta`` neurons (``fixed_indegree`` connections, one
``poisson_generator`` per population); the size sets those counts and ``tstop``. The steady-state
rates are compared from ``STEADY_FROM_MS`` to the end.

    python -m benchmarks.popnet_network [--out DIR] [--size full|small|tiny] [--force]
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.script_io import ensure_network, network_main

DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "popnet"
SIZES = {
    "full": {"tstop": 1000.0, "n_E": 10_000, "n_I": 2_500},
    "small": {"tstop": 400.0, "n_E": 5_000, "n_I": 2_000},
    "tiny": {"tstop": 300.0, "n_E": 2_000, "n_I": 800},
}
DV, V_MIN, V_TH = 5e-5, -0.05, 0.02  # V
DT = 1e-4  # s
POPULATIONS = {"E": {"tau_m": 0.02, "ext_rate": 1000.0}, "I": {"tau_m": 0.01, "ext_rate": 800.0}}
#: (source, target) -> (in-degree, jump V)
EDGES = {("E", "E"): (10, 1.0e-3), ("E", "I"): (40, 1.0e-3), ("I", "E"): (10, -2.0e-3), ("I", "I"): (10, -1.0e-3)}
W_EXT, DELAY = 1.0e-3, 0.002  # V, s
STEADY_FROM_MS = 150.0


def write(out: Path, size: str = "full") -> dict[str, Any]:
    """Write the network, the population models, the config and ``populations.json`` into ``out``."""
    from cantata.build import NetworkBuilder

    dims = SIZES[size]
    started = time.perf_counter()
    models, net_dir = out / "models", out / "network"
    models.mkdir(parents=True, exist_ok=True)
    net = NetworkBuilder("internal")
    for name, pop in POPULATIONS.items():
        params = {"tau_m": pop["tau_m"], "v_min": V_MIN, "v_max": V_TH, "dv": DV}
        (models / f"{name}.json").write_text(json.dumps(params) + "\n")
        net.add_nodes(pop_name=name, model_type="population", model_template="dipde:Internal",
                      dynamics_params=f"{name}.json")
    for (src, tgt), (k, w) in EDGES.items():
        net.add_edges(source={"pop_name": src}, target={"pop_name": tgt}, syn_weight=w, nsyns=k, delay=DELAY)
    net.build()
    net.save(net_dir, overwrite=True)
    ext = NetworkBuilder("external")
    for name, pop in POPULATIONS.items():
        ext.add_nodes(pop_name=f"ext_{name}", model_type="virtual", firing_rate=pop["ext_rate"])
        ext.add_edges(source={"pop_name": f"ext_{name}"}, target=net.nodes(pop_name=name), syn_weight=W_EXT,
                      nsyns=1, delay=0.0)
    ext.build()
    ext.save(net_dir, overwrite=True)
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network"},
        "target_simulator": "DiPDE",
        "run": {"tstop": dims["tstop"], "dt": DT},
        "output": {"output_dir": "$BASE_DIR/output", "rates_file": "rates.csv", "log_to_console": False,
                   "overwrite_output_dir": True},
        "components": {"population_models_dir": "$BASE_DIR/models"},
        "networks": {
            "nodes": [{"nodes_file": f"$NETWORK_DIR/{n}_nodes.h5", "node_types_file": f"$NETWORK_DIR/{n}_node_types.csv"}
                      for n in ("internal", "external")],
            "edges": [{"edges_file": f"$NETWORK_DIR/{n}_internal_edges.h5",
                       "edge_types_file": f"$NETWORK_DIR/{n}_internal_edge_types.csv"} for n in ("internal", "external")],
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    populations = {
        "tstop_ms": dims["tstop"], "v_th_mv": V_TH * 1e3, "v_min_mv": V_MIN * 1e3, "w_ext_mv": W_EXT * 1e3,
        "delay_ms": DELAY * 1e3, "steady_from_ms": STEADY_FROM_MS,
        "populations": {name: {"n": dims[f"n_{name}"], "tau_m_ms": pop["tau_m"] * 1e3, "ext_rate_hz": pop["ext_rate"]}
                        for name, pop in POPULATIONS.items()},
        "edges": [{"source": s, "target": t, "indegree": k, "weight_mv": w * 1e3} for (s, t), (k, w) in EDGES.items()],
    }
    (out / "populations.json").write_text(json.dumps(populations, indent=2) + "\n")
    info = {"out": str(out), "size": size, **dims, "populations": list(POPULATIONS),
            "build_save_s": round(time.perf_counter() - started, 2)}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def ensure(out: Path = DEFAULT_OUT, size: str | None = None) -> dict[str, Any]:
    """The summary, writing the files first if they are not there or are of another size."""
    return ensure_network(out, "benchmarks.popnet_network", size=size)


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write, sizes=SIZES)


if __name__ == "__main__":
    main()
