"""Synapses on biophysical cells: preset locations against a direct NEURON script, random
placement (seeded, reproducible, exported and re-usable), synapse reports, weight functions."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from test_neuron_support import (
    DIRECT_CELL,
    EXC,
    HH_CELL,
    MORPHOLOGIES,
    MORPHOLOGY,
    run_cantata,
    run_python,
    write_bio_network,
)

from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains


def _run(config: Path) -> None:
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_preset_synapses_match_a_direct_neuron_script(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=1, n_inputs=6, placement="preset", clamp=False)
    _run(config)
    with h5py.File(tmp_path / "network" / "input_edges.h5") as f:
        group = f["edges/inputs_to_cortex"]
        sources = group["source_node_id"][:].tolist()
        sec_ids = group["0/afferent_section_id"][:].tolist()
        xs = group["0/afferent_section_pos"][:].tolist()
    spike_ids, spike_times = SpikeTrains.read(tmp_path / "input_spikes.h5").population("inputs")
    swc = testdata / MORPHOLOGIES / f"{MORPHOLOGY}.swc"
    direct = run_python(DIRECT_CELL + f"""
cell, secs = direct_cell({str(swc)!r}, json.loads({json.dumps(json.dumps(HH_CELL))}), 20.0)
syn_params = {EXC!r}
spike_ids, spike_times = {spike_ids.tolist()!r}, {spike_times.tolist()!r}
keep = []
for src, sid, x in zip({sources!r}, {sec_ids!r}, {xs!r}):
    syn = h.Exp2Syn(secs[sid](x)); syn.tau1, syn.tau2, syn.e = syn_params['tau1'], syn_params['tau2'], syn_params['erev']
    nc = h.NetCon(None, syn); nc.weight[0] = 0.004; nc.delay = 1.5
    keep.append((syn, nc, [t for i, t in zip(spike_ids, spike_times) if i == src]))
def queue():
    for _, nc, times in keep:
        for t in times:
            nc.event(t + 1.5)
fih = h.FInitializeHandler(queue)
soma = cell.soma[0]
v = h.Vector(); v.record(soma(0.5)._ref_v, 0.025)
h.celsius = 6.3; h.dt = 0.025; h.finitialize(-65); h.continuerun(200)
print(json.dumps({{'v': list(v)[:8000]}}))
""")
    ours = FrameReport.open(tmp_path / "output" / "soma_v.h5")["cortex"].data()[:, 0]
    expected = np.asarray(direct["v"], dtype=np.float32)
    assert np.abs(expected - expected[0]).max() > 1.0  # the synapses did something
    assert np.array_equal(ours, expected)


def _placements(path: Path) -> pd.DataFrame:
    frames = []
    with h5py.File(path) as f:
        for name, group in f["edges"].items():
            frames.append(pd.DataFrame({
                "population": name, "edge_id": group["0/edge_id"][:], "target": group["target_node_id"][:],
                "section": group["0/afferent_section_id"][:], "x": group["0/afferent_section_pos"][:],
                "weight": group["0/syn_weight"][:]}))
    return pd.concat(frames).sort_values(["population", "edge_id", "section", "x"]).reset_index(drop=True)


def test_random_placement_is_seeded_exported_and_reusable(testdata: Path, tmp_path: Path) -> None:
    reports = {"soma_v": {"cells": "cells", "variable_name": "v"},
               "syns": {"module": "save_synapses"},
               "syn_g": {"module": "netcon_report", "cells": "cells", "variable_name": "g", "syn_type": "Exp2Syn"}}
    first = write_bio_network(tmp_path / "a", testdata, n_cells=2, placement="random", reports=reports)
    second = write_bio_network(tmp_path / "b", testdata, n_cells=2, placement="random", reports=reports)
    other_seed = write_bio_network(tmp_path / "c", testdata, n_cells=2, placement="random", reports=reports,
                                   config_extra={"run": {"tstop": 200.0, "dt": 0.025, "dL": 20.0,
                                                         "nsteps_block": 1000, "random_seed": 12}})
    for config in (first, second, other_seed):
        _run(config)
    a, b, c = (_placements(p.parent / "output" / "syns.h5") for p in (first, second, other_seed))
    assert len(a) == 4 * 2 * 2 + 2 * 3  # inputs: 2 synapses per edge; recurrent: nsyns 3
    pd.testing.assert_frame_equal(a, b)
    assert not a[["section", "x"]].equals(c[["section", "x"]])
    # every random synapse respects target_sections/distance_range (dend/apic for the inputs)
    assert (a.loc[a.population == "inputs_to_cortex", "section"] > 0).all()
    v_a = FrameReport.open(first.parent / "output" / "soma_v.h5")["cortex"].data()
    v_b = FrameReport.open(second.parent / "output" / "soma_v.h5")["cortex"].data()
    assert np.array_equal(v_a, v_b)
    g = FrameReport.open(first.parent / "output" / "syn_g.h5")["cortex"]
    assert g.data().shape[1] == len(a)  # one column per synapse
    assert g.data().max() > 0

    # the exported file runs again as preset locations and gives the same traces
    reuse = json.loads(first.read_text())
    net = "$BASE/output/syns.h5"
    reuse["networks"]["edges"] = [
        {"edges_file": net, "edge_types_file": "$NET/input_edge_types.csv",
         "populations": {"inputs_to_cortex": {"type": "chemical"}}},
        {"edges_file": net, "edge_types_file": "$NET/rec_edge_types.csv",
         "populations": {"cortex_to_cortex": {"type": "chemical"}}}]
    reuse["reports"] = {"soma_v": {"cells": "cells", "variable_name": "v", "file_name": "again.h5"}}
    reuse["output"]["spikes_file"] = "again_spikes.h5"
    path = first.parent / "reuse.json"
    path.write_text(json.dumps(reuse))
    _run(path)
    v_again = FrameReport.open(first.parent / "output" / "again.h5")["cortex"].data()
    assert np.abs(v_again - v_a).max() < 1e-3


def test_weight_functions_from_the_core_registry(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=2, placement="preset", clamp=False,
                               reports={"syns": {"module": "save_synapses"}})
    types = tmp_path / "network" / "input_edge_types.csv"
    table = pd.read_csv(types, sep=" ")
    table["weight_function"] = "by_distance"
    table.to_csv(types, sep=" ", index=False)
    result = run_python(f"""
import json, numpy as np
from cantata.sim import Simulation, synaptic_weight

@synaptic_weight("by_distance")
def by_distance(edges, sources, targets):
    return edges["syn_weight"].to_numpy() * (1 + edges["afferent_section_id"].to_numpy() / 100.0)

Simulation.from_config({str(config)!r}, progress=False).run()
print(json.dumps({{}}))
""")
    assert result == {}
    placed = _placements(tmp_path / "output" / "syns.h5")
    inputs = placed[placed.population == "inputs_to_cortex"]
    assert np.allclose(inputs["weight"], 0.004 * (1 + inputs["section"] / 100.0))
    recurrent = placed[placed.population == "cortex_to_cortex"]
    assert np.allclose(recurrent["weight"], 0.002)  # no weight_function column there
