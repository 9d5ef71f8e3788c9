"""A small point network in the form BMTK's PointNet reads, built with ``cantata.build``.

Written for the BMTK reference checks (tests/test_bmtk_reference.py); imported by Cantata's
interpreter only. One file set per network, as BMTK's builder writes them:

* ``cortex``: exc and inh ``nest:iaf_psc_alpha`` node types (parameters from JSON files in
  ``point_neuron_models_dir``) and, optionally, Allen GLIF node types (``nest:glif_*_psc``
  templates with an Allen ``neuron_config`` file);
* ``input``: virtual nodes fed from a SONATA spike file (times on the ``dt`` grid);
* edges: recurrent exc (``syn_weight`` > 0, one delay per edge type) and inh (``syn_weight`` < 0,
  per-edge delays in the h5), input -> cortex, all with per-pair ``nsyns``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cantata.build import NetworkBuilder, Probability, vectorized
from cantata.sonata.spikes import SpikeTrains

EXC = {"C_m": 250.0, "tau_m": 15.0, "t_ref": 2.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0,
       "tau_syn_ex": 0.5, "I_e": 240.0}
INH = {"C_m": 200.0, "tau_m": 10.0, "t_ref": 1.0, "E_L": -65.0, "V_th": -52.0, "V_reset": -67.0,
       "I_e": 250.0}

#: An Allen Cell Types GLIF parameter file (SI units), with every method block the five levels use.
ALLEN_GLIF = {
    "El_reference": -0.0775, "El": 0.0, "C": 7.0e-11, "R_input": 1.8e8, "th_inf": 0.026,
    "spike_cut_length": 40, "dt": 5e-05, "init_voltage": 0.0, "init_threshold": 0.02, "type": "GLIF",
    "coeffs": {"C": 1.0, "G": 1.0, "th_inf": 0.98, "a": 1.0, "b": 1.0, "asc_amp_array": [1.0, 1.0]},
    "asc_tau_array": [0.0333, 0.333], "asc_amp_array": [-1.5e-11, -4.0e-11], "init_AScurrents": [0.0, 0.0],
    "threshold_dynamics_method": {"name": "three_components_exact",
                                  "params": {"a_spike": 0.004, "b_spike": 50.0, "a_voltage": 2.0,
                                             "b_voltage": 40.0}},
    "voltage_reset_method": {"name": "v_before", "params": {"a": 0.3, "b": 0.015}},
    "AScurrent_dynamics_method": {"name": "exp", "params": {}},
    "AScurrent_reset_method": {"name": "sum", "params": {"r": [1.0, 1.0]}},
}
#: Spike-timing-dependent (recurrent exc edges) and short-term (recurrent inh edges) plasticity.
TSODYKS = {"U": 0.45, "u": 0.45, "tau_rec": 250.0, "tau_fac": 20.0}
STDP = {"tau_plus": 15.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": 400.0}
#: BMTK's five GLIF levels, by template.
GLIF_TEMPLATES = ("nest:glif_lif_psc", "nest:glif_lif_r_psc", "nest:glif_lif_asc_psc",
                  "nest:glif_lif_r_asc_psc", "nest:glif_lif_r_asc_a_psc")


@dataclass
class PointModel:
    """Where the model was written, and what the checks need to know about it."""

    root: Path
    config: Path
    n_cortex: int
    dt: float
    tstop: float
    clamped: list[int]
    recorded: list[int]


def write_pointnet_model(root: Path, *, n_exc: int = 24, n_inh: int = 8, n_input: int = 12,
                         glif: bool = False, tstop: float = 300.0, dt: float = 0.1, seed: int = 3,
                         clamp: bool = True, report: bool = True,
                         plastic: bool = False) -> PointModel:
    """Build and save the network, its components, an input spike file and a config.

    ``glif`` adds one node type per GLIF level (two cells each), driven by the inputs on
    receptor port 1 (NEST's GLIF models have no port 0).
    """
    root = Path(root)
    net_dir, point_dir, syn_dir = root / "network", root / "components" / "point", root / "components" / "synapses"
    for folder in (net_dir, point_dir, syn_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (point_dir / "exc.json").write_text(json.dumps(EXC))
    (point_dir / "inh.json").write_text(json.dumps(INH))
    (syn_dir / "static.json").write_text("{}")
    (syn_dir / "glif_port1.json").write_text(json.dumps({"receptor_type": 1}))
    (syn_dir / "tsodyks.json").write_text(json.dumps(TSODYKS))
    (syn_dir / "stdp.json").write_text(json.dumps(STDP))

    static = {"model_template": "static_synapse", "dynamics_params": "static.json"}
    stdp = {"model_template": "nest:stdp_synapse", "dynamics_params": "stdp.json"} if plastic else static
    tsodyks = {"model_template": "nest:tsodyks2_synapse", "dynamics_params": "tsodyks.json"} if plastic else static
    cortex = NetworkBuilder("cortex", seed=seed)
    cortex.add_nodes(N=n_exc, pop_name="exc", ei="e", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="exc.json")
    cortex.add_nodes(N=n_inh, pop_name="inh", ei="i", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="inh.json")
    if glif:
        (point_dir / "allen_glif.json").write_text(json.dumps(ALLEN_GLIF))
        for template in GLIF_TEMPLATES:
            cortex.add_nodes(N=2, pop_name=template.split(":")[1], ei="g", model_type="point_neuron",
                             model_template=template, dynamics_params="allen_glif.json")
    iaf = {"ei": ["e", "i"]}
    cortex.add_edges(source={"ei": "e"}, target=iaf, connection_rule=Probability(0.2, nsyns=(1, 3)),
                     syn_weight=30.0, delay=1.5, **stdp)
    inh = cortex.add_edges(source={"ei": "i"}, target=iaf, connection_rule=Probability(0.3, nsyns=(1, 3)),
                           syn_weight=-60.0, **tsodyks)
    inh.add_properties("delay", rule=vectorized(lambda edges: np.round(edges.rng.uniform(0.8, 3.0, len(edges)), 1)),
                       dtypes=float)

    inputs = NetworkBuilder("input", seed=seed)
    inputs.add_nodes(N=n_input, pop_name="tON", model_type="virtual")
    inputs.add_edges(source=inputs.nodes(), target=cortex.nodes(ei=["e", "i"]),
                     connection_rule=Probability(0.4, nsyns=(1, 2)), syn_weight=80.0, delay=2.0,
                     **static)
    if glif:
        inputs.add_edges(source=inputs.nodes(), target=cortex.nodes(ei="g"), connection_rule=Probability(0.5),
                         syn_weight=60.0, delay=2.0, model_template="static_synapse",
                         dynamics_params="glif_port1.json")
    cortex.save(net_dir, overwrite=True)
    inputs.save(net_dir, overwrite=True)

    rng = np.random.default_rng(seed)
    steps = rng.integers(1, round(tstop / dt), size=n_input * 15)
    SpikeTrains.from_arrays(rng.integers(0, n_input, steps.size), steps * dt, "input").write_h5(
        root / "input_spikes.h5", overwrite=True)

    n_cortex = cortex.nnodes
    clamped = [0, 3, n_exc + 1]
    recorded = [0, 1, 3, n_exc, n_exc + 1]
    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEST",
        "run": {"tstop": tstop, "dt": dt, "overwrite_output_dir": True},
        "conditions": {},
        "components": {"point_neuron_models_dir": "$BASE/components/point",
                       "synaptic_models_dir": "$BASE/components/synapses"},
        "networks": {
            "nodes": [{"nodes_file": f"$NET/{name}_nodes.h5", "node_types_file": f"$NET/{name}_node_types.csv"}
                      for name in ("cortex", "input")],
            "edges": [{"edges_file": f"$NET/{src}_cortex_edges.h5", "edge_types_file": f"$NET/{src}_cortex_edge_types.csv"}
                      for src in ("cortex", "input")],
        },
        "node_sets": {"clamped": {"population": "cortex", "node_id": clamped},
                      "recorded": {"population": "cortex", "node_id": recorded}},
        "inputs": {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                           "node_set": "input"}},
        "reports": {},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    if clamp:
        config["inputs"]["pulses"] = {"input_type": "current_clamp", "module": "IClamp", "node_set": "clamped",
                                      "amp": [250.0, -150.0, 400.0], "delay": [50.0, 120.0, 200.0],
                                      "duration": [40.0, 30.0, 20.0]}
    if report:
        config["reports"]["vm"] = {"module": "membrane_report", "cells": "recorded", "variable_name": "V_m",
                                   "sections": "soma", "file_name": "vm.h5"}
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return PointModel(root, path, n_cortex, dt, tstop, clamped, recorded)


def write_relay_model(root: Path, times: list[float], *, dt: float = 0.1, tstop: float = 50.0,
                      input_block: dict[str, Any] | None = None) -> PointModel:
    """One virtual input relayed by one ``iaf_psc_alpha`` cell: every input spike at ``t``
    makes the cell fire at ``t + delay`` plus a fixed rise time, so output spikes show exactly
    when each input spike arrived. ``input_block`` adds keys to the spikes input block."""
    root = Path(root)
    net_dir, point_dir, syn_dir = root / "network", root / "components" / "point", root / "components" / "synapses"
    for folder in (net_dir, point_dir, syn_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (point_dir / "exc.json").write_text(json.dumps({**EXC, "I_e": 0.0}))
    (syn_dir / "static.json").write_text("{}")
    cell = NetworkBuilder("cortex")
    cell.add_nodes(N=1, pop_name="exc", model_type="point_neuron", model_template="nest:iaf_psc_alpha",
                   dynamics_params="exc.json")
    source = NetworkBuilder("input")
    source.add_nodes(N=1, pop_name="tON", model_type="virtual")
    source.add_edges(source=source.nodes(), target=cell.nodes(), connection_rule=1, syn_weight=5000.0,
                     delay=1.0, model_template="static_synapse", dynamics_params="static.json")
    cell.save(net_dir, overwrite=True)
    source.save(net_dir, overwrite=True)
    SpikeTrains.from_arrays(np.zeros(len(times), dtype=np.int64), np.asarray(times, float), "input").write_h5(
        root / "input_spikes.h5", overwrite=True)
    config = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEST",
        "run": {"tstop": tstop, "dt": dt},
        "components": {"point_neuron_models_dir": "$BASE/components/point",
                       "synaptic_models_dir": "$BASE/components/synapses"},
        "networks": {
            "nodes": [{"nodes_file": f"$NET/{name}_nodes.h5", "node_types_file": f"$NET/{name}_node_types.csv"}
                      for name in ("cortex", "input")],
            "edges": [{"edges_file": "$NET/input_cortex_edges.h5", "edge_types_file": "$NET/input_cortex_edge_types.csv"}],
        },
        "inputs": {"relay": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                             "node_set": "input", **(input_block or {})}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return PointModel(root, path, 1, dt, tstop, [], [])
