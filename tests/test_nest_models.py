"""Synapse models from the edge types, GLIF parameter files and user weight functions."""

from __future__ import annotations

import json
from importlib.util import find_spec

import h5py
import numpy as np
import pandas as pd
import pytest
from sim_network import final_weights, nest_quiet, run_direct, spike_set, write_network

from cantata.sim import Simulation, synaptic_weight
from cantata.sim.engines.nest.glif import allen_to_nest, glif_target, level_from_methods
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_edges,
    write_nodes,
    write_types_csv,
)

pytestmark = [pytest.mark.nest, pytest.mark.skipif(find_spec("nest") is None, reason="NEST is not installed")]


def engine_weights(sim, net):
    return final_weights(sim.engine.nest, sim.engine.nest_ids("cortex"), net)


def test_tsodyks_and_stdp_synapses_from_edge_types(tmp_path):
    tsodyks = {"U": 0.45, "tau_rec": 250.0, "tau_fac": 20.0, "u": 0.45}
    stdp = {"tau_plus": 15.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": 400.0}
    net = write_network(tmp_path, seed=11, edge_models={1: ("nest:stdp_synapse", stdp),
                                                        2: ("tsodyks2_synapse", tsodyks)})
    sim = Simulation.from_config(net.config, progress=False)
    result = sim.run()
    got = engine_weights(sim, net)  # before the direct runs reset NEST's kernel
    models = set(sim.engine.nest.GetConnections().get("synapse_model"))
    n1 = int((net.edges["cortex_cortex"]["type"] == 1).sum())
    n2 = int((net.edges["cortex_cortex"]["type"] == 2).sum())
    reference = run_direct(net, synapse={
        1: {"synapse_model": "stdp_synapse", **{k: np.full(n1, v) for k, v in stdp.items()}},
        2: {"synapse_model": "tsodyks2_synapse", **{k: np.full(n2, v) for k, v in tsodyks.items()}},
    })
    static = run_direct(net)
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*reference["spikes"])
    assert spike_set(*reference["spikes"]) != spike_set(*static["spikes"])
    # plasticity happened, and identically
    want = reference["weights"]
    assert got.keys() == want.keys()
    assert all(np.allclose(got[k], want[k], rtol=1e-12) for k in want)
    assert any(not np.allclose(want[k], static["weights"][k]) for k in want)
    assert any(m.startswith("cantata__cortex_cortex__1") for m in models)


def test_weight_function_gets_whole_columns_once_per_edge_type(tmp_path):
    calls = []

    @synaptic_weight("by_target_test")
    def by_target(edges, sources, targets):
        calls.append(len(edges))
        assert len(sources) == len(targets) == len(edges)
        assert (sources["ei"] == "e").all()  # edge type 1 comes from excitatory cells only
        return edges["syn_weight"].to_numpy() * edges["nsyns"].to_numpy() * \
            (1.0 + 0.1 * (targets["node_id"].to_numpy() % 4))

    net = write_network(tmp_path, seed=5, weight_functions={1: "by_target_test"})
    result = Simulation.from_config(net.config, progress=False).run()
    e = net.edges["cortex_cortex"]
    sel = e["type"] == 1
    assert calls == [int(sel.sum())]
    weights = 30.0 * e["nsyns"][sel] * (1.0 + 0.1 * (e["target"][sel] % 4))
    reference = run_direct(net, weights={1: weights})
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*reference["spikes"])
    assert spike_set(*reference["spikes"]) != spike_set(*run_direct(net)["spikes"])


# -- GLIF ----------------------------------------------------------------------------------------

ALLEN_GLIF = {
    "El_reference": -0.0775, "El": 0.0, "C": 7.0e-11, "R_input": 1.8e8, "th_inf": 0.026,
    "spike_cut_length": 40, "dt": 5e-05, "init_voltage": 0.0, "init_threshold": 0.02, "type": "GLIF",
    "coeffs": {"C": 1.0, "G": 1.0, "th_inf": 0.98, "a": 1.0, "b": 1.0, "asc_amp_array": [1.0, 1.0]},
    "asc_tau_array": [0.0333, 0.333], "asc_amp_array": [-1.5e-11, -4.0e-11], "init_AScurrents": [0.0, 0.0],
    "threshold_dynamics_method": {"name": "three_components_exact",
                                  "params": {"a_spike": 0.004, "b_spike": 50.0, "a_voltage": 2.0, "b_voltage": 40.0}},
    "voltage_reset_method": {"name": "v_before", "params": {"a": 0.3, "b": 0.015}},
    "AScurrent_dynamics_method": {"name": "exp", "params": {}},
    "AScurrent_reset_method": {"name": "sum", "params": {"r": [1.0, 1.0]}},
}
LIF = {"E_L": -77.5, "V_m": -77.5, "V_th": -52.02, "g": 1e9 / 1.8e8, "C_m": 70.0, "t_ref": 2.0,
       "tau_syn": [5.5, 8.5, 2.8, 5.8], "spike_dependent_threshold": False, "after_spike_currents": False,
       "adapting_threshold": False}
LIF_RESET = {**LIF, "V_reset": -77.5}  # plain lif resets to El_reference; _r levels reset by fraction + add
LIF_R = {**LIF, "spike_dependent_threshold": True, "th_spike_add": 4.0,
         "th_spike_decay": 0.05, "voltage_reset_fraction": 0.3, "voltage_reset_add": 15.0}
LIF_R_ASC_A = {**LIF_R, "after_spike_currents": True, "adapting_threshold": True,
               "asc_init": [0.0, 0.0], "asc_decay": [1 / 33.3, 1 / 333.0], "asc_amps": [-15.0, -40.0],
               "asc_r": [1.0, 1.0], "th_voltage_index": 0.002, "th_voltage_decay": 0.04}


def test_allen_glif_mapping_by_hand():
    keys = set(nest_quiet().GetDefaults("glif_psc"))
    assert glif_target("glif_lif_r_asc_psc") == ("glif_psc", "lif_r_asc")
    assert glif_target("glif_lif_cond") == ("glif_cond", "lif")
    assert glif_target("glif_psc") == ("glif_psc", None)
    assert level_from_methods(ALLEN_GLIF) == "lif_r_asc_a"
    assert allen_to_nest(ALLEN_GLIF, "glif_psc", "lif", keys).keys() == LIF_RESET.keys()
    assert "V_reset" not in allen_to_nest(ALLEN_GLIF, "glif_psc", "lif_r", keys)
    for expected, level in ((LIF_RESET, "lif"), (LIF_R, "lif_r"), (LIF_R_ASC_A, None)):
        got = allen_to_nest(ALLEN_GLIF, "glif_psc", level, keys)
        for key, value in expected.items():
            assert np.allclose(got[key], value), key


def write_glif_network(root):
    root.mkdir(exist_ok=True)
    (root / "models").mkdir()
    (root / "syn").mkdir()
    (root / "models" / "allen_glif.json").write_text(json.dumps(ALLEN_GLIF))
    (root / "syn" / "port1.json").write_text(json.dumps({"receptor_type": 1}))
    write_nodes(root / "nodes.h5", {"glif": NodeTable(node_type_id=np.array([300, 301, 302, 300]), groups=[{}]),
                                    "drive": NodeTable(node_type_id=np.array([400, 400]), groups=[{}])})
    write_types_csv(root / "node_types.csv", pd.DataFrame({
        "node_type_id": [300, 301, 302, 400],
        "model_type": ["point_neuron"] * 3 + ["virtual"],
        "model_template": ["nest:glif_lif_psc", "nest:glif_lif_r_psc", "nest:glif_psc", None],
        "dynamics_params": ["allen_glif.json"] * 3 + [None]}))
    src, trg = np.array([0, 0, 1, 1, 0]), np.array([0, 1, 2, 3, 2])
    write_edges(root / "edges.h5", {"drive_glif": EdgeTable(
        source="drive", target="glif", source_node_id=src, target_node_id=trg, edge_type_id=np.full(5, 10),
        attributes={"syn_weight": np.array([90.0, 120.0, 150.0, 60.0, 80.0])}, n_source_nodes=2, n_target_nodes=4)})
    write_types_csv(root / "edge_types.csv", pd.DataFrame({
        "edge_type_id": [10], "model_template": ["static_synapse"], "dynamics_params": ["port1.json"], "delay": [1.0]}))
    times = np.arange(5.0, 300.0, 7.0)
    SpikeTrains.from_arrays(np.arange(times.size) % 2, times, "drive").write_h5(root / "drive.h5")
    config = {
        "run": {"tstop": 300.0, "dt": 0.1}, "target_simulator": "NEST",
        "components": {"point_neuron_models_dir": "models", "synaptic_models_dir": "syn"},
        "networks": {"nodes": [{"nodes_file": "nodes.h5", "node_types_file": "node_types.csv"}],
                     "edges": [{"edges_file": "edges.h5", "edge_types_file": "edge_types.csv"}]},
        "inputs": {"drive": {"input_type": "spikes", "module": "sonata", "input_file": "drive.h5",
                             "node_set": "drive"},
                   "clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": "glif",
                             "amp": 180.0, "delay": 100.0, "duration": 150.0}},
        "output": {"output_dir": "output", "spikes_file": "spikes.h5", "log_to_console": False},
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json", src, trg, times


def test_glif_network_matches_direct_glif_psc(tmp_path):
    config, src, trg, times = write_glif_network(tmp_path / "glif")
    result = Simulation.from_config(config, progress=False).run()
    nest = nest_quiet()
    nest.ResetKernel()
    nest.resolution = 0.1
    cells = [nest.Create("glif_psc", params=p) for p in (LIF_RESET, LIF_R, LIF_R_ASC_A, LIF_RESET)]
    ids = np.array([c.global_id for c in cells])
    gens = nest.Create("spike_generator", 2)
    for i in range(2):
        gens[i].set(spike_times=times[np.arange(times.size) % 2 == i])
    nest.Connect(np.asarray(gens.tolist())[src], ids[trg], "one_to_one", syn_spec={
        "synapse_model": "static_synapse", "weight": np.array([90.0, 120.0, 150.0, 60.0, 80.0]),
        "delay": np.full(5, 1.0), "receptor_type": np.full(5, 1)})
    clamp = nest.Create("step_current_generator", params={"amplitude_times": [100.0, 250.0],
                                                          "amplitude_values": [180.0, 0.0]})
    nest.Connect(clamp, nest.NodeCollection(sorted(ids.tolist())), syn_spec={"delay": 0.1})
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(sorted(ids.tolist())), recorder)
    nest.Simulate(300.0)
    node_of = {int(g): i for i, g in enumerate(ids)}
    expected = spike_set([node_of[int(s)] for s in recorder.events["senders"]], recorder.events["times"])
    got = spike_set(*result.spikes.population("glif"))
    assert got == expected
    assert {n for n, _ in got} == {0, 1, 2, 3}  # every GLIF level fired


# -- the NEST parameter files shipped with the SONATA examples ------------------------------------

def test_sonata_example_nest_model_files(testdata, tmp_path):
    """Cells and synapses parameterised by ``shared_components/nest_models`` (used in place);
    no target_simulator: the engine is inferred from the ``nest:`` templates."""
    models = testdata / "sonata-examples" / "shared_components" / "nest_models"
    cell_files = sorted(p.name for p in (models / "cell_models").glob("*.json"))
    n_types = len(cell_files)
    types = np.repeat(np.arange(n_types) + 10, 3)  # three cells of each type
    n = types.size
    write_nodes(tmp_path / "nodes.h5", {"internal": NodeTable(node_type_id=types, groups=[{}]),
                                        "external": NodeTable(node_type_id=np.full(4, 99), groups=[{}])})
    write_types_csv(tmp_path / "node_types.csv", pd.DataFrame({
        "node_type_id": [*range(10, 10 + n_types), 99],
        "model_type": ["point_neuron"] * n_types + ["virtual"],
        "model_template": ["nest:iaf_psc_alpha"] * n_types + [None],
        "dynamics_params": [*cell_files, None]}))
    rng = np.random.default_rng(2)
    src = np.concatenate([rng.integers(0, n, 60), rng.integers(0, 4, 40)])
    trg = rng.integers(0, n, 100)
    keep = np.concatenate([src[:60] != trg[:60], np.ones(40, bool)])
    rec_src, rec_trg = src[:60][keep[:60]], trg[:60][keep[:60]]
    rec_type = np.where(rec_src % 2 == 0, 1, 2)
    write_edges(tmp_path / "internal_edges.h5", {"internal_internal": EdgeTable(
        source="internal", target="internal", source_node_id=rec_src, target_node_id=rec_trg, edge_type_id=rec_type,
        attributes={"nsyns": rng.integers(1, 5, rec_src.size)}, n_source_nodes=n, n_target_nodes=n)})
    write_edges(tmp_path / "external_edges.h5", {"external_internal": EdgeTable(
        source="external", target="internal", source_node_id=src[60:], target_node_id=trg[60:],
        edge_type_id=np.full(40, 3), attributes={}, n_source_nodes=4, n_target_nodes=n)})
    write_types_csv(tmp_path / "internal_edge_types.csv", pd.DataFrame({
        "edge_type_id": [1, 2], "dynamics_params": ["ExcToExc.json", "InhToExc.json"],
        "syn_weight": [60.0, -90.0], "delay": [2.0, 1.5], "model_template": ["static_synapse"] * 2}))
    write_types_csv(tmp_path / "external_edge_types.csv", pd.DataFrame({
        "edge_type_id": [3], "dynamics_params": ["ExcToInh.json"], "syn_weight": [250.0],
        "model_template": ["static_synapse"]}))
    times = np.arange(2.0, 400.0, 2.5)
    SpikeTrains.from_arrays(np.arange(times.size) % 4, times, "external").write_h5(tmp_path / "ext.h5")
    (tmp_path / "config.json").write_text(json.dumps({
        "run": {"tstop": 400.0, "dt": 0.1}, "conditions": {"v_init": -80.0},
        "components": {"point_neuron_models_dir": str(models / "cell_models"),
                       "synaptic_models_dir": str(models / "synaptic_models")},
        "networks": {"nodes": [{"nodes_file": "nodes.h5", "node_types_file": "node_types.csv"}],
                     "edges": [{"edges_file": "internal_edges.h5", "edge_types_file": "internal_edge_types.csv"},
                               {"edges_file": "external_edges.h5", "edge_types_file": "external_edge_types.csv"}]},
        "inputs": {"ext": {"input_type": "spikes", "module": "h5", "input_file": "ext.h5", "node_set": "external"}},
        "output": {"output_dir": "output", "spikes_file": "spikes.h5", "log_to_console": False}}))
    sim = Simulation.from_config(tmp_path / "config.json", progress=False)
    result = sim.run()
    assert sim.engine_spec.name == "nest"

    nest = nest_quiet()
    nest.ResetKernel()
    nest.resolution = 0.1
    cells = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(cell_files):
        rows = np.flatnonzero(types == 10 + k)
        params = json.loads((models / "cell_models" / name).read_text())
        cells[rows] = nest.Create("iaf_psc_alpha", rows.size, params=params).tolist()
    gens = nest.Create("spike_generator", 4)
    for i in range(4):
        gens[i].set(spike_times=times[np.arange(times.size) % 4 == i])
    with h5py.File(tmp_path / "internal_edges.h5") as f:
        g = f["edges/internal_internal"]
        s, t, et, ns = (g["source_node_id"][:], g["target_node_id"][:], g["edge_type_id"][:], g["0/nsyns"][:])
    for etype, w, d in ((1, 60.0, 2.0), (2, -90.0, 1.5)):
        sel = et == etype
        nest.Connect(cells[s[sel].astype(int)], cells[t[sel].astype(int)], "one_to_one",
                     syn_spec={"synapse_model": "static_synapse", "weight": w * ns[sel], "delay": np.full(sel.sum(), d)})
    nest.Connect(np.asarray(gens.tolist())[src[60:]], cells[trg[60:]], "one_to_one",
                 syn_spec={"synapse_model": "static_synapse", "weight": np.full(40, 250.0)})
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(np.sort(cells).tolist()), recorder)
    nest.Simulate(400.0)
    node_of = {int(g): i for i, g in enumerate(cells)}
    expected = spike_set([node_of[int(x)] for x in recorder.events["senders"]], recorder.events["times"])
    assert len(expected) > 20
    assert spike_set(*result.spikes.population("internal")) == expected


@pytest.mark.parametrize("syn_weight, nsyns, expected", [
    (2.0, None, [2.0, 2.0, 2.0]),
    (2.0, np.array([1, 0, 3]), [2.0, 0.0, 6.0]),                         # integer nsyns: one pass
    (2.0, np.array([1.0, np.nan, 3.0]), [2.0, 2.0, 6.0]),                 # missing nsyns count 1
    (np.array([1.0, np.nan, 4.0]), np.array([2, 2, 2]), [2.0, 10.0, 8.0]),  # NaN weight takes fallback 5
    (np.array([1.0, 2.0, 4.0]), 3, [3.0, 6.0, 12.0]),
])
def test_scaled_weights(syn_weight, nsyns, expected):
    from cantata.sim.engines.nest.synapses import _scaled_weights

    got = _scaled_weights(syn_weight, 5.0, nsyns, 3, "edges", None)
    assert got.dtype == np.float64 and got.tolist() == expected
