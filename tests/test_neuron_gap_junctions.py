"""Gap junctions on the NEURON engine: the builder's marker, the physics (coupling coefficient
of two passive one-compartment cells against the analytic value), BMTK 1.2 BioNet on the same
files (spikes within float noise, soma v within float32 storage), two MPI ranks giving the same
files as one, and bad input named clearly."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
from bmtk_reference.gap_model import write_gap_model
from test_neuron_support import mpirun_path, run_cantata, run_python

from benchmarks.peers import status
from cantata.build import NetworkBuilder
from cantata.errors import BuildError
from cantata.sim.engines.neuron.gap_junctions import chemical_edges, gap_edge_mask, gap_flags
from cantata.sonata.circuit import Circuit
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.types_table import read_types_csv
from cantata.sonata.write import EdgeTable, NodeTable, write_edges, write_nodes, write_types_csv

SPIKE_TIME_TOL = 1e-6  # ms: same simulator, same time grid
NEURON_V_TOL = 1e-5  # mV: reports are float32 (about 4e-6 mV at -65 mV)

#: A one-compartment passive cell: 20 um long, 20 um wide (area 400 pi um2), g_pas = $1 S/cm2.
BALL_HOC = """
begintemplate Ball
public soma, all
create soma
objref all
proc init() {
    create soma
    soma {
        pt3dclear()
        pt3dadd(-10, 0, 0, 20)
        pt3dadd(10, 0, 0, 20)
        nseg = 1
        cm = 1
        Ra = 100
        insert pas
        g_pas = $1
        e_pas = -65
    }
    all = new SectionList()
    soma all.append()
}
endtemplate Ball
"""
BALL_AREA_CM2 = math.pi * 20.0 * 20.0 * 1e-8


def write_ball_network(root: Path, *, labels: list[str], gaps: list[dict[str, Any]], g_pas: float = 1e-4,
                       clamps: dict[str, float] | None = None, tstop: float = 150.0, extra_nodes: str = "",
                       gap_types: dict[str, list[Any]] | None = None) -> Path:
    """Balls (``hoc:Ball``) named by ``labels``; ``gaps`` rows {source, target, edge_type_id}
    into population ``balls``; edge types ``gap_types`` (default one type 1 of 0.001 uS)."""
    net, comps = root / "network", root / "components"
    for d in (net, comps / "templates", comps / "bio", comps / "point"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "templates" / "ball.hoc").write_text(BALL_HOC)
    (comps / "bio" / "ball.json").write_text(json.dumps({"params": [g_pas]}))
    (comps / "point" / "if1.json").write_text(json.dumps({"tau": 0.02, "refrac": 0.002}))
    n = len(labels)
    kinds = {"ball": 100, "virtual": 200, "intfire": 300}
    type_ids = np.array([kinds.get(lab.split(":")[0], 100) for lab in labels])
    write_nodes(net / "nodes.h5", {"balls": NodeTable(node_type_id=type_ids, groups=[{
        "label": np.array(labels, dtype=object), "x": 50.0 * np.arange(n), "y": np.zeros(n), "z": np.zeros(n)}])},
        overwrite=True)
    write_types_csv(net / "node_types.csv", pd.DataFrame({
        "node_type_id": [100, 200, 300], "model_type": ["biophysical", "virtual", "point_process"],
        "model_template": ["hoc:Ball", None, "nrn:IntFire1"],
        "dynamics_params": ["ball.json", None, "if1.json"]}), overwrite=True)
    src = np.array([g["source"] for g in gaps], dtype=np.int64)
    trg = np.array([g["target"] for g in gaps], dtype=np.int64)
    attrs = {k: np.array([g[k] for g in gaps]) for k in gaps[0] if k not in ("source", "target", "edge_type_id")}
    write_edges(net / "gap_edges.h5", {"balls_to_balls": EdgeTable(
        source="balls", target="balls", source_node_id=src, target_node_id=trg,
        edge_type_id=np.array([g.get("edge_type_id", 1) for g in gaps]), attributes=attrs,
        n_source_nodes=n, n_target_nodes=n)}, overwrite=True)
    types = gap_types or {"edge_type_id": [1], "syn_weight": [0.001], "is_gap_junction": [True],
                          "target_sections": ["['somatic']"]}
    write_types_csv(net / "gap_edge_types.csv", pd.DataFrame(types), overwrite=True)
    inputs = {f"clamp_{lab}": {"input_type": "current_clamp", "module": "IClamp", "amp": amp, "delay": 10.0,
                               "duration": 1000.0, "node_set": {"population": "balls", "label": lab}}
              for lab, amp in (clamps or {}).items()}
    config = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 2000},
        "conditions": {"celsius": 34.0, "v_init": -65.0},
        "components": {"templates_dir": "$BASE/components/templates",
                       "biophysical_neuron_models_dir": "$BASE/components/bio",
                       "point_neuron_models_dir": "$BASE/components/point"},
        "networks": {"nodes": [{"nodes_file": "$NET/nodes.h5", "node_types_file": "$NET/node_types.csv"}],
                     "edges": [{"edges_file": "$NET/gap_edges.h5", "edge_types_file": "$NET/gap_edge_types.csv"}]},
        "node_sets": {"balls": {"population": "balls", "model_type": "biophysical"}},
        "inputs": inputs,
        "reports": {"soma_v": {"module": "membrane_report", "cells": "balls", "variable_name": "v",
                               "sections": "soma", "file_name": "soma_v.h5"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_to_console": False},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


# -- the marker ------------------------------------------------------------------------------

def test_gap_flags_read_the_forms_types_tables_hold() -> None:
    assert gap_flags(np.array([True, False])).tolist() == [True, False]
    assert gap_flags(np.array(["True", "false", None, "1", "NULL", 1.0, np.nan], dtype=object)).tolist() == \
        [True, False, False, True, False, True, False]
    assert gap_flags(np.array([0.0, 2.0, np.nan])).tolist() == [False, True, False]


def test_builder_writes_the_bmtk_marker(tmp_path: Path) -> None:
    """``add_edges(is_gap_junction=True)`` and ``add_gap_junctions`` put BMTK's marker in the
    edge types csv, where the engine finds it; chemical edges of the same population stay."""
    net = NetworkBuilder("cortex")
    net.add_nodes(N=3, model_type="biophysical", model_template="hoc:Ball")
    net.add_edges(source={"node_id": 0}, target={"node_id": 1}, connection_rule=1, syn_weight=0.01,
                  is_gap_junction=True)
    net.add_gap_junctions(source={"node_id": 1}, target={"node_id": 2}, resistance=200.0)
    net.add_edges(source={"node_id": 0}, target={"node_id": 2}, connection_rule=1, syn_weight=0.002, delay=1.0,
                  model_template="exp2syn")
    with pytest.raises(BuildError, match="resistance must be a positive number"):
        net.add_gap_junctions(source={"node_id": 0}, target={"node_id": 2}, resistance=0.0)
    net.save(tmp_path, overwrite=True)
    types = read_types_csv(tmp_path / "cortex_cortex_edge_types.csv")
    assert gap_flags(types["is_gap_junction"].to_numpy()).tolist() == [True, True, False]
    assert types["syn_weight"].tolist()[:2] == [0.01, pytest.approx(1 / 200.0)]
    assert types["target_sections"].tolist()[1] == "['somatic']"
    edges = Circuit.from_files(nodes=[(tmp_path / "cortex_nodes.h5", tmp_path / "cortex_node_types.csv")],
                               edges=[(tmp_path / "cortex_cortex_edges.h5",
                                       tmp_path / "cortex_cortex_edge_types.csv")]).edges["cortex_to_cortex"]
    ids = np.arange(edges.size)
    gap = gap_edge_mask(edges, ids)
    assert gap.sum() == 2 and chemical_edges(edges, ids).tolist() == ids[~gap].tolist()
    assert edges.target_node_ids(ids[~gap]).tolist() == [2]
    # BMTK BioNet's gap-junction id file: one row per junction, ids in (source, target) pairs
    with h5py.File(tmp_path / "cortex_gap_juncs.h5") as f:
        assert f.attrs["magic"] == 0x0A7A
        assert f["source_ids"][()].tolist() == [0, 1] and f["target_ids"][()].tolist() == [1, 2]
        assert f["src_gap_ids"][()].tolist() == [0, 2] and f["trg_gap_ids"][()].tolist() == [1, 3]


def test_gap_junctions_across_networks_are_refused(tmp_path: Path) -> None:
    cortex, other = NetworkBuilder("cortex"), NetworkBuilder("other")
    cortex.add_nodes(N=2, model_type="biophysical", model_template="hoc:Ball")
    other.add_nodes(N=2, model_type="biophysical", model_template="hoc:Ball")
    cortex.add_gap_junctions(source=other.nodes(), target=cortex.nodes(), resistance=100.0)
    with pytest.raises(BuildError, match="gap junctions must join two nodes of the same network"):
        cortex.save(tmp_path)
    assert not list(tmp_path.iterdir())


# -- physics ---------------------------------------------------------------------------------

def test_coupling_coefficient_of_two_passive_cells_is_analytic(tmp_path: Path) -> None:
    """Two pairs of passive balls; a steady current into one ball of each pair (the edge's
    source in one pair, its target in the other). At steady state V2/V1 = g / (g + gm) and
    V1 = I (gm + g) / (gm (gm + 2 g)), gm = g_pas x area: within 1e-5 (relative)."""
    g, g_pas, amp = 0.001, 1e-4, 0.01  # uS, S/cm2, nA
    labels = ["a0", "b0", "a1", "b1"]
    config = write_ball_network(tmp_path, labels=labels, g_pas=g_pas, clamps={"a0": amp, "b1": amp},
                                gaps=[{"source": 0, "target": 1}, {"source": 2, "target": 3}],
                                gap_types={"edge_type_id": [1], "syn_weight": [g], "is_gap_junction": ["True"]})
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    v = FrameReport.open(tmp_path / "output" / "soma_v.h5")["balls"].data()[-1] + 65.0  # mV from rest
    gm = g_pas * BALL_AREA_CM2 * 1e6  # uS
    v_driven = amp * (gm + g) / (gm * (gm + 2 * g))
    for driven, coupled in ((0, 1), (3, 2)):  # pair 0: clamp on the source; pair 1: on the target
        assert v[driven] == pytest.approx(v_driven, rel=1e-5)
        assert v[coupled] / v[driven] == pytest.approx(g / (g + gm), rel=1e-5)
    assert v_driven > 1.0 and 0.4 < g / (g + gm) < 0.5


# -- BMTK ------------------------------------------------------------------------------------

@pytest.mark.neuron
@pytest.mark.skipif(status() is not None, reason=f"needs the peers' environment: {status()}")
@pytest.mark.parametrize("placement", ["somatic_random", "dendritic_preset"])
def test_gap_network_matches_bmtk(testdata: Path, tmp_path: Path, placement: str) -> None:
    """An HH cell driven by current pulses, gap-coupled (0.05 uS) to an HH cell, which is
    coupled (0.02 uS) to a passive cell that also gets an Exp2Syn synapse; the junctions on
    the somata (random placement among somatic segments) or at preset dendritic sections
    (position 0.5, where BMTK always puts them). BMTK 1.2 BioNet and Cantata give the same
    spikes (1e-6 ms) and soma v (1e-5 mV, float32) once BMTK's one-row report lag is undone."""
    from test_bmtk_reference import assert_same_spikes, finish_bmtk, run_cantata_cli, start_bmtk

    preset = {0: (5, 0.5), 1: (90, 0.5)} if placement == "dendritic_preset" else None
    model = write_gap_model(tmp_path, testdata, preset=preset)
    bmtk = start_bmtk("bionet", model.config, tmp_path / "out_bmtk")
    ours = run_cantata_cli(model.config, tmp_path / "out_cantata")
    theirs = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    spikes = assert_same_spikes(theirs, ours, "cortex", tol=SPIKE_TIME_TOL)
    if preset is None:  # on the somata the follower fires through the junction, after the driven cell
        assert sorted(spikes) == [0, 1] and spikes[0].size == spikes[1].size == 5
        assert np.all(spikes[1] > spikes[0])
    else:
        assert sorted(spikes) == [0] and spikes[0].size == 5
    want = FrameReport.open(theirs / "soma_v.h5")["cortex"].data()
    got = FrameReport.open(ours / "soma_v.h5")["cortex"].data()
    assert got.shape == want.shape == (round(model.tstop / model.dt), 3)
    diff = np.abs(want[:-1] - got[1:])
    assert diff.max() <= NEURON_V_TOL, f"soma v differs by {diff.max()} mV at row {diff.max(axis=1).argmax()}"
    assert want[:, 1].max() > -62.0 and want[:, 2].max() > -62.0  # depolarised through the junctions


# -- MPI -------------------------------------------------------------------------------------

@pytest.mark.neuron
@pytest.mark.skipif(mpirun_path() is None, reason="needs mpirun (Debian: openmpi-bin)")
def test_two_ranks_give_the_same_files(testdata: Path, tmp_path: Path) -> None:
    """Cells 0 and 2 on rank 0, cell 1 on rank 1: both junctions cross ranks. Dendritic sites
    drawn at random (one gap) and preset (the other): identical files with 1 and 2 ranks."""
    model = write_gap_model(tmp_path / "random", testdata, bmtk=False, gaps=((0, 1, 0.05), (1, 2, 0.02)))
    types = tmp_path / "random" / "network" / "cortex_cortex_edge_types.csv"
    table = read_types_csv(types)
    table.loc[1, "target_sections"] = "['basal', 'apical']"  # gap 1-2 lands on dendrites, drawn per cell
    write_types_csv(types, table, overwrite=True)
    preset = write_gap_model(tmp_path / "preset", testdata, bmtk=False, preset={1: (30, 0.3)})
    for config in (model.config, preset.config):
        one, two = config.parent / "one", config.parent / "two"
        assert run_cantata("run", str(config), "--output-dir", str(one), "--no-progress").returncode == 0
        proc = run_cantata("run", str(config), "--output-dir", str(two), "--no-progress", ranks=2)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        assert "gap-junction halves" in (two / "log.txt").read_text()
        assert SpikeTrains.read(one / "spikes.h5").to_dataframe().equals(SpikeTrains.read(two / "spikes.h5")
                                                                          .to_dataframe())
        v1 = FrameReport.open(one / "soma_v.h5")["cortex"].data()
        v2 = FrameReport.open(two / "soma_v.h5")["cortex"].data()
        assert np.array_equal(v1, v2) and v1[:, 2].max() > -64.0


def _gap_table(config: Path) -> list[list[Any]]:
    """The gap-junction halves Cantata builds for ``config`` (built in a child process)."""
    return run_python(f"""
import json
from cantata.sim import Simulation
sim = Simulation.from_config({str(config)!r}, progress=False).build()
table = sim.engine.network.gap_junctions.table().sort_values(["edge_id", "side"])
print(json.dumps({{"rows": table[["edge_id", "side", "node_id", "section_id", "section_x", "g"]].values.tolist()}}))
""")["rows"]


def test_preset_sites_of_both_halves(testdata: Path, tmp_path: Path) -> None:
    """The target's half at afferent_section_id/pos; the source's half at efferent_section_id/
    pos when the edge file has them, else at the target's section id and position."""
    model = write_gap_model(tmp_path / "a", testdata, bmtk=False, preset={0: (5, 0.25), 1: (30, 0.75)})
    other = write_gap_model(tmp_path / "b", testdata, bmtk=False, preset={0: (5, 0.25), 1: (30, 0.75)})
    with h5py.File(other.root / "network" / "cortex_cortex_edges.h5", "r+") as f:
        group = f["edges/cortex_to_cortex/0"]
        group["efferent_section_id"] = np.full(group["afferent_section_id"].shape, 40, dtype=np.int64)
        group["efferent_section_pos"] = np.full(group["afferent_section_id"].shape, 0.1)
    found = _gap_table(model.config)
    # edges are sorted by target: the gap 0-1 is edge 0, the synapse 0->2 edge 1, the gap 1-2 edge 2
    assert found == [[0, "source", 0, 5, 0.25, 0.05], [0, "target", 1, 5, 0.25, 0.05],
                     [2, "source", 1, 30, 0.75, 0.02], [2, "target", 2, 30, 0.75, 0.02]]
    found = _gap_table(other.config)
    assert [row[:5] for row in found] == [[0, "source", 0, 40, 0.1], [0, "target", 1, 5, 0.25],
                                          [2, "source", 1, 40, 0.1], [2, "target", 2, 30, 0.75]]


# -- bad input -------------------------------------------------------------------------------

def _broken(root: Path) -> dict[str, Path]:
    gap = {"edge_type_id": [1], "syn_weight": [0.001], "is_gap_junction": [True]}
    pair = [{"source": 0, "target": 1}]
    cases = {
        "no_conductance_column": write_ball_network(root / "a", labels=["a", "b"], gaps=pair,
                                                    gap_types={"edge_type_id": [1], "is_gap_junction": [True]}),
        "null_conductance": write_ball_network(root / "b", labels=["a", "b"], gaps=pair, gap_types={
            "edge_type_id": [1, 2], "syn_weight": [None, 0.01], "is_gap_junction": [True, True]}),
        "negative_conductance": write_ball_network(root / "c", labels=["a", "b"], gaps=pair,
                                                   gap_types={**gap, "syn_weight": [-0.001]}),
        "virtual_end": write_ball_network(root / "d", labels=["a", "virtual:v"], gaps=pair, gap_types=gap),
        "artificial_end": write_ball_network(root / "e", labels=["a", "intfire:i"], gaps=pair, gap_types=gap),
        "self_coupling": write_ball_network(root / "f", labels=["a", "b"], gaps=[{"source": 1, "target": 1}],
                                            gap_types=gap),
        "section_out_of_range": write_ball_network(root / "g", labels=["a", "b"], gap_types=gap, gaps=[
            {"source": 0, "target": 1, "afferent_section_id": 3, "afferent_section_pos": 0.5}]),
    }
    return cases


EXPECTED = {
    "no_conductance_column": ["gap-junction edges need a conductance", "gap_edge_types.csv", "syn_weight",
                              "balls_to_balls[0] (edge_type_id 1)"],
    "null_conductance": ["gap junction balls_to_balls[0] (edge_type_id 1) has no syn_weight", "gap_edge_types.csv",
                         "a conductance in uS"],
    "negative_conductance": ["has no usable conductance", "syn_weight", "found -0.001"],
    "virtual_end": ["touches virtual node balls[1]", "gap junctions between biophysical cells"],
    "artificial_end": ["gap junctions need compartmental cells", "balls[1] is an artificial cell"],
    "self_coupling": ["couples node 1 with itself", "gap_edges.h5"],
    "section_out_of_range": ["afferent_section_id out of range", "balls_to_balls[0]", "gap_edges.h5", "expected 0..0",
                             "found 3"],
}


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cases = _broken(tmp_path_factory.mktemp("broken_gaps"))
    return run_python(f"""
import json
from cantata.errors import CantataError
from cantata.sim import Simulation
out = {{}}
for name, path in {json.dumps({k: str(v) for k, v in cases.items()})}.items():
    try:
        Simulation.from_config(path, progress=False).run()
        out[name] = 'no error'
    except CantataError as exc:
        out[name] = type(exc).__name__ + ': ' + str(exc)
print(json.dumps(out))
""")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_gap_junctions_are_named(errors: dict[str, str], case: str) -> None:
    message = errors[case]
    for part in EXPECTED[case]:
        assert part in message, message
