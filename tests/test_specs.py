"""cantata.specs without a simulator: the spec objects, what rules expand to, the SONATA files
written, and the errors for what is not supported (NetPyNE reference runs: test_specs_netpyne.py)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from netpyne_reference.scenarios import hh_network, point_network
from test_neuron_support import child_env, run_cantata

from cantata.errors import BuildError, FormatError
from cantata.sonata.circuit import Circuit
from cantata.sonata.config import load_config
from cantata.sonata.spikes import SpikeTrains
from cantata.specs import Dict, NetParams, SimConfig, SpecWarning, compile_model, specs, to_sonata
from cantata.specs.spiketrains import netstim_times, population_spikes

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "netpyne_style"
PYR = {"secs": {"soma": {"geom": {"diam": 18.8, "L": 18.8, "Ra": 123.0}, "mechs": {"hh": {}}},
                "dend": {"geom": {"diam": 5.0, "L": 150.0, "nseg": 3},
                         "topol": {"parentSec": "soma", "parentX": 1.0, "childX": 0}, "mechs": {"pas": {}}}}}


def _model(**pops: int) -> tuple[NetParams, SimConfig]:
    net = specs.NetParams()
    net.cellParams["PYR"] = copy.deepcopy(PYR)
    for label, n in (pops or {"A": 10, "B": 12}).items():
        net.popParams[label] = {"cellType": "PYR", "numCells": n}
    net.synMechParams["exc"] = {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5, "e": 0}
    cfg = specs.SimConfig()
    cfg.duration = 100
    return net, cfg


def _spec(scenario: dict) -> tuple[NetParams, SimConfig]:
    cfg = SimConfig(scenario["simConfig"])
    cfg.recordCells = [tuple(c) if isinstance(c, list) else c for c in cfg.recordCells]
    return NetParams(scenario["netParams"]), cfg


def _edges(model, rule: str) -> list:
    return [b for b in model.edges if b.rule == rule]


# ---------------------------------------------------------------------------------- spec objects


def test_spec_objects_take_attribute_and_item_assignment() -> None:
    net = specs.NetParams({"sizeY": 500, "popParams": {"E": {"cellType": "PYR", "numCells": 3}}})
    net["delayMin"] = 0.2
    net.lengthConst = 150
    net.cellParams["PYR"] = copy.deepcopy(PYR)
    net.cellParams["PYR"]["secs"]["soma"]["geom"]["L"] = 16  # NetPyNE's in-place edit
    net.cellParams.PYR.secs.dend.geom.diam = 4  # and its dot notation
    rule = net.addSynMechParams("AMPA", {"mod": "ExpSyn", "tau": 2})
    assert net.sizeY == net["sizeY"] == 500 and net.sizeX == 100
    assert net["delayMin"] == 0.2 and net.lengthConst == 150 and "lengthConst" in net
    assert net.popParams.E.numCells == 3 and isinstance(net.popParams["E"], Dict)
    assert net.cellParams["PYR"]["secs"]["soma"]["geom"]["L"] == 16 and net.cellParams["PYR"].secs.dend.geom.diam == 4
    assert rule.tau == 2 and list(net.synMechParams) == ["AMPA"]
    net.addPopParams(params={"cellType": "PYR", "numCells": 1})  # no label: 0, 1, ... as NetPyNE
    assert 0 in net.popParams
    with pytest.raises(KeyError):
        net["nothing"]
    with pytest.raises(AttributeError):
        net.popParams.missing  # noqa: B018
    plain = net.todict()
    assert type(plain["popParams"]["E"]) is dict and plain["cellParams"]["PYR"]["secs"]["soma"]["geom"]["L"] == 16

    cfg = specs.SimConfig({"duration": 200})
    cfg.recordTraces["V_soma"] = {"sec": "soma", "loc": 0.5, "var": "v"}
    cfg.addAnalysis("plotRaster", {"saveFig": True})
    assert cfg.duration == 200 and cfg["dt"] == 0.025 and cfg.hParams.celsius == 6.3
    assert cfg.recordTraces.V_soma.var == "v" and cfg.analysis["plotRaster"] == {"saveFig": True}
    assert specs.SimConfig().recordTraces == {}  # defaults are not shared between objects


# ------------------------------------------------------------------------------- compilation


def test_connlist_full_and_multi_synapse_rules_expand_exactly() -> None:
    net, cfg = _model(A=4, B=3)
    net.synMechParams["fast"] = {"mod": "ExpSyn", "tau": 2}
    net.connParams["list"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "B"},
                              "connList": [[0, 2], [3, 0], [1, 1]], "weight": [0.1, 0.2, 0.3], "delay": 4,
                              "sec": "dend", "loc": [0.1, 0.5, 0.9], "synMech": "exc"}
    net.connParams["full"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "A"}, "synMech": ["exc", "fast"],
                              "weight": [0.01, 0.02]}
    net.connParams["multi"] = {"preConds": {"pop": "B"}, "postConds": {"cellType": "PYR", "pop": "A"},
                               "connList": [[2, 0]], "synsPerConn": 3, "sec": "dend", "synMech": "exc"}
    net.scaleConnWeight = 2.0
    model = compile_model(net, cfg)
    [block] = _edges(model, "list")
    assert (block.source, block.target) == ("A", "B")
    assert block.source_ids.tolist() == [0, 3, 1] and block.target_ids.tolist() == [2, 0, 1]
    assert block.weight.tolist() == [0.2, 0.4, 0.6] and block.delay.tolist() == [4, 4, 4]  # scaleConnWeight
    assert block.section_id.tolist() == [1, 1, 1] and block.section_pos.tolist() == [0.1, 0.5, 0.9]

    exc, fast = _edges(model, "full")
    pairs = set(zip(exc.source_ids.tolist(), exc.target_ids.tolist(), strict=True))
    assert pairs == {(a, b) for a in range(4) for b in range(4) if a != b}  # no self-connections
    assert (exc.synmech, fast.synmech) == ("exc", "fast")
    assert set(exc.weight) == {0.02} and set(fast.weight) == {0.04}
    assert set(exc.section_id) == {0} and set(exc.section_pos) == {0.5}  # default: soma(0.5)
    assert set(exc.delay) == {1.0}  # netParams.defaultDelay

    [multi] = _edges(model, "multi")
    assert multi.source_ids.tolist() == [2, 2, 2] and multi.target_ids.tolist() == [0, 0, 0]
    assert np.allclose(multi.section_pos, [1 / 6, 0.5, 5 / 6])  # spread evenly along the section

    cfg.allowSelfConns = True
    net.connParams = {"full": {"preConds": {"pop": "A"}, "postConds": {"pop": "A"}}}
    assert _edges(compile_model(net, cfg), "full")[0].source_ids.size == 16


def test_gids_follow_poparams_and_sources_get_their_own_populations() -> None:
    model = compile_model(*_spec(hh_network()))
    firsts = {p.label: p.first_gid for p in model.populations.values()}
    assert firsts == {"S": 0, "M": 5, "I": 9, "drive": 12, "bkg": 15, "D": 17, "netstim_regular-_M": -1}
    source = model.populations["netstim_regular-_M"]
    assert source.kind == "virtual" and source.size == 4
    assert [t.tolist() for t in source.spikes] == [[10.0, 50.0, 90.0, 130.0, 170.0]] * 4  # 25 Hz, number 5
    assert model.populations["bkg"].spikes[0].tolist() == [5.0, 30.0, 55.0, 80.0, 105.0, 130.0]
    assert model.populations["drive"].spikes[2].tolist() == [45.25]
    [clamp] = model.clamps
    assert (clamp.population, clamp.node_ids.tolist(), clamp.amp, clamp.delay, clamp.duration) == \
        ("I", [0, 2], 0.15, 20.0, 100.0)
    assert model.conditions == {"celsius": 6.3, "v_init": -65.0} and model.run["spike_threshold"] == 10.0
    voltage, gate = model.traces
    assert {k: v.tolist() for k, v in voltage.nodes.items()} == {"M": [0, 1, 2, 3], "I": [0, 1]}
    assert (voltage.variable, gate.variable) == ("v", "m_hh")
    points = compile_model(*_spec(point_network())).populations
    assert points["F2"].kind == "point" and points["F2"].params == {"taum": 12.0, "taus": 25.0, "ib": 0.2}
    assert points["tick"].spikes[0][:3].tolist() == [3.0, 15.5, 28.0]


def test_cell_rules_with_a_point_model_make_point_populations() -> None:
    net, cfg = _model()
    net.cellParams["IF"] = {"cellModel": "IntFire1", "params": {"tau": 12, "refrac": 2}}
    net.popParams["F"] = {"cellType": "IF", "numCells": 2, "refrac": 4}  # the population's value wins
    pop = compile_model(net, cfg).populations["F"]
    assert pop.kind == "point" and pop.cell_model == "IntFire1" and pop.params == {"tau": 12.0, "refrac": 4.0}


def test_probability_rule_statistics_and_seeds() -> None:
    net, cfg = _model(A=60, B=50)
    net.connParams["p"] = {"preConds": {"pop": ["A", "B"]}, "postConds": {"pop": "B"}, "probability": 0.2,
                           "synMech": "exc"}
    counts = []
    for seed in (1, 2):
        cfg.seeds = {"conn": seed, "stim": 1, "loc": 1}
        blocks = _edges(compile_model(net, cfg), "p")
        pairs = {(b.source, int(s), int(t)) for b in blocks for s, t in zip(b.source_ids, b.target_ids, strict=True)}
        assert not any(src == "B" and s == t for src, s, t in pairs)  # no self-connections
        counts.append(sorted(pairs))
    n = 110 * 50 - 50
    mean, sd = 0.2 * n, (0.2 * 0.8 * n) ** 0.5
    assert all(abs(len(c) - mean) < 4 * sd for c in counts)
    assert counts[0] != counts[1]
    again = _edges(compile_model(net, cfg), "p")
    assert sorted((b.source, int(s), int(t)) for b in again for s, t in zip(b.source_ids, b.target_ids,
                                                                             strict=True)) == counts[1]


def test_convergence_and_divergence_give_exact_counts() -> None:
    net, cfg = _model(A=30, B=8)
    net.connParams["conv"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "A"}, "convergence": 5}
    net.connParams["div"] = {"preConds": {"pop": "B"}, "postConds": {"pop": "A"}, "divergence": 7.4}
    net.connParams["cap"] = {"preConds": {"pop": "B"}, "postConds": {"pop": "A"}, "convergence": 100}
    model = compile_model(net, cfg)
    [conv] = _edges(model, "conv")
    for post in range(30):
        pres = conv.source_ids[conv.target_ids == post]
        assert pres.size == 5 == np.unique(pres).size and post not in pres
    div = _edges(model, "div")[0]
    assert all(np.unique(div.target_ids[div.source_ids == pre]).size == 7 for pre in range(8))
    cap = _edges(model, "cap")[0]  # NetPyNE caps at the number of candidates minus one
    assert all((cap.target_ids == post).sum() == 7 for post in range(30))


def test_conditions_select_by_tag_and_location() -> None:
    net, cfg = _model(A=40, B=5)
    net.popParams["A"]["yRange"] = [20, 60]
    net.popTagsCopiedToCells = [*net.popTagsCopiedToCells, "layer"]
    net.popParams["B"]["layer"] = "L4"
    net.connParams["deep"] = {"preConds": {"layer": "L4"}, "postConds": {"pop": "A", "ynorm": [0.2, 0.4]}}
    model = compile_model(net, cfg)
    y = model.populations["A"].positions[:, 1]
    assert ((y >= 20) & (y < 60)).all()
    [block] = _edges(model, "deep")
    assert set(block.target_ids.tolist()) == set(np.flatnonzero((y >= 20) & (y < 40)).tolist())
    assert block.source == "B"


def test_netstim_trains_follow_neuron() -> None:
    rng = np.random.default_rng(0)
    assert netstim_times(10.0, 1e9, 50.0, 0.0, 100.0, rng).tolist() == [50, 60, 70, 80, 90, 100]
    assert netstim_times(10.0, 3, 0.0, 0.0, 100.0, rng).tolist() == [0, 10, 20]
    assert netstim_times(10.0, 3, -1.0, 0.0, 100.0, rng).size == 0  # start < 0: off, as NetStim
    noisy = netstim_times(5.0, 1e9, 0.0, 1.0, 20_000.0, np.random.default_rng(1))
    assert abs(noisy.size / 20.0 - 200.0) < 10.0 and (np.diff(noisy) >= 0).all()
    assert np.array_equal(noisy, netstim_times(5.0, 1e9, 0.0, 1.0, 20_000.0, np.random.default_rng(1)))
    half = netstim_times(10.0, 1e9, 0.0, 0.5, 20_000.0, np.random.default_rng(2))
    assert np.diff(half).min() >= 5.0 - 1e-9  # the fixed part of every interval
    trains = population_spikes("VecStim", {"spkTimes": [30, -2, 5, 500]}, 2, 100.0, "k", rng)
    assert [t.tolist() for t in trains] == [[0, 5, 30]] * 2
    trains = population_spikes("VecStim", {"rate": 100, "start": 5}, 1, 50.0, "k", rng)
    assert trains[0].tolist() == [5, 15, 25, 35, 45]


# -------------------------------------------------------------------------------- SONATA files


def test_to_sonata_writes_a_circuit_sonata_readers_open(tmp_path: Path) -> None:
    config = to_sonata(*_spec(hh_network()), tmp_path / "net")
    assert config == tmp_path / "net" / "config.json"
    sim_config = load_config(config)
    assert sim_config.run["tstop"] == 300.0 and sim_config.conditions == {"celsius": 6.3, "v_init": -65.0}
    assert sim_config.target_simulator == "NEURON"
    circuit = Circuit.from_config(sim_config)
    assert circuit.nodes["S"].size == 5 and circuit.nodes["drive"].get_attribute("model_type")[0] == "virtual"
    assert circuit.nodes["S"].get_attribute("model_template")[0] == "netpyne:PYR"
    edges = circuit.edges["S_to_M"]
    assert edges.get_attribute("afferent_section_pos").tolist() == [0.5, 0.7, 0.9, 0.1, 0.5]
    assert edges.get_attribute("syn_weight").tolist() == [0.02, 0.015, 0.03, 0.025, 0.02]
    rule = json.loads((tmp_path / "net" / "components" / "cells" / "PYR.json").read_text())
    assert list(rule["secs"]) == ["soma", "dend"] and rule["secs"]["dend"]["geom"]["nseg"] == 5
    syn = json.loads((tmp_path / "net" / "components" / "synapses" / "fast.json").read_text())
    assert syn == {"level_of_detail": "expsyn", "tau": 2.0, "erev": 0.0}
    spikes = SpikeTrains.read(tmp_path / "net" / "inputs" / "drive_spikes.h5")
    assert spikes.population("drive")[1].tolist() == [12.0, 30.0, 45.25, 60.0, 61.5, 90.0, 140.0]
    inputs = sim_config.inputs
    assert inputs["pulse->I:I"]["section_name"] == "soma" and inputs["pulse->I:I"]["amp"] == 0.15
    assert sim_config.reports["V_soma"]["dt"] == 0.1

    from cantata.sonata.validate import validate

    report = validate(config)
    assert not report.errors, [str(e) for e in report.errors]
    libsonata = pytest.importorskip("libsonata")
    circ = libsonata.CircuitConfig.from_file(str(tmp_path / "net" / "circuit_config.json"))
    assert "netstim_regular-_M" in circ.node_populations and "S_to_M" in circ.edge_populations
    sets = libsonata.NodeSets.from_file(str(tmp_path / "net" / "node_sets.json"))
    assert sets.materialize("V_soma", circ.node_population("I")).flatten().tolist() == [0, 1]

    with pytest.raises(FormatError, match="overwrite=True"):
        to_sonata(*_spec(hh_network()), tmp_path / "net")
    to_sonata(*_spec(hh_network()), tmp_path / "net", overwrite=True)
    points = to_sonata(*_spec(point_network()), tmp_path / "points")
    params = json.loads((points.parent / "components" / "point_neurons" / "F2_IntFire2.json").read_text())
    assert params == {"taum": 0.012, "taus": 0.025, "ib": 0.2}  # seconds, the engine's (BMTK's) unit


# -------------------------------------------------------------------------------- bad input


def _set(path: str, value: object):
    def change(net: NetParams, cfg: SimConfig) -> None:
        owner, *keys = path.split(".")
        target = net if owner == "net" else cfg
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return change


BAD = [
    ("missing numCells", lambda n, c: n.popParams["A"].pop("numCells"), "popParams['A'].numCells"),
    ("unknown cellType", _set("net.popParams.A.cellType", "PV"), "popParams['A'].cellType"),
    ("mod-based cell model", lambda n, c: n.popParams.update(Z={"cellModel": "Izhi2007b", "numCells": 1}),
     "popParams['Z'].cellType"),
    ("NetStim parameter", lambda n, c: n.popParams.update(Z={"cellModel": "NetStim", "numCells": 1, "freq": 3}),
     "popParams['Z'].freq"),
    ("scale", _set("net.scale", 2), "netParams.scale"),
    ("string function", _set("net.cellParams.PYR.secs.soma.geom.L", "10 + rand"), "secs.soma.geom.L"),
    ("unknown geometry", _set("net.cellParams.PYR.secs.soma.geom.length", 3), "geom.length"),
    ("bad parent", _set("net.cellParams.PYR.secs.dend.topol.parentSec", "axon"), "topol.parentSec"),
    ("cell vars", _set("net.cellParams.PYR.vars", {"g": 1}), "cellParams['PYR'].vars"),
    ("synapse parameter", _set("net.synMechParams.exc.gmax", 1), "synMechParams['exc'].gmax"),
    ("plasticity", lambda n, c: n.connParams.update(r={"preConds": {}, "postConds": {}, "plast": {}}),
     "connParams['r'].plast"),
    ("unknown synMech", lambda n, c: n.connParams.update(r={"preConds": {"pop": "A"}, "postConds": {"pop": "B"},
                                                            "synMech": "NMDA"}), "connParams['r'].synMech"),
    ("unknown section", lambda n, c: n.connParams.update(r={"preConds": {"pop": "A"}, "postConds": {"pop": "B"},
                                                            "sec": "apic"}), "connParams['r'].sec"),
    ("connList index", lambda n, c: n.connParams.update(r={"preConds": {"pop": "A"}, "postConds": {"pop": "B"},
                                                           "connList": [[0, 12]]}), "connParams['r'].connList"),
    ("connList weights", lambda n, c: n.connParams.update(r={"preConds": {"pop": "A"}, "postConds": {"pop": "B"},
                                                             "connList": [[0, 1]], "weight": [1, 2]}),
     "connParams['r'].weight"),
    ("one loc, several synapses", lambda n, c: n.connParams.update(
        r={"preConds": {"pop": "A"}, "postConds": {"pop": "B"}, "synsPerConn": 2, "loc": 0.5}),
     "connParams['r'].loc"),
    ("unknown condition", lambda n, c: n.connParams.update(r={"preConds": {"layer": 4}, "postConds": {}}),
     "connParams['r'].preConds.layer"),
    ("connection onto a VecStim", lambda n, c: (
        n.popParams.update(V={"cellModel": "VecStim", "numCells": 1, "spkTimes": [1]}),
        n.connParams.update(r={"preConds": {"pop": "A"}, "postConds": {"pop": "V"}})), "connParams['r'].postConds"),
    ("stimulation source", lambda n, c: n.stimTargetParams.update(t={"source": "x", "conds": {}}),
     "stimTargetParams['t'].source"),
    ("cellList", lambda n, c: (n.stimSourceParams.update(i={"type": "IClamp", "amp": 1}),
                               n.stimTargetParams.update(t={"source": "i", "conds": {"pop": "B", "cellList": [12]}})),
     "stimTargetParams['t'].conds.cellList"),
    ("subConnParams", lambda n, c: n.subConnParams.update(s={"preConds": {}}), "netParams.subConnParams"),
    ("rotation", _set("net.rotateCellsRandomly", [0, 3]), "netParams.rotateCellsRandomly"),
    ("variable step", _set("cfg.cvode_active", True), "simConfig.cvode_active"),
    ("NEURON global", _set("cfg.hParams.ek", -80), "simConfig.hParams.ek"),
    ("record step", _set("cfg.recordStep", 0.03), "simConfig.recordStep"),
    ("tstop", _set("cfg.tstop", 50), "simConfig.tstop"),
    ("recordCells", _set("cfg.recordCells", [("Q", 1)]), "simConfig.recordCells"),
    # second version: what string functions, rules, mechanisms and stimulation still refuse
    ("unknown name", lambda n, c: _rule(n, weight="0.1*exp(-dist/100)"), "connParams['r'].weight"),
    ("netpyne has no gauss", lambda n, c: _rule(n, weight="gauss(1, 0.1)"), "connParams['r'].weight"),
    ("attribute access", lambda n, c: _rule(n, weight="post_x.real"), "connParams['r'].weight"),
    ("builtins", lambda n, c: _rule(n, delay="__import__('os').getcwd()"), "connParams['r'].delay"),
    ("syntax", lambda n, c: _rule(n, probability="0.1 *"), "connParams['r'].probability"),
    ("strings", lambda n, c: _rule(n, weight="'a' + 'b'"), "connParams['r'].weight"),
    ("border distance", lambda n, c: _rule(n, weight="dist_3D_border"), "connParams['r'].weight"),
    ("pre variable in convergence", lambda n, c: _rule(n, convergence="pre_x / 10"), "connParams['r'].convergence"),
    ("synsPerConn string", lambda n, c: _rule(n, synsPerConn="1 + 1"), "connParams['r'].synsPerConn"),
    ("geometry string", _set("net.cellParams.PYR.secs.soma.geom.L", "10 + post_x"), "secs.soma.geom.L"),
    ("no size", lambda n, c: n.popParams["A"].pop("numCells"), "popParams['A'].numCells"),
    ("density function without range", _set("net.popParams.A", {"cellType": "PYR", "density": "1e5*ynorm"}),
     "popParams['A'].ynormRange"),
    ("cellsList key", _set("net.popParams.A", {"cellType": "PYR", "cellsList": [{"x": 1, "layer": 2}]}),
     "popParams['A'].cellsList[0].layer"),
    ("gridSpacing", _set("net.popParams.A", {"cellType": "PYR", "gridSpacing": [10, 10]}), "popParams['A'].gridSpacing"),
    ("two rules apply", lambda n, c: n.cellParams.update(P2={"conds": {"cellType": "PYR"}, "secs": PYR["secs"]}),
     "popParams['A']"),
    ("rule chosen by position", lambda n, c: n.cellParams.update(P2={"conds": {"ynorm": [0, 0.5]}, "secs": {}}),
     "cellParams['P2'].conds.ynorm"),
    ("synapse parameter string", _set("net.synMechParams.nmda", {"mod": "NMDA", "tau": "1 + 2"}),
     "synMechParams['nmda'].tau"),
    ("self netcon", _set("net.synMechParams.h", {"mod": "Hebb", "selfNetCon": {"sec": "soma"}}),
     "synMechParams['h'].selfNetCon"),
    ("point process gid", _set("net.cellParams.PYR.secs.soma.pointps", {"p": {"mod": "Izhi", "seed": "gid"}}),
     "secs.soma.pointps.p.seed"),
    ("unknown section in a list", lambda n, c: _rule(n, sec=["dend", "apic"]), "connParams['r'].sec"),
    ("loc with spread synapses", lambda n, c: _rule(n, sec=["soma", "dend"], synsPerConn=2, loc=0.3),
     "connParams['r'].loc"),
    ("secList member", _set("net.cellParams.PYR.secLists", {"all": ["soma", "axon"]}), "secLists.all"),
    ("vref cell, other section", lambda n, c: (_izh(n), _rule(n, sec="dend", post="Z")), "connParams['r'].sec"),
    ("vref cell, two synapses", lambda n, c: (_izh(n), _rule(n, synsPerConn=2, post="Z")),
     "connParams['r'].synsPerConn"),
    ("SEClamp string", lambda n, c: _stim(n, {"type": "SEClamp", "dur1": "10 + post_x"}),
     "stimSourceParams['s'].dur1"),
    ("VClamp levels", lambda n, c: _stim(n, {"type": "VClamp", "amp": [1, 2, 3, 4]}), "stimSourceParams['s'].amp"),
    ("AlphaSynapse key", lambda n, c: _stim(n, {"type": "AlphaSynapse", "gbar": 1}), "stimSourceParams['s'].gbar"),
    ("XStim", lambda n, c: _stim(n, {"type": "XStim"}), "stimSourceParams['s'].type"),
    ("synapse trace", lambda n, c: (setattr(c, "recordCells", ["A"]),
                                    c.recordTraces.update(g={"sec": "soma", "synMech": "exc", "var": "g"})),
     "simConfig.recordTraces['g'].synMech"),
    ("trace at a section end", lambda n, c: (setattr(c, "recordCells", ["A"]),
                                             c.recordTraces.update(V={"sec": "dend", "loc": 1.0, "var": "v"})),
     "simConfig.recordTraces['V'].loc"),
]


def _rule(net: NetParams, post: str = "B", **keys: object) -> None:
    net.connParams["r"] = {"preConds": {"pop": "A"}, "postConds": {"pop": post}, "synMech": "exc", **keys}


def _izh(net: NetParams) -> None:
    net.cellParams["IZH"] = {"secs": {"soma": {"geom": {"L": 10, "diam": 10}, "pointps": {
        "izh": {"mod": "CantataIzh", "vref": "V", "synList": ["exc"]}}}, "dend": {"geom": {"L": 10}}}}
    net.popParams["Z"] = {"cellType": "IZH", "numCells": 2}


def _stim(net: NetParams, source: dict) -> None:
    net.stimSourceParams["s"] = source
    net.stimTargetParams["t"] = {"source": "s", "conds": {"pop": "A"}, "sec": "soma", "loc": 0.5}


@pytest.mark.parametrize(("what", "change", "key"), BAD, ids=[b[0] for b in BAD])
def test_unsupported_or_bad_input_names_the_key(what: str, change, key: str) -> None:
    net, cfg = _model()
    change(net, cfg)
    with pytest.raises(BuildError) as info:
        compile_model(net, cfg)
    assert key in str(info.value), str(info.value)
    assert "expected" in str(info.value) or "found" in str(info.value)


def test_outputs_it_does_not_make_give_a_warning() -> None:
    net, cfg = _model()
    cfg.saveMat = True
    cfg.saveDipolePops = True
    cfg.analysis["plotRaster"] = {"saveFig": True}  # made by sim.analyze()
    with pytest.warns(SpecWarning) as record:
        compile_model(net, cfg)
    assert sorted(str(w.message).split()[0] for w in record) == ["simConfig.saveDipolePops", "simConfig.saveMat"]
    cfg.saveMat = cfg.saveDipolePops = False
    cfg.saveJson = cfg.savePickle = True  # made by sim.saveData()
    cfg.recordLFP = [[50, 50, 50]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_model(net, cfg)
    with pytest.raises(BuildError, match="NetParams"):
        compile_model({"popParams": {}}, cfg)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- runs (child processes)


def test_the_engine_names_bad_cell_rules(tmp_path: Path) -> None:
    net, cfg = _model(A=1, B=1)
    net.cellParams["PYR"]["secs"]["dend"]["mechs"]["nothere"] = {"g": 1}
    config = to_sonata(net, cfg, tmp_path / "a")
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode != 0 and "unknown NEURON mechanism 'nothere'" in proc.stderr, proc.stderr[-2000:]

    net, cfg = _model(A=1, B=1)
    config = to_sonata(net, cfg, tmp_path / "b")
    rule_file = tmp_path / "b" / "components" / "cells" / "PYR.json"
    rule = json.loads(rule_file.read_text())
    rule["secs"]["soma"]["synMechs"] = {}
    rule_file.write_text(json.dumps(rule))
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode != 0 and "secs.soma.synMechs" in proc.stderr and "PYR.json" in proc.stderr, \
        proc.stderr[-2000:]

    net, cfg = _model(A=1, B=1)  # a point process NEURON does not have
    net.cellParams["PYR"]["secs"]["soma"]["pointps"] = {"izh": {"mod": "NoSuchIzh", "a": 1}}
    proc = run_cantata("run", str(to_sonata(net, cfg, tmp_path / "c")), "--no-progress")
    assert proc.returncode != 0 and "NoSuchIzh" in proc.stderr and "secs.soma.pointps.izh.mod" in proc.stderr, \
        proc.stderr[-2000:]


def test_the_netpyne_style_examples_run(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "tut2.py", tmp_path)
    shutil.copy(EXAMPLE / "distance.py", tmp_path)
    other = subprocess.Popen([sys.executable, "distance.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=child_env())
    proc = subprocess.run([sys.executable, "tut2.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=child_env())
    out, err = other.communicate(timeout=300)
    assert other.returncode == 0, err[-3000:]
    rate = float(next(line for line in out.splitlines() if line.startswith("E:")).split(", ")[1].split()[0])
    assert 8 < rate < 22 and "cell 0 (voltage-clamped): 0 spikes" in out  # README: about 14 Hz (NetPyNE: 15.3)
    assert (tmp_path / "distance" / "output" / "V_dend.h5").is_file()
    assert proc.returncode == 0, proc.stderr[-3000:]
    rates = dict(line.split(": ")[0:2] for line in proc.stdout.splitlines() if line[:2] in ("S:", "M:"))
    assert set(rates) == {"S", "M"}
    hz = {k: float(v.split(", ")[1].split()[0]) for k, v in rates.items()}
    assert 5 < hz["S"] < 16 and 12 < hz["M"] < 26  # README: about 10 and 18 Hz (NetPyNE: 10.2, 18.6)
    out = tmp_path / "tut2" / "output"
    assert {p.name for p in out.iterdir()} >= {"spikes.h5", "V_soma.h5", "raster.png", "traces_V_soma.png"}


# ------------------------------------------------------------- second version (no simulator)


def test_string_functions_are_vectorised_netpyne_expressions() -> None:
    from cantata.specs.strfuncs import PAIR_VARIABLES, StringFunction, pair_columns

    rng = np.random.default_rng(0)
    pre = {c: rng.random(500) * 100 for c in ("x", "y", "z", "xnorm", "ynorm", "znorm")}
    post = {c: rng.random(500) * 100 for c in pre}
    text = "0.3*exp(-dist_3D/lengthConst) if dist_x < 50 and 10 <= post_y < 90 else max(0.01, dist_2D/1000)"
    func = StringFunction(text, "k", PAIR_VARIABLES, {"lengthConst": 150.0})
    assert func.variables == ["dist_2D", "dist_3D", "dist_x", "post_y"] and not func.random
    values = func(pair_columns(func.variables, pre, post), 500)
    import math
    for i in range(0, 500, 37):  # row by row, as NetPyNE evaluates it
        d3 = math.sqrt(sum((pre[c][i] - post[c][i]) ** 2 for c in "xyz"))
        d2 = math.sqrt((pre["x"][i] - post["x"][i]) ** 2 + (pre["z"][i] - post["z"][i]) ** 2)
        want = 0.3 * math.exp(-d3 / 150) if abs(pre["x"][i] - post["x"][i]) < 50 and 10 <= post["y"][i] < 90 \
            else max(0.01, d2 / 1000)
        assert values[i] == pytest.approx(want, rel=1e-14)
    odd = pair_columns(["dist_norm3D"], {"xnorm": np.array([0.5]), "ynorm": np.array([0.9]), "znorm": np.array([0.3])},
                       {"xnorm": np.array([0.1]), "ynorm": np.array([0.5]), "znorm": np.array([0.2])})
    assert odd["dist_norm3D"][0] == pytest.approx(math.sqrt(0.4 ** 2 + math.sqrt(0.4) + math.sqrt(0.1)))  # NetPyNE's
    draws = {name: StringFunction(text, "k", (), {})({}, 200_000, np.random.default_rng(1)) for name, text in (
        ("uniform", "uniform(2, 4)"), ("normal", "normal(5, 4)"), ("lognormal", "lognormal(2, 0.5)"),
        ("negexp", "negexp(3)"), ("discunif", "discunif(1, 3)"), ("erlang", "erlang(4, 2)"))}
    assert 2 <= draws["uniform"].min() and draws["uniform"].max() <= 4
    assert abs(draws["normal"].mean() - 5) < 0.02 and abs(draws["normal"].var() - 4) < 0.05  # variance, as NEURON
    assert abs(draws["lognormal"].mean() - 2) < 0.01 and abs(draws["lognormal"].var() - 0.5) < 0.02
    assert abs(draws["negexp"].mean() - 3) < 0.03 and set(np.unique(draws["discunif"])) == {1, 2, 3}
    assert abs(draws["erlang"].mean() - 4) < 0.02 and abs(draws["erlang"].var() - 2) < 0.05


def test_grid_cells_list_and_density_give_netpyne_cells() -> None:
    net, cfg = _model(A=1, B=1)
    net.sizeX, net.sizeY, net.sizeZ = 100, 60, 20
    net.popParams["G"] = {"cellType": "PYR", "gridSpacing": [50, 30, 40], "yRange": [0, 30]}
    net.popParams["L"] = {"cellType": "PYR", "cellsList": [{"x": 10, "ynorm": 0.5}, {"xnorm": 0.25, "z": 4}]}
    net.popParams["N"] = {"cellType": "PYR", "density": 50000, "xnormRange": [0.2, 0.7]}
    net.popParams["F"] = {"cellType": "PYR", "density": "2e5*ynorm", "ynormRange": [0, 1]}
    pops = compile_model(net, cfg).populations
    assert pops["G"].positions.tolist() == [[x, y, 0] for x in (0, 50, 100) for y in (0, 30)]
    assert pops["L"].positions.tolist() == [[10, 30, 0], [25, 0, 4]]
    assert pops["N"].size == int(50000 * (60 / 1e3 * 100 / 1e3 * 20 / 1e3) * 0.5)  # NetPyNE's count: 3
    x = pops["N"].positions[:, 0]
    assert ((x >= 20) & (x <= 70)).all()
    f = pops["F"]  # NetPyNE's pruning: about volume * mean density cells, denser at high y
    assert abs(f.size - 2e5 * 0.12 * 0.5 * 1e-3) < 4 * (12 ** 0.5)
    assert (f.norms[:, 1] > 0.5).sum() > (f.norms[:, 1] < 0.5).sum()


def test_cell_rules_by_conds_seclists_and_point_processes() -> None:
    net, cfg = _model(A=2, B=3)
    rule = copy.deepcopy(PYR)
    rule["secs"]["dend2"] = {"geom": {"L": 50.0, "diam": 2}, "topol": {"parentSec": "soma", "parentX": 0, "childX": 0}}
    rule["secLists"] = {"dends": ["dend", "dend2"]}
    rule["conds"] = {"cellType": "E", "cellModel": ["HH", "HH2"]}
    net.cellParams["Erule"] = rule
    net.popParams["B"] = {"cellType": "E", "cellModel": "HH", "numCells": 3}
    net.cellParams["IZH"] = {"secs": {"soma": {"geom": {"L": 10, "diam": 10}, "pointps": {
        "izh": {"mod": "CantataIzh", "vref": "V", "synList": ["exc", "inh"], "a": 0.02}}}}}
    net.popParams["Z"] = {"cellType": "IZH", "numCells": 2}
    net.connParams["spread"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "B"}, "sec": "dends", "synsPerConn": 4}
    net.connParams["first"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "B"}, "sec": ["dend2", "dend"],
                               "loc": 0.2, "connRandomSecFromList": False}
    net.connParams["random"] = {"preConds": {"pop": ["A", "B"]}, "postConds": {"pop": "B"}, "sec": "dends",
                                "loc": [0.1, 0.9]}
    net.connParams["izh"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "Z"}, "synMech": "inh", "weight": 2}
    model = compile_model(net, cfg)
    b = model.populations["B"]
    assert b.rule_label == "Erule" and b.rule["secLists"] == {"dends": ["dend", "dend2"]}
    [spread] = _edges(model, "spread")  # NetPyNE's uniform spread over 200 um: 25, 75, 125, 175
    first = (spread.target_ids == 0) & (spread.source_ids == 0)
    assert spread.section_id[first].tolist() == [1, 1, 1, 2]
    assert np.allclose(spread.section_pos[first], [125 / 150, 75 / 150, 25 / 150, 25 / 50])  # from the section end
    [head] = _edges(model, "first")
    assert set(head.section_id) == {2} and set(head.section_pos) == {0.2}
    [rnd_a, rnd_b] = _edges(model, "random")
    ids = np.concatenate([rnd_a.section_id, rnd_b.section_id])
    pos = np.concatenate([rnd_a.section_pos, rnd_b.section_pos])
    assert set(ids) == {1, 2} and set(pos[ids == 1]) == {0.1} and set(pos[ids == 2]) == {0.9}  # loc paired with sec
    [izh] = _edges(model, "izh")
    assert izh.section_id is None and set(izh.weight_index) == {1}  # the synList slot of 'inh'
    z = model.populations["Z"]
    assert z.vref["name"] == "izh" and z.rule["secs"]["soma"]["pointps"]["izh"]["params"] == {"a": 0.02}


def test_written_config_has_mechanisms_electrodes_and_traces(tmp_path: Path) -> None:
    net, cfg = _model(A=2, B=1)
    net.synMechParams["nmda"] = {"mod": "CantataNMDA", "tau2": 60, "mg": 1.2}
    net.connParams["r"] = {"preConds": {"pop": "A"}, "postConds": {"pop": "B"}, "synMech": "nmda",
                           "weight": "0.001 + 0.0001*dist_3D"}
    net.stimSourceParams["vc"] = {"type": "VClamp", "dur": [10, 20], "amp": [-70, -50], "gain": 1e4}
    net.stimSourceParams["syn"] = {"type": "AlphaSynapse", "onset": "10 + post_x/10", "gmax": 0.01}
    net.stimTargetParams["vc->B"] = {"source": "vc", "conds": {"pop": "B"}, "sec": "dend", "loc": 0.5}
    net.stimTargetParams["syn->A"] = {"source": "syn", "conds": {"pop": "A"}, "sec": "soma", "loc": 0.5}
    cfg.recordCells = ["B"]
    cfg.recordTraces = {"V_dend": {"sec": "dend", "loc": 0.9, "var": "v"}}
    mods = tmp_path / "mod"
    mods.mkdir()
    config = to_sonata(net, cfg, tmp_path / "net", mechanisms_dir=mods)
    sim_config = load_config(config)
    assert Path(sim_config.components["mechanisms_dir"]) == mods.resolve()
    vc = sim_config.inputs["vc->B:B"]
    assert (vc["module"], vc["mechanism"], vc["parameters"]) == \
        ("point_process", "VClamp", {"dur": [10.0, 20.0], "amp": [-70.0, -50.0], "gain": 1e4})
    assert (vc["section_name"], vc["section_dist"]) == ("dend", 0.5)
    onsets = sorted(b["parameters"]["onset"] for k, b in sim_config.inputs.items() if k.startswith("syn->A"))
    x = compile_model(net, cfg).populations["A"].positions[:, 0]
    assert onsets == sorted((10 + x / 10).tolist())  # one input per distinct value
    assert sim_config.reports["V_dend"]["sections"] == "all"
    syn = json.loads((tmp_path / "net" / "components" / "synapses" / "nmda.json").read_text())
    assert syn == {"level_of_detail": "cantatanmda", "tau2": 60.0, "mg": 1.2}
    with pytest.raises(FormatError, match="mechanisms folder"):
        to_sonata(net, cfg, tmp_path / "other", mechanisms_dir=tmp_path / "missing")
