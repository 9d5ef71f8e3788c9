"""Inputs that act through the network's synapses on the NEURON engine: ``replay`` (recorded
spikes through edges left out of the network) and ``syn_activity`` (synapses of recurrent
edges fire at given times). Checked against BMTK 1.2 BioNet on the same files, one MPI rank
against two, and bad input named clearly.

The network (bmtk_reference/inputs_model.py): HH cells A, B, C with recurrent Exp2Syn edges
A->B, A->C, B->C, C->A, B->A at preset sections, and two virtual inputs onto every cell
(subthreshold). Cell A also gets a 3 ms current pulse at 45 ms that makes it fire once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bmtk_reference.inputs_model import (
    SAMPLE_RATE,
    designed_stimulus,
    write_allen_nwb,
    write_inputs_model,
)
from test_neuron_nwb_inputs import NEEDS_PEERS, vecevent_mod
from test_neuron_support import mpirun_path, run_cantata

from cantata.errors import ConfigError
from cantata.sim.engines.neuron.replay import ReplayInput
from cantata.sim.engines.neuron.syn_activity import SpontaneousSynapses
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

SPIKE_TIME_TOL = 1e-6  # ms
NEURON_V_TOL = 1e-5  # mV: reports are float32
RECORDED = {0: [30.0, 80.0, 130.0], 1: [55.0, 160.0], 2: [100.0, 140.0]}  # an "earlier run" of cortex (ms)
PULSE_A = {"input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "cortex", "node_id": [0]},
           "amp": 1.0, "delay": 45.0, "duration": 3.0}
REPLAY = {"input_type": "replay_spikes", "module": "replay", "spikes_file": "$BASE/recorded.h5",
          "edges": {"edges_file": "$NET/cortex_cortex_edges.h5", "edge_types_file": "$NET/cortex_cortex_edge_types.csv"},
          "source_node_set": {"population": "cortex", "node_id": [0, 1]},
          "target_node_set": {"population": "cortex", "node_id": [1, 2]}}
SPONT = {"input_type": "syn_activity", "module": "syn_activity", "precell_filter": {"pop_name": ["A", "B"]},
         "postcell_filter": {"pop_name": ["B", "C"]}, "timestamps": [40.0, 90.0, 140.0]}


def write_recorded(folder: Path, populations: tuple[str, ...] = ("cortex",)) -> Path:
    trains = [SpikeTrains.from_arrays(np.concatenate([np.full(len(t), n) for n, t in RECORDED.items()]),
                                      np.concatenate([np.asarray(t) for t in RECORDED.values()]), p)
              for p in populations]
    return SpikeTrains.concat(trains).write_h5(folder / "recorded.h5", overwrite=True)


def spikes(folder: Path) -> dict[int, np.ndarray]:
    ids, times = SpikeTrains.read(folder / "spikes.h5").population("cortex")
    return {int(n): np.sort(times[ids == n]) for n in np.unique(ids)}


def compare_with_bmtk(model_config: Path, tmp_path: Path) -> dict[int, np.ndarray]:
    from test_bmtk_reference import assert_same_spikes, finish_bmtk, run_cantata_cli, start_bmtk

    bmtk = start_bmtk("bionet", model_config, tmp_path / "out_bmtk")
    ours = run_cantata_cli(model_config, tmp_path / "out_cantata")
    theirs = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    found = assert_same_spikes(theirs, ours, "cortex", tol=SPIKE_TIME_TOL)
    want = FrameReport.open(theirs / "soma_v.h5")["cortex"].data()
    got = FrameReport.open(ours / "soma_v.h5")["cortex"].data()
    diff = np.abs(want[:-1] - got[1:])  # BMTK's rows are one step later
    assert diff.max() <= NEURON_V_TOL, f"soma v differs by {diff.max()} mV"
    return found


def _near(times: np.ndarray, start: float, stop: float) -> bool:
    return bool(((times > start) & (times < stop)).any())


# -- against BMTK ----------------------------------------------------------------------------

@pytest.mark.neuron
@NEEDS_PEERS
def test_replay_matches_bmtk(testdata: Path, tmp_path: Path) -> None:
    """The recurrent edges are not in the network; the replay rebuilds those from A or B onto B
    or C, fed by the recorded spikes. B fires after A's recorded spikes (30, 80, 130 ms + 2 ms
    delay), C after B's (55, 160 ms); A's own spike (clamp at 45 ms) and C's recorded spikes
    (C is not a replayed source) reach nobody. BMTK and Cantata: same spikes, same soma v."""
    write_recorded(tmp_path)
    model = write_inputs_model(tmp_path, testdata, vecevent_mod(), recurrent_in_network=False,
                               inputs={"replay": REPLAY, "pulse": PULSE_A})
    found = compare_with_bmtk(model.config, tmp_path)
    assert found[0].size == 1 and 45.0 < found[0][0] < 48.0
    assert all(_near(found[1], t + 2.0, t + 5.0) for t in RECORDED[0]) and found[1].size == 3
    assert all(_near(found[2], t + 3.0, t + 8.0) for t in RECORDED[1])
    assert not _near(found[1], 46.0, 60.0) and found[2].size == 2


@pytest.mark.neuron
@NEEDS_PEERS
def test_syn_activity_matches_bmtk(testdata: Path, tmp_path: Path) -> None:
    """Spontaneous activity of the edges from A or B onto B or C at 40, 90, 140 ms: B and C
    fire after each timestamp plus the edges' delays; every other recurrent edge is silenced,
    so A's own spike (45 ms) drives nobody. Virtual inputs still arrive. Same spikes and soma v
    as BMTK."""
    model = write_inputs_model(tmp_path, testdata, vecevent_mod(), inputs={"spont": SPONT, "pulse": PULSE_A})
    found = compare_with_bmtk(model.config, tmp_path)
    for cell in (1, 2):
        assert found[cell].size == 3 and all(_near(found[cell], t + 1.5, t + 6.0) for t in SPONT["timestamps"])
    assert found[0].size == 1


# -- Cantata on its own ----------------------------------------------------------------------

def _run(config: Path, out: Path, ranks: int = 0) -> Path:
    proc = run_cantata("run", str(config), "--output-dir", str(out), "--no-progress", ranks=ranks)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out


@pytest.mark.neuron
def test_replay_picks_the_source_population_of_a_multi_population_file(testdata: Path, tmp_path: Path) -> None:
    """Spikes of the file's ``cortex`` population feed the cortex edges (``other`` is ignored);
    a node-set name works as a filter; the same run as with a one-population file."""
    single = tmp_path / "single"
    single.mkdir()
    write_recorded(single)
    model = write_inputs_model(single, testdata, None, recurrent_in_network=False,
                               inputs={"replay": REPLAY, "pulse": PULSE_A})
    multi = tmp_path / "multi"
    multi.mkdir()
    write_recorded(multi, ("other", "cortex"))
    sets = {"sources": {"population": "cortex", "pop_name": ["A", "B"]}}
    model2 = write_inputs_model(multi, testdata, None, recurrent_in_network=False,
                                inputs={"replay": {**REPLAY, "source_node_set": "sources"}, "pulse": PULSE_A})
    config = json.loads(model2.config.read_text())
    config["node_sets"].update(sets)
    model2.config.write_text(json.dumps(config))
    a, b = _run(model.config, single / "out"), _run(model2.config, multi / "out")
    assert SpikeTrains.read(a / "spikes.h5").to_dataframe().equals(SpikeTrains.read(b / "spikes.h5").to_dataframe())
    assert "replayed synapses" in (b / "log.txt").read_text()


@pytest.mark.neuron
@pytest.mark.slow
@pytest.mark.skipif(mpirun_path() is None, reason="needs mpirun (Debian: openmpi-bin)")
def test_two_ranks_give_the_same_files(testdata: Path, tmp_path: Path) -> None:
    """An NWB clamp on C, spontaneous activity of A's edges, and a replay of B's and C's edges
    (the recurrent file again, next to the network's own edges) in one run: identical spikes
    and soma v with one and two ranks."""
    write_recorded(tmp_path)
    write_allen_nwb(tmp_path / "sweeps.nwb", {5: designed_stimulus(250.0)}, SAMPLE_RATE)
    inputs = {"spont": {**SPONT, "precell_filter": {"population": "cortex", "pop_name": "A"}},
              "replay": {**REPLAY, "source_node_set": {"population": "cortex", "node_id": [1, 2]},
                         "target_node_set": "cells"},
              "sweep": {"input_type": "nwb", "module": "IClamp", "file": "$BASE/sweeps.nwb", "sweep_id": 5,
                        "node_set": {"population": "cortex", "pop_name": "C"}}}
    model = write_inputs_model(tmp_path, testdata, None, inputs=inputs)
    one, two = _run(model.config, tmp_path / "one"), _run(model.config, tmp_path / "two", ranks=2)
    s1, s2 = spikes(one), spikes(two)
    assert sorted(s1) == sorted(s2) == [0, 1, 2] and all(np.array_equal(s1[n], s2[n]) for n in s1)
    v1 = FrameReport.open(one / "soma_v.h5")["cortex"].data()
    assert np.array_equal(v1, FrameReport.open(two / "soma_v.h5")["cortex"].data())


INTFIRE = "sonata-examples/300_intfire"


@pytest.mark.neuron
def test_syn_activity_on_artificial_cells(testdata: Path, tmp_path: Path) -> None:
    """300 IntFire1 cells (sonata-examples/300_intfire): with a precell filter that selects no
    simulated node, the NetCon of every recurrent edge (all onto IntFire1 cells) is found and
    silenced, which gives exactly the spikes of the network without its recurrent edges file."""
    folder = testdata / INTFIRE
    simulation = json.loads((folder / "simulation_config.json").read_text())  # its folder's circuit would
    simulation["manifest"]["$BASE_DIR"] = str(folder)                          # come along: copy it instead
    simulation["run"]["tstop"] = 1000.0
    circuit = json.loads((folder / "circuit_config.json").read_text())
    circuit["manifest"] = {"$NETWORK_DIR": str(folder / "network"),
                           "$COMPONENT_DIR": str(folder.parent / "shared_components")}
    full = {"components": circuit["components"], "networks": circuit["networks"]}
    without = {"components": circuit["components"],
               "networks": {"nodes": circuit["networks"]["nodes"],
                            "edges": [e for e in circuit["networks"]["edges"] if "v1_v1" not in e["edges_file"]]}}
    assert len(without["networks"]["edges"]) == 2
    spont = {"input_type": "syn_activity", "timestamps": [300.0, 700.0]}
    configs = {
        "silenced": {**full, "inputs": {"s": {**spont, "precell_filter": {"population": "lgn"}}}},
        "without": without,
    }
    outputs = {}
    for name, extra in configs.items():
        config = {**simulation, **extra, "manifest": {**simulation["manifest"], **circuit["manifest"]},
                  "inputs": {**simulation["inputs"], **extra.get("inputs", {})}}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(config))
        outputs[name] = _run(path, tmp_path / name)
    silenced, without = (SpikeTrains.read(outputs[n] / "spikes.h5").to_dataframe() for n in ("silenced", "without"))
    assert len(silenced) > 100 and silenced.equals(without)
    from cantata.sonata.circuit import Circuit

    with Circuit.from_files(edges=[(folder / "network/v1_v1_edges.h5", folder / "network/v1_v1_edge_types.csv")]) as c:
        recurrent = c.edges["v1_to_v1"].size
    assert f"inputs.s: 0 synapses fire at 2 times, {recurrent} recurrent synapses silenced" in \
        (outputs["silenced"] / "log.txt").read_text()


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "keys", "where", "text"), [
    (ReplayInput, {"edges": {"edges_file": "e.h5"}}, "inputs.x.spikes_file", "missing spikes_file"),
    (ReplayInput, {"spikes_file": "s.h5"}, "inputs.x.edges", "missing edges"),
    (ReplayInput, {"spikes_file": "s.h5", "edges": "e.h5"}, "inputs.x.edges", "must name an edges_file"),
    (ReplayInput, {"spikes_file": "s.h5", "edges": [{"edges_file": "e.h5"}, {"file": 1}]}, "inputs.x.edges[1]",
     "must name an edges_file"),
    (SpontaneousSynapses, {"timestamps": [1.0]}, "inputs.x.precell_filter", "missing precell_filter"),
    (SpontaneousSynapses, {"precell_filter": 3, "timestamps": [1.0]}, "inputs.x.precell_filter", "node-set object"),
    (SpontaneousSynapses, {"precell_filter": {}}, "inputs.x.timestamps", "missing timestamps"),
    (SpontaneousSynapses, {"precell_filter": {}, "timestamps": [5.0, -1.0]}, "inputs.x.timestamps", ">= 0"),
    (SpontaneousSynapses, {"precell_filter": {}, "timestamps": "5"}, "inputs.x.timestamps", ">= 0"),
])
def test_bad_keys_are_named(cls: type, keys: dict[str, Any], where: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        cls("x", keys, config_file="config.json")
    assert where in str(info.value) and text in str(info.value) and "config.json" in str(info.value)


def _broken(root: Path, testdata: Path, case: str) -> Path:
    write_recorded(root)
    inputs: dict[str, Any]
    recurrent = True
    if case == "no_spikes_file":
        inputs = {"r": {**REPLAY, "spikes_file": "$BASE/missing.h5"}}
    elif case == "no_edges_file":
        inputs = {"r": {**REPLAY, "edges": {"edges_file": "$NET/missing_edges.h5"}}}
    elif case == "foreign_edges":
        inputs = {"r": {**REPLAY, "edges": {"edges_file": "$NET/inputs_cortex_edges.h5"}}}
    elif case == "no_such_population":
        write_recorded(root, ("a", "b"))
        inputs = {"r": REPLAY}
    elif case == "unknown_filter_key":
        inputs = {"s": {**SPONT, "precell_filter": {"colour": "red"}}}
    elif case == "two_blocks":
        inputs = {"s": SPONT, "t": SPONT}
    else:
        inputs = {"r": {**REPLAY, "target_node_set": "nowhere"}}
    model = write_inputs_model(root, testdata, None, recurrent_in_network=recurrent,
                               virtual_inputs=case != "foreign_edges", inputs=inputs)
    return model.config


@pytest.mark.neuron
@pytest.mark.parametrize(("case", "message"), [
    ("no_spikes_file", "missing.h5: inputs.r.spikes_file: replay spikes file not found"),
    ("no_edges_file", "missing_edges.h5: inputs.r.edges.edges_file: replay edges_file not found"),
    ("foreign_edges", "inputs_cortex_edges.h5: /edges/inputs_to_cortex/source_node_id: replay edges' source "
                      "population is not in the network (expected one of ['cortex'], found 'inputs')"),
    ("no_such_population", "recorded.h5: inputs.r.spikes_file: the spike file has no population 'cortex'"),
    ("unknown_filter_key", "inputs.s.precell_filter.colour: no population has attribute 'colour'"),
    ("two_blocks", "inputs.t: only one syn_activity input per simulation; inputs.s is one already"),
    ("bad_node_set", "inputs.r.target_node_set: unknown node set 'nowhere'"),
])
def test_bad_input_is_named_in_a_run(testdata: Path, tmp_path: Path, case: str, message: str) -> None:
    config = _broken(tmp_path, testdata, case)
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr[-2000:]
